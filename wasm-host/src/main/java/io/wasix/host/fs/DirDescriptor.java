package io.wasix.host.fs;

import java.util.ArrayList;
import java.util.List;

/**
 * An open directory, preopened or opened by path_open. An fd_readdir cookie names an entry this fd handed
 * out, and resumes the listing after that entry's name, in name order: entries added or removed meanwhile
 * never make a listing repeat or skip one that stayed. Owned by the guest thread; in threaded mode, by any guest
 * thread under the shard lock.
 */
public final class DirDescriptor extends FsDescriptor {
    /** Cookies 1 and 2 are "." and ".."; names start after them. */
    public static final int FIRST_NAME_COOKIE = 2;

    private final String preopenName;
    /** Bits of a cookie that index into one listing; listings are at most this long. */
    public static final int INDEX_BITS = 24;
    /** How many handed-out entries an fd remembers for resuming; older cookies become EINVAL. */
    private static final int MAX_REMEMBERED = 1 << 20;
    private final List<List<DirEntry>> batches = new ArrayList<>();
    private long firstBatch;
    private long remembered;

    public DirDescriptor(Vnode node, String preopenName, long base, long inheriting) {
        super(node, base, inheriting);
        this.preopenName = preopenName;
    }

    /** The guest path it was preopened as, or null for a directory opened by path_open. */
    public String preopenName() {
        return preopenName;
    }

    /**
     * The name a cookie resumes after; null for the start of the names (cookie 2 or less). A cookie names
     * an entry of a listing this fd handed out: batch number in the high bits, index in the low ones.
     */
    public String nameForCookie(long cookie) {
        if (cookie <= FIRST_NAME_COOKIE) {
            return null;
        }
        long c = cookie - FIRST_NAME_COOKIE - 1;
        long batch = c >>> INDEX_BITS;
        int index = (int) (c & ((1L << INDEX_BITS) - 1));
        List<DirEntry> b = batch < firstBatch || batch >= firstBatch + batches.size()
                ? null : batches.get((int) (batch - firstBatch));
        if (b == null || index >= b.size()) {
            throw io.wasix.host.abi.Errno.INVAL.fail(); // never handed out by this fd, or long forgotten
        }
        return b.get(index).name();
    }

    /** Keeps a listing this fd hands out; its entries' cookies are {@link #cookie}(returned id, index). */
    public long remember(List<DirEntry> batch) {
        batches.add(batch);
        remembered += batch.size();
        while (remembered > MAX_REMEMBERED && batches.size() > 1) {
            remembered -= batches.remove(0).size();
            firstBatch++;
        }
        return firstBatch + batches.size() - 1;
    }

    /** The cookie that resumes after entry {@code index} of batch {@code batch}. */
    public static long cookie(long batch, int index) {
        return FIRST_NAME_COOKIE + 1 + ((batch << INDEX_BITS) | index);
    }

    @Override
    public FileType fileType() {
        return FileType.DIRECTORY;
    }

    @Override
    public int readiness() {
        return IN | OUT;
    }

    @Override
    public long readinessSeq() {
        return 0;
    }

    @Override
    public void close() {
        // Directories hold nothing open on the host: each call re-reads them.
    }
}
