package io.wasix.appliance.supervise;

import io.wasix.host.Heartbeat;
import java.time.Duration;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/**
 * --watchdog: stops a guest thread that has run guest code for longer than the limit without calling the
 * host. One daemon thread samples every guest thread's {@link Heartbeat} a tenth of the limit apart (between
 * 10 ms and 1 s): a heartbeat that reads the same even value (in guest code) for the whole limit has made no
 * host call since. The host-call path only bumps its counter; nothing per call is scheduled or timed.
 *
 * <p>Threading: the "watchdog" thread owns the samples; {@link Watched} targets are asked from it, so their
 * methods must be safe to call from any thread. {@link #close()} from any thread.
 */
public final class Watchdog implements AutoCloseable {
    /** A shard, as the watchdog sees it. */
    public interface Watched {
        /** The heartbeats of the guest threads running now (empty between runs). Any thread. */
        List<Heartbeat> heartbeats();

        /** {@code stalled}'s thread ran {@code limit} (as "5 s") without a host call: stop it. Any thread. */
        void expired(Heartbeat stalled, String limit);
    }

    private final Duration limit;
    private final List<? extends Watched> targets;
    private final Thread thread;
    private volatile boolean closed;
    /** Per guest thread: the counter value last seen, when it was first seen, and whether it fired. */
    private final Map<Heartbeat, Sample> samples = new IdentityHashMap<>();

    private static final class Sample {
        long beats;
        long since;
        boolean fired;
    }

    private Watchdog(Duration limit, List<? extends Watched> targets) {
        this.limit = limit;
        this.targets = List.copyOf(targets);
        this.thread = new Thread(this::watch, "watchdog");
        thread.setDaemon(true);
    }

    public static Watchdog start(Duration limit, List<? extends Watched> targets) {
        Watchdog w = new Watchdog(limit, targets);
        w.thread.start();
        return w;
    }

    /** How far apart the samples are: a tenth of the limit, from 10 ms to 1 s. */
    static long periodNanos(Duration limit) {
        return Math.min(1_000_000_000L, Math.max(10_000_000L, limit.toNanos() / 10));
    }

    private void watch() {
        long period = periodNanos(limit);
        String text = Durations.text(limit);
        while (!closed) {
            LockSupport.parkNanos(period);
            long now = System.nanoTime();
            Map<Heartbeat, Sample> seen = new IdentityHashMap<>();
            for (Watched target : targets) {
                for (Heartbeat h : target.heartbeats()) {
                    Sample s = samples.get(h);
                    long beats = h.read();
                    if (s == null || s.beats != beats) {
                        s = new Sample();
                        s.beats = beats;
                        s.since = now;
                    } else if (Heartbeat.inGuest(beats) && !s.fired && now - s.since >= limit.toNanos()) {
                        s.fired = true;
                        target.expired(h, text);
                    }
                    seen.put(h, s);
                }
            }
            samples.clear();
            samples.putAll(seen);
        }
    }

    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(thread);
    }
}
