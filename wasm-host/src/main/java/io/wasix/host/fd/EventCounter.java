package io.wasix.host.fd;

import io.wasix.host.abi.Errno;

/**
 * A WASIX event fd (fd_event), with Linux eventfd(2)'s semantics: an unsigned 64-bit counter. A read takes the
 * whole count and zeroes it, or, with SEMAPHORE, takes 1; a read at 0 waits. A write adds its value; one
 * that would carry the counter past 0xFFFFFFFFFFFFFFFE waits for a read, and the value 0xFFFFFFFFFFFFFFFF
 * itself is EINVAL. Readable (IN) while the counter is above 0, writable (OUT) while it is below that maximum.
 *
 * <p>This class is state only: the calls that wait do so in the shard's loop on {@link #readable()} or
 * {@link #writable}. Every change moves {@link #readinessSeq()}, so epoll and poll waiters (edge-triggered
 * ones included) notice it. Owned by the shard's guest threads, under the shard's lock when several run.
 */
public final class EventCounter implements Descriptor {
    /** fd_event's flag: reads take 1 at a time. */
    public static final int SEMAPHORE = 1;
    /** The largest count, as unsigned: 0xFFFFFFFFFFFFFFFE. */
    static final long MAX = -2L;

    private final boolean semaphore;
    private long count;
    private long readinessSeq;

    public EventCounter(long initial, boolean semaphore) {
        if (initial == -1L) {
            throw Errno.INVAL.fail();
        }
        this.count = initial;
        this.semaphore = semaphore;
    }

    public boolean readable() {
        return count != 0;
    }

    /** Whether adding {@code value} would not wait (a forbidden value does not wait either: it fails). */
    public boolean writable(long value) {
        return value == -1L || Long.compareUnsigned(value, MAX - count) <= 0;
    }

    /** What a read returns, taken from the counter, or 0 when the counter is 0 (the caller waits or answers EAGAIN). */
    public long take() {
        if (count == 0) {
            return 0;
        }
        long v = semaphore ? 1 : count;
        count -= v;
        readinessSeq++;
        return v;
    }

    /** Adds {@code value}; false, changing nothing, when it does not fit yet. */
    public boolean add(long value) {
        if (value == -1L) {
            throw Errno.INVAL.fail();
        }
        if (!writable(value)) {
            return false;
        }
        count += value;
        readinessSeq++;
        return true;
    }

    @Override
    public FileType fileType() {
        return FileType.UNKNOWN;
    }

    @Override
    public int readiness() {
        return (count != 0 ? IN : 0) | (count != MAX ? OUT : 0);
    }

    @Override
    public long readinessSeq() {
        return readinessSeq;
    }

    @Override
    public void close() {
        // nothing held outside the heap
    }
}
