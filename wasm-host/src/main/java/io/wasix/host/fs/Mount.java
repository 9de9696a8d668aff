package io.wasix.host.fs;

import io.wasix.host.abi.Errno;

/**
 * One filesystem in the mount table: its root, its quota and whether it takes writes. Owned by the guest
 * thread of its instance.
 */
public sealed interface Mount permits MemFs, HostFs {
    Vnode root();

    Quota quota();

    boolean readOnly();

    /** Fails with EROFS on a read-only mount: every call that would change it asks first. */
    default void checkWritable() {
        if (readOnly()) {
            throw Errno.ROFS.fail();
        }
    }

    /** The st_dev the guest sees for this mount's nodes. */
    long dev();

    /** Usage counted from scratch by walking the tree: only for tests of the incremental bookkeeping. */
    long[] recount();
}
