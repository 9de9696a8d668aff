package io.wasix.host.fd;

import io.wasix.host.abi.Errno;
import io.wasix.host.abi.GuestMemory;

/**
 * One end of a WASIX pipe (fd_pipe). As in wasmer, the pair is connected both ways: each end reads what the
 * other writes, so pipe(2)'s usual one-way use works whichever end a program takes for which. Reading
 * an empty end whose peer is closed is end of file; writing to an end whose peer is closed is EPIPE, as on
 * Linux. Each direction holds at most {@link PipeBuffer#CAPACITY} bytes, and a write of at most
 * {@link #ATOMIC_WRITE} bytes is all or nothing, as POSIX asks of PIPE_BUF.
 *
 * <p>This class is state only: the calls that wait (a read of an empty end, a write to a full one) wait in
 * the shard's loop on {@link #readable()} or {@link #writable()}. Every change another end or another thread
 * must see moves {@link #readinessSeq()}, so epoll and poll waiters (edge-triggered ones included) notice it.
 * Owned by the shard's guest threads, under the shard's lock when several run.
 */
public final class PipeEnd implements Descriptor {
    /** POSIX PIPE_BUF on Linux: writes up to this size never interleave and never go in part. */
    public static final int ATOMIC_WRITE = 4096;

    private final PipeBuffer in;
    private final PipeBuffer out;
    private PipeEnd peer;
    private boolean closed;
    private long readinessSeq;

    private PipeEnd(PipeBuffer in, PipeBuffer out) {
        this.in = in;
        this.out = out;
    }

    /** A connected pair: what one end writes, the other reads. */
    public static PipeEnd[] pair() {
        PipeBuffer ab = new PipeBuffer();
        PipeBuffer ba = new PipeBuffer();
        PipeEnd a = new PipeEnd(ba, ab);
        PipeEnd b = new PipeEnd(ab, ba);
        a.peer = b;
        b.peer = a;
        return new PipeEnd[] {a, b};
    }

    /** Bytes queued for this end to read. */
    public int available() {
        return in.size();
    }

    /** Whether a read would not wait: data queued, or the end of the data (the peer is closed). */
    public boolean readable() {
        return in.size() > 0 || peer.closed;
    }

    /** Whether a write of {@code len} bytes would not wait (it may still be EPIPE, which does not wait either). */
    public boolean writable(long len) {
        if (peer.closed) {
            return true;
        }
        int room = out.room();
        return len <= ATOMIC_WRITE ? room >= len : room > 0;
    }

    /**
     * Moves up to {@code len} queued bytes to guest memory; 0 at end of data or for {@code len} 0, -1 when
     * nothing is queued yet (the caller waits, or answers EAGAIN).
     */
    public int read(GuestMemory m, int ptr, int len) {
        if (len == 0) {
            return 0;
        }
        if (in.size() == 0) {
            return peer.closed ? 0 : -1;
        }
        int n = in.readTo(m, ptr, len);
        peer.changed(); // room regained on the peer's side
        return n;
    }

    /**
     * Queues bytes from guest memory and returns how many (0 when none fit: the caller waits or answers
     * EAGAIN). {@code atomic}: all of them or none. EPIPE once the peer is closed.
     */
    public int write(GuestMemory m, int ptr, int len, boolean atomic) {
        if (peer.closed) {
            throw Errno.PIPE.fail();
        }
        if (len == 0 || (atomic && out.room() < len)) {
            return 0;
        }
        int n = out.writeFrom(m, ptr, len);
        if (n > 0) {
            peer.changed();
        }
        return n;
    }

    private void changed() {
        readinessSeq++;
    }

    @Override
    public FileType fileType() {
        return FileType.UNKNOWN; // WASI has no FIFO type
    }

    @Override
    public int readiness() {
        int r = 0;
        if (in.size() > 0) {
            r |= IN;
        }
        if (peer.closed) {
            // reads see the end, writes fail at once: neither waits (as a socketpair reports it: no ERR)
            r |= IN | OUT | HUP | RDHUP;
        } else if (out.room() > 0) {
            r |= OUT;
        }
        return r;
    }

    @Override
    public long readinessSeq() {
        return readinessSeq;
    }

    @Override
    public void close() {
        closed = true;
        peer.changed();
    }
}
