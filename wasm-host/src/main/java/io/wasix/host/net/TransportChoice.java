package io.wasix.host.net;

import java.util.ArrayList;
import java.util.List;

/**
 * The transport picked at start, with the reason each better one was passed over (containers block
 * io_uring with EPERM or ENOSYS; a low RLIMIT_MEMLOCK stops its ring). Immutable; any thread.
 */
public record TransportChoice(Transport transport, List<String> fallbacks) {

    /** Picks the best available transport, or the one asked for. */
    public static TransportChoice choose(Transport requested) {
        if (requested != null) {
            Throwable cause = probe(requested);
            if (cause != null) {
                throw new TransportUnavailableException(requested.label() + " is not available here: " + describe(cause));
            }
            return new TransportChoice(requested, List.of());
        }
        List<String> fallbacks = new ArrayList<>();
        for (Transport t : Transport.values()) {
            Throwable cause = probe(t);
            if (cause == null) {
                return new TransportChoice(t, List.copyOf(fallbacks));
            }
            fallbacks.add(t.label() + " unavailable: " + describe(cause));
        }
        throw new AssertionError("NIO is always available");
    }

    /**
     * Netty's own availability check, then an actual IoHandler built and torn down: io_uring can pass the
     * first and still fail to set up its ring (memlock), and Netty does not fall back by itself.
     */
    private static Throwable probe(Transport t) {
        Throwable cause;
        try {
            cause = t.unavailabilityCause();
        } catch (Throwable e) { // a missing native library surfaces as a LinkageError here
            return e;
        }
        if (cause != null) {
            return cause;
        }
        try {
            var loop = new io.netty.channel.ManualIoEventLoop(Thread.currentThread(), t.ioHandlerFactory());
            loop.shutdown();
            while (!loop.isTerminated()) {
                loop.runNow();
            }
            return null;
        } catch (Throwable e) {
            return e;
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
