package io.wasix.host.net;

import io.wasix.host.abi.Errno;

/**
 * What a {@link Listener} tells its {@link GuestSocket}. Called inside a loop run, on the thread that runs the
 * loop; in threaded mode the listener holds the shard lock while it calls.
 *
 * <p>Public for the transports' listeners, which live in their own packages.
 */
public interface ListenerEvents {
    /** A connection the kernel accepted, not yet taken by the guest; the socket attaches itself to it. */
    void accepted(Connection connection);

    /** An accept failed (EMFILE...); the connection is still waiting in the kernel's queue. */
    void acceptFailed(Errno error);
}
