package io.wasix.host.syscalls;

import com.dylibso.chicory.runtime.Instance;
import io.wasix.host.HostConfig;
import io.wasix.host.abi.GuestMemory;
import io.wasix.host.fd.FdTable;
import io.wasix.host.fd.StdioDescriptor;
import io.wasix.host.fs.DirDescriptor;
import io.wasix.host.fs.Rights;
import io.wasix.host.fs.Vfs;
import io.wasix.host.net.GuestNetwork;
import io.wasix.host.net.PreopenedListener;
import io.wasix.host.thread.GuestThreads;

/**
 * Everything one guest's syscalls share: its memory, fds, network, filesystem, threads and configuration.
 * The mounts are preopened at fd 3 onwards, in the configured order, after stdio, and the preopened listeners
 * (wasmtime's --tcplisten) after the mounts: every preview 1 libc finds its directories by asking
 * fd_prestat_get of fd 3, 4, ... until an fd is not one (EBADF), so a listener before a mount would hide it.
 * Both import namespaces (wasix_32v1 and wasi_snapshot_preview1) are served from this one object, for every guest
 * thread.
 *
 * <p>Threading: the guest thread in direct mode; in threaded mode any guest thread holding the shard lock.
 * The scratch a call keeps across a wait (which lets the lock go) is per thread: the iovec cursor.
 */
public final class GuestState {
    final HostConfig config;
    final FdTable fds = new FdTable();
    final GuestNetwork net;
    final Vfs vfs;
    final GuestThreads threads;
    /** WASIX getcwd/chdir: the guest's libc resolves relative paths against it. */
    String cwd = "/";
    /**
     * Whether fd_renumber leaves its source open (dup2, as wasix-libc uses it and wasmer serves it) rather than
     * moving it (WASI preview 1's renumber, as wasi-libc and wasmtime have it). Chosen per module when its
     * imports are built.
     */
    boolean renumberKeepsSource;
    private GuestMemory memory;
    private final byte[] copyBuffer = new byte[COPY_BUFFER_SIZE];
    /** The position in a socket call's iovecs; reused by every sock_send/sock_recv (and fd_read/fd_write on a socket). */
    private final IovecCursor iovecCursor = new IovecCursor();
    /** Threaded mode: each guest thread's own cursor, as a send or receive may wait with it half used. */
    private final ThreadLocal<IovecCursor> threadCursors;

    public GuestState(HostConfig config, GuestNetwork net) {
        this.config = config;
        this.net = net;
        this.threads = new GuestThreads(net == null ? null : net.loop(), Thread.currentThread().getName());
        this.threadCursors = threads.threaded() ? ThreadLocal.withInitial(IovecCursor::new) : null;
        if (net != null) {
            // A poll or epoll_wait in another guest thread may be watching the fd (threaded mode).
            fds.onClose(fd -> net.loop().changed());
        }
        fds.add(StdioDescriptor.input(config.stdin()), 0);
        fds.add(StdioDescriptor.output(config.stdout()), 0);
        fds.add(StdioDescriptor.output(config.stderr()), 0);
        vfs = Vfs.of(config.mounts());
        for (Vfs.Preopen p : vfs.preopens()) {
            fds.add(new DirDescriptor(p.mount().root(), p.guestPath(), Rights.DIRECTORY, Rights.ALL), 0);
        }
        try {
            for (java.net.InetSocketAddress address : config.listeners()) {
                fds.add(PreopenedListener.open(net, address), 0);
            }
        } catch (RuntimeException e) {
            fds.closeAll(); // the listeners already bound, and the mounts' directories
            throw e;
        }
    }

    /** The instance's memory; bound on the first call because imports exist before the instance does. */
    GuestMemory memory(Instance instance) {
        GuestMemory m = memory;
        if (m == null) {
            m = memory = new GuestMemory(instance.memory());
        }
        return m;
    }

    /**
     * A scratch array of at least {@code size} bytes (at most {@link #COPY_BUFFER_SIZE} are ever asked for) for
     * moving data between the host and guest memory, reused from call to call. Its contents are garbage; a
     * caller uses it only until its call returns.
     */
    byte[] copyBuffer(int size) {
        if (size > COPY_BUFFER_SIZE) {
            throw new IllegalArgumentException("copy buffer of " + size + " bytes"); // a caller's bug: it bounds its reads
        }
        return copyBuffer;
    }

    static final int COPY_BUFFER_SIZE = 64 * 1024;

    /** The calling thread's iovec cursor. */
    IovecCursor iovecCursor() {
        return threadCursors == null ? iovecCursor : threadCursors.get();
    }

    /** See {@link #renumberKeepsSource}: set before the guest runs, from the module's imports. */
    public void renumberKeepsSource(boolean keeps) {
        renumberKeepsSource = keeps;
    }

    public FdTable fds() {
        return fds;
    }

    public Vfs vfs() {
        return vfs;
    }

    public GuestNetwork net() {
        return net;
    }

    public GuestThreads threads() {
        return threads;
    }
}
