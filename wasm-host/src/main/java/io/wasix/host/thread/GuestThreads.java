package io.wasix.host.thread;

import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import io.wasix.host.GuestExitException;
import io.wasix.host.GuestStoppedException;
import io.wasix.host.GuestTrapException;
import io.wasix.host.Heartbeat;
import io.wasix.host.abi.Errno;
import io.wasix.host.net.GuestLoop;
import io.wasix.host.net.ShardLock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * The guest threads of one shard: the main thread (id 1, the shard's own thread running {@code _start}) and
 * those the guest spawns (ids 2, 3... never reused), each a JVM platform thread running its own instance of
 * the module over the shared memory, the shard's one fd table, mounts and network. Also how the guest ends:
 * the first thread to end it (proc_exit, a trap, the end of {@code _start}, a stop) decides the outcome, and
 * every other thread is stopped at its next host call or wait; one blocked where no host wait reaches it (a
 * futex, wasm's own {@code memory.atomic.wait}, a loop in guest code) is interrupted, which Chicory turns
 * into an exception at its next call or backward branch.
 *
 * <p>At most {@link #LIMIT} threads run at once per shard, the main thread included; past that, thread_spawn
 * answers EACCES, as wasmer does when it has no thread slot (libc's pthread_create reports EAGAIN).
 *
 * <p>Every call into a thread's instance (its start, a signal handler, a thread-local destructor) goes
 * through {@link EntryCall}, which is what lets setjmp/longjmp rewind it. Each thread takes the signals sent
 * to it ({@link Signals}) at the start of its host calls and in its waits.
 *
 * <p>Threading: in direct mode, the one guest thread. In threaded mode every method is called holding the
 * shard lock unless it says otherwise; the lock guards the thread table, each {@link GuestThread}'s fields
 * and the thread-local keys. {@link #current()} reads a JVM thread-local.
 */
public final class GuestThreads {
    /** Threads per shard, the main thread included. */
    public static final int LIMIT = 128;
    public static final int MAIN_TID = 1;
    /** How long the main thread waits for the others to unwind once the guest has ended. */
    private static final long UNWIND_NANOS = 2_000_000_000L;
    /** The export the 2023 ABI calls to destroy a thread-local value: (user lo, user hi, value lo, value hi). */
    static final String DESTRUCTOR = "_thread_local_destroy";
    private static final FunctionType DESTRUCTOR_TYPE = FunctionType.of(
            List.of(ValType.I32, ValType.I32, ValType.I32, ValType.I32), List.of());

    /**
     * How a new thread's instance is entered, the two spawn ABIs differ only there: the export to call, and
     * its arguments given the thread's id.
     */
    public record Entry(String export, IntFunction<long[]> args) {}

    private final GuestLoop loop;
    private final ShardLock lock;
    private final boolean threaded;
    private final String name;
    private final ThreadLocal<GuestThread> current = new ThreadLocal<>();
    /** Built on the thread that runs the guest's main thread (its host is created there). */
    private final GuestThread main = new GuestThread(MAIN_TID, 0, 0, Thread.currentThread());
    private final Map<Integer, GuestThread> live = new LinkedHashMap<>();
    /** Every JVM thread spawned, until it has terminated: one that left {@link #live} may still be unwinding. */
    private final List<Thread> started = new ArrayList<>();
    private final ThreadLocals locals = new ThreadLocals();
    private final Signals signals;
    private int nextTid = MAIN_TID + 1;
    /** Builds one more instance of the module over the same imports; set once the main instance exists. */
    private Supplier<Instance> instances;
    private volatile GuestEnd end;

    /**
     * @param loop the shard's loop (null only for the host that lists the functions' signatures)
     * @param name what the threads' JVM names start with (the shard thread's own name)
     */
    public GuestThreads(GuestLoop loop, String name) {
        this.loop = loop;
        this.lock = loop == null ? ShardLock.none() : loop.lock();
        this.threaded = loop != null && loop.isThreaded();
        this.name = name;
        live.put(MAIN_TID, main);
        this.signals = new Signals(this, loop);
        if (loop != null) {
            loop.interrupts(signals);
        }
    }

    /** The guest's signals. */
    public Signals signals() {
        return signals;
    }

    /** Whether threads can be spawned (the shard runs in threaded mode). Any thread. */
    public boolean threaded() {
        return threaded;
    }

    /** How spawned threads get their instance. Called once, before the guest runs. */
    public void bind(Supplier<Instance> instances) {
        this.instances = instances;
    }

    /** The calling guest thread (in direct mode, and for calls made while an instance is built: the main one). */
    public GuestThread current() {
        if (!threaded) {
            return main;
        }
        GuestThread t = current.get();
        return t != null ? t : main;
    }

    /** Threads running now, the main thread included while it runs. */
    public int running() {
        return live.size();
    }

    // ------------------------------------------------------------------ the main thread

    /**
     * Runs {@code _start} of {@code instance} on the calling thread, the guest's main thread, and returns or
     * throws as the guest ends. Direct mode: exactly what {@code _start} does (a thread_exit there ends the
     * only thread: it returns). Threaded mode: returns when {@code _start} returned (the other threads are
     * then stopped, as exit(3) would) or when the last thread ended with thread_exit; throws
     * {@link GuestExitException} for any thread's proc_exit, {@link GuestStoppedException} for a stop, and
     * {@link GuestTrapException} for any thread's trap (the first of these wins). A host failure in any
     * thread is rethrown as is. Before it returns or throws, the other threads have unwound (bounded).
     * Lock not held.
     */
    public void runMain(Instance instance) {
        main.instance = instance;
        long[] stack = Asyncify.mainStack(instance);
        if (stack != null) {
            main.stackLower = stack[0];
            main.stackUpper = stack[1];
        }
        if (!threaded) {
            main.thread = Thread.currentThread();
            try {
                EntryCall.call(main, instance, "_start");
            } catch (ThreadExit e) {
                return;
            }
            callDestructors(main, locals.threadEnded(main));
            return;
        }
        lock.lock();
        try {
            main.thread = Thread.currentThread();
            main.interruptible = true;
        } finally {
            lock.unlock();
        }
        current.set(main);
        GuestEnd ending;
        boolean alone = false;
        try {
            EntryCall.call(main, instance, "_start");
            ending = destroyLocals(main);
            if (ending == null) {
                ending = new GuestEnd.Returned();
            }
        } catch (ThreadExit e) {
            ending = destroyLocals(main);
            alone = ending == null;
        } catch (Throwable e) {
            ending = classify(main, e);
        }
        finish(main, ending);
        if (alone) {
            awaitEnd();
        }
        unwindOthers();
        current.remove();
        throwEnd();
    }

    /** The main thread called thread_exit: the guest goes on until its last thread ends, or it is ended. */
    private void awaitEnd() {
        try {
            // This thread runs no guest code any more: a signal sent to it has nowhere to go.
            loop.await(() -> end != null, GuestLoop.NO_DEADLINE, GuestLoop.OnSignal.IGNORE);
        } catch (GuestStoppedException e) {
            endWith(new GuestEnd.Stopped());
        } finally {
            Thread.interrupted();
        }
    }

    /** Waits, bounded, for every other thread to have unwound (its JVM thread terminated). */
    private void unwindOthers() {
        List<Thread> others;
        lock.lock();
        try {
            started.removeIf(t -> !t.isAlive());
            others = List.copyOf(started);
        } finally {
            lock.unlock();
        }
        long deadline = System.nanoTime() + UNWIND_NANOS;
        for (Thread t : others) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            try {
                t.join(Math.max(1, left / 1_000_000L));
            } catch (InterruptedException e) {
                break;
            }
        }
    }

    private void throwEnd() {
        switch (end) {
            case GuestEnd.Returned r -> { }
            case GuestEnd.Exited x -> throw new GuestExitException(x.code());
            case GuestEnd.Stopped s -> throw new GuestStoppedException();
            case GuestEnd.Trapped t -> throw new GuestTrapException(t.thread(), t.trap(), t.instance());
            case GuestEnd.Failed f -> {
                if (f.error() instanceof RuntimeException re) {
                    throw re;
                }
                if (f.error() instanceof Error err) {
                    throw err;
                }
                throw new IllegalStateException(f.error());
            }
        }
    }

    // ------------------------------------------------------------------ spawned threads

    /**
     * Starts a thread that builds its own instance and enters it with {@code entry}. Lock held.
     *
     * @param stackLower the lowest address of the thread's stack (0 if unknown)
     * @param stackUpper its highest address, where the stack pointer starts
     * @return the new thread's id
     */
    public int spawn(long stackLower, long stackUpper, Entry entry) {
        if (!threaded || instances == null) {
            throw Errno.NOTCAPABLE.fail();
        }
        if (end != null || loop.stopped() || live.size() >= LIMIT) {
            throw Errno.ACCES.fail(); // no thread slot, as wasmer answers (and while the guest is ending)
        }
        int tid = nextTid++;
        GuestThread[] made = new GuestThread[1]; // the thread and its GuestThread name each other
        Thread t = new Thread(() -> runSpawned(made[0], entry), name + "-thread-" + tid);
        GuestThread g = new GuestThread(tid, stackLower, stackUpper, t);
        made[0] = g; // before start(), which publishes it to the new thread
        t.setDaemon(true); // one stuck outside any wait must not keep the JVM alive at exit
        g.thread = t;
        g.interruptible = true;
        live.put(tid, g);
        try {
            t.start();
        } catch (OutOfMemoryError e) { // "unable to create native thread": the system's limit, not ours
            live.remove(tid);
            throw Errno.AGAIN.fail();
        }
        started.removeIf(s -> !s.isAlive());
        started.add(t);
        return tid;
    }

    private void runSpawned(GuestThread g, Entry entry) {
        current.set(g);
        GuestEnd ending;
        try {
            Instance instance = instances.get();
            g.instance = instance;
            EntryCall.call(g, instance, entry.export(), entry.args().apply(g.tid));
            ending = destroyLocals(g);
        } catch (ThreadExit e) {
            ending = destroyLocals(g);
        } catch (Throwable e) {
            ending = classify(g, e);
        }
        finish(g, ending);
    }

    /** A thread is done: it leaves the table, joiners wake, and the guest ends if it said so. Lock not held. */
    private void finish(GuestThread g, GuestEnd ending) {
        lock.lock();
        try {
            g.interruptible = false;
            g.finished = true;
            g.pendingSignals.set(0); // nobody will take them
            live.remove(g.tid);
            lock.changed(); // thread_join waiters
            if (ending != null) {
                end(ending);
            } else if (live.isEmpty()) {
                end(new GuestEnd.Returned()); // the last thread called thread_exit
            }
        } finally {
            lock.unlock();
        }
        Thread.interrupted(); // a stop's interrupt may still be pending; this thread runs no guest code now
    }

    /** What a thread's exception means for the guest. */
    private GuestEnd classify(GuestThread g, Throwable e) {
        return switch (e) {
            case GuestExitException x -> new GuestEnd.Exited(x.code());
            case GuestStoppedException x -> new GuestEnd.Stopped();
            case ChicoryInterruptedException x -> stopping() ? new GuestEnd.Stopped() : new GuestEnd.Failed(x);
            case ChicoryException x -> new GuestEnd.Trapped(g.tid, x, g.instance);
            case StackOverflowError x -> new GuestEnd.Trapped(g.tid, x, g.instance);
            default -> new GuestEnd.Failed(e);
        };
    }

    private boolean stopping() {
        return end != null || loop.stopped();
    }

    /** Ends the guest with {@code e}, unless it has ended already: the first end wins. Any thread; takes the lock. */
    public void endWith(GuestEnd e) {
        lock.lock();
        try {
            end(e);
        } finally {
            lock.unlock();
        }
    }

    private void end(GuestEnd e) {
        if (end != null) {
            return;
        }
        end = e;
        loop.stop(); // every wait and every next host call now throws GuestStoppedException
        interruptAll();
    }

    /**
     * The heartbeats of the threads running guest code now, the main thread's first, for a watchdog. Any
     * thread; takes the lock (in direct mode there is only the main thread, whose entry never changes).
     */
    public List<Heartbeat> heartbeats() {
        lock.lock();
        try {
            List<Heartbeat> beats = new ArrayList<>(live.size());
            for (GuestThread g : live.values()) {
                if (!g.finished) {
                    beats.add(g.heartbeat);
                }
            }
            return beats;
        } finally {
            lock.unlock();
        }
    }

    /** How the guest ended, or null while it runs. Any thread. */
    public GuestEnd ended() {
        return end;
    }

    /**
     * Interrupts every other thread running guest code, so one blocked outside the host's waits (a futex,
     * {@code memory.atomic.wait}, a loop) unwinds too. Any thread; takes the lock.
     */
    public void interruptAll() {
        if (!threaded) {
            return;
        }
        lock.lock();
        try {
            for (GuestThread g : live.values()) {
                if (g.interruptible && g.thread != Thread.currentThread()) {
                    g.thread.interrupt();
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * The start of each host call of {@code thread}, the calling thread: the signals sent to it are taken
     * here (while it waits, {@link Signals} takes them through the loop). Lock held or not.
     */
    public void atCallEntry(GuestThread thread) {
        signals.takeOn(thread);
    }

    /**
     * The thread a signal sent to the process goes to: the main thread while it runs, else the lowest-numbered
     * live one; null once none is left. Lock held.
     */
    GuestThread processTarget() {
        if (!threaded) {
            return main;
        }
        return live.isEmpty() ? null : live.values().iterator().next(); // spawn order, the main thread first
    }

    /** The live thread {@code tid}, or null. Lock held. */
    public GuestThread byTid(int tid) {
        if (!threaded) {
            return tid == MAIN_TID ? main : null;
        }
        return live.get(tid);
    }

    // ------------------------------------------------------------------ join

    /** thread_join: waits until {@code tid} has ended (at once for one that never existed). */
    public void join(int tid) {
        if (tid == current().tid) {
            throw Errno.DEADLK.fail(); // it would wait for ever
        }
        // pthread_join never ends in EINTR: a signal's handler runs, and the join goes on.
        loop.await(() -> !live.containsKey(tid), GuestLoop.NO_DEADLINE, GuestLoop.OnSignal.RESTART);
    }

    // ------------------------------------------------------------------ thread-local keys (2023 ABI)

    public int localCreate(long user) {
        return locals.create(user);
    }

    public void localSet(int key, long value) {
        locals.set(current(), key, value);
    }

    public long localGet(int key) {
        return locals.get(current(), key);
    }

    /** Drops {@code key}, calling the guest's destructor for each value set, on the calling thread. */
    public void localDestroy(int key) {
        callDestructors(current(), locals.destroy(key, List.copyOf(live.values())));
    }

    /** At a thread's normal end: its values' destructors. Null, or how they ended the guest. Lock not held. */
    private GuestEnd destroyLocals(GuestThread g) {
        List<ThreadLocals.Destruction> owed;
        lock.lock();
        try {
            owed = locals.threadEnded(g);
        } finally {
            lock.unlock();
        }
        try {
            callDestructors(g, owed);
            return null;
        } catch (ThreadExit e) {
            return null;
        } catch (Throwable e) {
            return classify(g, e);
        }
    }

    /**
     * Calls {@code _thread_local_destroy} (when exported) once per value, on {@code g}, the calling thread,
     * outside the lock: it is guest code.
     */
    private void callDestructors(GuestThread g, List<ThreadLocals.Destruction> owed) {
        Instance instance = g.instance;
        if (owed.isEmpty() || instance == null || !exports(instance, DESTRUCTOR, DESTRUCTOR_TYPE)) {
            return;
        }
        lock.outside(() -> {
            for (ThreadLocals.Destruction d : owed) {
                EntryCall.call(g, instance, DESTRUCTOR,
                        d.user() & 0xffffffffL, d.user() >>> 32, d.value() & 0xffffffffL, d.value() >>> 32);
            }
            return null;
        });
    }

    /** Whether {@code instance}'s module exports a function {@code name} of type {@code type}. */
    public static boolean exports(Instance instance, String name, FunctionType type) {
        var exports = instance.module().exportSection();
        for (int i = 0; i < exports.exportCount(); i++) {
            var e = exports.getExport(i);
            if (e.name().equals(name) && e.exportType() == ExternalType.FUNCTION) {
                return instance.exportType(name).equals(type);
            }
        }
        return false;
    }
}
