package io.wasix.host;

import static org.junit.jupiter.api.Assertions.fail;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.InterpreterMachine;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.WasmModule;
import io.wasix.host.metrics.SyscallMetrics;
import io.wasix.host.net.Transport;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * A guest module run whole, as the appliance's shard runs it: a {@link WasixHost} made for the module (so a
 * module that spawns threads runs threaded), its main instance built by an {@link InstanceFactory} and
 * {@link WasixHost#run} on a thread of its own named {@link #NAME}, whose guest threads and I/O thread are
 * named after it. Its stdout is kept and can be read line by line while it runs.
 *
 * <p>A run that has not ended {@link #WATCHDOG_MS} after it started is stopped, so every test is bounded.
 */
final class ThreadedGuest implements AutoCloseable {
    /** The shard thread's name; the host's other threads' names start with it. */
    static final String NAME = "shard-threads-test";
    static final long WATCHDOG_MS = 20_000;

    /** How the module's code runs. */
    enum Mode { COMPILED, INTERPRETED }

    private static final Map<String, Function<Instance, Machine>> COMPILED = new ConcurrentHashMap<>();

    final WasixHost host;
    final Stdout stdout;
    final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private final CompletableFuture<Throwable> ended = new CompletableFuture<>();
    private final Thread shard;

    private ThreadedGuest(String file, Mode mode, Transport t, List<String> args, UnaryOperator<HostConfig> tailor)
            throws Exception {
        Transports.require(t);
        WasmModule module = ShimGuest.module(file);
        Function<Instance, Machine> machine = mode == Mode.INTERPRETED ? InterpreterMachine::new
                : COMPILED.computeIfAbsent(file, f -> MachineFactoryCompiler.compile(module));
        List<String> argv = new ArrayList<>();
        argv.add(file);
        argv.addAll(args);
        this.stdout = new Stdout();
        HostConfig config = tailor.apply(HostConfig.of(t).withArgs(argv)
                .withStdio(InputStream.nullInputStream(), stdout, stderr));
        CompletableFuture<WasixHost> made = new CompletableFuture<>();
        this.shard = new Thread(() -> {
            try (WasixHost h = new WasixHost(config, SyscallMetrics.off(), HostEvents.NONE, module)) {
                made.complete(h);
                Instance main = h.instantiate(imports -> Instance.builder(module)
                        .withImportValues(imports)
                        .withMachineFactory(machine)
                        .withMemoryFactory(WasixHost::newMemory)
                        .withStart(false)
                        .build());
                h.run(main);
                ended.complete(null);
            } catch (Throwable e) {
                made.completeExceptionally(e);
                ended.complete(e);
            }
        }, NAME);
        shard.setDaemon(true);
        shard.start();
        this.host = made.get(10, TimeUnit.SECONDS);
        ended.completeOnTimeout(new TimeoutException("watchdog"), WATCHDOG_MS, TimeUnit.MILLISECONDS)
                .thenAccept(e -> {
                    if (e instanceof TimeoutException) {
                        System.err.println("!!! watchdog: stopping a guest still running after " + WATCHDOG_MS + " ms");
                        host.stop();
                    }
                });
    }

    static ThreadedGuest start(String file, Mode mode, Transport t, String... args) throws Exception {
        return new ThreadedGuest(file, mode, t, List.of(args), c -> c.withAllowOutbound(true));
    }

    static ThreadedGuest start(String file, Transport t, UnaryOperator<HostConfig> tailor, String... args)
            throws Exception {
        return new ThreadedGuest(file, Mode.COMPILED, t, List.of(args), tailor);
    }

    /** Runs {@code file} to its end and returns how it ended (null: _start returned). */
    static Result run(String file, Mode mode, Transport t, String... args) throws Exception {
        try (ThreadedGuest g = start(file, mode, t, args)) {
            Throwable why = g.awaitEnd();
            return new Result(why, g.stdout.text(), g.stderr.toString(StandardCharsets.UTF_8));
        }
    }

    /** How a run ended and what it printed. */
    record Result(Throwable ended, String stdout, String stderr) {
        int exitCode() {
            if (ended instanceof GuestExitException e) {
                return e.code();
            }
            throw new AssertionError("expected proc_exit, got " + ended + "\nstdout:\n" + stdout + "\nstderr:\n" + stderr, ended);
        }

        List<String> lines() {
            return stdout.lines().toList();
        }
    }

    /** What the run ended with (null: _start returned), waiting for it at most the watchdog's time. */
    Throwable awaitEnd() throws Exception {
        Throwable why = ended.get(WATCHDOG_MS + 5_000, TimeUnit.MILLISECONDS);
        if (why instanceof TimeoutException) {
            fail("the guest did not end within " + WATCHDOG_MS + " ms\nstdout:\n" + stdout.text());
        }
        shard.join(5_000);
        return why;
    }

    boolean hasEnded() {
        return ended.isDone();
    }

    /**
     * CPU time, in nanoseconds, that this host's threads (the shard thread, its guest threads, its I/O thread)
     * have used so far; a thread that has ended no longer counts.
     */
    static long cpuNanos() {
        var mx = ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith(NAME)) {
                long n = mx.getThreadCpuTime(t.threadId());
                if (n > 0) {
                    sum += n;
                }
            }
        }
        return sum;
    }

    /** The host's threads alive now (by name). */
    static List<String> threadNames() {
        List<String> names = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith(NAME) && t.isAlive()) {
                names.add(t.getName());
            }
        }
        return names;
    }

    @Override
    public void close() throws Exception {
        if (!ended.isDone()) {
            host.stop();
            ended.get(WATCHDOG_MS, TimeUnit.MILLISECONDS);
        }
        shard.join(5_000);
    }

    /** The guest's stdout, kept whole, with a wait for a line that starts with a given text. */
    static final class Stdout extends OutputStream {
        private final StringBuilder text = new StringBuilder();

        @Override
        public synchronized void write(int b) {
            text.append((char) b);
            notifyAll();
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            text.append(new String(b, off, len, StandardCharsets.UTF_8));
            notifyAll();
        }

        synchronized String text() {
            return text.toString();
        }

        /** The first whole line starting with {@code prefix}, waiting for it at most {@code millis}. */
        synchronized String awaitLine(String prefix, long millis) throws InterruptedException {
            long deadline = System.nanoTime() + millis * 1_000_000L;
            while (true) {
                for (String line : text.toString().split("\n", -1)) {
                    int end = text.indexOf(line + "\n");
                    if (line.startsWith(prefix) && end >= 0) {
                        return line;
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    fail("no line starting with '" + prefix + "' within " + millis + " ms; stdout:\n" + text);
                }
                wait(Math.max(1, left / 1_000_000L));
            }
        }
    }
}
