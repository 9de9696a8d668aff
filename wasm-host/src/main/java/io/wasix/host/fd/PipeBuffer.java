package io.wasix.host.fd;

import io.wasix.host.abi.GuestMemory;

/**
 * One direction of a pipe: a bounded byte queue of at most {@link #CAPACITY} bytes, Linux's default pipe
 * size, copied straight between guest memory and a ring. The ring starts small and grows as data queues up,
 * so an idle pipe costs little. Owned by the shard's guest threads, under the shard's lock when several run.
 */
final class PipeBuffer {
    /** Linux's default pipe capacity (/proc/sys/fs/pipe-max-size aside). */
    static final int CAPACITY = 64 * 1024;
    private static final int INITIAL = 4096;

    private byte[] ring = new byte[INITIAL];
    private int head;
    private int size;

    int size() {
        return size;
    }

    int room() {
        return CAPACITY - size;
    }

    /** Appends up to {@code len} bytes from guest memory at {@code ptr}; returns how many fitted. */
    int writeFrom(GuestMemory m, int ptr, int len) {
        int n = Math.min(len, room());
        if (n == 0) {
            return 0;
        }
        grow(size + n);
        int tail = (head + size) % ring.length;
        int first = Math.min(n, ring.length - tail);
        m.readInto(ptr, ring, tail, first);
        if (n > first) {
            m.readInto(ptr + first, ring, 0, n - first);
        }
        size += n;
        return n;
    }

    /** Moves up to {@code len} queued bytes into guest memory at {@code ptr}; returns how many. */
    int readTo(GuestMemory m, int ptr, int len) {
        int n = Math.min(len, size);
        if (n == 0) {
            return 0;
        }
        int first = Math.min(n, ring.length - head);
        m.write(ptr, ring, head, first);
        if (n > first) {
            m.write(ptr + first, ring, 0, n - first);
        }
        head = (head + n) % ring.length;
        size -= n;
        if (size == 0) {
            head = 0;
        }
        return n;
    }

    private void grow(int needed) {
        if (needed <= ring.length) {
            return;
        }
        int length = ring.length;
        while (length < needed) {
            length *= 2;
        }
        byte[] bigger = new byte[Math.min(length, CAPACITY)];
        int first = Math.min(size, ring.length - head);
        System.arraycopy(ring, head, bigger, 0, first);
        System.arraycopy(ring, 0, bigger, first, size - first);
        ring = bigger;
        head = 0;
    }
}
