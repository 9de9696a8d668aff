package io.wasix.appliance.boot;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The instants of an enum's milestones (System.nanoTime), and the table rows the boot and stop reports print
 * them in: one place for both reports' "at" and "+delta" columns.
 *
 * <p>Threading: marks are lock-free and may come from any thread; reading is safe at any time.
 */
public final class Milestones<M extends Enum<M>> {
    private static final long UNSET = Long.MIN_VALUE;

    private final AtomicLongArray at;

    /** {@code count}: the enum's number of constants ({@code values().length}). */
    public Milestones(int count) {
        at = new AtomicLongArray(count);
        for (int i = 0; i < count; i++) {
            at.set(i, UNSET);
        }
    }

    /** Records {@code m} now, unless it was already recorded; true if this call recorded it. */
    public boolean mark(M m) {
        return at.compareAndSet(m.ordinal(), UNSET, System.nanoTime());
    }

    /** Records {@code m} now, over an earlier record. */
    public void markAgain(M m) {
        at.set(m.ordinal(), System.nanoTime());
    }

    public boolean happened(M m) {
        return at.get(m.ordinal()) != UNSET;
    }

    /** The nanoTime of {@code m}; meaningful only if it {@link #happened}. */
    public long nanos(M m) {
        return at.get(m.ordinal());
    }

    /** The table's first line, under the report's title. */
    public static void header(StringBuilder b) {
        b.append(String.format(Locale.ROOT, "  %-18s %8s %8s%n", "milestone", "at", "+delta"));
    }

    /** One row: ms at the milestone and since the previous one. */
    public static void row(StringBuilder b, String label, double ms, double previous) {
        b.append(String.format(Locale.ROOT, "  %-18s %8.1f %+8.1f%n", label, ms, ms - previous));
    }

    /** A row without a delta ("process start", a milestone that never came). */
    public static void row(StringBuilder b, String label, String at) {
        b.append(String.format(Locale.ROOT, "  %-18s %8s %8s%n", label, at, ""));
    }
}
