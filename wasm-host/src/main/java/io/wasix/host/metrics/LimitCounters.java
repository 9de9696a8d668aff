package io.wasix.host.metrics;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What one shard's limits held back, and the connections it holds: memory grows refused (past --max-memory,
 * or because the heap could not hold them) and accepts paused at --max-connections. Always counted: these
 * are rare events, not the hot path. Kept by the shard's {@link SyscallMetrics}, so the counts run on
 * across the shard's restarts.
 *
 * <p>Threading: written by the shard's guest threads (atomics, as several guest threads may grow one
 * memory); the connection gauge by the thread that runs the shard's event loop; read by any thread.
 */
public final class LimitCounters {
    private final AtomicLong growRefusedLimit = new AtomicLong();
    private final AtomicLong growRefusedHeap = new AtomicLong();
    private final AtomicLong acceptPauses = new AtomicLong();
    private volatile int connections;

    /** A memory.grow past the guest's memory limit answered -1. */
    public void growRefusedByLimit() {
        growRefusedLimit.incrementAndGet();
    }

    /** A memory.grow the heap could not hold (with the host's reserve kept) answered -1. */
    public void growRefusedByHeap() {
        growRefusedHeap.incrementAndGet();
    }

    /** The shard reached --max-connections and stopped accepting until a connection closes. */
    public void acceptsPaused() {
        acceptPauses.incrementAndGet();
    }

    /** The connections the shard's guest has accepted (or the host has accepted for it) that are still open. */
    public void connections(int open) {
        connections = open;
    }

    public long growRefusedByLimitCount() {
        return growRefusedLimit.get();
    }

    public long growRefusedByHeapCount() {
        return growRefusedHeap.get();
    }

    public long acceptPausesCount() {
        return acceptPauses.get();
    }

    public int connectionsOpen() {
        return connections;
    }

    /** The counts now, as metrics. */
    public List<ShardCount> snapshot() {
        String grow = "memory.grow calls answered -1 by a limit of the host: max_memory (--max-memory) or heap "
                + "(the JVM's heap could not hold it and keep the host's reserve).";
        return List.of(
                ShardCount.counter("memory_grow_refused_total", grow, "reason=\"max_memory\"", growRefusedLimit.get()),
                ShardCount.counter("memory_grow_refused_total", grow, "reason=\"heap\"", growRefusedHeap.get()),
                ShardCount.counter("accept_pauses_total",
                        "Times the shard stopped accepting because it held --max-connections connections.",
                        "reason=\"max_connections\"", acceptPauses.get()),
                ShardCount.gauge("connections", "Accepted connections the shard holds open.", connections));
    }
}
