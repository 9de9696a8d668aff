package io.wasix.host.fs;

import io.wasix.host.abi.Errno;

/**
 * One mount's usage and limits, in bytes and inodes. Every mutation asks {@link #charge} for its delta
 * before it changes anything, so a refused call leaves the filesystem as it was, and no call ever walks the
 * tree to learn the usage. Owned by the guest thread of the mount's instance; a host directory mounted by
 * several shards shares one {@link Shared} quota instead, which any of their threads may call.
 */
public sealed class Quota permits Quota.Shared {
    /** No limit. */
    public static final long UNLIMITED = Long.MAX_VALUE;

    private final long maxBytes;
    private final long maxInodes;
    private long bytes;
    private long inodes;

    public Quota(long maxBytes, long maxInodes) {
        this.maxBytes = maxBytes;
        this.maxInodes = maxInodes;
    }

    public static Quota unlimited() {
        return new Quota(UNLIMITED, UNLIMITED);
    }

    /**
     * Applies a delta, or refuses it with EDQUOT when it would take usage over a limit. Releases (negative
     * deltas) always succeed, and a delta that does not grow usage is never refused.
     */
    public void charge(long deltaBytes, long deltaInodes) {
        if ((deltaBytes > 0 && bytes + deltaBytes > maxBytes) || (deltaInodes > 0 && inodes + deltaInodes > maxInodes)) {
            throw Errno.DQUOT.fail();
        }
        bytes += deltaBytes;
        inodes += deltaInodes;
    }

    /** Whether a delta would be accepted, without applying it. */
    public void check(long deltaBytes, long deltaInodes) {
        if ((deltaBytes > 0 && bytes + deltaBytes > maxBytes) || (deltaInodes > 0 && inodes + deltaInodes > maxInodes)) {
            throw Errno.DQUOT.fail();
        }
    }

    /** A quota several guest threads charge at once: the same host directory mounted by every shard. */
    public static final class Shared extends Quota {
        public Shared(long maxBytes, long maxInodes) {
            super(maxBytes, maxInodes);
        }

        @Override
        public synchronized void charge(long deltaBytes, long deltaInodes) {
            super.charge(deltaBytes, deltaInodes);
        }

        @Override
        public synchronized void check(long deltaBytes, long deltaInodes) {
            super.check(deltaBytes, deltaInodes);
        }

        @Override
        public synchronized long bytes() {
            return super.bytes();
        }

        @Override
        public synchronized long inodes() {
            return super.inodes();
        }
    }

    public long bytes() {
        return bytes;
    }

    public long inodes() {
        return inodes;
    }

    public long maxBytes() {
        return maxBytes;
    }

    public long maxInodes() {
        return maxInodes;
    }
}
