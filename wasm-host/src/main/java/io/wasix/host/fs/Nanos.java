package io.wasix.host.fs;

import java.time.Instant;

/** Wall-clock time in ns since the epoch, for file timestamps. Any thread. */
final class Nanos {
    private Nanos() {}

    static long now() {
        Instant t = Instant.now();
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }
}
