package io.wasix.host.syscalls;

import java.time.Instant;

/** The guest's clocks, in nanoseconds. Stateless; any thread. */
final class Clocks {
    private static final long MONOTONIC_ORIGIN = System.nanoTime();

    private Clocks() {}

    static long realtimeNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    /** Monotonic time since the host started, never negative. */
    static long monotonicNanos() {
        return System.nanoTime() - MONOTONIC_ORIGIN;
    }
}
