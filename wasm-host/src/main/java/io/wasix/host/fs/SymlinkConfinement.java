package io.wasix.host.fs;

import io.wasix.host.abi.Errno;
import java.util.ArrayDeque;
import java.util.List;

/**
 * Keeps the symlinks a guest makes from pointing out of their mount for whoever follows them outside the
 * guest: {@link PathWalker} confines the guest's own walks, but a host directory's links are also followed by
 * host tools, backups and shells, with the kernel's rules.
 *
 * <p>A target is allowed in one form only: leading ".." components, then names ({@code ../../lib/x},
 * {@code a/b}, {@code ./x}), with no more ".." than the link's directory lies below the mount root. Such a
 * link stays inside whatever its names turn out to be: its ".." climb through the real directories above the
 * link, all inside the mount, and each symlink met among the names is of the same form, so it stays inside
 * too. Absolute targets are refused, and so is a ".." after a name, although it may read as harmless: the
 * name may itself be a symlink ({@code d/up/..} with {@code d/up -> ..} climbs one level more than it reads),
 * and this check follows none. Moving a link, or a directory holding links, higher up could make one climb
 * out: a rename or link that would is refused as well. Links already on a host directory are the operator's,
 * and are not judged. A refusal is ENOTCAPABLE.
 *
 * <p>Stateless; the guest thread.
 */
public final class SymlinkConfinement {
    /** Directory entries read per listing while a moved directory is searched for links. */
    private static final int LIST_BATCH = 256;

    private SymlinkConfinement() {}

    /**
     * How deep below the mount root a link's directory must lie for {@code target} to stay inside: its count
     * of leading "..". -1 when the target is not of the confined form (absolute, or a ".." after a name).
     */
    static int climb(String target) {
        if (target.startsWith("/")) {
            return -1;
        }
        int up = 0;
        boolean named = false;
        for (String c : target.split("/")) {
            switch (c) {
                case "", "." -> { }
                case ".." -> {
                    if (named) {
                        return -1;
                    }
                    up++;
                }
                default -> named = true;
            }
        }
        return up;
    }

    /** ENOTCAPABLE unless a link to {@code target} may be made in directory {@code dir}. */
    public static void checkNewLink(Vnode dir, String target) {
        int up = climb(target);
        if (up < 0 || up > dir.depth()) {
            throw Errno.NOTCAPABLE.fail();
        }
    }

    /**
     * ENOTCAPABLE when {@code node}, given a name in {@code toDir} (renamed or hard-linked from {@code fromDir}),
     * would leave a link that climbs out of the mount from its new place and did not from its old one: the
     * node itself, or any link under it when it is a directory moved higher up. A directory that moves no
     * higher is not searched.
     */
    public static void checkMove(Vnode node, Vnode fromDir, Vnode toDir) {
        if (fromDir.mount() != toDir.mount()) {
            return; // not a move at all: the call fails with EXDEV
        }
        int from = fromDir.depth(), to = toDir.depth();
        switch (node.kind()) {
            case SYMLINK -> checkMoved(node.readlink(), from, to);
            case DIRECTORY -> {
                if (to < from) {
                    checkTree(node, from + 1, to + 1);
                }
            }
            case FILE -> { }
        }
    }

    private static void checkMoved(String target, int fromDepth, int toDepth) {
        int up = climb(target);
        if (up >= 0 && up > toDepth && up <= fromDepth) {
            throw Errno.NOTCAPABLE.fail();
        }
    }

    /** Every link under {@code dir}, which lies {@code fromDepth} deep now and will lie {@code toDepth} deep. */
    private static void checkTree(Vnode dir, int fromDepth, int toDepth) {
        record Pending(Vnode dir, int level) {}
        ArrayDeque<Pending> todo = new ArrayDeque<>();
        todo.push(new Pending(dir, 0));
        while (!todo.isEmpty()) {
            Pending p = todo.pop();
            String after = null;
            while (true) {
                List<DirEntry> batch = p.dir().list(after, LIST_BATCH);
                for (DirEntry e : batch) {
                    switch (e.kind()) {
                        case SYMLINK -> {
                            Vnode link = p.dir().lookup(e.name());
                            if (link != null && link.kind() == Kind.SYMLINK) {
                                checkMoved(link.readlink(), fromDepth + p.level(), toDepth + p.level());
                            }
                        }
                        case DIRECTORY -> {
                            Vnode sub = p.dir().lookup(e.name());
                            if (sub != null && sub.kind() == Kind.DIRECTORY) {
                                todo.push(new Pending(sub, p.level() + 1));
                            }
                        }
                        case FILE -> { }
                    }
                }
                if (batch.size() < LIST_BATCH) {
                    break;
                }
                after = batch.get(batch.size() - 1).name();
            }
        }
    }
}
