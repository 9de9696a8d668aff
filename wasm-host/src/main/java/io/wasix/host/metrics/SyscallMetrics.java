package io.wasix.host.metrics;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What one shard (one {@link io.wasix.host.WasixHost}) measures about its syscalls, and the read-only view
 * of it. Counting and timing happen only when something reads them ({@code counted}: a stats table, an
 * admin port): two clock reads per call are most of what metrics cost (see bench/results), so a host
 * nobody asks pays for neither. A trace prints one line per call. JDK Flight Recorder events are
 * separate: they follow the recording's settings, whatever is chosen here.
 *
 * <p>Threading: created by whoever starts the shard; the shard's thread registers its syscalls, and the
 * guest's threads write one at a time (the shard lock, in threaded mode); {@link #snapshot()} may be called from any thread at any time.
 */
public final class SyscallMetrics {
    private final int shard;
    private final boolean counted;
    private final PrintStream trace;
    private final ConcurrentHashMap<String, SyscallCounter> counters = new ConcurrentHashMap<>();
    private final LimitCounters limits = new LimitCounters();
    private final NetPolicyRefusals netPolicyRefusals = new NetPolicyRefusals();
    /** The shard's count of dropped datagrams, kept by its network; read by snapshots. */
    private volatile java.util.function.LongSupplier datagramsDropped = () -> 0;

    /**
     * @param shard the shard's index, in snapshots and trace lines
     * @param counted whether calls are counted and timed
     * @param trace where to print one line per call, or null for no trace
     */
    public SyscallMetrics(int shard, boolean counted, PrintStream trace) {
        this.shard = shard;
        this.counted = counted;
        this.trace = trace;
    }

    /** Neither counted nor traced; JFR events still follow their recording settings. */
    public static SyscallMetrics off() {
        return new SyscallMetrics(0, false, null);
    }

    public int shard() {
        return shard;
    }

    /**
     * The probe the host function {@code syscall} reports to. A name served under two import modules has
     * one counter. Called while the host's imports are built (guest thread).
     */
    public SyscallProbe probe(String syscall) {
        SyscallCounter c = counted ? counters.computeIfAbsent(syscall, SyscallCounter::new) : null;
        return new SyscallProbe(syscall, SyscallFamily.of(syscall), SyscallFamily.firstArgIsFd(syscall), c,
                trace == null ? null : new SyscallTrace(shard, syscall, trace), shard);
    }

    /** What the shard's limits held back; always counted. */
    public LimitCounters limits() {
        return limits;
    }

    /** Where the shard's network policy counts what it refused; counted even when syscalls are not. */
    public NetPolicyRefusals netPolicyRefusals() {
        return netPolicyRefusals;
    }

    /**
     * Where snapshots read the shard's count of datagrams dropped because a UDP socket's receive queue was full
     * (the host's own count, not a syscall's: it is kept whether or not calls are counted). Set once, by the host.
     */
    public void datagramsDropped(java.util.function.LongSupplier count) {
        this.datagramsDropped = count;
    }

    /** The counts so far, every registered syscall in name order (called or not), and the limits'. Any thread. */
    public ShardStats snapshot() {
        List<SyscallStats> list = new ArrayList<>();
        for (SyscallCounter c : counters.values()) {
            list.add(c.snapshot());
        }
        list.sort(Comparator.comparing(SyscallStats::syscall));
        return new ShardStats(shard, list, netPolicyRefusals.snapshot(), datagramsDropped.getAsLong(),
                limits.snapshot());
    }
}
