package io.wasix.host.net;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The "big kernel lock" of a threaded shard. Every host call of every guest thread runs holding it, and so
 * does every Netty handler and future listener of the shard's I/O thread that changes a socket's state: the
 * fd table, the VFS, the sockets, the metrics and every other piece of host state need no further lock. A
 * call that must wait releases it while it waits on its one condition, which is signalled whenever state a
 * waiter may be waiting for has changed, and only then: whoever changes such state says {@link #changed()}
 * (a socket's handler, a close, a shutdown, an epoll_ctl, a thread's end...), and the waiters are woken when
 * the lock is let go: by a guest thread at the end of its call, by the I/O thread once per run of its loop.
 * Each woken waiter checks its own condition again. A change nobody says is a lost wake-up, so every new kind
 * of state a wait may depend on must say it.
 *
 * <p>In direct mode (a module that spawns no threads) there is one guest thread, which runs the event loop
 * itself: this lock is then {@link #none()}, and every method is a no-op that costs a null check.
 *
 * <p>Threading: any thread. The lock guards {@link #signalPending}; {@link #ioChanged} is the I/O thread's own.
 */
public final class ShardLock {
    private final ReentrantLock lock;
    private final Condition changedCondition;
    /** A host call changed state a waiter may want; signal when the lock is next let go. Guarded by the lock. */
    private boolean signalPending;
    /** The loop's I/O thread (threaded mode); set before it starts. */
    private Thread ioThread;
    /** The I/O thread's handlers changed something during this run of the loop. The I/O thread only. */
    private boolean ioChanged;

    private ShardLock(boolean threaded) {
        this.lock = threaded ? new ReentrantLock() : null;
        this.changedCondition = threaded ? lock.newCondition() : null;
    }

    /** The lock of a direct-mode shard: nothing to lock, nobody else to wake. */
    public static ShardLock none() {
        return new ShardLock(false);
    }

    /** The lock of a threaded shard. */
    public static ShardLock threaded() {
        return new ShardLock(true);
    }

    public boolean isThreaded() {
        return lock != null;
    }

    public void lock() {
        if (lock != null) {
            lock.lock();
        }
    }

    /** Lets go, first waking the waiters if {@link #changed()} was said since the last wake-up (outermost hold). */
    public void unlock() {
        if (lock != null) {
            if (signalPending && lock.getHoldCount() == 1) {
                signalPending = false;
                changedCondition.signalAll();
            }
            lock.unlock();
        }
    }

    /** Lets go without waking anyone: the I/O thread wakes the waiters once at the end of its loop's run. */
    void unlockQuietly() {
        lock.unlock();
    }

    /**
     * Says that state a waiter may be waiting for changed on this side of the I/O thread (an fd closed, a
     * shutdown, an epoll interest re-armed, a thread ended): the waiters wake when the lock is next let go.
     * Lock held.
     */
    public void changed() {
        if (lock != null) {
            if (Thread.currentThread() == ioThread) {
                ioChanged = true; // woken once, at the end of the loop's run
            } else {
                signalPending = true;
            }
        }
    }

    /** The thread whose changes wake the waiters at the end of each loop run (see {@link #wakeWaiters}). */
    void ioThread(Thread thread) {
        this.ioThread = thread;
    }

    /** Wakes every waiter now, so that each checks its condition again. Any thread; takes the lock. */
    public void wakeAll() {
        if (lock != null) {
            lock.lock();
            try {
                signalPending = false;
                changedCondition.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * The I/O thread's wake-up after a run of the loop: only when its handlers changed something, so a run
     * that changed nothing a guest thread waits for takes no lock at all.
     */
    void wakeWaiters() {
        if (!ioChanged) {
            return;
        }
        ioChanged = false;
        lock.lock();
        try {
            signalPending = false;
            changedCondition.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits, the lock released meanwhile, until woken or {@code nanos} pass (0 or less: until woken). Lock
     * held; held again on return, also when interrupted.
     */
    void await(long nanos) throws InterruptedException {
        if (nanos <= 0) {
            changedCondition.await();
        } else {
            changedCondition.await(nanos, TimeUnit.NANOSECONDS);
        }
    }

    /**
     * Runs {@code blocking} without the lock (a futex wait, a read of stdin): other guest threads and the I/O
     * thread go on meanwhile. The lock is taken again, as many times as it was held, before this returns or
     * throws. In direct mode it just runs.
     */
    public <T> T outside(Supplier<T> blocking) {
        if (lock == null || !lock.isHeldByCurrentThread()) {
            return blocking.get();
        }
        int holds = lock.getHoldCount();
        for (int i = 0; i < holds; i++) {
            unlock();
        }
        try {
            return blocking.get();
        } finally {
            for (int i = 0; i < holds; i++) {
                lock.lock();
            }
        }
    }
}
