package io.wasix.appliance.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wasix.host.metrics.Histogram;
import io.wasix.host.metrics.NetPolicyRefusals;
import io.wasix.host.metrics.ShardStats;
import io.wasix.host.metrics.SyscallMetrics;
import io.wasix.host.metrics.SyscallProbe;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The Prometheus page and the --stats table, rendered from counts the host's probes recorded for calls of
 * known duration (reported as the host-function wrapper reports them).
 */
class ReportsTest {
    static final int EAGAIN = 6;

    /** Reports one call of {@code nanos} ns answering errno, as the host-function wrapper reports it. */
    static void call(SyscallProbe p, long nanos, int errno) {
        p.count(nanos, errno);
    }

    /** Two shards: shard 0 sent twice (1 us, 3 ms) and got EAGAIN once; shard 1 sent once. */
    static List<ShardStats> sample() {
        SyscallMetrics s0 = new SyscallMetrics(0, true, null);
        SyscallMetrics s1 = new SyscallMetrics(1, true, null);
        SyscallProbe send0 = s0.probe("sock_send"), recv0 = s0.probe("sock_recv"), send1 = s1.probe("sock_send");
        s0.probe("random_get"); // registered, never called
        call(send0, 1_000, 0);
        call(send0, 3_000_000, 0);
        call(recv0, 500, EAGAIN);
        call(send1, 2_000, 0);
        s1.datagramsDropped(() -> 7);
        return List.of(s0.snapshot(), s1.snapshot());
    }

    static long value(String page, String series) {
        return page.lines().filter(l -> l.startsWith(series + " ")).findFirst()
                .map(l -> Long.parseLong(l.substring(series.length() + 1)))
                .orElseThrow(() -> new AssertionError("no " + series + " in\n" + page));
    }

    @Test
    void prometheusPageHasTheAgreedNames() {
        String page = PrometheusText.render(sample());
        assertEquals(2, value(page, "wasix_syscall_calls_total{shard=\"0\",syscall=\"sock_send\"}"));
        assertEquals(1, value(page, "wasix_syscall_calls_total{shard=\"1\",syscall=\"sock_send\"}"));
        assertEquals(1, value(page, "wasix_syscall_errors_total{shard=\"0\",syscall=\"sock_recv\",errno=\"EAGAIN\"}"));
        assertEquals(2, value(page, "wasix_syscall_seconds_count{shard=\"0\",syscall=\"sock_send\"}"));
        assertEquals(2, value(page, "wasix_syscall_seconds_bucket{shard=\"0\",syscall=\"sock_send\",le=\"+Inf\"}"));
        // 1 us falls at or below 2.048 us; 3 ms does not, and is at or below 4.194304 ms
        assertEquals(1, value(page, "wasix_syscall_seconds_bucket{shard=\"0\",syscall=\"sock_send\",le=\"0.000002048\"}"));
        assertEquals(1, value(page, "wasix_syscall_seconds_bucket{shard=\"0\",syscall=\"sock_send\",le=\"0.002097152\"}"));
        assertEquals(2, value(page, "wasix_syscall_seconds_bucket{shard=\"0\",syscall=\"sock_send\",le=\"0.004194304\"}"));
        double seconds = page.lines().filter(l -> l.startsWith("wasix_syscall_seconds_total{shard=\"0\",syscall=\"sock_send\"}"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.indexOf("} ") + 2))).findFirst().orElseThrow();
        assertEquals(0.003001, seconds, 1e-12, "seconds_total");
        assertTrue(page.contains("\nwasix_syscall_seconds_sum{shard=\"0\",syscall=\"sock_send\"} 0.003001\n"), page);
        assertTrue(page.contains("# TYPE wasix_syscall_seconds histogram\n"));
        assertTrue(page.lines().noneMatch(l -> l.contains("random_get")), "uncalled syscalls are left out");
        assertTrue(page.lines().allMatch(l -> l.startsWith("#") || l.matches("wasix_[a-z_]+\\{[^}]*\\} [0-9.]+")),
                "every sample line is name{labels} value");
        assertEquals(0, value(page, "wasix_udp_datagrams_dropped_total{shard=\"0\"}"), "a counter every shard has");
        assertEquals(7, value(page, "wasix_udp_datagrams_dropped_total{shard=\"1\"}"));
        assertEquals(Histogram.BUCKETS, page.lines().filter(l -> l.startsWith("wasix_syscall_seconds_bucket{shard=\"1\"")).count());
    }

    /** The limits' counters and the appliance's restarts: per shard, every label from the start, one HELP each. */
    @Test
    void prometheusPageHasTheShardCounters() {
        List<ShardStats> shards = sample();
        var restarts = new io.wasix.appliance.supervise.RestartCounts();
        restarts.restarted("trap");
        restarts.restarted("trap");
        restarts.restarted("watchdog");
        String page = PrometheusText.render(List.of(shards.get(0).withCounts(restarts.snapshot()), shards.get(1)));
        assertEquals(2, value(page, "wasix_shard_restarts_total{shard=\"0\",reason=\"trap\"}"));
        assertEquals(1, value(page, "wasix_shard_restarts_total{shard=\"0\",reason=\"watchdog\"}"));
        assertEquals(0, value(page, "wasix_shard_restarts_total{shard=\"0\",reason=\"exit\"}"));
        assertEquals(0, value(page, "wasix_memory_grow_refused_total{shard=\"1\",reason=\"heap\"}"));
        assertEquals(0, value(page, "wasix_accept_pauses_total{shard=\"0\",reason=\"max_connections\"}"));
        assertEquals(0, value(page, "wasix_connections{shard=\"1\"}"));
        assertEquals(1, page.lines().filter(l -> l.equals("# TYPE wasix_memory_grow_refused_total counter")).count(), page);
        assertTrue(page.contains("# TYPE wasix_connections gauge\n"), page);
        assertTrue(StatsTable.render(List.of(shards.get(0).withCounts(restarts.snapshot())))
                .contains("appliance: shard 0 events: shard_restarts_total{reason=\"trap\"} 2, "
                        + "shard_restarts_total{reason=\"watchdog\"} 1\n"));
    }

    @Test
    void statsTablePerShardAndTotal() {
        String table = StatsTable.render(sample());
        List<String> lines = table.lines().toList();
        assertEquals("appliance: syscall stats, shard 0", lines.get(0));
        assertTrue(lines.get(1).matches("syscall +calls +errors +total ms +mean us +p50 us +p99 us +max us +errors by errno"), lines.get(1));
        assertTrue(lines.get(2).matches("sock_send +2 +0 +3\\.001 +1500\\.5 +\\d+\\.\\d +\\d+\\.\\d +3000\\.0"), lines.get(2));
        double p99 = Double.parseDouble(lines.get(2).trim().split(" +")[6]);
        double max = Double.parseDouble(lines.get(2).trim().split(" +")[7]);
        assertTrue(p99 <= max && max >= 3000, "p99 " + p99 + " us, max " + max + " us");
        assertTrue(lines.get(3).matches("sock_recv +1 +1 +0\\.\\d{3} .* EAGAIN=1"), lines.get(3));
        assertTrue(lines.get(4).matches("total +3 +1 +3\\.\\d{3}"), lines.get(4));
        assertTrue(table.contains("appliance: syscall stats, all 2 shards\n"), table);
        String totalSend = lines.stream().dropWhile(l -> !l.contains("all 2 shards")).filter(l -> l.startsWith("sock_send"))
                .findFirst().orElseThrow();
        assertTrue(totalSend.matches("sock_send +3 +0 .*"), totalSend);
        assertTrue(table.lines().noneMatch(l -> l.startsWith("random_get")));
        assertEquals(2, table.lines().filter(l -> l.matches("datagrams dropped +7  udp receive queue full")).count(),
                "under shard 1 and under all shards, and not under shard 0, which dropped none:\n" + table);
    }

    @Test
    void policyRefusalsByShardAndDirection() {
        SyscallMetrics s0 = new SyscallMetrics(0, true, null), s1 = new SyscallMetrics(1, true, null);
        call(s0.probe("sock_connect"), 1_000, 2);
        s0.netPolicyRefusals().count(NetPolicyRefusals.Direction.OUTBOUND);
        s1.netPolicyRefusals().count(NetPolicyRefusals.Direction.LISTEN);
        s1.netPolicyRefusals().count(NetPolicyRefusals.Direction.LISTEN);
        List<ShardStats> shards = List.of(s0.snapshot(), s1.snapshot());
        String page = PrometheusText.render(shards);
        assertEquals(1, value(page, "wasix_net_policy_refusals_total{shard=\"0\",direction=\"outbound\"}"));
        assertEquals(0, value(page, "wasix_net_policy_refusals_total{shard=\"0\",direction=\"listen\"}"));
        assertEquals(0, value(page, "wasix_net_policy_refusals_total{shard=\"1\",direction=\"outbound\"}"));
        assertEquals(2, value(page, "wasix_net_policy_refusals_total{shard=\"1\",direction=\"listen\"}"));
        assertTrue(page.contains("# TYPE wasix_net_policy_refusals_total counter\n"), page);

        List<String> lines = StatsTable.render(shards).lines().toList();
        assertTrue(lines.get(2).matches("sock_connect +1 +1 .* EACCES=1"), lines.get(2));
        assertEquals("net policy refusals             1  outbound=1", lines.get(4));
        assertEquals(List.of("net policy refusals             1  outbound=1", "net policy refusals             2  listen=2",
                "net policy refusals             3  outbound=1 listen=2"),
                lines.stream().filter(l -> l.startsWith("net policy")).toList());
        assertTrue(StatsTable.render(sample()).lines().noneMatch(l -> l.startsWith("net policy")), "none: no row");
    }
}
