package io.wasix.appliance.supervise;

import java.time.Duration;
import java.util.Locale;

/** Durations as flags take them ("500ms", "5s", "2m") and as messages show them ("5 s"). Stateless. */
public final class Durations {
    private Durations() {}

    /** "500ms", "5s", "2m", "1h"; a bare number is seconds. Null when {@code s} is none of these. */
    public static Duration parse(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        long unitMillis;
        if (t.endsWith("ms")) {
            unitMillis = 1;
            t = t.substring(0, t.length() - 2);
        } else if (t.endsWith("s")) {
            unitMillis = 1_000;
            t = t.substring(0, t.length() - 1);
        } else if (t.endsWith("m")) {
            unitMillis = 60_000;
            t = t.substring(0, t.length() - 1);
        } else if (t.endsWith("h")) {
            unitMillis = 3_600_000;
            t = t.substring(0, t.length() - 1);
        } else {
            unitMillis = 1_000;
        }
        try {
            long v = Long.parseLong(t.trim());
            return v < 0 ? null : Duration.ofMillis(Math.multiplyExact(v, unitMillis));
        } catch (NumberFormatException | ArithmeticException e) {
            return null;
        }
    }

    /** For messages: "5 s" for whole seconds, else "250 ms". */
    public static String text(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms";
    }

    /** As a flag would take it back: "30s", "250ms". */
    static String flag(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }
}
