package io.wasix.host.thread;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The timers of one guest: proc_raise_interval's, one per signal (a new one replaces the old, an interval of 0
 * cancels it), and the host's own deadlines that must pass even while the guest never calls in (the grace
 * of a stop signal). They run on one daemon thread shared by every shard, made at the first timer, so that a
 * timer fires whatever the guest is doing, blocked in the kernel or computing; firing only sends a signal or
 * a stop, which wake whoever must see them.
 *
 * <p>Threading: any thread; each method is synchronized on this object (its monitor is taken after the shard
 * lock, never before it). The fired tasks run on the timer thread.
 */
final class SignalTimers {
    /** Intervals below this are raised to it: the timer thread must never spin for a guest. */
    static final long MIN_INTERVAL_NANOS = 1_000_000L;

    private static ScheduledThreadPoolExecutor scheduler;

    /** What fires for a signal: the token its task shows to {@link #isCurrent} before it sends anything. */
    private record Timer(Object token, ScheduledFuture<?> future, boolean repeats) {}

    private final Map<Integer, Timer> bySignal = new HashMap<>();
    private final Map<Runnable, ScheduledFuture<?>> deadlines = new HashMap<>();
    private boolean closed;

    private static synchronized ScheduledThreadPoolExecutor scheduler() {
        if (scheduler == null) {
            ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(1, r -> {
                Thread t = new Thread(r, "wasix-timers");
                t.setDaemon(true);
                return t;
            });
            s.setRemoveOnCancelPolicy(true); // a guest re-arming a timer in a loop leaves nothing behind
            scheduler = s;
        }
        return scheduler;
    }

    /**
     * Calls {@code fire} with a token after {@code intervalNanos}, and then every {@code intervalNanos} when
     * {@code repeat}, instead of what was set for {@code signal} before. The task may already be running when
     * it is cancelled or replaced: {@code fire} asks {@link #isCurrent} first, holding this object's monitor
     * until it has sent the signal, so that nothing is sent once {@link #cancel} has returned.
     */
    synchronized void set(int signal, long intervalNanos, boolean repeat, java.util.function.Consumer<Object> fire) {
        cancel(signal);
        if (closed) {
            return;
        }
        long every = Math.max(MIN_INTERVAL_NANOS, intervalNanos);
        Object token = new Object();
        Runnable task = () -> fire.accept(token);
        ScheduledFuture<?> f = repeat
                ? scheduler().scheduleAtFixedRate(task, every, every, TimeUnit.NANOSECONDS)
                : scheduler().schedule(task, every, TimeUnit.NANOSECONDS);
        bySignal.put(signal, new Timer(token, f, repeat));
    }

    /**
     * Whether {@code token} is the live timer of {@code signal}; a timer that does not repeat is spent by the
     * asking. Called holding this object's monitor.
     */
    boolean isCurrent(int signal, Object token) {
        Timer t = bySignal.get(signal);
        if (t == null || t.token() != token) {
            return false;
        }
        if (!t.repeats()) {
            bySignal.remove(signal);
        }
        return true;
    }

    /** Cancels the timer of {@code signal}, if any. */
    synchronized void cancel(int signal) {
        Timer t = bySignal.remove(signal);
        if (t != null) {
            t.future().cancel(false);
        }
    }

    /** Runs {@code task} once, after {@code delayNanos}, unless the guest ends first. */
    synchronized void after(long delayNanos, Runnable task) {
        if (!closed) {
            deadlines.put(task, scheduler().schedule(task, Math.max(0, delayNanos), TimeUnit.NANOSECONDS));
        }
    }

    /** The guest has ended: nothing fires any more. */
    synchronized void close() {
        closed = true;
        bySignal.values().forEach(t -> t.future().cancel(false));
        deadlines.values().forEach(f -> f.cancel(false));
        bySignal.clear();
        deadlines.clear();
    }
}
