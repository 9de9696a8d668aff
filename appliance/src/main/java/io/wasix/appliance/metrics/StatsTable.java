package io.wasix.appliance.metrics;

import io.wasix.host.metrics.NetPolicyRefusals;
import io.wasix.host.metrics.ShardCount;
import io.wasix.host.metrics.ShardStats;
import io.wasix.host.metrics.SyscallStats;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The `--stats` table printed on stderr at exit: per shard, then all shards together when there are
 * several, one row per syscall that was called, most time in the host first. p50/p99 come from the
 * histogram, so they are as precise as its power-of-two buckets (and capped by the longest call). Stateless; main thread.
 */
public final class StatsTable {
    private static final String HEADER = String.format(Locale.ROOT, "%-22s %10s %8s %11s %9s %9s %9s %10s  %s",
            "syscall", "calls", "errors", "total ms", "mean us", "p50 us", "p99 us", "max us", "errors by errno");

    private StatsTable() {}

    static String render(List<ShardStats> shards) {
        StringBuilder b = new StringBuilder();
        for (ShardStats shard : shards) {
            table(b, "shard " + shard.shard(), shard.syscalls());
            refusals(b, shard.netPolicyRefusals());
            dropped(b, shard.datagramsDropped());
            counts(b, shard);
        }
        if (shards.size() > 1) {
            table(b, "all " + shards.size() + " shards", total(shards));
            refusals(b, shards.stream().map(ShardStats::netPolicyRefusals)
                    .reduce(NetPolicyRefusals.Counts.NONE, NetPolicyRefusals.Counts::plus));
            dropped(b, shards.stream().mapToLong(ShardStats::datagramsDropped).sum());
        }
        return b.toString();
    }

    /** The shard's counters that are not zero (restarts, refused grows, paused accepts), on one line. */
    private static void counts(StringBuilder b, ShardStats shard) {
        StringBuilder line = new StringBuilder();
        for (ShardCount c : shard.counts()) {
            if (!c.gauge() && c.value() != 0) {
                line.append(line.isEmpty() ? "" : ", ").append(c.metric())
                        .append(c.labels().isEmpty() ? "" : "{" + c.labels() + "}").append(' ').append(c.value());
            }
        }
        if (!line.isEmpty()) {
            b.append("appliance: shard ").append(shard.shard()).append(" events: ").append(line).append('\n');
        }
    }

    /** A line for the datagrams dropped by full UDP receive queues, when there were any. */
    private static void dropped(StringBuilder b, long datagrams) {
        if (datagrams > 0) {
            b.append(String.format(Locale.ROOT, "%-22s %10d  %s%n", "datagrams dropped", datagrams, "udp receive queue full"));
        }
    }

    /**
     * The network policy's refusals, by direction, under the table, when there were any (they show as EACCES in
     * their syscalls' rows too, among that call's other EACCES).
     */
    private static void refusals(StringBuilder b, NetPolicyRefusals.Counts c) {
        StringBuilder by = new StringBuilder();
        for (NetPolicyRefusals.Direction d : NetPolicyRefusals.Direction.values()) {
            if (c.of(d) > 0) {
                by.append(by.isEmpty() ? "" : " ").append(d.label()).append('=').append(c.of(d));
            }
        }
        if (!by.isEmpty()) {
            b.append(String.format(Locale.ROOT, "%-22s %10d  %s%n", "net policy refusals", c.outbound() + c.listen(), by));
        }
    }

    /** Each syscall's counts added over the shards. */
    static List<SyscallStats> total(List<ShardStats> shards) {
        Map<String, SyscallStats> sum = new LinkedHashMap<>();
        for (ShardStats shard : shards) {
            for (SyscallStats s : shard.syscalls()) {
                sum.merge(s.syscall(), s, SyscallStats::plus);
            }
        }
        return new ArrayList<>(sum.values());
    }

    private static void table(StringBuilder b, String title, List<SyscallStats> syscalls) {
        List<SyscallStats> rows = syscalls.stream().filter(s -> s.calls() > 0)
                .sorted(Comparator.comparingLong(SyscallStats::nanos).reversed()).toList();
        b.append("appliance: syscall stats, ").append(title).append('\n');
        b.append(HEADER).append('\n');
        long calls = 0, errors = 0, nanos = 0;
        for (SyscallStats s : rows) {
            StringBuilder errnos = new StringBuilder();
            s.errorsByName().forEach((name, n) -> errnos.append(errnos.isEmpty() ? "" : " ").append(name).append('=').append(n));
            b.append(String.format(Locale.ROOT, "%-22s %10d %8d %11.3f %9.1f %9.1f %9.1f %10.1f  %s%n", s.syscall(),
                    s.calls(), s.errors(), s.nanos() / 1e6, s.nanos() / 1e3 / s.calls(),
                    s.quantileNanos(0.5) / 1e3, s.quantileNanos(0.99) / 1e3, s.maxNanos() / 1e3, errnos).stripTrailing()).append('\n');
            calls += s.calls();
            errors += s.errors();
            nanos += s.nanos();
        }
        b.append(String.format(Locale.ROOT, "%-22s %10d %8d %11.3f%n", "total", calls, errors, nanos / 1e6));
    }
}
