package io.wasix.appliance;

import io.wasix.host.StopSignal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The appliance's shards as a whole: started together, stopped together. A graceful stop lets in-flight
 * responses finish for the grace period and then stops whatever still runs, at once: a guest spinning in its
 * own code (which never reaches a host call or a wait to notice the stop) is interrupted at its next call or
 * backward branch, so the grace is enforced on running code, not only at host calls.
 *
 * <p>Threading: created and started on main; the stops may come from any thread (main, the signal thread, the
 * grace timer) and are idempotent.
 */
final class Shards implements Stopping.Target {
    private final List<Shard> shards;
    private final List<Thread> threads = new ArrayList<>();
    private final long graceMillis;
    private boolean draining; // guarded by this

    Shards(List<Shard> shards, long graceMillis) {
        this.shards = List.copyOf(shards);
        this.graceMillis = graceMillis;
    }

    List<Shard> list() {
        return shards;
    }

    void start() {
        for (Shard s : shards) {
            threads.add(s.start());
        }
    }

    /**
     * The first stop signal: a guest that named a signal handler gets it and has the grace period to end by
     * itself; any other stops accepting and lets in-flight work finish for the grace period. Then whatever
     * still runs is stopped at once.
     */
    @Override
    public void stopGracefully(StopSignal sig) {
        drain(s -> s.terminate(sig, TimeUnit.MILLISECONDS.toNanos(graceMillis)));
    }

    /**
     * Stops accepting, lets in-flight work finish for the grace period, then stops the rest at once (a shard
     * ended the appliance: no signal to deliver).
     */
    void stopGracefully() {
        drain(s -> s.stopGracefully(TimeUnit.MILLISECONDS.toNanos(graceMillis)));
    }

    private void drain(java.util.function.Consumer<Shard> first) {
        synchronized (this) {
            if (draining) {
                return;
            }
            draining = true;
        }
        shards.forEach(first);
        Thread timer = new Thread(() -> {
            // parkNanos, not Thread.sleep: sleep loads JFR's ThreadSleepEvent, which the AOT training (that never
            // stops this way) does not cache, and the stop path would parse it at every SIGTERM (BootClassesIT).
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(graceMillis);
            for (long left; (left = deadline - System.nanoTime()) > 0; ) {
                java.util.concurrent.locks.LockSupport.parkNanos(this, left);
                if (Thread.currentThread().isInterrupted()) {
                    return;
                }
            }
            stopNow();
        }, "grace-timer");
        timer.setDaemon(true);
        timer.start();
    }

    /** Stops every shard at once. */
    @Override
    public void stopNow() {
        shards.forEach(Shard::stop);
    }

    /** Waits for the shards' threads to end, until {@code deadlineNanos} (System.nanoTime based). */
    void join(long deadlineNanos) {
        for (Thread t : threads) {
            try {
                t.join(Math.max(1, (deadlineNanos - System.nanoTime()) / 1_000_000L));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
