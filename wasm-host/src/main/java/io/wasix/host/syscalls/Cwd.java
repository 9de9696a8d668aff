package io.wasix.host.syscalls;

import io.wasix.host.abi.Errno;
import io.wasix.host.fs.Kind;
import io.wasix.host.fs.PathWalker;
import io.wasix.host.fs.Vnode;
import java.util.ArrayDeque;

/**
 * WASIX's current directory. Today's wasix-libc resolves relative paths against it by itself; the 2023 one
 * passes them relative to its preopen "/", which the host then starts at this directory (FsCalls.walkFrom),
 * as wasmer does. The host keeps the string and checks, at chdir, that it names a directory in some mount (the
 * one that is its longest prefix, as libc picks a preopen). Stateless; the guest thread (threaded mode: any,
 * under the shard lock).
 */
final class Cwd {
    private Cwd() {}

    static String change(GuestState state, String path) {
        String abs = normalize(path.startsWith("/") ? path : state.cwd + "/" + path);
        PathWalker.Walk w = GuestPaths.walkOrNull(state.vfs, abs, true);
        if (w == null) {
            throw Errno.NOENT.fail();
        }
        Vnode n = w.existing();
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
