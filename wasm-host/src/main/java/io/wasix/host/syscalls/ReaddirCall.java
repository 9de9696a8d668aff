package io.wasix.host.syscalls;

import static com.dylibso.chicory.wasm.types.ValType.I32;
import static com.dylibso.chicory.wasm.types.ValType.I64;

import io.wasix.host.abi.GuestMemory;
import io.wasix.host.fs.DirDescriptor;
import io.wasix.host.fs.DirEntry;
import io.wasix.host.fs.Kind;
import io.wasix.host.fs.Rights;
import io.wasix.host.fs.Vnode;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * fd_readdir: dirents laid out in a host buffer and copied into the guest in large pieces, with cookies
 * that resume after a name (see {@link DirDescriptor}). Runs on the guest thread; in threaded mode, on any guest
 * thread under the shard lock.
 */
final class ReaddirCall extends FsCalls {
    ReaddirCall(GuestState state) {
        super(state);
    }

    void register(HostFunctions r) {
        r.preview1("fd_readdir", List.of(I32, I32, I32, I64, I32), (m, a) ->
                readdir(m, (int) a[0], (int) a[1], (int) a[2], a[3], (int) a[4]));
    }

    private int readdir(GuestMemory m, int fd, int buf, int bufLen, long cookie, int retUsed) {
        m.check(retUsed, 4);
        m.check(buf, bufLen);
        DirDescriptor d = dir(fd, Rights.FD_READDIR);
        Vnode dir = d.node();
        Dirents out = new Dirents(m, buf, bufLen, scratch());
        long c = cookie;
        if (c < DirDescriptor.FIRST_NAME_COOKIE) {
            long selfIno = dir.stat().ino();
            // "." and ".." come first, at cookies 0 and 1, as Linux's getdents lists them
            while (c < DirDescriptor.FIRST_NAME_COOKIE && !out.full()) {
                out.add(c + 1, selfIno, Kind.DIRECTORY, c == 0 ? "." : "..");
                c++;
            }
        }
        String after = d.nameForCookie(c);
        while (!out.full()) {
            int batch = Math.max(16, Math.min(1 << 12, out.room() / DIRENT_SIZE + 1));
            List<DirEntry> entries = dir.list(after, batch);
            long id = d.remember(entries);
            for (int i = 0; i < entries.size() && !out.full(); i++) {
                DirEntry e = entries.get(i);
                out.add(DirDescriptor.cookie(id, i), e.ino(), e.kind(), e.name());
                after = e.name();
            }
            if (entries.size() < batch) {
                break;
            }
        }
        m.writeI32(retUsed, out.finish());
        return 0;
    }

    private byte[] scratch;

    /** A staging buffer for dirents, reused across calls (one at a time: a readdir never waits). */
    private byte[] scratch() {
        if (scratch == null) {
            scratch = new byte[64 * 1024];
        }
        return scratch;
    }

    private static boolean ascii(String name) {
        for (int i = 0; i < name.length(); i++) {
            if (name.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    /**
     * Lays dirents out in a host buffer and copies them into the guest's in large pieces, not one bounds
     * check and copy per field. The last entry is cut at the guest buffer's end, as preview1 allows.
     */
    private static final class Dirents {
        private final GuestMemory m;
        private final int buf, bufLen;
        private final byte[] stage;
        private int used, pending;

        Dirents(GuestMemory m, int buf, int bufLen, byte[] stage) {
            this.m = m;
            this.buf = buf;
            this.bufLen = bufLen;
            this.stage = stage;
        }

        boolean full() {
            return used >= bufLen;
        }

        int room() {
            return bufLen - used;
        }

        @SuppressWarnings("deprecation") // String.getBytes(int, int, byte[], int): exact for ASCII, no garbage
        void add(long next, long ino, Kind kind, String name) {
            boolean ascii = ascii(name);
            byte[] utf8 = ascii ? null : name.getBytes(StandardCharsets.UTF_8);
            int nameLen = ascii ? name.length() : utf8.length;
            int take = Math.min(DIRENT_SIZE + nameLen, bufLen - used);
            if (pending + DIRENT_SIZE + nameLen > stage.length) {
                flush();
            }
            LE_LONG.set(stage, pending, next);
            LE_LONG.set(stage, pending + 8, ino);
            LE_INT.set(stage, pending + 16, nameLen);
            stage[pending + 20] = (byte) kind.fileType().ordinal();
            stage[pending + 21] = stage[pending + 22] = stage[pending + 23] = 0;
            if (ascii) {
                name.getBytes(0, nameLen, stage, pending + DIRENT_SIZE);
            } else {
                System.arraycopy(utf8, 0, stage, pending + DIRENT_SIZE, nameLen);
            }
            pending += take; // a cut entry contributes only what fits
            used += take;
        }

        private void flush() {
            m.write(buf + used - pending, stage, 0, pending);
            pending = 0;
        }

        int finish() {
            flush();
            return used;
        }
    }
}
