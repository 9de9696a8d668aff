package io.wasix.host.net;

import io.netty.channel.Channel;
import io.netty.channel.IoHandle;
import io.netty.channel.IoRegistration;
import io.netty.channel.ManualIoEventLoop;
import io.wasix.host.GuestStoppedException;
import io.wasix.host.net.uring.Ring;
import java.util.function.BooleanSupplier;

/**
 * A shard's Netty event loop and the one way its guest threads wait for it. Every socket of the shard is
 * registered here. It runs in one of two modes, fixed when the shard starts:
 *
 * <ul>
 *   <li><b>Direct</b> (a module that spawns no threads): the loop belongs to the one guest thread and runs
 *       only when that thread calls in. A blocking syscall runs it until its condition holds or its deadline
 *       passes, blocking in the kernel (epoll_wait / io_uring_enter) rather than spinning. Nothing crosses
 *       threads, so nothing takes a lock.
 *   <li><b>Threaded</b> (a module that imports a thread-spawn function): a dedicated I/O thread owns the loop
 *       and runs it continuously, blocking in the kernel when idle. Guest threads never run it; they make
 *       their calls under the shard's {@link ShardLock}, and a call that must wait releases the lock while
 *       it waits on the lock's condition, which the I/O thread signals after each run of the loop. Channel
 *       operations a guest thread makes (write, close, setAutoRead...) Netty hands to the loop.
 * </ul>
 *
 * Either way a caller writes {@code await(ready, deadline)}; in threaded mode, Netty handlers and future
 * listeners that change guest-visible state bracket it with {@link #enter()} and {@link #exit()}.
 *
 * <p>A wait also ends for a signal sent to the waiting guest thread ({@link Interrupts}): it takes the signal
 * (the guest's handler runs on the waiting thread, the shard lock let go) and then, as the wait's caller
 * chose ({@link OnSignal}), answers EINTR, goes on waiting, or leaves the signal for the thread's next call.
 * A signal from another thread reaches a direct-mode wait through a task on the loop, which no wait misses.
 *
 * <p>Threading: in direct mode, owned by the guest thread that created it; in threaded mode, the loop is the
 * I/O thread's and everything else is guarded by the shard lock. In both, {@link #stop()} and
 * {@link #stopGracefully} may be called from any thread (a signal handler, a supervisor, a test).
 *
 * <p>{@link #register(IoHandle)}, {@link #submitter}, {@link #inLoopThread} and {@link #wakeLoop} are public for
 * the io_uring and epoll transports, which live in their own packages.
 */
public final class GuestLoop {
    /** A deadline meaning "wait for ever". */
    public static final long NO_DEADLINE = Long.MAX_VALUE;
    private static final Runnable NOTHING = () -> { };

    /** What a wait does with a signal sent to the waiting thread. */
    public enum OnSignal {
        /** Take it, then end the wait with EINTR, as Linux's blocking calls do without SA_RESTART (and wasmer's). */
        INTERRUPT,
        /** Take it, then wait on (thread_join, which POSIX never interrupts). */
        RESTART,
        /** Leave it pending for the thread's next host call (the host's own waits: a bind, the end of the guest). */
        IGNORE
    }

    /**
     * The signals a wait checks for, each time before it would block (the shard's signal state). The waiting
     * thread is the calling one.
     */
    public interface Interrupts {
        Interrupts NONE = new Interrupts() {
            @Override
            public boolean pending() {
                return false;
            }

            @Override
            public void take() {
            }
        };

        /** Whether the calling guest thread has a signal to take now. Any lock state; cheap. */
        boolean pending();

        /**
         * Takes the calling thread's signals: the guest's handler for each, run on this thread without the
         * shard lock, or the default action (which may end the guest: it throws).
         */
        void take();
    }

    /** Bound on {@link #turn()} in threaded mode; a turn normally takes one pass of the I/O thread. */
    private static final long TURN_NANOS = 1_000_000_000L;

    private final Transport transport;
    private final ManualIoEventLoop loop;
    private final ShardLock lock;
    /** The thread that runs the loop in threaded mode; null in direct mode. */
    private final Thread ioThread;
    /** See {@link #submitter}; set once, by the shard's first socket on the ring. */
    private volatile BooleanSupplier submitter = () -> false;
    private volatile boolean stopped;
    /** Set (once) by {@link #stopGracefully}; the deadline is written before the flag and read after it. */
    private volatile boolean draining;
    private volatile long drainDeadline;
    // guest thread only (threaded mode: the shard lock): what a graceful stop does to the guest's network
    private Runnable onDrain = () -> { };
    private BooleanSupplier idle = () -> true;
    private boolean drainNoticed;
    /** Set once, before the guest runs. */
    private Interrupts interrupts = Interrupts.NONE;

    /** A direct-mode loop, owned and run by the calling thread. */
    public GuestLoop(Transport transport) {
        this.transport = transport;
        this.lock = ShardLock.none();
        this.ioThread = null;
        ManualIoEventLoop spare = TransportChoice.adoptSpare(transport, Thread.currentThread());
        this.loop = spare != null ? spare : new ManualIoEventLoop(Thread.currentThread(), transport.ioHandlerFactory());
    }

    private GuestLoop(Transport transport, String ioThreadName) {
        this.transport = transport;
        this.lock = ShardLock.threaded();
        Thread io = new Thread(this::runIo, ioThreadName);
        io.setDaemon(true); // a guest that never lets its loop shut down must not keep the JVM alive
        lock.ioThread(io);
        ManualIoEventLoop spare = TransportChoice.adoptSpare(transport, io);
        this.loop = spare != null ? spare : new ManualIoEventLoop(io, transport.ioHandlerFactory());
        this.ioThread = io;
        io.start();
    }

    /** A threaded-mode loop, run by a new I/O thread named {@code ioThreadName} from now until {@link #shutdown}. */
    public static GuestLoop threaded(Transport transport, String ioThreadName) {
        return new GuestLoop(transport, ioThreadName);
    }

    /**
     * The I/O thread: runs the loop, blocking in the kernel until IO, a task or a wake-up, then, if its
     * handlers changed anything a wait may want, wakes the guest threads waiting on the shard lock (each
     * checks its own condition again), until the loop has shut down. Holds the lock only inside our handlers
     * and listeners, and for the wake-up.
     */
    private void runIo() {
        try {
            while (!loop.isTerminated()) {
                run(0);
                lock.wakeWaiters();
            }
        } finally {
            lock.wakeAll();
        }
    }

    public Transport transport() {
        return transport;
    }

    /** Whether a dedicated I/O thread runs this loop (threaded mode). */
    public boolean isThreaded() {
        return ioThread != null;
    }

    /** The shard lock: a no-op in direct mode. */
    public ShardLock lock() {
        return lock;
    }

    /**
     * Taken by a Netty handler or future listener before it changes guest-visible state; a no-op in direct
     * mode, where handlers run inside the guest thread's own call. Pair with {@link #exit()} in a finally, and
     * say {@link #changed()} for what a wait may be waiting for.
     */
    public void enter() {
        lock.lock();
    }

    /** See {@link #enter()}. On the I/O thread the waiters are woken once, at the end of the loop's run. */
    public void exit() {
        if (ioThread != null && Thread.currentThread() == ioThread) {
            lock.unlockQuietly();
        } else {
            lock.unlock();
        }
    }

    /** Host-side state a waiter may wait for changed (see {@link ShardLock#changed()}). Lock held. */
    public void changed() {
        lock.changed();
    }

    /** Registers a channel on this loop and waits for the registration. */
    public void register(Channel channel) {
        var future = loop.register(channel);
        awaitDone(future, NO_DEADLINE);
        if (!future.isSuccess()) {
            throw new IllegalStateException("cannot register channel", future.cause());
        }
    }

    /** {@link #await} for a Netty future: in threaded mode its completion wakes the wait. */
    public boolean awaitDone(io.netty.util.concurrent.Future<?> future, long deadlineNanos) {
        if (ioThread != null && !future.isDone()) {
            future.addListener(f -> {
                enter();
                try {
                    changed();
                } finally {
                    exit();
                }
            });
        }
        return await(future::isDone, deadlineNanos, OnSignal.IGNORE);
    }

    /**
     * Queues {@code task} to run on the loop: in direct mode at its next run (any blocking call or poll), in
     * threaded mode on the I/O thread, holding the shard lock.
     */
    public void later(Runnable task) {
        loop.execute(locked(task));
    }

    /**
     * Runs {@code task} on the loop once {@code delayNanos} have passed (in direct mode at the first loop run
     * from then on; a blocking wait in the meantime wakes for it), holding the shard lock in threaded mode.
     */
    public void schedule(Runnable task, long delayNanos) {
        loop.schedule(locked(task), delayNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    private Runnable locked(Runnable task) {
        if (ioThread == null) {
            return task;
        }
        return () -> {
            lock.lock();
            try {
                task.run();
            } finally {
                lock.unlock();
            }
        };
    }

    /**
     * Gives IO that is already there a chance before a non-blocking call answers EAGAIN: in direct mode, runs
     * whatever IO and tasks are ready, without blocking; in threaded mode nothing, as the I/O thread runs
     * the loop all the time.
     */
    public void poll() {
        if (ioThread == null) {
            runNow();
        }
    }

    /**
     * Lets the loop run once more, for work Netty finishes only then (NIO and io_uring let go of a closed
     * listener's fd at the next run): in direct mode a non-blocking run; in threaded mode a wait, bounded, for
     * the I/O thread to have passed through its loop once.
     */
    public void turn() {
        if (ioThread == null) {
            runNow();
            return;
        }
        boolean[] done = {false};
        loop.execute(() -> {
            lock.lock();
            try {
                done[0] = true;
                lock.changed();
            } finally {
                lock.unlock();
            }
        });
        drain(() -> done[0], deadline(TURN_NANOS));
    }

    /** Whether the calling thread is the one that runs the loop. */
    public boolean inLoopThread() {
        return loop.inEventLoop();
    }

    /** Makes a blocked run of the loop return (another thread queued work for it). */
    public void wakeLoop() {
        loop.wakeup();
    }

    /**
     * Registers an IoHandle of ours (a transport driven without channels) on this loop and waits for the
     * registration.
     */
    public IoRegistration register(IoHandle handle) {
        var future = loop.register(handle);
        awaitDone(future, NO_DEADLINE);
        if (!future.isSuccess()) {
            throw new IllegalStateException("cannot register " + handle, future.cause());
        }
        return future.getNow();
    }

    /**
     * What must reach the loop's IoHandler before each run: the {@link Ring}'s queued submissions, which it
     * writes into the submission queue so that the run's one io_uring_enter takes them all. It answers true
     * when it stopped short (the queue would have filled): the loop then submits without waiting and asks
     * again. Called on the loop's thread; in threaded mode under the shard lock.
     */
    public void submitter(BooleanSupplier flush) {
        this.submitter = flush;
    }

    /**
     * Writes the ring's queued submissions, submitting without waiting each time the queue would fill.
     *
     * @return whether the loop ran meanwhile: such a run also takes the completions already there, which may
     *     be just what a wait is waiting for, so the caller must check before it blocks
     */
    private boolean flushSubmissions() {
        boolean ran = false;
        while (flushOnce()) {
            loop.runNow();
            ran = true;
        }
        return ran;
    }

    private boolean flushOnce() {
        if (ioThread == null) {
            return submitter.getAsBoolean();
        }
        lock.lock();
        try {
            return submitter.getAsBoolean();
        } finally {
            lock.unlockQuietly();
        }
    }

    private void runNow() {
        flushSubmissions();
        loop.runNow();
    }

    /**
     * One run of the loop that may block up to {@code waitNanos} (0: until IO, a task or a wake-up), after the
     * ring's submissions. When writing those ran the loop already (the queue filled), that counts as the run:
     * blocking now could sleep through a completion it took, with nothing left to wake it.
     */
    private void run(long waitNanos) {
        if (flushSubmissions()) {
            return;
        }
        loop.run(waitNanos);
    }

    /**
     * Called as each host call begins: after {@link #stop}, the guest unwinds at its next call, even one that
     * would not wait (data already queued, events already ready), so a guest that never waits still stops.
     */
    public void throwIfStopped() {
        if (stopped) {
            throw new GuestStoppedException();
        }
    }

    /** Whether {@link #stop} was called. */
    public boolean stopped() {
        return stopped;
    }

    /**
     * For a call that takes new work without waiting (an accept that finds a connection queued): a graceful
     * stop closes the listeners when the guest next calls in, even if it never has to wait, as under load.
     */
    public void noticeStop() {
        if (draining) {
            noticeDrain();
        }
    }

    /**
     * Waits until {@code ready} holds or {@code deadlineNanos} (System.nanoTime based, or
     * {@link #NO_DEADLINE}) passes: in direct mode by running the loop, in threaded mode on the shard lock.
     *
     * @return whether the condition holds
     * @throws GuestStoppedException when the guest is being stopped: at once after {@link #stop}; after
     *     {@link #stopGracefully}, once the guest has no connection left or the grace period is over
     */
    public boolean await(BooleanSupplier ready, long deadlineNanos) {
        return runUntil(ready, deadlineNanos, true, false, OnSignal.INTERRUPT);
    }

    /**
     * Like {@link #await}, with what a signal to the waiting thread does chosen by the caller ({@link #await}:
     * {@link OnSignal#INTERRUPT}).
     *
     * @throws io.wasix.host.abi.WasiException EINTR, after the signal was taken, with {@link OnSignal#INTERRUPT}
     */
    public boolean await(BooleanSupplier ready, long deadlineNanos, OnSignal onSignal) {
        return runUntil(ready, deadlineNanos, true, false, onSignal);
    }

    /**
     * Like {@link #await}, for a wait whose only outcome is new work (accept): during a graceful stop it
     * throws {@link GuestStoppedException} as soon as it would have to wait, since the listeners are closed
     * (in threaded mode, once no connection is left, as another thread may still be serving one).
     */
    public boolean awaitNewWork(BooleanSupplier ready, long deadlineNanos) {
        return runUntil(ready, deadlineNanos, true, true, OnSignal.INTERRUPT);
    }

    /** Like {@link #await} but also runs while stopping: used to let queued responses leave at exit. */
    public boolean drain(BooleanSupplier done, long deadlineNanos) {
        return runUntil(done, deadlineNanos, false, false, OnSignal.IGNORE);
    }

    private boolean runUntil(BooleanSupplier ready, long deadlineNanos, boolean honourStop, boolean newWork,
            OnSignal onSignal) {
        if (ioThread != null) {
            return waitUntil(ready, deadlineNanos, honourStop, newWork, onSignal);
        }
        if (honourStop && draining) {
            // Before the ready check: a guest that never has to wait (a full accept queue under load)
            // must still see its listeners close.
            noticeDrain();
        }
        if (ready.getAsBoolean()) {
            return true;
        }
        // No runNow() first: run(wait) returns at once when IO has already completed, so a non-blocking
        // pass before it only cost one more io_uring_enter / epoll_wait per wait. A deadline already
        // passed still gets one non-blocking pass, so IO that is already there counts.
        boolean ran = false;
        while (!ready.getAsBoolean()) {
            long deadline = stopDeadline(deadlineNanos, honourStop, newWork);
            if (signalled(onSignal)) {
                continue; // the handler may have made the condition true (or stopped the guest)
            }
            long wait = 0; // 0 = block until IO, a task or a wakeup
            if (deadline != NO_DEADLINE) {
                wait = deadline - System.nanoTime();
                if (wait <= 0) {
                    if (deadline != deadlineNanos) {
                        continue; // the grace is over: stopDeadline throws
                    }
                    if (ran) {
                        return false;
                    }
                    runNow();
                    ran = true;
                    continue;
                }
            }
            run(wait);
            ran = true;
        }
        return true;
    }

    /** {@link #runUntil} in threaded mode: the same rules, waiting on the shard lock's condition. */
    private boolean waitUntil(BooleanSupplier ready, long deadlineNanos, boolean honourStop, boolean newWork,
            OnSignal onSignal) {
        lock.lock();
        try {
            if (honourStop && draining) {
                noticeDrain();
            }
            while (!ready.getAsBoolean()) {
                long deadline = stopDeadline(deadlineNanos, honourStop, newWork);
                if (signalled(onSignal)) {
                    continue;
                }
                long wait = 0; // 0 = until woken
                if (deadline != NO_DEADLINE) {
                    wait = deadline - System.nanoTime();
                    if (wait <= 0) {
                        if (deadline != deadlineNanos) {
                            continue; // the grace is over: stopDeadline throws
                        }
                        return false;
                    }
                }
                try {
                    lock.await(wait);
                } catch (InterruptedException e) {
                    // Only a stop interrupts a guest thread; any other wake-up just checks again.
                    if (honourStop && stopped) {
                        throw new GuestStoppedException();
                    }
                }
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Takes a signal sent to the waiting thread, unless the wait ignores signals: returns whether it took one
     * (the wait then checks its condition again), or throws EINTR for {@link OnSignal#INTERRUPT}.
     */
    private boolean signalled(OnSignal onSignal) {
        if (onSignal == OnSignal.IGNORE || !interrupts.pending()) {
            return false;
        }
        interrupts.take();
        if (onSignal == OnSignal.INTERRUPT) {
            throw io.wasix.host.abi.Errno.INTR.fail();
        }
        return true;
    }

    /** The signals waits check for; set once, before the guest runs. */
    public void interrupts(Interrupts interrupts) {
        this.interrupts = interrupts;
    }

    /**
     * Makes every wait check its signals again, from any thread: in threaded mode by waking the waiters on the
     * shard lock; in direct mode through an empty task on the loop, which a wait about to block cannot miss
     * (a bare wakeup can be lost there: Netty skips it while the loop is awake, and the loop may be on its
     * way into the kernel). A loop that has shut down has no wait left to wake.
     */
    public void wakeForSignal() {
        if (ioThread != null) {
            lock.wakeAll();
            return;
        }
        if (loop.inEventLoop()) {
            return; // the guest thread itself: it takes the signal before it returns to the guest
        }
        try {
            loop.execute(NOTHING);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // shut down: the guest has ended
        }
    }

    /**
     * The deadline a wait may actually use, after a stop's rules: throws {@link GuestStoppedException} once
     * the guest must stop, and cuts the wait to the grace period's end while draining.
     */
    private long stopDeadline(long deadlineNanos, boolean honourStop, boolean newWork) {
        long deadline = deadlineNanos;
        if (honourStop) {
            if (stopped) {
                throw new GuestStoppedException();
            }
            if (draining) {
                noticeDrain();
                // A wait for new work has none coming (the listeners are closed). With one guest thread that
                // also means nothing is in flight; in threaded mode another thread may still be answering a
                // connection, so that wait ends, like the others, once none is left.
                boolean nothingComing = newWork && ioThread == null;
                if (nothingComing || idle.getAsBoolean() || System.nanoTime() - drainDeadline >= 0) {
                    throw new GuestStoppedException();
                }
                if (deadline == NO_DEADLINE || deadline - drainDeadline > 0) {
                    deadline = drainDeadline; // a timeout past the grace ends in the stop, not in a timeout
                }
            }
        }
        return deadline;
    }

    private void noticeDrain() {
        if (!drainNoticed) {
            drainNoticed = true;
            onDrain.run();
        }
    }

    /**
     * What a graceful stop does on the guest thread: {@code onDrain} runs once, when a guest thread next
     * waits (it closes the listeners); {@code idle} tells when nothing is left in flight.
     */
    public void onDrain(Runnable onDrain, BooleanSupplier idle) {
        this.onDrain = onDrain;
        this.idle = idle;
    }

    /** Converts a relative timeout (negative: none) into a deadline for {@link #await}. */
    public static long deadline(long timeoutNanos) {
        if (timeoutNanos < 0) {
            return NO_DEADLINE;
        }
        long d = System.nanoTime() + timeoutNanos;
        return d < 0 || d == NO_DEADLINE ? NO_DEADLINE - 1 : d;
    }

    /** Asks the guest to stop: its current waits and its next host calls throw {@link GuestStoppedException}. */
    public void stop() {
        stopped = true;
        wake();
    }

    /**
     * Asks the guest to stop accepting and to finish what it has in flight: its listeners close, a wait for
     * a new connection throws {@link GuestStoppedException}, and other waits go on until the guest has no
     * connection left or {@code graceNanos} has passed. A second call keeps the first deadline.
     */
    public synchronized void stopGracefully(long graceNanos) {
        if (!draining) {
            drainDeadline = System.nanoTime() + Math.max(0, graceNanos);
            draining = true;
        }
        wake();
    }

    /** Whether {@link #stopGracefully} was called. */
    public boolean draining() {
        return draining;
    }

    /** Makes every current wait check its condition again (and the stop flags). Any thread. */
    public void wake() {
        if (ioThread == null) {
            loop.wakeup();
        } else {
            lock.wakeAll();
        }
    }

    /**
     * Shuts the loop down, running it until Netty has closed what is still registered, bounded by
     * {@code graceNanos}. Waiting for queued writes first is {@link GuestNetwork#drainAndClose}'s job.
     */
    public void shutdown(long graceNanos) {
        long deadline = deadline(graceNanos);
        loop.shutdown();
        if (ioThread != null) {
            try {
                ioThread.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000L));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return;
        }
        while (!loop.isTerminated() && System.nanoTime() < deadline) {
            run(Math.max(1, Math.min(deadline - System.nanoTime(), 10_000_000L)));
        }
    }
}
