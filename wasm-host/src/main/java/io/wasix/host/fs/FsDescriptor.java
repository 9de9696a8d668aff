package io.wasix.host.fs;

import io.wasix.host.fd.Descriptor;

/**
 * What an open file and an open directory share: the node they were opened on and their preview1 rights,
 * which fd_fdstat_set_rights can only narrow. Owned by the guest thread; in threaded mode, by any guest thread under
 * the shard lock.
 */
public abstract sealed class FsDescriptor implements Descriptor permits FileDescriptor, DirDescriptor {
    private final Vnode node;
    private long rightsBase, rightsInheriting;

    FsDescriptor(Vnode node, long base, long inheriting) {
        this.node = node;
        this.rightsBase = base;
        this.rightsInheriting = inheriting;
    }

    public final Vnode node() {
        return node;
    }

    public final long rightsBase() {
        return rightsBase;
    }

    public final long rightsInheriting() {
        return rightsInheriting;
    }

    public final void rights(long base, long inheriting) {
        rightsBase = base;
        rightsInheriting = inheriting;
    }
}
