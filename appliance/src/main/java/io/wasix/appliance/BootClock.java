package io.wasix.appliance;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * Milliseconds since this process was exec'd. The JDK's ProcessHandle start instant is built on the
 * kernel's boot time in whole seconds, so it can be a second off; instead this compares the process's
 * start (in clock ticks since boot, /proc/self/stat) with the time since boot (/proc/uptime), both on the
 * same clock, which is good to 10 ms. Stateless; any thread.
 */
final class BootClock {
    private static final double TICKS_PER_SECOND = 100.0; // USER_HZ, fixed at 100 on Linux for /proc

    private BootClock() {}

    static OptionalLong millisSinceExec() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            // Field 22 (starttime) counted after the ")" that ends the command name, which may hold spaces.
            String[] after = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long startTicks = Long.parseLong(after[19]);
            String uptime = Files.readString(Path.of("/proc/uptime"));
            double upSeconds = Double.parseDouble(uptime.substring(0, uptime.indexOf(' ')));
            return OptionalLong.of(Math.round((upSeconds - startTicks / TICKS_PER_SECOND) * 1000));
        } catch (Exception e) {
            return OptionalLong.empty(); // not Linux, or /proc not mounted: the boot line just omits it
        }
    }
}
