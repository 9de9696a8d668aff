package io.wasix.appliance.boot;

import io.wasix.host.HostEvents;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The appliance's boot timestamps, from process start to the first response, printed with --boot-report.
 * Each milestone keeps its first occurrence (with several shards, the first shard to get there). The report
 * is printed once: when the first response has gone out, or at exit if it never did.
 *
 * <p>Threading: main marks the early milestones, shard threads the later ones (through {@link HostEvents},
 * on the guest thread); marks are lock-free and cheap, so recording costs nothing worth measuring even
 * when nobody asked for the report. Printing happens on whichever thread completes the report.
 */
public final class BootReport implements HostEvents {
    /** The milestones, in boot order. */
    public enum Milestone {
        MAIN("main"),
        TRANSPORT_CHOSEN("transport chosen"),
        MODULE_LOADED("module loaded"),
        SHARD_STARTED("shard started"),
        LISTENER_BOUND("listener bound"),
        FIRST_RESPONSE("first response");

        final String label;

        Milestone(String label) {
            this.label = label;
        }
    }

    private final BootClock clock;
    private final PrintStream out;
    private volatile boolean print;
    private final Milestones<Milestone> at = new Milestones<>(Milestone.values().length);
    private final AtomicBoolean printed = new AtomicBoolean();
    /** The first listener's address, for the boot line; guarded by this. */
    private InetSocketAddress firstListener;

    public BootReport(BootClock clock, PrintStream out) {
        this.clock = clock;
        this.out = out;
    }

    /** Asks for the report to be printed (--boot-report); the settings come after main's own mark. */
    public void requestPrint() {
        print = true;
    }

    public BootClock clock() {
        return clock;
    }

    /** Records {@code m} now, unless it was already recorded. */
    public void mark(Milestone m) {
        at.mark(m);
    }

    /** Milliseconds from process start to {@code m}, or NaN when it has not happened. */
    double millis(Milestone m) {
        return at.happened(m) ? clock.millisAt(at.nanos(m)) : Double.NaN;
    }

    @Override
    public void listenerBound(InetSocketAddress local) {
        mark(Milestone.LISTENER_BOUND);
        synchronized (this) {
            if (firstListener == null) {
                firstListener = local;
            }
        }
    }

    /** The first listener a guest bound, or null: main reads it once every shard listens, for the boot line. */
    public synchronized InetSocketAddress firstListener() {
        return firstListener;
    }

    /** "0.0.0.0:8080", "[::]:8080": an address as the boot line shows it. */
    public static String format(InetSocketAddress a) {
        var ip = a.getAddress();
        if (ip == null) {
            return a.getHostString() + ":" + a.getPort();
        }
        String host = ip instanceof java.net.Inet6Address ? "[" + ipv6(ip.getAddress()) + "]" : ip.getHostAddress();
        return host + ":" + a.getPort();
    }

    /** RFC 5952's text form ("::", "::1", "fe80::1"): the JDK writes every group, 0:0:0:0:0:0:0:0. */
    private static String ipv6(byte[] b) {
        int[] g = new int[8];
        int bestAt = -1, bestLen = 1; // a single zero group is not shortened
        for (int i = 0, runAt = -1; i < 8; i++) {
            g[i] = (b[2 * i] & 0xff) << 8 | (b[2 * i + 1] & 0xff);
            runAt = g[i] == 0 ? (runAt < 0 ? i : runAt) : -1;
            if (runAt >= 0 && i - runAt + 1 > bestLen) {
                bestAt = runAt;
                bestLen = i - runAt + 1;
            }
        }
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestAt) {
                s.append("::");
                i += bestLen - 1;
                continue;
            }
            if (!s.isEmpty() && s.charAt(s.length() - 1) != ':') {
                s.append(':');
            }
            s.append(Integer.toHexString(g[i]));
        }
        return s.toString();
    }

    @Override
    public void firstResponse() {
        mark(Milestone.FIRST_RESPONSE);
        printOnce();
    }

    /** Prints the report if it was asked for and not printed yet (at exit: what happened so far). */
    public void printOnce() {
        if (print && printed.compareAndSet(false, true)) {
            out.print(render());
            out.flush();
        }
    }

    /** The report: one row per milestone, ms since process start and since the previous milestone. */
    String render() {
        StringBuilder b = new StringBuilder("appliance: boot report (ms since ").append(clock.source()).append(")\n");
        Milestones.header(b);
        Milestones.row(b, "process start", "0.0");
        double previous = 0;
        for (Milestone m : Milestone.values()) {
            double t = millis(m);
            if (Double.isNaN(t)) {
                Milestones.row(b, m.label, "never");
            } else {
                Milestones.row(b, m.label, t, previous);
                previous = t;
            }
        }
        return b.toString();
    }
}
