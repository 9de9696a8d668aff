package io.wasix.host;

import java.net.InetSocketAddress;

/**
 * Milestones of one guest instance that its embedder may want to time (the appliance's boot report).
 * Called on a guest thread, inside a host call or a loop run, or, in threaded mode, on the shard's I/O thread
 * under the shard lock: keep them short, never block, and be safe to call from any thread.
 * Every method has a no-op default, so an embedder overrides only what it needs.
 */
public interface HostEvents {
    /** Nothing to report: the default for a host created without events. */
    HostEvents NONE = new HostEvents() {};

    /** A guest listener is bound (and, as Netty binds and listens in one step, the kernel accepts on it). */
    default void listenerBound(InetSocketAddress local) {}

    /**
     * The first bytes the guest sent on a connection it accepted have reached the kernel. Called at most
     * once per host: the first response, as a client sees it.
     */
    default void firstResponse() {}
}
