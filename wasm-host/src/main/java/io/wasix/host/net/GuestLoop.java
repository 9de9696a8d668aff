package io.wasix.host.net;

import io.netty.channel.Channel;
import io.netty.channel.ManualIoEventLoop;
import io.wasix.host.GuestStoppedException;
import java.util.function.BooleanSupplier;

/**
 * The guest thread's own Netty event loop. Every socket of one guest instance is registered here, and the
 * loop only runs when that guest's thread calls in: a blocking syscall runs it until its condition holds or
 * its deadline passes, blocking in the kernel (epoll_wait / io_uring_enter) rather than spinning.
 *
 * <p>Threading: owned by the guest thread that created it. Only {@link #stop()} may be called from another
 * thread (a signal handler, a supervisor, a test).
 */
public final class GuestLoop {
    /** A deadline meaning "wait for ever". */
    public static final long NO_DEADLINE = Long.MAX_VALUE;

    private final Transport transport;
    private final ManualIoEventLoop loop;
    private volatile boolean stopped;

    public GuestLoop(Transport transport) {
        this.transport = transport;
        this.loop = new ManualIoEventLoop(Thread.currentThread(), transport.ioHandlerFactory());
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

    /** Runs whatever IO and tasks are ready, without blocking. */
    public void poll() {
        loop.runNow();
    }

    /**
     * Runs the loop until {@code ready} holds or {@code deadlineNanos} (System.nanoTime based, or
     * {@link #NO_DEADLINE}) passes.
     *
     * @return whether the condition holds
     * @throws GuestStoppedException when the guest is being stopped
     */
    public boolean await(BooleanSupplier ready, long deadlineNanos) {
        return runUntil(ready, deadlineNanos, true);
    }

    /** Like {@link #await} but also runs while stopping: used to let queued responses leave at exit. */
    public boolean drain(BooleanSupplier done, long deadlineNanos) {
        return runUntil(done, deadlineNanos, false);
    }

    private boolean runUntil(BooleanSupplier ready, long deadlineNanos, boolean honourStop) {
        if (ready.getAsBoolean()) {
            return true;
        }
        // No runNow() first: run(wait) returns at once when IO has already completed, so a non-blocking
        // pass before it only cost one more io_uring_enter / epoll_wait per wait. A deadline already
        // passed still gets one non-blocking pass, so IO that is already there counts.
        boolean ran = false;
        while (!ready.getAsBoolean()) {
            if (honourStop && stopped) {
                throw new GuestStoppedException();
            }
            long wait = 0; // 0 = block until IO, a task or a wakeup
            if (deadlineNanos != NO_DEADLINE) {
                wait = deadlineNanos - System.nanoTime();
                if (wait <= 0) {
                    if (ran) {
                        return false;
                    }
                    loop.runNow();
                    ran = true;
                    continue;
                }
            }
            loop.run(wait);
            ran = true;
        }
        return true;
    }

    /** Converts a relative timeout (negative: none) into a deadline for {@link #await}. */
    public static long deadline(long timeoutNanos) {
        if (timeoutNanos < 0) {
            return NO_DEADLINE;
        }
        long d = System.nanoTime() + timeoutNanos;
        return d < 0 || d == NO_DEADLINE ? NO_DEADLINE - 1 : d;
    }

    /** Asks the guest to stop: its current or next blocking call throws {@link GuestStoppedException}. */
    public void stop() {
        stopped = true;
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
            loop.run(Math.max(1, Math.min(deadline - System.nanoTime(), 10_000_000L)));
        }
    }
}
