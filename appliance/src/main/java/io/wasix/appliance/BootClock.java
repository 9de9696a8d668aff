package io.wasix.appliance;

import java.lang.management.ManagementFactory;
import java.time.Instant;

/**
 * How long the appliance took to reach its guest. The launcher script records the exec time
 * (APPLIANCE_EXEC_TIME, seconds with microseconds, from bash's $EPOCHREALTIME); started some other way, the
 * JVM's own start time is the origin instead, and the boot line says so. Stateless; any thread.
 */
final class BootClock {
    private BootClock() {}

    /** E.g. "87 ms after exec". */
    static String sinceStart() {
        String exec = System.getenv("APPLIANCE_EXEC_TIME");
        long nowMicros = nowMicros();
        if (exec != null && exec.matches("\\d+[.,]\\d{6}")) {
            long execMicros = Long.parseLong(exec.replaceAll("[.,]", ""));
            return (nowMicros - execMicros) / 1000 + " ms after exec";
        }
        long jvmStartMillis = ManagementFactory.getRuntimeMXBean().getStartTime();
        return (nowMicros / 1000 - jvmStartMillis) + " ms after JVM start";
    }

    private static long nowMicros() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1000;
    }
}
