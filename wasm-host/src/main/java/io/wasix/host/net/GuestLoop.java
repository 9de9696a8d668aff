package io.wasix.host.net;

import io.netty.channel.Channel;
import io.netty.channel.IoHandle;
import io.netty.channel.IoRegistration;
import io.netty.channel.ManualIoEventLoop;
import io.wasix.host.GuestStoppedException;
import java.util.function.BooleanSupplier;

/**
 * The guest thread's own Netty event loop. Every socket of one guest instance is registered here, and the
 * loop only runs when that guest's thread calls in: a blocking syscall runs it until its condition holds or
 * its deadline passes, blocking in the kernel (epoll_wait / io_uring_enter) rather than spinning.
 *
 * <p>Threading: owned by the guest thread that created it. Only {@link #stop()} and {@link #stopGracefully}
 * may be called from another thread (a signal handler, a supervisor, a test).
 */
public final class GuestLoop {
    /** A deadline meaning "wait for ever". */
    public static final long NO_DEADLINE = Long.MAX_VALUE;

    private final Transport transport;
    private final ManualIoEventLoop loop;
    private BooleanSupplier submitter = () -> false;
    private volatile boolean stopped;
    /** Set (once) by {@link #stopGracefully}; the deadline is written before the flag and read after it. */
    private volatile boolean draining;
    private volatile long drainDeadline;
    // guest thread only: what a graceful stop does to the guest's network, and whether it was done
    private Runnable onDrain = () -> { };
    private BooleanSupplier idle = () -> true;
    private boolean drainNoticed;

    public GuestLoop(Transport transport) {
        this.transport = transport;
        ManualIoEventLoop spare = TransportChoice.adoptSpare(transport);
        this.loop = spare != null ? spare : new ManualIoEventLoop(Thread.currentThread(), transport.ioHandlerFactory());
    }

    public Transport transport() {
        return transport;
    }

    /** Registers a channel on this loop; registration completes synchronously on the owning thread. */
    public void register(Channel channel) {
        var future = loop.register(channel);
        await(future::isDone, NO_DEADLINE);
        if (!future.isSuccess()) {
            throw new IllegalStateException("cannot register channel", future.cause());
        }
    }

    /** Queues {@code task} to run on this thread at the loop's next run (any blocking call or poll). */
    public void later(Runnable task) {
        loop.execute(task);
    }

    /**
     * Runs {@code task} on this thread once {@code delayNanos} have passed, at the first loop run from then on;
     * a blocking wait in the meantime wakes for it.
     */
    public void schedule(Runnable task, long delayNanos) {
        loop.schedule(task, delayNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    /** Runs whatever IO and tasks are ready, without blocking. */
    public void poll() {
        runNow();
    }

    // ---- direct mode only on this branch point; the threaded loop brings the real ones
    public void enter() {
    }

    public void exit() {
    }

    public void changed() {
    }

    public boolean isThreaded() {
        return false;
    }

    /** Whether the calling thread is the one that runs the loop. */
    boolean inLoopThread() {
        return loop.inEventLoop();
    }

    /** Makes a blocked run of the loop return (another thread queued work for it). */
    void wakeLoop() {
        loop.wakeup();
    }

    /** The loop run once more, without blocking. */
    public void turn() {
        runNow();
    }

    /** {@link #await} for a Netty future. */
    public boolean awaitDone(io.netty.util.concurrent.Future<?> future, long deadlineNanos) {
        return await(future::isDone, deadlineNanos);
    }

    /**
     * Registers an IoHandle of ours (a transport driven without channels) on this loop and waits for the
     * registration.
     */
    IoRegistration register(IoHandle handle) {
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
     * when it stopped short (the queue would have filled): the loop then submits without waiting and asks again.
     */
    void submitter(BooleanSupplier flush) {
        this.submitter = flush;
    }

    private void runNow() {
        while (submitter.getAsBoolean()) {
            loop.runNow();
        }
        loop.runNow();
    }

    private void run(long waitNanos) {
        while (submitter.getAsBoolean()) {
            loop.runNow();
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
     * Runs the loop until {@code ready} holds or {@code deadlineNanos} (System.nanoTime based, or
     * {@link #NO_DEADLINE}) passes.
     *
     * @return whether the condition holds
     * @throws GuestStoppedException when the guest is being stopped: at once after {@link #stop}; after
     *     {@link #stopGracefully}, once the guest has no connection left or the grace period is over
     */
    public boolean await(BooleanSupplier ready, long deadlineNanos) {
        return runUntil(ready, deadlineNanos, true, false);
    }

    /**
     * Like {@link #await}, for a wait whose only outcome is new work (accept): during a graceful stop it
     * throws {@link GuestStoppedException} as soon as it would have to wait, since the listeners are closed.
     */
    public boolean awaitNewWork(BooleanSupplier ready, long deadlineNanos) {
        return runUntil(ready, deadlineNanos, true, true);
    }

    /** Like {@link #await} but also runs while stopping: used to let queued responses leave at exit. */
    public boolean drain(BooleanSupplier done, long deadlineNanos) {
        return runUntil(done, deadlineNanos, false, false);
    }

    private boolean runUntil(BooleanSupplier ready, long deadlineNanos, boolean honourStop, boolean newWork) {
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
            long deadline = deadlineNanos;
            if (honourStop) {
                if (stopped) {
                    throw new GuestStoppedException();
                }
                if (draining) {
                    noticeDrain();
                    if (newWork || idle.getAsBoolean() || System.nanoTime() - drainDeadline >= 0) {
                        throw new GuestStoppedException();
                    }
                    if (deadline == NO_DEADLINE || deadline - drainDeadline > 0) {
                        deadline = drainDeadline; // a timeout past the grace ends in the stop, not in a timeout
                    }
                }
            }
            long wait = 0; // 0 = block until IO, a task or a wakeup
            if (deadline != NO_DEADLINE) {
                wait = deadline - System.nanoTime();
                if (wait <= 0) {
                    if (deadline != deadlineNanos) {
                        continue; // the grace is over: the check above throws
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

    private void noticeDrain() {
        if (!drainNoticed) {
            drainNoticed = true;
            onDrain.run();
        }
    }

    /**
     * What a graceful stop does on the guest thread: {@code onDrain} runs once, when the guest next calls
     * in (it closes the listeners); {@code idle} tells when nothing is left in flight. Guest thread only.
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

    /** Asks the guest to stop: its current wait or its next host call throws {@link GuestStoppedException}. */
    public void stop() {
        stopped = true;
        loop.wakeup();
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
        loop.wakeup();
    }

    /**
     * Shuts the loop down, running it until Netty has closed what is still registered, bounded by
     * {@code graceNanos}. Waiting for queued writes first is {@link GuestNetwork#drainAndClose}'s job.
     */
    public void shutdown(long graceNanos) {
        long deadline = deadline(graceNanos);
        loop.shutdown();
        while (!loop.isTerminated() && System.nanoTime() < deadline) {
            run(Math.max(1, Math.min(deadline - System.nanoTime(), 10_000_000L)));
        }
    }
}
