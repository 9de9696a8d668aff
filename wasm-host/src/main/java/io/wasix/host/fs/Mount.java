package io.wasix.host.fs;

/**
 * One filesystem in the mount table: its root, its quota and whether it takes writes. Owned by the guest
 * thread of its instance.
 */
public sealed interface Mount permits MemFs, HostFs {
    Vnode root();

    Quota quota();

    boolean readOnly();

    /** The st_dev the guest sees for this mount's nodes. */
    long dev();

    /** Usage counted from scratch by walking the tree: only for tests of the incremental bookkeeping. */
    long[] recount();
}
