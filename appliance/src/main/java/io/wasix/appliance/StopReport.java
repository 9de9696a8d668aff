package io.wasix.appliance;

import io.wasix.appliance.boot.Milestones;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The stop's timestamps, from the stop signal (or the first shard's end, when a shard ended the appliance)
 * to the call that exits the JVM, printed at exit with --boot-report: where the time between a SIGTERM and
 * the process's exit goes. What follows the last mark (the JVM's shutdown hooks and its own exit) is the
 * difference between the process's exit, as a parent's wait sees it, and that mark.
 *
 * <p>Threading: marked from the signal thread, the grace timer, the shards' threads and main, lock-free;
 * printed once by main, after every mark it waits for.
 */
final class StopReport {
    /** The milestones, in stop order. */
    enum Milestone {
        SIGNAL("signal"),
        SHARD_ENDED("first shard ended"),
        STOP_NOW("stop now"),
        GUESTS_ENDED("last shard ended"),
        SHARDS_JOINED("shards joined"),
        ADMIN_CLOSED("admin closed"),
        EXITING("exiting");

        final String label;

        Milestone(String label) {
            this.label = label;
        }
    }

    private final Milestones<Milestone> at = new Milestones<>(Milestone.values().length);
    private volatile boolean print;
    /** The wall-clock time of the first signal (epoch ms), for matching the report with other logs. */
    private volatile long signalEpochMillis;

    /** Asks for the report at exit (--boot-report). */
    void requestPrint() {
        print = true;
    }

    /** Records {@code m} now, unless it was already recorded. */
    void mark(Milestone m) {
        if (at.mark(m) && m == Milestone.SIGNAL) {
            signalEpochMillis = System.currentTimeMillis();
        }
    }

    /** Records {@code m} now, over an earlier record: the last shard to end. */
    void markAgain(Milestone m) {
        at.markAgain(m);
    }

    /** Prints the report, if it was asked for and a stop happened. */
    void print(PrintStream out) {
        if (!print) {
            return; // render() uses classes a plain stop never loads (formatting, Instant)
        }
        String r = render();
        if (r != null) {
            out.print(r);
            out.flush();
        }
    }

    /** One row per milestone, ms after the stop's origin and after the previous milestone; null: no stop. */
    String render() {
        Milestone first = at.happened(Milestone.SIGNAL) ? Milestone.SIGNAL : Milestone.SHARD_ENDED;
        if (!at.happened(first)) {
            return null;
        }
        long origin = at.nanos(first);
        String from = first == Milestone.SIGNAL
                ? "the signal, " + java.time.Instant.ofEpochMilli(signalEpochMillis) : "the first shard's end";
        StringBuilder b = new StringBuilder("appliance: stop report (ms after ").append(from).append(")\n");
        Milestones.header(b);
        // In the order they happened: the grace's stop and a shard's own end can come either way round.
        List<Milestone> happened = new ArrayList<>();
        for (Milestone m : Milestone.values()) {
            if (at.happened(m)) {
                happened.add(m);
            }
        }
        happened.sort(Comparator.comparingLong(m -> at.nanos(m) - origin));
        double previous = 0;
        for (Milestone m : happened) {
            double ms = (at.nanos(m) - origin) / 1e6;
            Milestones.row(b, m.label, ms, previous);
            previous = ms;
        }
        return b.toString();
    }
}
