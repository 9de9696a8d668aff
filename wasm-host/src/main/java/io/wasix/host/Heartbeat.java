package io.wasix.host;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Whether one guest thread is running guest code or is inside a host call, and how many times it crossed
 * between them: what a watchdog samples to tell a guest that spins without calling the host from one that
 * waits in a host call. One counter, bumped as each host call begins and as it ends, so an odd value means
 * "in the host" and an unchanged even value over time means "running guest code all along".
 *
 * <p>Threading: the guest thread is the only writer ({@link #enterHost}, {@link #leaveHost}), with opaque
 * stores: a plain store on x86, no fence, since the host-call path must not pay for the watchdog. Any
 * thread may {@link #read()} it; a reader sees each store soon, not at once, which a watchdog counting in
 * seconds does not mind.
 */
public final class Heartbeat {
    private static final VarHandle BEATS;

    static {
        try {
            BEATS = MethodHandles.lookup().findVarHandle(Heartbeat.class, "beats", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Thread thread;
    /**
     * Odd while the thread is in a host call. Starts even: from its creation on, the thread is taken to run
     * the guest (instantiating it runs its start section), and only host calls count as the host's time.
     */
    private long beats; // written through BEATS; the guest thread may read its own writes plainly

    /** The heartbeat of {@code thread}, which is about to run guest code. */
    public Heartbeat(Thread thread) {
        this.thread = thread;
    }

    /** The guest thread this heartbeat belongs to. */
    public Thread thread() {
        return thread;
    }

    /** Guest thread: a host call begins. Calls do not nest, so each crossing is one step. */
    public void enterHost() {
        BEATS.setOpaque(this, beats + 1);
    }

    /** Guest thread: a host call ends and guest code runs again. */
    public void leaveHost() {
        BEATS.setOpaque(this, beats + 1);
    }

    /** The counter now; any thread. Odd: in a host call. */
    public long read() {
        return (long) BEATS.getOpaque(this);
    }

    /** Whether {@code beats}, a value {@link #read()} returned, says the thread was running guest code. */
    public static boolean inGuest(long beats) {
        return (beats & 1) == 0;
    }
}
