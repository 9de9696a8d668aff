package io.wasix.host.net.uring;

import io.netty.channel.IoEvent;
import io.netty.channel.IoRegistration;
import io.netty.channel.uring.IoUringIoEvent;
import io.netty.channel.uring.IoUringIoHandle;
import io.netty.channel.uring.IoUringIoOps;
import io.wasix.host.net.GuestLoop;
import io.wasix.host.net.GuestNetwork;
import java.util.ArrayList;

/**
 * A shard's io_uring ring as its TCP listeners and accepted connections use it: one {@link IoUringIoHandle}
 * registered once on the shard's loop, through which every socket submits its operations (accept, recv,
 * send, shutdown, close, cancel) and receives their completions. A socket is a slot here, not a Netty
 * registration: the slot number rides in each submission's user data, and a completion goes straight to
 * the slot's {@link Member}.
 *
 * <p>Submissions are not made when a socket asks for them but when the loop is about to run
 * ({@link GuestLoop#submitter}): each socket that has work queued writes its submission queue entries then,
 * so everything the guest asked for since the last run (the sends, shutdowns and closes of many connections,
 * the receives re-armed by the last completions) enters the kernel with the run's one io_uring_enter. A
 * socket's sends, its shutdown and its close are submitted as one IOSQE_IO_LINK chain, so the close cannot
 * overtake the write still in flight; at most one such chain per socket is in the kernel at a time.
 *
 * <p>Slot numbers 0..65535 travel in the 16 bits Netty keeps for user data on its fast path (no lookup
 * table); a slot is free again only once the kernel has answered every submission made for it, so a late
 * completion (a cancelled receive) never reaches the slot's next owner.
 *
 * <p>Threading: the loop's thread submits ({@link #flush}) and receives completions ({@link #handle}); in
 * direct mode that is the guest thread, in threaded mode the shard's I/O thread, which holds the shard lock
 * for both. Guest threads mark members dirty ({@link #wantFlush}) under the shard lock and wake the I/O
 * thread once per batch.
 *
 * <p>Public because {@link GuestNetwork} makes a shard's one ring and {@link GuestLoop} flushes it.
 */
public final class Ring implements IoUringIoHandle {
    // include/uapi/linux/io_uring.h
    static final byte OP_ACCEPT = 13, OP_ASYNC_CANCEL = 14, OP_CLOSE = 19, OP_SEND = 26, OP_RECV = 27,
            OP_SHUTDOWN = 34;
    static final byte IOSQE_IO_LINK = 1 << 2;
    static final int CQE_F_MORE = 1 << 1;
    static final short ACCEPT_MULTISHOT = 1;
    // Linux errno and flag values
    static final int ECANCELED = 125;
    static final int MSG_WAITALL = 0x100, MSG_NOSIGNAL = 0x4000;
    static final int SOCK_NONBLOCK = 0x800, SOCK_CLOEXEC = 0x80000;
    static final int SHUT_RD = 0, SHUT_WR = 1;
    static final int CANCEL_ALL = 1, CANCEL_FD = 1 << 1;

    /**
     * Submissions one flush makes at most before it lets the ring take them (Netty's submission queue holds
     * 128 entries unless io.netty.iouring.ringSize says otherwise). When the queue fills, Netty submits it on
     * its own, and that could split a linked chain between two io_uring_enter calls, which unlinks it; so a
     * flush stops short of the end, keeping room for Netty's own entries, and the loop submits and flushes
     * again ({@link GuestLoop}).
     */
    private static final int FLUSH_BUDGET = Math.max(16, Integer.getInteger("io.netty.iouring.ringSize", 128) - 32);

    /** A socket on the ring: a listener or a connection. */
    interface Member {
        /** Writes its queued submissions through {@link #submit}; returns false if the budget ran out first. */
        boolean flush(Ring ring);

        /** One completion of a submission this member made. Loop thread; shard lock held. */
        void complete(byte op, int res, int flags);

        /** The loop is shutting down: close the fd now, whatever is in flight. */
        void abandon();
    }

    private final GuestLoop loop;
    private IoRegistration registration;
    private Member[] slots = new Member[64];
    private int[] free = new int[64];
    private int freeCount;
    private int nextSlot;
    private final ArrayList<Member> dirty = new ArrayList<>();
    private final ArrayList<Member> flushing = new ArrayList<>();
    private int budget;
    /** A guest thread queued work and woke the I/O thread; cleared when the I/O thread flushes. Lock held. */
    private boolean wakeRequested;

    public Ring(GuestLoop loop) {
        this.loop = loop;
    }

    /** Registers the ring's handle on the loop; done once, when the shard's first native socket is made. */
    public void start() {
        registration = loop.register(this);
        loop.submitter(this::flush);
    }

    /** A slot for {@code m}; its number goes in every submission {@code m} makes. */
    int attach(Member m) {
        int slot;
        if (freeCount > 0) {
            slot = free[--freeCount];
        } else {
            slot = nextSlot++;
            if (slot == slots.length) {
                slots = java.util.Arrays.copyOf(slots, slots.length * 2);
            }
        }
        slots[slot] = m;
        return slot;
    }

    /** Frees a slot whose member has no submission left in the kernel. */
    void release(int slot) {
        slots[slot] = null;
        if (freeCount == free.length) {
            free = java.util.Arrays.copyOf(free, free.length * 2);
        }
        free[freeCount++] = slot;
    }

    /**
     * {@code m} has work to submit: it is flushed before the loop next runs. From a guest thread in threaded
     * mode, the I/O thread is woken (once until it flushes) so that the work does not wait for other IO.
     */
    void wantFlush(Member m, boolean alreadyDirty) {
        if (alreadyDirty) {
            return;
        }
        dirty.add(m);
        if (loop.isThreaded() && !loop.inLoopThread() && !wakeRequested) {
            wakeRequested = true;
            loop.wakeLoop();
        }
    }

    /**
     * Submits the dirty members' work into the submission queue (the loop's next io_uring_enter takes it).
     * Loop thread, shard lock held.
     *
     * @return true when the budget ran out and some members still have work: submit, then flush again
     */
    boolean flush() {
        wakeRequested = false;
        if (dirty.isEmpty()) {
            return false;
        }
        budget = FLUSH_BUDGET;
        flushing.addAll(dirty);
        dirty.clear();
        boolean more = false;
        for (int i = 0; i < flushing.size(); i++) {
            Member m = flushing.get(i);
            if (more || !m.flush(this)) {
                more = true;
                dirty.add(m); // its remaining work waits for the next round
            }
        }
        flushing.clear();
        return more;
    }

    /** Whether {@code n} more submissions fit in this flush; a member checks before it writes a chain. */
    boolean room(int n) {
        return budget >= n;
    }

    /** Submits one operation for the member in {@code slot}; returns the id a cancel names it by. */
    long submit(int slot, byte op, byte flags, short ioPrio, int fd, long union1, long union2, int len,
            int union3) {
        budget--;
        return registration.submit(new IoUringIoOps(op, flags, ioPrio, fd, union1, union2, len, union3,
                userData(slot), (short) 0, (short) 0, 0, 0L));
    }

    /** Cancels the submission {@code id} of the member in {@code slot} (its completion says -ECANCELED). */
    void cancel(int slot, long id) {
        submit(slot, OP_ASYNC_CANCEL, (byte) 0, (short) 0, -1, 0L, id, 0, 0);
    }

    /** Cancels everything in flight on {@code fd} (IORING_ASYNC_CANCEL_ALL | IORING_ASYNC_CANCEL_FD). */
    void cancelAll(int slot, int fd) {
        submit(slot, OP_ASYNC_CANCEL, (byte) 0, (short) 0, fd, 0L, 0L, 0, CANCEL_ALL | CANCEL_FD);
    }

    /** Slots 0..65535 fit Netty's 16-bit fast path (as a signed short); larger ones take its slower map. */
    private static long userData(int slot) {
        return slot < 32768 ? slot : slot < 65536 ? slot - 65536 : slot;
    }

    private static int slotOf(long userData) {
        return (int) (userData < 0 ? userData + 65536 : userData);
    }

    @Override
    public void handle(IoRegistration r, IoEvent event) {
        IoUringIoEvent e = (IoUringIoEvent) event;
        int slot = slotOf(e.userData());
        Member m = slot < slots.length ? slots[slot] : null;
        if (m == null) {
            return; // cannot happen: a slot outlives its last completion
        }
        loop.enter();
        try {
            m.complete(e.opcode(), e.res(), e.flags());
        } finally {
            loop.exit();
        }
    }

    /** Something a wait may be waiting for changed (see {@link GuestLoop#changed()}). */
    void changed() {
        loop.changed();
    }

    GuestLoop loop() {
        return loop;
    }

    /** The loop is shutting down: every socket still open closes its fd now. */
    @Override
    public void close() {
        for (Member m : slots) {
            if (m != null) {
                m.abandon();
            }
        }
        dirty.clear();
        if (registration != null) {
            registration.cancel();
        }
    }
}
