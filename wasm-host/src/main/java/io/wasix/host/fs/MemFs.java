package io.wasix.host.fs;

import java.util.ArrayDeque;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * An in-memory filesystem: the default writable root, and (sealed after it is filled) the read-only layer
 * of bundled files. Usage is kept by deltas: every mutation charges {@link Quota} before it changes a node.
 * Owned by the guest thread of its instance; in threaded mode, by its guest threads, under the shard lock.
 */
public final class MemFs implements Mount {
    private static long nextDev = 0x10;

    private final long dev;
    private final Quota quota;
    private final MemNode root;
    private boolean readOnly;
    private long nextIno = 1;

    public MemFs(Quota quota) {
        synchronized (MemFs.class) {
            dev = nextDev++;
        }
        this.quota = quota;
        quota.charge(0, 1); // the root directory is an inode like any other
        this.root = new MemNode(this, Kind.DIRECTORY, null);
    }

    /** From now on every mutation fails with EROFS: the read-only layer, once its files are in. */
    public MemFs seal() {
        readOnly = true;
        return this;
    }

    long newIno() {
        return nextIno++;
    }

    @Override
    public MemNode root() {
        return root;
    }

    @Override
    public Quota quota() {
        return quota;
    }

    @Override
    public boolean readOnly() {
        return readOnly;
    }

    @Override
    public long dev() {
        return dev;
    }

    @Override
    public long[] recount() {
        Set<MemNode> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        ArrayDeque<MemNode> todo = new ArrayDeque<>();
        todo.add(root);
        long bytes = 0;
        while (!todo.isEmpty()) {
            MemNode n = todo.pop();
            if (!seen.add(n)) {
                continue; // a second hard link to a file already counted
            }
            bytes += n.chargedBytes();
            if (n.kind() == Kind.DIRECTORY) {
                todo.addAll(n.children().values());
            }
        }
        return new long[] {bytes, seen.size()};
    }
}
