package io.wasix.host.metrics;

import java.util.ArrayList;
import java.util.List;

/**
 * A read-only copy of one shard's syscall counts, syscalls in name order, of its network policy's refusals, of
 * the datagrams its UDP sockets dropped because their receive queue was full, and its other counters (limits,
 * connections, and whatever its embedder adds, such as restarts). Immutable; any thread.
 */
public record ShardStats(int shard, List<SyscallStats> syscalls, NetPolicyRefusals.Counts netPolicyRefusals,
        long datagramsDropped, List<ShardCount> counts) {
    public ShardStats {
        syscalls = List.copyOf(syscalls);
        counts = List.copyOf(counts);
    }

    public ShardStats(int shard, List<SyscallStats> syscalls) {
        this(shard, syscalls, NetPolicyRefusals.Counts.NONE, 0, List.of());
    }

    /** This snapshot with {@code more} counts after its own. */
    public ShardStats withCounts(List<ShardCount> more) {
        List<ShardCount> all = new ArrayList<>(counts);
        all.addAll(more);
        return new ShardStats(shard, syscalls, netPolicyRefusals, datagramsDropped, all);
    }
}
