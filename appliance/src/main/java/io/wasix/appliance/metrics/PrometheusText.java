package io.wasix.appliance.metrics;

import io.wasix.host.metrics.Histogram;
import io.wasix.host.metrics.NetPolicyRefusals;
import io.wasix.host.metrics.ShardCount;
import io.wasix.host.metrics.ShardStats;
import io.wasix.host.metrics.SyscallStats;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

/**
 * Renders shard snapshots in the Prometheus text exposition format (version 0.0.4). A syscall appears once
 * it has been called, so an idle appliance's page stays short; the policy refusals appear always, 0 included,
 * so that an alert on them needs no absent() clause. Stateless; any thread (the admin thread).
 */
public final class PrometheusText {
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private PrometheusText() {}

    static String render(List<ShardStats> shards) {
        StringBuilder b = new StringBuilder(4096);
        b.append("# HELP wasix_syscall_calls_total Syscalls the host served.\n");
        b.append("# TYPE wasix_syscall_calls_total counter\n");
        each(shards, (shard, s) -> sample(b, "wasix_syscall_calls_total", shard, s, null).append(s.calls()).append('\n'));

        b.append("# HELP wasix_syscall_errors_total Syscalls that answered an errno other than success.\n");
        b.append("# TYPE wasix_syscall_errors_total counter\n");
        each(shards, (shard, s) -> {
            for (Map.Entry<String, Long> e : s.errorsByName().entrySet()) {
                sample(b, "wasix_syscall_errors_total", shard, s, "errno=\"" + e.getKey() + "\"")
                        .append(e.getValue()).append('\n');
            }
        });

        b.append("# HELP wasix_syscall_seconds_total Time spent in the host serving syscalls.\n");
        b.append("# TYPE wasix_syscall_seconds_total counter\n");
        each(shards, (shard, s) -> sample(b, "wasix_syscall_seconds_total", shard, s, null)
                .append(seconds(s.nanos())).append('\n'));

        b.append("# HELP wasix_syscall_seconds Time in the host per syscall.\n");
        b.append("# TYPE wasix_syscall_seconds histogram\n");
        each(shards, (shard, s) -> {
            long[] buckets = s.buckets();
            long cumulative = 0;
            for (int i = 0; i < buckets.length; i++) {
                cumulative += buckets[i];
                String le = i == buckets.length - 1 ? "+Inf" : seconds(Histogram.upperBoundNanos(i));
                sample(b, "wasix_syscall_seconds_bucket", shard, s, "le=\"" + le + "\"").append(cumulative).append('\n');
            }
            sample(b, "wasix_syscall_seconds_sum", shard, s, null).append(seconds(s.nanos())).append('\n');
            sample(b, "wasix_syscall_seconds_count", shard, s, null).append(cumulative).append('\n');
        });

        b.append("# HELP wasix_net_policy_refusals_total Outbound destinations (connect, resolve) and ports to listen on "
                + "that the network policy refused with EACCES.\n");
        b.append("# TYPE wasix_net_policy_refusals_total counter\n");
        for (ShardStats shard : shards) {
            for (NetPolicyRefusals.Direction d : NetPolicyRefusals.Direction.values()) {
                b.append("wasix_net_policy_refusals_total{shard=\"").append(shard.shard()).append("\",direction=\"")
                        .append(d.label()).append("\"} ").append(shard.netPolicyRefusals().of(d)).append('\n');
            }
        }

        b.append("# HELP wasix_udp_datagrams_dropped_total Datagrams dropped because a UDP socket's receive queue was full.\n");
        b.append("# TYPE wasix_udp_datagrams_dropped_total counter\n");
        for (ShardStats shard : shards) {
            b.append("wasix_udp_datagrams_dropped_total{shard=\"").append(shard.shard()).append("\"} ")
                    .append(shard.datagramsDropped()).append('\n');
        }

        counts(b, shards);
        return b.toString();
    }

    /** Each shard's other counters and gauges (restarts, limits, connections), grouped by metric. */
    private static void counts(StringBuilder b, List<ShardStats> shards) {
        Map<String, List<String>> samples = new java.util.LinkedHashMap<>();
        Map<String, ShardCount> first = new java.util.HashMap<>();
        for (ShardStats shard : shards) {
            for (ShardCount c : shard.counts()) {
                first.putIfAbsent(c.metric(), c);
                samples.computeIfAbsent(c.metric(), k -> new java.util.ArrayList<>()).add("wasix_" + c.metric()
                        + "{shard=\"" + shard.shard() + "\"" + (c.labels().isEmpty() ? "" : "," + c.labels()) + "} "
                        + c.value());
            }
        }
        for (var e : samples.entrySet()) {
            ShardCount c = first.get(e.getKey());
            b.append("# HELP wasix_").append(c.metric()).append(' ').append(c.help()).append('\n');
            b.append("# TYPE wasix_").append(c.metric()).append(c.gauge() ? " gauge\n" : " counter\n");
            e.getValue().forEach(line -> b.append(line).append('\n'));
        }
    }

    private interface Row {
        void write(int shard, SyscallStats s);
    }

    private static void each(List<ShardStats> shards, Row row) {
        for (ShardStats shard : shards) {
            for (SyscallStats s : shard.syscalls()) {
                if (s.calls() > 0) {
                    row.write(shard.shard(), s);
                }
            }
        }
    }

    private static StringBuilder sample(StringBuilder b, String name, int shard, SyscallStats s, String extraLabel) {
        b.append(name).append("{shard=\"").append(shard).append("\",syscall=\"").append(s.syscall()).append('"');
        if (extraLabel != null) {
            b.append(',').append(extraLabel);
        }
        return b.append("} ");
    }

    /** Nanoseconds as exact decimal seconds ("0.000000128"), so bucket bounds read back exactly. */
    static String seconds(long nanos) {
        return BigDecimal.valueOf(nanos).movePointLeft(9).stripTrailingZeros().toPlainString();
    }
}
