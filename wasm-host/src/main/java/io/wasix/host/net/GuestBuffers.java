package io.wasix.host.net;

import io.netty.buffer.ByteBuf;

/**
 * The guest's side of one send or receive: its buffers (iovecs), walked once from the first byte to the last.
 * {@link GuestSocket} copies between them and the channel in pieces as room or data comes, so a call never
 * needs a host buffer as large as the guest's (overlapping iovecs may add up to 2 GiB and more).
 *
 * <p>Threading: the calling guest thread, for the length of one call.
 */
public interface GuestBuffers {
    /** All the bytes the buffers hold, summed (a long: overlapping buffers may sum past 2 GiB). */
    long total();

    /** Copies {@code len} bytes of {@code src}, from {@code index}, into the buffers' next bytes. */
    void put(ByteBuf src, int index, int len);

    /** Appends the buffers' next {@code len} bytes to {@code dst}. */
    void take(ByteBuf dst, int len);
}
