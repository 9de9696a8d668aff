package io.wasix.host.fs;

import io.wasix.host.fd.Descriptor;
import java.util.ArrayList;
import java.util.List;

/**
 * An open directory, preopened or opened by path_open. fd_readdir cookies are positions in this fd's own
 * list of names handed out so far: cookie k resumes after the k-th name, in name order, so entries added or
 * removed meanwhile never make a listing repeat or skip one that stayed. Owned by the guest thread.
 */
public final class DirDescriptor implements Descriptor {
    /** Cookies 1 and 2 are "." and ".."; names start after them. */
    public static final int FIRST_NAME_COOKIE = 2;

    private final Vnode node;
    private final String preopenName;
    private final List<String> cookieNames = new ArrayList<>();
    private final java.util.HashMap<String, Long> cookies = new java.util.HashMap<>();
    private long rightsBase, rightsInheriting;

    public DirDescriptor(Vnode node, String preopenName, long base, long inheriting) {
        this.node = node;
        this.preopenName = preopenName;
        this.rightsBase = base;
        this.rightsInheriting = inheriting;
    }

    public Vnode node() {
        return node;
    }

    /** The guest path it was preopened as, or null for a directory opened by path_open. */
    public String preopenName() {
        return preopenName;
    }

    public long rightsBase() {
        return rightsBase;
    }

    public long rightsInheriting() {
        return rightsInheriting;
    }

    public void rights(long base, long inheriting) {
        rightsBase = base;
        rightsInheriting = inheriting;
    }

    /** The name a cookie resumes after; null for the start of the names (cookie 2 or less). */
    public String nameForCookie(long cookie) {
        long i = cookie - FIRST_NAME_COOKIE;
        if (i <= 0) {
            return null;
        }
        if (i > cookieNames.size()) {
            throw io.wasix.host.abi.Errno.INVAL.fail(); // never handed out by this fd
        }
        return cookieNames.get((int) (i - 1));
    }

    /** The cookie that resumes after {@code name}; the same name always gets the same cookie. */
    public long cookieAfter(String name) {
        Long c = cookies.get(name);
        if (c == null) {
            cookieNames.add(name);
            c = (long) (FIRST_NAME_COOKIE + cookieNames.size());
            cookies.put(name, c);
        }
        return c;
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
