package io.wasix.host.metrics;

import java.util.concurrent.atomic.AtomicLong;

/**
 * How often one shard's network policy said no, by direction. Counted whether or not anything reads metrics:
 * refusals are rare, and an operator wants them even unasked.
 *
 * <p>Threading: any of the shard's guest threads counts; any thread reads.
 */
public final class NetPolicyRefusals {
    /** What was refused: an outbound destination (connect, resolve) or a port to listen on (bind). */
    public enum Direction {
        OUTBOUND, LISTEN;

        /** The {@code direction} label of {@code wasix_net_policy_refusals_total}. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final AtomicLong outbound = new AtomicLong(), listen = new AtomicLong();

    public void count(Direction d) {
        (d == Direction.OUTBOUND ? outbound : listen).incrementAndGet();
    }

    /** The counts so far. */
    public Counts snapshot() {
        return new Counts(outbound.get(), listen.get());
    }

    /** A copy of the counts; immutable, any thread. */
    public record Counts(long outbound, long listen) {
        public static final Counts NONE = new Counts(0, 0);

        public long of(Direction d) {
            return d == Direction.OUTBOUND ? outbound : listen;
        }

        public Counts plus(Counts o) {
            return new Counts(outbound + o.outbound, listen + o.listen);
        }
    }
}
