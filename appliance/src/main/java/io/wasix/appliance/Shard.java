package io.wasix.appliance;

import io.wasix.appliance.boot.BootReport;
import io.wasix.appliance.module.GuestModule;
import io.wasix.appliance.trap.TrapSite;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.runtime.WasmException;
import com.dylibso.chicory.wasm.ChicoryException;
import io.wasix.host.GuestExitException;
import io.wasix.host.GuestStoppedException;
import io.wasix.host.HostConfig;
import io.wasix.host.HostEvents;
import io.wasix.host.ListenerPreopenException;
import io.wasix.host.WasixHost;
import io.wasix.host.metrics.SyscallMetrics;
import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * One instance of the guest module on its own platform thread, with its own memory, fds and event loop.
 * Shards share nothing; the kernel spreads connections between their listeners (SO_REUSEPORT).
 *
 * <p>Threading: {@link #run()} is the shard's thread and owns everything inside; {@link #stop()} may be
 * called from any thread. The host reports a bound listener on the guest's thread; {@link #listening()} is
 * read by main, so the flags it sets are atomic.
 */
final class Shard implements Runnable, HostEvents {
    private final int index;
    private final GuestModule module;
    private final HostConfig config;
    private final SyscallMetrics metrics;
    private final CountDownLatch started;
    private final Consumer<Outcome> onEnd;
    private final BootReport boot;
    /** What the host's milestones go on to once this shard has noted them: the boot report and /readyz. */
    private final HostEvents events;
    private volatile WasixHost host;
    private volatile boolean stopRequested;
    /** The guest has bound a listener: it serves. */
    private final AtomicBoolean listening = new AtomicBoolean();
    /** {@link #started} was counted down for this shard: once, when it listens or ends, whichever is first. */
    private final AtomicBoolean released = new AtomicBoolean();
    /** The guest's machine, once built; the trap line asks it where an interpreted trap was. Shard thread. */
    private Machine machine;

    Shard(int index, GuestModule module, HostConfig config, SyscallMetrics metrics, CountDownLatch started,
            Consumer<Outcome> onEnd, BootReport boot, HostEvents events) {
        this.index = index;
        this.module = module;
        this.config = config;
        this.metrics = metrics;
        this.started = started;
        this.onEnd = onEnd;
        this.boot = boot;
        this.events = events;
    }

    Thread start() {
        Thread t = new Thread(this, "shard-" + index);
        t.start();
        return t;
    }

    @Override
    public void run() {
        Outcome outcome;
        WasixHost h = null;
        try {
            h = new WasixHost(config, metrics, this);
            host = h;
            if (stopRequested) {
                h.stop();
            }
            Instance instance = Instance.builder(module.module())
                    .withImportValues(h.imports(module.module()))
                    .withMachineFactory(this::newMachine)
                    .withMemoryFactory(WasixHost::newMemory)
                    .withStart(false) // Chicory would otherwise run _start inside build()
                    .build();
            boot.mark(BootReport.Milestone.SHARD_STARTED);
            instance.export("_start").apply();
            outcome = new Outcome.Exited(0);
        } catch (GuestExitException e) {
            outcome = new Outcome.Exited(e.code());
        } catch (GuestStoppedException e) {
            outcome = new Outcome.Stopped();
        } catch (ListenerPreopenException e) {
            outcome = new Outcome.Failed("shard " + index + ": --tcplisten: " + e.getMessage(), null); // not a host bug
        } catch (ChicoryException e) {
            outcome = new Outcome.Trapped(GuestModule.oneLine(e), TrapSite.describe(e, module.withNames(), machine));
        } catch (WasmException e) {
            // A wasm `throw` nothing caught: the guest ends as on any other trap, not as a host error.
            outcome = new Outcome.Trapped("uncaught wasm exception (tag " + e.tagIdx() + ")",
                    TrapSite.describe(e, module.withNames(), machine));
        } catch (StackOverflowError e) {
            outcome = new Outcome.Trapped("call stack exhausted", TrapSite.describe(e, module.withNames(), machine));
        } catch (OutOfMemoryError e) {
            // Most often a memory.grow the heap cannot hold: a limit of this run, not a host bug, so no stack trace.
            outcome = new Outcome.Failed("shard " + index + ": out of memory (" + GuestModule.oneLine(e) + ") with a heap of "
                    + Runtime.getRuntime().maxMemory() / (1024 * 1024) + " MiB; raise it with JDK_JAVA_OPTIONS=-Xmx...", null);
        } catch (RuntimeException | Error e) {
            outcome = new Outcome.Failed("shard " + index + ": host error: " + GuestModule.oneLine(e), e);
        }
        if (h != null) {
            h.close();
        }
        onEnd.accept(outcome); // before the release: main then finds how the guest ended
        release();
    }

    /**
     * The boot line waits for this: a guest that fails to bind (EADDRINUSE) prints its own message and ends
     * before it listens, so the appliance never claims it started.
     */
    @Override
    public void listenerBound(InetSocketAddress local) {
        events.listenerBound(local);
        listening.set(true);
        release();
    }

    @Override
    public void firstResponse() {
        events.firstResponse();
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

    void stop() {
        stopRequested = true;
        WasixHost h = host;
        if (h != null) {
            h.stop();
        }
    }

    /**
     * Stop accepting and let in-flight responses finish within {@code graceMillis}. A shard whose host
     * does not exist yet has nothing in flight: it stops outright.
     */
    void stopGracefully(long graceMillis) {
        WasixHost h = host;
        if (h != null) {
            h.stopGracefully(graceMillis * 1_000_000L);
        } else {
            stop();
        }
    }

    private Machine newMachine(Instance instance) {
        machine = module.machine().apply(instance);
        return machine;
    }
}
