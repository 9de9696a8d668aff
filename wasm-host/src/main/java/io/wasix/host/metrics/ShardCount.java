package io.wasix.host.metrics;

/**
 * One of a shard's event counters or gauges that is not a syscall's: how often a limit held something back,
 * how many connections are open, how often the shard restarted. Rendered as
 * {@code wasix_<metric>{shard="N",<labels>} value}. Immutable; any thread.
 *
 * @param metric the metric's name without the {@code wasix_} prefix, e.g. {@code memory_grow_refused_total}
 * @param help one line for the metric's {@code # HELP}
 * @param labels extra labels in Prometheus syntax ({@code reason="heap"}), or "" for none
 * @param value the count (or the gauge's value)
 * @param gauge a value that goes up and down, not a counter
 */
public record ShardCount(String metric, String help, String labels, long value, boolean gauge) {
    public static ShardCount counter(String metric, String help, String labels, long value) {
        return new ShardCount(metric, help, labels, value, false);
    }

    public static ShardCount gauge(String metric, String help, long value) {
        return new ShardCount(metric, help, "", value, true);
    }
}
