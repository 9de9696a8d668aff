package io.wasix.appliance.supervise;

import java.time.Duration;
import java.util.ArrayDeque;

/**
 * One shard's recent failures, against its {@link RestartPolicy}: each failure is either the nth restart in
 * the window, with its backoff, or one too many, a crash loop. Owned by the shard's thread.
 */
public final class CrashLoop {
    private final RestartPolicy policy;
    private final ArrayDeque<Long> failures = new ArrayDeque<>(); // System.nanoTime() of each, oldest first

    public CrashLoop(RestartPolicy policy) {
        this.policy = policy;
    }

    /** What to do about a failure that happened at {@code nowNanos}. */
    public Decision failed(long nowNanos) {
        long window = policy.window().toNanos();
        while (!failures.isEmpty() && nowNanos - failures.peekFirst() >= window) {
            failures.pollFirst();
        }
        failures.addLast(nowNanos);
        int n = failures.size();
        return n > policy.limit() ? new Decision(n, 0, Duration.ZERO, true)
                : new Decision(n, n, RestartPolicy.backoff(n), false);
    }

    /**
     * @param failures failures in the window, this one included
     * @param restart this restart's number in the window (1-based), 0 for a crash loop
     * @param delay how long to wait before restarting
     * @param crashLoop more failures in the window than the policy allows: stop restarting
     */
    public record Decision(int failures, int restart, Duration delay, boolean crashLoop) {}

    /** "restarting in 100 ms (restart 2 of 5 in 30 s)", or "crash loop: 6 failures in 30 s (--restart-limit 5/30s)". */
    public String describe(Decision d) {
        if (d.crashLoop()) {
            return "crash loop: " + d.failures() + " failures in " + Durations.text(policy.window())
                    + " (--restart-limit " + policy.limitText() + ")";
        }
        return "restarting in " + Durations.text(d.delay()) + " (restart " + d.restart() + " of " + policy.limit()
                + " in " + Durations.text(policy.window()) + ")";
    }
}
