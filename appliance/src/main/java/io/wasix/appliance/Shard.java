package io.wasix.appliance;

import io.wasix.appliance.boot.BootReport;
import io.wasix.appliance.module.GuestModule;
import io.wasix.appliance.supervise.CrashLoop;
import io.wasix.appliance.supervise.RestartCounts;
import io.wasix.appliance.supervise.RestartPolicy;
import io.wasix.appliance.supervise.Watchdog;
import io.wasix.appliance.trap.TrapSite;

import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.runtime.WasmException;
import com.dylibso.chicory.wasm.ChicoryException;
import io.wasix.host.GuestExitException;
import io.wasix.host.GuestStoppedException;
import io.wasix.host.Heartbeat;
import io.wasix.host.GuestTrapException;
import io.wasix.host.HostConfig;
import io.wasix.host.HostEvents;
import io.wasix.host.ListenerPreopenException;
import io.wasix.host.StopSignal;
import io.wasix.host.WasixHost;
import io.wasix.host.metrics.SyscallMetrics;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * One shard: an instance of the guest module with its own memory, fds and event loop, on its own platform
 * thread, supervised. Shards share nothing; the kernel spreads connections between their listeners
 * (SO_REUSEPORT). When the guest fails (a trap, a non-zero exit, the watchdog, a host error) and --restart
 * on-failure allows it, the shard starts a fresh instance (new memory, fds and loop; the old one's
 * connections are closed as it ends) after a backoff, while the other shards go on serving; past the
 * --restart-limit it stops restarting, and its last failure ends the appliance. A shard whose guest has never
 * bound a listener is not restarted: that failure is a failed start (a bad argument, a command module), and
 * ends the appliance at once, as it always did. The shard reports only its final outcome to {@code onEnd}.
 *
 * <p>A shard is one set of guest threads with one outcome: the thread that runs _start and those the guest
 * spawns, each on a thread of its own (see WasixHost); the first to trap, exit or be stopped ends them all.
 * Stopping goes through {@link WasixHost#stop()}, which reaches every guest thread of the instance, and the
 * watchdog watches every one of them. A restart is a fresh instance with fresh threads.
 *
 * <p>Threading: {@link #run()} is the shard's thread and owns everything inside, restarts included (each run's
 * host is created, used and closed there). {@link #stop()}, {@link #stopGracefully}, {@link #heartbeats()}
 * and {@link #expired} may be called from any thread: they see the current run through the volatile
 * {@code host}, and the run loop re-checks the volatile stop flags after publishing each new host. The host
 * reports a bound listener on the guest thread that bound it (in a guest that spawns threads, any of them); {@link #listening()} is read by main, so the flags it sets
 * are atomic.
 */
final class Shard implements Runnable, HostEvents, Watchdog.Watched {
    private final int index;
    private final GuestModule module;
    private final HostConfig config;
    private final SyscallMetrics metrics;
    private final CountDownLatch started;
    private final Consumer<Outcome> onEnd;
    private final BootReport boot;
    private final RestartPolicy policy;
    private final RestartCounts restarts = new RestartCounts();
    /** What the host's milestones go on to once this shard has noted them: the boot report and /readyz. */
    private final HostEvents upstream;
    /** Tells /readyz that a run's listeners are gone, when it ends. */
    private final Runnable listenersGone;
    private volatile WasixHost host;
    private volatile boolean stopRequested;
    private volatile boolean stopping;
    private volatile long graceDeadline;
    /** Set by the watchdog before it stops the run: the limit the guest ran past ("5 s"). */
    private volatile String stalled;
    /** The guest has bound a listener (in any run): it serves, and a failure of it is restartable. */
    private final AtomicBoolean listening = new AtomicBoolean();
    /** {@link #started} was counted down for this shard: once, when it listens or ends, whichever is first. */
    private final AtomicBoolean released = new AtomicBoolean();
    /** The guest's machine, once built; the trap line asks it where an interpreted trap was. */
    private Machine machine;

    Shard(int index, GuestModule module, HostConfig config, SyscallMetrics metrics, CountDownLatch started,
            Consumer<Outcome> onEnd, BootReport boot, HostEvents events, Runnable listenersGone, RestartPolicy policy) {
        this.index = index;
        this.module = module;
        this.config = config;
        this.metrics = metrics;
        this.started = started;
        this.onEnd = onEnd;
        this.boot = boot;
        this.upstream = events;
        this.listenersGone = listenersGone;
        this.policy = policy;
    }

    Thread start() {
        Thread t = new Thread(this, "shard-" + index);
        t.start();
        return t;
    }

    RestartCounts restarts() {
        return restarts;
    }

    @Override
    public void run() {
        CrashLoop crashLoop = new CrashLoop(policy);
        for (int run = 0; ; run++) {
            Outcome outcome = runOnce(run);
            if (!outcome.failure()) {
                end(outcome);
                return;
            }
            boolean restartable = policy.onFailure() && listening.get() && !stopping && !stopRequested;
            if (!restartable) {
                say(outcome, null);
                end(outcome);
                return;
            }
            CrashLoop.Decision d = crashLoop.failed(System.nanoTime());
            say(outcome, crashLoop.describe(d));
            if (d.crashLoop()) {
                end(outcome);
                return;
            }
            restarts.restarted(outcome.reason());
            if (!sleepUnlessStopped(d.delay())) {
                end(new Outcome.Stopped());
                return;
            }
        }
    }

    /** One line on stderr about a failure; a plain exit of a guest that will not restart speaks for itself. */
    private void say(Outcome outcome, String next) {
        if (next == null && outcome instanceof Outcome.Exited) {
            return;
        }
        if (outcome instanceof Outcome.Failed f && f.cause() != null) {
            f.cause().printStackTrace();
        }
        System.err.println("appliance: shard " + index + ": " + outcome.describe() + (next == null ? "" : "; " + next));
    }

    private void end(Outcome outcome) {
        onEnd.accept(outcome); // before the release: main then finds how the guest ended
        release();
    }

    private Outcome runOnce(int run) {
        Outcome outcome;
        WasixHost h = null;
        stalled = null;
        machine = null;
        try {
            h = new WasixHost(config, metrics, this, module.module());
            host = h;
            if (stopRequested) {
                h.stop();
            } else if (stopping) {
                h.stopGracefully(Math.max(0, graceDeadline - System.nanoTime()));
            }
            // The same factory builds the instance of every thread the guest spawns.
            WasixHost memories = h;
            Instance instance = h.instantiate(imports -> Instance.builder(module.module())
                    .withImportValues(imports)
                    .withMachineFactory(this::newMachine)
                    .withMemoryFactory(memories::memory)
                    .withStart(false) // Chicory would otherwise run _start inside build()
                    .build());
            if (run == 0) {
                boot.mark(BootReport.Milestone.SHARD_STARTED);
            }
            h.run(instance);
            outcome = new Outcome.Exited(0);
        } catch (GuestTrapException e) {
            Throwable trap = e.trap();
            String where = TrapSite.describe(trap, module.withNames(),
                    e.instance() == null ? null : e.instance().getMachine());
            String message = switch (trap) {
                case StackOverflowError s -> "call stack exhausted";
                case WasmException w -> "uncaught wasm exception (tag " + w.tagIdx() + ")";
                default -> GuestModule.oneLine(trap);
            };
            outcome = new Outcome.Trapped(message, (where == null ? "" : where + " in ") + "thread " + e.thread());
        } catch (GuestExitException e) {
            outcome = new Outcome.Exited(e.code());
        } catch (GuestStoppedException e) {
            outcome = stopped(null);
        } catch (ChicoryInterruptedException e) {
            outcome = stopped(e);
        } catch (ListenerPreopenException e) {
            outcome = new Outcome.Failed("--tcplisten: " + e.getMessage(), null); // not a host bug
        } catch (ChicoryException e) {
            outcome = new Outcome.Trapped(GuestModule.oneLine(e), TrapSite.describe(e, module.withNames(), machine));
        } catch (WasmException e) {
            // A wasm `throw` nothing caught: the guest ends as on any other trap, not as a host error.
            outcome = new Outcome.Trapped("uncaught wasm exception (tag " + e.tagIdx() + ")",
                    TrapSite.describe(e, module.withNames(), machine));
        } catch (StackOverflowError e) {
            outcome = new Outcome.Trapped("call stack exhausted", TrapSite.describe(e, module.withNames(), machine));
        } catch (OutOfMemoryError e) {
            // A limit of this run, not a host bug, so no stack trace.
            outcome = new Outcome.Failed("out of memory (" + GuestModule.oneLine(e) + ") with a heap of "
                    + Runtime.getRuntime().maxMemory() / (1024 * 1024) + " MiB; raise it with JDK_JAVA_OPTIONS=-Xmx...", null);
        } catch (RuntimeException | Error e) {
            outcome = new Outcome.Failed("host error: " + GuestModule.oneLine(e), e);
        }
        host = null;
        listenersGone.run();
        if (h != null) {
            h.close();
        }
        return outcome;
    }

    /** A run that unwound because it was stopped: by the watchdog (a failure), else by the appliance. */
    private Outcome stopped(ChicoryInterruptedException e) {
        String limit = stalled;
        if (limit == null) {
            return new Outcome.Stopped();
        }
        return new Outcome.Stalled(limit, e == null ? null : TrapSite.describe(e, module.withNames(), machine));
    }

    /**
     * The boot line waits for this: a guest that fails to bind (EADDRINUSE) prints its own message and ends
     * before it listens, so the appliance never claims it started. A bound listener also makes the shard
     * restartable.
     */
    @Override
    public void listenerBound(InetSocketAddress local) {
        upstream.listenerBound(local);
        listening.set(true);
        release();
    }

    @Override
    public void firstResponse() {
        upstream.firstResponse();
    }

    /** Whether the guest has bound a listener. Any thread. */
    boolean listening() {
        return listening.get();
    }

    private void release() {
        if (released.compareAndSet(false, true)) {
            started.countDown();
        }
    }

    /** Waits out a restart's backoff; false when the shard was stopped meanwhile. */
    private synchronized boolean sleepUnlessStopped(Duration delay) {
        long deadline = System.nanoTime() + delay.toNanos();
        while (!stopping && !stopRequested) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return true;
            }
            try {
                wait(Math.max(1, left / 1_000_000L));
            } catch (InterruptedException e) {
                return false;
            }
        }
        return false;
    }

    private synchronized void wake() {
        notifyAll();
    }

    /** Stops the guest at once, wherever it is (see {@link WasixHost#stop()}); no restart follows. */
    void stop() {
        stopRequested = true;
        WasixHost h = host;
        if (h != null) {
            h.stop();
        }
        wake();
    }

    /**
     * Stop accepting and let in-flight responses finish within {@code graceNanos}; no restart follows. A
     * shard between runs has nothing in flight: it stops outright.
     */
    void stopGracefully(long graceNanos) {
        graceDeadline = System.nanoTime() + graceNanos;
        stopping = true;
        WasixHost h = host;
        if (h != null) {
            h.stopGracefully(graceNanos);
        }
        wake();
    }

    @Override
    public List<Heartbeat> heartbeats() {
        WasixHost h = host;
        return h == null ? List.of() : h.heartbeats();
    }

    @Override
    public void expired(Heartbeat stalledThread, String limit) {
        WasixHost h = host;
        if (h != null && h.heartbeats().contains(stalledThread)) {
            stalled = limit;
            h.stop();
        }
    }

    /**
     * The appliance's stop signal: to a guest that named a signal handler, which then has {@code graceNanos}
     * to end by itself; any other guest stops gracefully, as {@link #stopGracefully} does. No restart follows
     * either way (whatever status the handler's guest ends with).
     */
    void terminate(StopSignal sig, long graceNanos) {
        graceDeadline = System.nanoTime() + graceNanos;
        stopping = true;
        WasixHost h = host;
        if (h != null) {
            h.terminate(sig, graceNanos);
        }
        wake();
    }

    private Machine newMachine(Instance instance) {
        Machine m = module.machine().apply(instance);
        if (machine == null) {
            machine = m; // the main instance's: a spawned thread's trap comes with its own instance
        }
        return m;
    }
}
