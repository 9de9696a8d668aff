package io.wasix.host.metrics;

import java.util.List;

/** A read-only copy of one shard's syscall counts, syscalls in name order. Immutable; any thread. */
public record ShardStats(int shard, List<SyscallStats> syscalls) {
    public ShardStats {
        syscalls = List.copyOf(syscalls);
    }
}
