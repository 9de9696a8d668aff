package io.wasix.appliance.boot;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the appliance's boot clock starts: the exec of the launcher when the launcher recorded it
 * (APPLIANCE_EXEC_TIME, seconds with microseconds, from bash's $EPOCHREALTIME), else the process's start as
 * the kernel counts it (/proc, in 10 ms clock ticks: what a launcher-less start, as a container's ENTRYPOINT
 * exec'ing bin/java, has). java.base only: the JMX clock would load java.management onto the boot path.
 * Immutable once made; any thread.
 *
 * @param originNanos the origin on the System.nanoTime scale
 * @param source what the origin is, for the boot line and report ("exec", "process start (10 ms ticks)")
 */
public record BootClock(long originNanos, String source) {
    /** USER_HZ, the unit of /proc/self/stat's start time; 100 on every Linux ABI we run on. */
    private static final int CLOCK_TICKS = 100;

    /** The clock of this process, read once (from main, before anything else). */
    public static BootClock ofThisProcess() {
        long nowNanos = System.nanoTime();
        long execMicros = execMicros(System.getenv("APPLIANCE_EXEC_TIME"));
        if (execMicros > 0) {
            java.time.Instant now = java.time.Instant.now();
            long nowMicros = now.getEpochSecond() * 1_000_000L + now.getNano() / 1000;
            return new BootClock(nowNanos - (nowMicros - execMicros) * 1000, "exec");
        }
        long ageNanos = processAgeNanos();
        if (ageNanos >= 0) {
            return new BootClock(nowNanos - ageNanos, "process start (10 ms ticks)");
        }
        return new BootClock(nowNanos, "main (no process start time here)");
    }

    /** Milliseconds from the origin to {@code nanos} (System.nanoTime scale). */
    double millisAt(long nanos) {
        return (nanos - originNanos) / 1e6;
    }

    /** E.g. "87 ms after exec", for the boot line. */
    public String sinceStart() {
        return Math.round(millisAt(System.nanoTime())) + " ms after " + source;
    }

    /** "1700000000.123456" (a locale may write a comma) as microseconds; 0 when absent or malformed. */
    static long execMicros(String epochRealtime) {
        if (epochRealtime == null || epochRealtime.length() < 8) {
            return 0;
        }
        int dot = epochRealtime.length() - 7;
        char sep = epochRealtime.charAt(dot);
        if (sep != '.' && sep != ',') {
            return 0;
        }
        try {
            long seconds = Long.parseLong(epochRealtime, 0, dot, 10);
            long micros = Long.parseLong(epochRealtime, dot + 1, epochRealtime.length(), 10);
            return micros < 0 || seconds <= 0 ? 0 : seconds * 1_000_000L + micros;
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** Uptime minus the process's start, both since boot; -1 when /proc cannot tell. */
    private static long processAgeNanos() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            // fields after the command name, which is in parentheses and may itself contain spaces
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long startTicks = Long.parseLong(f[19]); // field 22 of stat(5); f[0] is field 3
            String uptime = Files.readString(Path.of("/proc/uptime"));
            double upSeconds = Double.parseDouble(uptime.substring(0, uptime.indexOf(' ')));
            return Math.max(0, Math.round(upSeconds * 1e9) - startTicks * (1_000_000_000L / CLOCK_TICKS));
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
