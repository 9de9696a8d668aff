package io.wasix.host.syscalls;

import io.wasix.host.abi.Errno;
import io.wasix.host.fs.PathWalker;
import io.wasix.host.fs.PathWalker.Walk;
import io.wasix.host.fs.Vfs;

/**
 * Where an absolute guest path leads: into the mount whose guest path is its longest prefix, as wasix-libc
 * picks a preopen (the later of two equal ones), then from that mount's root by {@link PathWalker}, so it
 * never leaves that mount. No mount matching (nothing at "/") is ENOTCAPABLE, as an absolute path was before.
 * Stateless; the guest thread (threaded mode: any, under the shard lock).
 */
final class GuestPaths {
    private GuestPaths() {}

    static Walk walk(Vfs vfs, String abs, boolean follow) {
        Walk w = walkOrNull(vfs, abs, follow);
        if (w == null) {
            throw Errno.NOTCAPABLE.fail();
        }
        return w;
    }

    /** As {@link #walk}, but null when no mount holds the path. */
    static Walk walkOrNull(Vfs vfs, String abs, boolean follow) {
        Vfs.Preopen best = null;
        int bestLen = -1;
        for (Vfs.Preopen p : vfs.preopens()) {
            String g = trimSlashes(p.guestPath());
            int len = prefixLength(g, abs);
            if (len >= 0 && len >= bestLen) {
                best = p;
                bestLen = len;
            }
        }
        if (best == null) {
            return null;
        }
        int i = bestLen;
        while (i < abs.length() && abs.charAt(i) == '/') {
            i++;
        }
        String rest = abs.substring(i);
        return PathWalker.walk(best.mount().root(), rest.isEmpty() ? "." : rest, follow);
    }

    /** "/data/" to "/data", "/" and "//" to "": the prefix as the path must start with it. */
    private static String trimSlashes(String g) {
        int end = g.length();
        while (end > 0 && g.charAt(end - 1) == '/') {
            end--;
        }
        return g.substring(0, end);
    }

    /** How many characters of {@code abs} the mount {@code g} covers (whole components only), or -1. */
    private static int prefixLength(String g, String abs) {
        if (!abs.startsWith(g) || (abs.length() > g.length() && abs.charAt(g.length()) != '/')) {
            return -1;
        }
        return g.length();
    }
}
