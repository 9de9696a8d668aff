package io.wasix.appliance.supervise;

import java.time.Duration;

/**
 * What a shard does when its guest fails (traps, exits with a non-zero status, is stopped by the watchdog, or
 * the host fails under it): {@code never} ends the appliance as the first failure does; {@code on-failure}
 * restarts the shard as a fresh instance, backing off, unless it failed more than {@code limit} times in
 * {@code window}: a crash loop, which ends the appliance with the last failure's message and status.
 * Immutable; any thread.
 */
public record RestartPolicy(boolean onFailure, int limit, Duration window) {
    public static final RestartPolicy DEFAULT = new RestartPolicy(true, 5, Duration.ofSeconds(30));
    /** The first restart's delay; each further restart in the window doubles it, up to {@link #MAX_BACKOFF}. */
    static final Duration FIRST_BACKOFF = Duration.ofMillis(100);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

    public RestartPolicy {
        if (limit < 1 || window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("a restart limit needs at least 1 restart in a positive window");
        }
    }

    public RestartPolicy withOnFailure(boolean restart) {
        return new RestartPolicy(restart, limit, window);
    }

    /** The delay before the {@code n}th restart in the window (1-based): 100 ms, 200 ms, 400 ms, ... 5 s. */
    public static Duration backoff(int n) {
        int shift = Math.min(Math.max(n, 1) - 1, 16);
        Duration d = FIRST_BACKOFF.multipliedBy(1L << shift);
        return d.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : d;
    }

    /** "5/30s", as --restart-limit takes it. */
    public String limitText() {
        return limit + "/" + Durations.flag(window);
    }
}
