package io.wasix.appliance.cli;

import io.wasix.appliance.supervise.Durations;
import io.wasix.appliance.supervise.RestartPolicy;
import java.time.Duration;
import java.util.Locale;

/**
 * The values of the supervision and limit flags (--restart, --restart-limit, --watchdog, --max-memory,
 * --max-connections) and of their APPLIANCE_* variables; {@code source} names whichever the value came from.
 * Stateless; main.
 */
final class LimitFlags {
    private LimitFlags() {}

    /** never | on-failure */
    static boolean restart(String s, String source) throws UsageException {
        return switch (s.trim()) {
            case "on-failure" -> true;
            case "never", "no" -> false;
            default -> throw new UsageException(source + " wants never or on-failure, got '" + s + "'");
        };
    }

    /** N/DURATION: at most N restarts of a shard in DURATION ("5/30s"). */
    static RestartPolicy restartLimit(String s, RestartPolicy current, String source) throws UsageException {
        int slash = s.indexOf('/');
        if (slash > 0) {
            try {
                int n = Integer.parseInt(s.substring(0, slash).trim());
                Duration window = Durations.parse(s.substring(slash + 1));
                if (n >= 1 && window != null && !window.isZero()) {
                    return new RestartPolicy(current.onFailure(), n, window);
                }
            } catch (NumberFormatException e) {
                // fall through to the message
            }
        }
        throw new UsageException(source + " wants RESTARTS/DURATION, e.g. 5/30s (at least 1 restart), got '" + s + "'");
    }

    /** A duration ("500ms", "5s", "1m"), or "off" / "0" for no watchdog (null). */
    static Duration watchdog(String s, String source) throws UsageException {
        String t = s.trim().toLowerCase(Locale.ROOT);
        if (t.equals("off") || t.equals("0")) {
            return null;
        }
        Duration d = Durations.parse(t);
        if (d == null || d.toMillis() < 10) {
            throw new UsageException(source + " wants a duration of at least 10ms, e.g. 5s or 500ms, or off, got '" + s + "'");
        }
        return d;
    }

    /** A size ("64M", "1G", "65536"): at least one 64 KiB page. */
    static long maxMemory(String s, String source) throws UsageException {
        String t = s.trim().toUpperCase(Locale.ROOT);
        long mult = 1;
        if (!t.isEmpty() && "KMG".indexOf(t.charAt(t.length() - 1)) >= 0) {
            mult = 1L << (10 * ("KMG".indexOf(t.charAt(t.length() - 1)) + 1));
            t = t.substring(0, t.length() - 1);
        }
        try {
            long v = Math.multiplyExact(Long.parseLong(t), mult);
            if (v >= 64 * 1024) {
                return v;
            }
        } catch (NumberFormatException | ArithmeticException e) {
            // fall through to the message
        }
        throw new UsageException(source + " wants a size of at least 64K, e.g. 64M or 1G, got '" + s + "'");
    }

    /** A count of connections per shard, 1 or more; "0" or "off" for no limit. */
    static int maxConnections(String s, String source) throws UsageException {
        String t = s.trim();
        if (t.equalsIgnoreCase("off")) {
            return 0;
        }
        try {
            int n = Integer.parseInt(t);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // fall through to the message
        }
        throw new UsageException(source + " wants a number of connections (0 for no limit), got '" + s + "'");
    }
}
