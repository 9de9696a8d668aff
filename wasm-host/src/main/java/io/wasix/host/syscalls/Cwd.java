package io.wasix.host.syscalls;

import io.wasix.host.abi.Errno;
import io.wasix.host.fs.Kind;
import io.wasix.host.fs.PathWalker;
import io.wasix.host.fs.Vfs;
import io.wasix.host.fs.Vnode;
import java.util.ArrayDeque;

/**
 * WASIX's current directory. The guest's libc resolves relative paths against it by itself; the host only
 * keeps the string and checks, at chdir, that it names a directory under some preopen (the one with the
 * longest matching prefix, as libc picks it). Stateless; the guest thread (threaded mode: any, under the shard lock).
 */
final class Cwd {
    private Cwd() {}

    static String change(GuestState state, String path) {
        String abs = normalize(path.startsWith("/") ? path : state.cwd + "/" + path);
        Vfs.Preopen best = null;
        for (Vfs.Preopen p : state.vfs.preopens()) {
            String g = normalize(p.guestPath());
            if ((abs.equals(g) || g.equals("/") || abs.startsWith(g + "/"))
                    && (best == null || g.length() > normalize(best.guestPath()).length())) {
                best = p;
            }
        }
        if (best == null) {
            throw Errno.NOENT.fail();
        }
        String g = normalize(best.guestPath());
        String rest = abs.equals(g) ? "." : abs.substring(g.equals("/") ? 1 : g.length() + 1);
        Vnode n = PathWalker.walk(best.mount().root(), rest.isEmpty() ? "." : rest, true).existing();
        if (n.kind() != Kind.DIRECTORY) {
            throw Errno.NOTDIR.fail();
        }
        return abs;
    }

    /** "/a/./b/../c/" to "/a/c": lexical, as a shell's cd does. */
    static String normalize(String path) {
        ArrayDeque<String> parts = new ArrayDeque<>();
        for (String s : path.split("/")) {
            if (s.isEmpty() || s.equals(".")) {
                continue;
            }
            if (s.equals("..")) {
                parts.pollLast();
            } else {
                parts.addLast(s);
            }
        }
        return "/" + String.join("/", parts);
    }
}
