package io.wasix.appliance.supervise;

import io.wasix.host.metrics.ShardCount;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * How often one shard restarted, by what ended the run before: /metrics's
 * {@code wasix_shard_restarts_total{shard,reason}} and the --stats table's. Threading: the shard's thread
 * counts, any thread reads.
 */
public final class RestartCounts {
    /** Every reason, so each appears in /metrics from the start (at 0), as Prometheus counters should. */
    public static final List<String> REASONS = List.of("trap", "watchdog", "exit", "host_error");

    private final AtomicLongArray counts = new AtomicLongArray(REASONS.size());

    /** A restart after a run that ended for {@code reason}, one of {@link #REASONS}. */
    public void restarted(String reason) {
        int i = REASONS.indexOf(reason);
        if (i < 0) {
            throw new IllegalArgumentException("restart reason " + reason);
        }
        counts.incrementAndGet(i);
    }

    public long count(String reason) {
        return counts.get(REASONS.indexOf(reason));
    }

    public List<ShardCount> snapshot() {
        return REASONS.stream().map(r -> ShardCount.counter("shard_restarts_total",
                "Times the shard was restarted as a fresh instance, by what ended its previous run.",
                "reason=\"" + r + "\"", count(r))).toList();
    }
}
