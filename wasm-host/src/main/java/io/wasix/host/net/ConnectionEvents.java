package io.wasix.host.net;

import io.netty.buffer.ByteBuf;
import io.wasix.host.abi.Errno;

/**
 * What a {@link Connection} tells its {@link GuestSocket}. Called inside a loop run, on the thread that runs the
 * loop; in threaded mode the connection holds the shard lock while it calls.
 *
 * <p>Public for the transports' connections, which live in their own packages.
 */
public interface ConnectionEvents {
    /** Bytes arrived; the socket owns {@code data} from now on. */
    void received(ByteBuf data);

    /** The peer will send no more: its FIN, or the connection ended. */
    void inputClosed();

    /** The connection failed (a reset, a timeout): reported by the guest's next call; the connection closes. */
    void failed(Errno error);

    /** {@link Connection#isWritable()} changed. */
    void writabilityChanged();

    /** A queued write left, or failed ({@code failure} non-null). */
    void writeCompleted(Errno failure);
}
