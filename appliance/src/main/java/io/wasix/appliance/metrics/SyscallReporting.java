package io.wasix.appliance.metrics;

import io.wasix.appliance.cli.Settings;

import io.wasix.host.metrics.ShardCount;
import io.wasix.host.metrics.ShardStats;
import io.wasix.host.metrics.SyscallMetrics;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * Everything that reads the shards' syscall metrics: the `--stats` table at exit, `--trace` lines and the
 * `--admin-port` server. Shards are counted and timed only when a table or the admin port will read them.
 *
 * <p>Threading: created, marked and closed on main; {@link #forShard} hands each shard's metrics to the
 * shard before its thread starts; the admin thread reads snapshots.
 */
public final class SyscallReporting implements AutoCloseable {
    private final Settings.Metrics settings;
    private final List<SyscallMetrics> shards = new ArrayList<>();
    private final AdminServer admin;
    private final Readiness readiness;
    private volatile IntFunction<List<ShardCount>> shardCounts = i -> List.of();

    private SyscallReporting(Settings.Metrics settings, int shardCount) throws IOException {
        this.settings = settings;
        boolean counted = settings.stats() || settings.adminAddress() != null;
        PrintStream trace = settings.trace() ? System.err : null;
        for (int i = 0; i < shardCount; i++) {
            shards.add(new SyscallMetrics(i, counted, trace));
        }
        this.readiness = new Readiness(shardCount);
        this.admin = settings.adminAddress() == null ? null
                : AdminServer.start(settings.adminAddress(), new AdminPages(this::snapshot, readiness::live, readiness::ready));
    }

    /** Starts the admin port when asked for; fails when it cannot be bound. */
    public static SyscallReporting start(Settings.Metrics settings, int shardCount) throws IOException {
        SyscallReporting r = new SyscallReporting(settings, shardCount);
        if (r.admin != null) {
            var a = r.admin.address();
            System.err.println("appliance: admin port on " + a.getAddress().getHostAddress() + ":" + a.getPort()
                    + " serves /metrics, /healthz and /readyz");
        }
        return r;
    }

    public SyscallMetrics forShard(int index) {
        return shards.get(index);
    }

    /** Adds the counts the appliance keeps per shard (restarts) to every snapshot. */
    public void withShardCounts(IntFunction<List<ShardCount>> counts) {
        shardCounts = counts;
    }

    List<ShardStats> snapshot() {
        IntFunction<List<ShardCount>> extra = shardCounts;
        return shards.stream().map(m -> m.snapshot().withCounts(extra.apply(m.shard()))).toList();
    }

    /** Whether /healthz answers 200: from the boot line until the first shard ends or a signal comes. */
    public void serving(boolean now) {
        readiness.serving(now);
    }

    /** What /readyz answers besides serving: each shard's listeners, reported by its host's events. */
    public Readiness readiness() {
        return readiness;
    }

    /** Stops the admin port, then prints the stats table when asked for. */
    @Override
    public void close() {
        readiness.serving(false);
        if (admin != null) {
            admin.close();
        }
        if (settings.stats()) {
            System.err.print(StatsTable.render(snapshot()));
            System.err.flush();
        }
    }
}
