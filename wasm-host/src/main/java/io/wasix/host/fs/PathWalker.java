package io.wasix.host.fs;

import io.wasix.host.abi.Errno;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Resolves a guest path relative to a directory, one component at a time, the way WASI confines it: an
 * absolute path, a ".." above the starting directory, or a symlink pointing to either is ENOTCAPABLE;
 * symlinks are expanded here (never by the host OS), at most {@link #MAX_LINKS} of them (ELOOP). The final
 * component is followed only on request. Stateless; the guest thread (threaded mode: any, under the shard lock).
 */
public final class PathWalker {
    static final int MAX_LINKS = 40, NAME_MAX = 255, PATH_MAX = 4096;

    private PathWalker() {}

    /**
     * Where a path leads. {@code name} is the last component in {@code parent} (null when the path ends at
     * "." or "..", which name no entry); {@code node} is what is there, or null if nothing;
     * {@code mustBeDir} is set by a trailing slash.
     */
    public record Walk(Vnode parent, String name, Vnode node, boolean mustBeDir) {
        /** The node, or ENOENT. */
        public Vnode existing() {
            if (node == null) {
                throw Errno.NOENT.fail();
            }
            return node;
        }

        /** The entry name for a call that creates or removes one; "." and ".." cannot be. */
        public String entryName(Errno whenDot) {
            if (name == null) {
                throw whenDot.fail();
            }
            return name;
        }
    }

    public static Walk walk(Vnode base, String path, boolean followFinal) {
        if (path.isEmpty()) {
            throw Errno.NOENT.fail();
        }
        if (path.length() > PATH_MAX) {
            throw Errno.NAMETOOLONG.fail();
        }
        if (path.indexOf('\0') >= 0) {
            throw Errno.INVAL.fail();
        }
        if (path.charAt(0) == '/') {
            throw Errno.NOTCAPABLE.fail();
        }
        Walk plain = plainWalk(base, path, followFinal);
        if (plain != null) {
            return plain;
        }
        ArrayList<Vnode> stack = new ArrayList<>();
        stack.add(base);
        ArrayDeque<String> pending = new ArrayDeque<>();
        boolean mustBeDir = push(pending, path);
        int links = 0;
        while (true) {
            if (pending.isEmpty()) {
                // the path ended in "." or ".." (or a symlink to such): it names the directory itself
                Vnode dir = stack.get(stack.size() - 1);
                return new Walk(stack.size() > 1 ? stack.get(stack.size() - 2) : null, null, dir, mustBeDir);
            }
            String c = pending.pop();
            boolean last = pending.isEmpty();
            Vnode dir = stack.get(stack.size() - 1);
            if (c.equals(".")) {
                continue;
            }
            if (c.equals("..")) {
                if (stack.size() == 1) {
                    throw Errno.NOTCAPABLE.fail();
                }
                stack.remove(stack.size() - 1);
                continue;
            }
            if (dir.kind() != Kind.DIRECTORY) {
                throw Errno.NOTDIR.fail();
            }
            Vnode n = dir.lookup(c);
            if (n != null && n.kind() == Kind.SYMLINK && (!last || followFinal)) {
                if (++links > MAX_LINKS) {
                    throw Errno.LOOP.fail();
                }
                String target = n.readlink();
                if (target.isEmpty()) {
                    throw Errno.NOENT.fail();
                }
                if (target.charAt(0) == '/') {
                    throw Errno.NOTCAPABLE.fail();
                }
                boolean slash = push(pending, target);
                if (last) {
                    mustBeDir |= slash;
                }
                continue;
            }
            if (last) {
                if (mustBeDir && n != null && n.kind() != Kind.DIRECTORY && n.kind() != Kind.SYMLINK) {
                    throw Errno.NOTDIR.fail();
                }
                return new Walk(dir, c, n, mustBeDir);
            }
            if (n == null) {
                throw Errno.NOENT.fail();
            }
            if (n.kind() != Kind.DIRECTORY) {
                throw Errno.NOTDIR.fail();
            }
            stack.add(n);
        }
    }

    /**
     * The common case without the collections of the general walk: every component a name (no ".", "..",
     * empty or over-long one, no trailing slash) and every directory on the way a directory, not a symlink
     * to one. Anything else, error or not, is null, and {@link #walk} starts over the general way, so both
     * ways always agree.
     */
    private static Walk plainWalk(Vnode base, String path, boolean followFinal) {
        int len = path.length();
        Vnode dir = base;
        int start = 0;
        while (true) {
            int slash = path.indexOf('/', start);
            int end = slash < 0 ? len : slash;
            int n = end - start;
            if (n == 0 || n > NAME_MAX || slash == len - 1 || dir.kind() != Kind.DIRECTORY
                    || (path.charAt(start) == '.' && (n == 1 || (n == 2 && path.charAt(start + 1) == '.')))) {
                return null;
            }
            String name = n == len ? path : path.substring(start, end);
            Vnode node = dir.lookup(name);
            if (slash < 0) {
                return node != null && node.kind() == Kind.SYMLINK && followFinal ? null : new Walk(dir, name, node, false);
            }
            if (node == null || node.kind() != Kind.DIRECTORY) {
                return null;
            }
            dir = node;
            start = slash + 1;
        }
    }

    /** Puts a path's components in front of the pending ones; returns whether it ended with a slash. */
    private static boolean push(ArrayDeque<String> pending, String path) {
        List<String> parts = new ArrayList<>();
        for (String s : path.split("/")) {
            if (!s.isEmpty()) {
                if (s.length() > NAME_MAX) {
                    throw Errno.NAMETOOLONG.fail();
                }
                parts.add(s);
            }
        }
        for (int i = parts.size() - 1; i >= 0; i--) {
            pending.push(parts.get(i));
        }
        return path.endsWith("/");
    }
}
