package io.wasix.appliance;

import io.wasix.appliance.boot.BootClock;
import io.wasix.appliance.boot.BootReport;
import io.wasix.appliance.cli.Cli;
import io.wasix.appliance.compile.CompileCommand;
import io.wasix.appliance.module.GuestModule;
import io.wasix.appliance.module.MemoryLimit;
import io.wasix.appliance.module.ModuleCheck;
import io.wasix.appliance.supervise.Durations;
import io.wasix.appliance.supervise.Watchdog;
import io.wasix.appliance.cli.Settings;
import io.wasix.appliance.metrics.SyscallReporting;
import io.wasix.appliance.cli.UsageException;
import io.wasix.appliance.cli.VersionText;

import io.wasix.host.HostConfig;
import io.wasix.host.net.TransportChoice;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;

/**
 * The appliance's entry point: handle signals, parse the settings, pick the transport, load and check the
 * module, start the shards, print the boot line, and exit with the status of the first shard that ends for
 * good (each shard restarts its own failed guest while its --restart policy allows). Runs on main; shards run
 * on their own threads.
 */
public final class Main {
    static final int EXIT_LOAD_ERROR = 1, EXIT_USAGE = 2, EXIT_TRAP = 134;
    /**
     * How long in-flight responses get once SIGTERM/SIGINT came or a shard ended: below the 10 s after which
     * docker and podman stop send SIGKILL, with room for the host's own flush of queued writes at exit.
     */
    private static final long STOP_GRACE_MILLIS = 5_000;
    /** The bound on waiting for the shards after the grace: the host's flush at exit takes up to 2 s. */
    private static final long EXIT_FLUSH_MILLIS = 3_000;

    private Main() {}

    public static void main(String[] argv) {
        System.exit(run(argv));
    }

    static int run(String[] argv) {
        if (argv.length > 0 && argv[0].equals("compile")) {
            return CompileCommand.run(List.of(argv).subList(1, argv.length), System.getenv(), System.out, System.err);
        }
        // First: from here on SIGTERM and SIGINT exit 0 (while booting) or stop the guests (once they run).
        Stopping stopping = Stopping.onSignals();
        BootReport boot = new BootReport(BootClock.ofThisProcess(), System.err);
        boot.mark(BootReport.Milestone.MAIN);
        int status = run(argv, boot, stopping);
        boot.printOnce();
        return status;
    }

    private static int run(String[] argv, BootReport boot, Stopping stopping) {
        switch (Cli.command(argv)) {
            case HELP -> {
                System.out.print(Cli.HELP);
                return 0;
            }
            case VERSION -> {
                System.out.print(VersionText.render());
                return 0;
            }
            case RUN -> {}
        }
        Settings settings;
        List<String> warnings = new ArrayList<>();
        try {
            settings = Cli.parse(argv, System.getenv(), warnings::add);
        } catch (UsageException e) {
            return fail(EXIT_USAGE, e.getMessage());
        }
        if (settings == null) {
            System.out.print(Cli.HELP);
            return 0;
        }
        if (!settings.quiet()) {
            warnings.forEach(w -> System.err.println("appliance: warning: " + w));
        }
        if (settings.bootReport()) {
            boot.requestPrint();
        }

        // Netty's first use (choosing the transport) and Chicory's parser share no state: with a second
        // core, loading the module next to it takes it off the boot's critical path.
        var loading = new java.util.concurrent.FutureTask<GuestModule>(
                () -> GuestModule.load(settings.module(), settings.interpreter(), settings.cache()));
        Thread loader = new Thread(loading, "module-load");
        loader.setDaemon(true);
        loader.start();
        TransportChoice transport;
        GuestModule module;
        try {
            transport = TransportChoice.choose(settings.transport(), settings.shards());
            boot.mark(BootReport.Milestone.TRANSPORT_CHOSEN);
            module = loaded(loading);
        } catch (TransportChoice.TransportUnavailableException e) {
            return fail(EXIT_LOAD_ERROR, e.getMessage());
        } catch (GuestModule.LoadException e) {
            return fail(EXIT_LOAD_ERROR, e.getMessage() + moduleVariableHint(e, settings.module()));
        }
        // The module's own defects were listed by GuestModule.load; whether N shards fit depends on the run.
        long maxHeap = Runtime.getRuntime().maxMemory();
        String heap = ModuleCheck.heapProblem(module.module(), settings.shards(), maxHeap);
        MemoryLimit memoryLimit = MemoryLimit.of(settings.limits().maxMemory(), settings.shards(), maxHeap);
        if (heap == null) {
            heap = memoryLimit.problem(ModuleCheck.initialPages(module.module()), settings.shards(), maxHeap);
        }
        if (heap != null) {
            return fail(EXIT_LOAD_ERROR, module.name() + ": " + heap);
        }
        boot.mark(BootReport.Milestone.MODULE_LOADED);

        List<String> guestArgv = new ArrayList<>();
        guestArgv.add(module.name());
        guestArgv.addAll(settings.guestArgs());
        HostConfig config = HostConfig.of(transport.transport())
                .withArgs(guestArgv)
                .withEnv(settings.env())
                .withNet(settings.net())
                .withForceReusePort(settings.shards() > 1)
                .withMounts(settings.mounts())
                .withLimits(new HostConfig.Limits(memoryLimit.pages(), settings.limits().maxConnections()))
                // A restarted guest binds its port again while its previous run's connections, which the host
                // closed, are in TIME_WAIT. They inherited SO_REUSEADDR from their listener or not, and Linux
                // lets the new bind through only if both have it: so every run's listeners have it.
                .withForceReuseAddr(settings.supervision().restart().onFailure())
                .withListeners(settings.listeners());

        SyscallReporting reporting;
        try {
            reporting = SyscallReporting.start(settings.metrics(), settings.shards());
        } catch (java.io.IOException e) {
            return fail(EXIT_LOAD_ERROR, "cannot serve the admin port " + settings.metrics().adminAddress() + ": " + e.getMessage());
        }

        var ended = new LinkedBlockingQueue<Outcome>();
        // Counted down by each shard once it listens or ends; a shard that ends releases main at once, so the
        // boot line says how it ended instead of waiting for the others.
        var started = new CountDownLatch(settings.shards());
        Consumer<Outcome> onEnd = outcome -> {
            ended.add(outcome);
            for (long n = started.getCount(); n > 0; n--) {
                started.countDown();
            }
        };
        List<Shard> list = new ArrayList<>();
        for (int i = 0; i < settings.shards(); i++) {
            int shard = i;
            list.add(new Shard(i, module, config, reporting.forShard(i), started, onEnd, boot,
                    reporting.readiness().events(i, boot), () -> reporting.readiness().shardEnded(shard),
                    settings.supervision().restart()));
        }
        Shards shards = new Shards(list, STOP_GRACE_MILLIS);
        reporting.withShardCounts(i -> list.get(i).restarts().snapshot());
        // The first signal stops gracefully (stop accepting, finish in-flight responses); a second one
        // stops at once, for whoever does not want to wait.
        if (!stopping.attach(shards, () -> reporting.serving(false))) {
            reporting.close();
            return 0;
        }
        shards.start();
        Watchdog watchdog = settings.supervision().watchdog() == null ? null
                : Watchdog.start(settings.supervision().watchdog(), list);
        awaitQuietly(started);
        boolean serving = list.stream().allMatch(Shard::listening);
        if (!settings.quiet()) {
            System.err.println(bootLine(module, transport, settings, memoryLimit, boot.clock(),
                    serving ? null : ended.peek(), boot.firstListener()));
        }
        reporting.serving(serving);

        Outcome first = take(ended);
        reporting.serving(false);
        shards.stopGracefully();
        shards.join(System.nanoTime() + (STOP_GRACE_MILLIS + EXIT_FLUSH_MILLIS) * 1_000_000L);
        if (watchdog != null) {
            watchdog.close();
        }
        reporting.close();
        return first.status();
    }

    /**
     * "started on epoll, 1 shard, ..." once every shard listens; a guest that ended first (its bind failed, or
     * it is no server) gets the same facts with how it ended, never "started". {@code early}: that end, or null.
     */
    private static String bootLine(GuestModule module, TransportChoice transport, Settings settings,
            MemoryLimit memoryLimit, BootClock clock, Outcome early, java.net.InetSocketAddress listener) {
        int shards = settings.shards();
        StringBuilder b = new StringBuilder("appliance: ").append(module.name()).append(" (").append(module.mode())
                .append(early == null ? ") started on " : ") on ").append(transport.transport().label())
                .append(", ").append(shards).append(shards == 1 ? " shard" : " shards");
        if (early != null) {
            b.append(": ").append(switch (early) {
                case Outcome.Exited(int code) -> "exited with status " + code;
                case Outcome.Stopped() -> "stopped";
                case Outcome.Trapped t -> "trapped";
                case Outcome.Stalled t -> "stopped by the watchdog";
                case Outcome.Failed f -> "failed";
            }).append(" before listening");
        } else if (listener != null) {
            b.append(", listening on ").append(BootReport.format(listener));
        }
        b.append(", ").append(clock.sinceStart());
        b.append(", ").append(memoryLimit.describe());
        if (settings.limits().maxConnections() > 0) {
            b.append(", max ").append(settings.limits().maxConnections()).append(" connections per shard");
        }
        if (settings.supervision().watchdog() != null) {
            b.append(", watchdog ").append(Durations.text(settings.supervision().watchdog()));
        }
        for (String f : transport.fallbacks()) {
            b.append("; ").append(f);
        }
        return b.toString();
    }

    /** The module the loader thread loaded, its LoadException, or its unchecked failure as is. */
    private static GuestModule loaded(java.util.concurrent.FutureTask<GuestModule> loading)
            throws GuestModule.LoadException {
        while (true) {
            try {
                return loading.get();
            } catch (InterruptedException e) {
                // keep waiting: the loader is bounded by the module's size
            } catch (java.util.concurrent.ExecutionException e) {
                switch (e.getCause()) {
                    case GuestModule.LoadException le -> throw le;
                    case RuntimeException re -> throw re;
                    case Error err -> throw err;
                    default -> throw new IllegalStateException(e.getCause());
                }
            }
        }
    }

    /**
     * A word that names no module may have been meant as the guest's argument, so it says how to pass one. A
     * MODULE argument replaces APPLIANCE_MODULE, as every flag wins over its variable: a user of an image that
     * sets the variable is told so.
     */
    private static String moduleVariableHint(GuestModule.LoadException e, String module) {
        if (!e.notFound()) {
            return "";
        }
        String variable = System.getenv("APPLIANCE_MODULE");
        if (variable == null || variable.isBlank() || variable.equals(module)) {
            return "; to pass it to the guest as an argument, put -- before it: appliance run [MODULE] -- " + module;
        }
        return "; APPLIANCE_MODULE=" + variable + " is set, and a MODULE argument replaces it: to pass arguments "
                + "to its guest, put -- before them";
    }

    private static int fail(int status, String message) {
        System.err.println("appliance: " + message);
        return status;
    }

    private static Outcome take(LinkedBlockingQueue<Outcome> q) {
        while (true) {
            try {
                return q.take();
            } catch (InterruptedException e) {
                // keep waiting: only a shard ending or a signal ends the appliance
            }
        }
    }

    /** No time limit: a guest that never listens gets its boot line when it ends. */
    private static void awaitQuietly(CountDownLatch latch) {
        while (true) {
            try {
                latch.await();
                return;
            } catch (InterruptedException e) {
                // keep waiting: only the shards release main here
            }
        }
    }
}
