package io.wasix.host.metrics;

import java.util.List;

/**
 * A read-only copy of one shard's syscall counts, syscalls in name order, of its network policy's refusals, and
 * of the datagrams its UDP sockets dropped because their receive queue was full. Immutable; any thread.
 */
public record ShardStats(int shard, List<SyscallStats> syscalls, NetPolicyRefusals.Counts netPolicyRefusals,
        long datagramsDropped) {
    public ShardStats {
        syscalls = List.copyOf(syscalls);
    }

    public ShardStats(int shard, List<SyscallStats> syscalls) {
        this(shard, syscalls, NetPolicyRefusals.Counts.NONE, 0);
    }
}
