package io.wasix.bench;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import io.wasix.host.HostConfig;
import io.wasix.host.HostEvents;
import io.wasix.host.WasixHost;
import io.wasix.host.metrics.SyscallMetrics;
import io.wasix.host.net.TransportChoice;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A futex round trip between two guest threads of a threaded guest (futex-pingpong.wasm): the benchmark's
 * thread, as the guest's main thread, sets a word and futex_wakes it; the guest's second thread, waiting in
 * futex_wait, answers the same way. bench/futex/pingpong.c is the same protocol on Linux futexes between two
 * pthreads, the peer this is measured against (bench/futex/run.sh).
 *
 * <p>Threading: JMH's thread makes the main thread's calls; the partner runs on the guest thread it spawned.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC"})
public class FutexPingPongBench {
    static final int N = 1000;

    @Param({"compiled", "interpreter"})
    public String mode;

    private WasixHost host;
    private ExportFunction pingpong;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        WasmModule module;
        try (InputStream in = FutexPingPongBench.class.getResourceAsStream("/guests/futex-pingpong.wasm")) {
            module = Parser.parse(in);
        }
        var transport = TransportChoice.choose(null).transport();
        host = new WasixHost(HostConfig.of(transport), SyscallMetrics.off(), HostEvents.NONE, module);
        var machine = mode.equals("compiled") ? MachineFactoryCompiler.compile(module) : null;
        Instance main = host.instantiate(imports -> {
            var b = Instance.builder(module).withImportValues(imports).withMemoryFactory(WasixHost::newMemory)
                    .withStart(false);
            if (machine != null) {
                b.withMachineFactory(machine);
            }
            return b.build();
        });
        main.export("_start").apply(); // spawns the partner, which then waits
        pingpong = main.export("pingpong");
        System.err.println("threaded " + host.threaded() + ", mode " + mode);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        host.stop(); // the partner, waiting on its futex, is interrupted
        host.close();
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public long roundTrip() {
        return pingpong.apply(N)[0];
    }
}
