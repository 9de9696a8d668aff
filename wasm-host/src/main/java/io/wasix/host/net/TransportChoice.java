package io.wasix.host.net;

import io.netty.channel.ManualIoEventLoop;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The transport picked at start, with the reason each better one was passed over (containers block
 * io_uring with EPERM or ENOSYS; a low RLIMIT_MEMLOCK stops its ring). Immutable; any thread.
 */
public record TransportChoice(Transport transport, List<String> fallbacks) {

    /**
     * The event loops the last successful probe built, not yet run and owned by no thread, by transport
     * ordinal: the next {@link GuestLoop}s of that transport adopt them, so a shard does not build the ring
     * the probe has just built and torn down (io_uring enables its ring on the thread that first runs it).
     * Any thread.
     */
    @SuppressWarnings("unchecked")
    private static final Queue<ManualIoEventLoop>[] SPARE = new Queue[Transport.values().length];

    static {
        for (int i = 0; i < SPARE.length; i++) {
            SPARE[i] = new ConcurrentLinkedQueue<>();
        }
    }

    /** Picks the best available transport, or the one asked for, for one event loop. */
    public static TransportChoice choose(Transport requested) {
        return choose(requested, 1);
    }

    /**
     * Picks the best available transport, or the one asked for, that can run {@code loops} event loops at
     * once: each io_uring loop holds its own ring, and RLIMIT_MEMLOCK may leave room for fewer rings than
     * shards, which must show here as a fallback rather than later as a shard failing to start.
     */
    public static TransportChoice choose(Transport requested, int loops) {
        if (requested != null) {
            Throwable cause = probe(requested, loops);
            if (cause != null) {
                throw new TransportUnavailableException(requested.label() + " is not available here: " + describe(cause));
            }
            return new TransportChoice(requested, List.of());
        }
        List<String> fallbacks = new ArrayList<>();
        for (Transport t : Transport.values()) {
            Throwable cause = probe(t, loops);
            if (cause == null) {
                return new TransportChoice(t, List.copyOf(fallbacks));
            }
            fallbacks.add(t.label() + " unavailable: " + describe(cause));
        }
        throw new AssertionError("NIO is always available");
    }

    /** Null when {@code t} can run one event loop here, else why not (one line): a real probe, as at start. */
    public static String unavailabilityReason(Transport t) {
        Throwable cause = probe(t, 1);
        return cause == null ? null : describe(cause);
    }

    /**
     * Netty's own availability check, then the actual IoHandlers built: io_uring can pass the first and still
     * fail to set up its ring (memlock), and Netty does not fall back by itself. On failure they are torn down;
     * on success they wait in {@link #SPARE} for the shards.
     */
    private static Throwable probe(Transport t, int loops) {
        Throwable cause;
        try {
            cause = t.unavailabilityCause();
        } catch (Throwable e) { // a missing native library surfaces as a LinkageError here
            return e;
        }
        if (cause != null) {
            return cause;
        }
        List<ManualIoEventLoop> built = new ArrayList<>();
        try {
            for (int i = 0; i < loops; i++) {
                built.add(new ManualIoEventLoop(null, t.ioHandlerFactory())); // owned by whoever adopts it
            }
        } catch (Throwable e) {
            built.forEach(TransportChoice::close);
            // No cause attached: describe() would otherwise report only the root and lose the count.
            return built.isEmpty() ? e : new IllegalStateException(
                    "only " + built.size() + " of " + loops + " event loops could be set up: " + describe(e));
        }
        for (Queue<ManualIoEventLoop> spare : SPARE) { // an earlier choice's leftovers: one set at a time
            for (ManualIoEventLoop old; (old = spare.poll()) != null; ) {
                close(old);
            }
        }
        SPARE[t.ordinal()].addAll(built);
        return null;
    }

    /** A loop the probe built for {@code t}, for {@code owner} to own and run; null when none is left. */
    static ManualIoEventLoop adoptSpare(Transport t, Thread owner) {
        ManualIoEventLoop loop = SPARE[t.ordinal()].poll();
        if (loop != null) {
            loop.setOwningThread(owner);
        }
        return loop;
    }

    private static void close(ManualIoEventLoop loop) {
        loop.setOwningThread(Thread.currentThread());
        loop.shutdown();
        while (!loop.isTerminated()) {
            loop.runNow();
        }
    }

    private static String describe(Throwable cause) {
        Throwable root = cause;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String msg = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return msg.replace('\n', ' ');
    }

    /** Thrown when a forced transport cannot run here. */
    public static final class TransportUnavailableException extends RuntimeException {
        public TransportUnavailableException(String message) {
            super(message);
        }
    }
}
