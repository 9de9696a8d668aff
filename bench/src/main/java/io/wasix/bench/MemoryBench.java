package io.wasix.bench;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import io.wasix.host.HostConfig;
import io.wasix.host.WasixHost;
import io.wasix.host.net.Transport;
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
 * What the guest memory class costs compiled guest code: a loop of i32 loads and stores over 64 KiB
 * (guests/memory.wat) on Chicory's ByteArrayMemory ({@code plain}, WasixHost.newMemory) and on the
 * BoundedMemory that forwards to it ({@code bounded}, WasixHost#memory, what the appliance uses). Each
 * parameter runs in its own fork, so each JVM sees one memory class, as the appliance does.
 *
 * <p>Threading: JMH runs the trial setup and the benchmark on the same thread.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC"})
public class MemoryBench {
    /** Load-store pairs per operation: one round over 64 KiB of i32 slots. */
    static final int SLOTS = 65536 / 4;

    @Param({"plain", "bounded"})
    public String memory;

    private WasixHost host;
    private ExportFunction loadStore;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        WasmModule module;
        try (InputStream in = MemoryBench.class.getResourceAsStream("/guests/memory.wasm")) {
            module = Parser.parse(in);
        }
        host = new WasixHost(HostConfig.of(Transport.NIO));
        Instance instance = Instance.builder(module).withImportValues(host.imports())
                .withMemoryFactory(memory.equals("plain") ? WasixHost::newMemory : host::memory)
                .withMachineFactory(MachineFactoryCompiler.compile(module)).withStart(false).build();
        loadStore = instance.export("load_store");
        System.err.println("memory " + instance.memory().getClass().getSimpleName());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        host.close();
    }

    /** Time per load-store pair. */
    @Benchmark
    @OperationsPerInvocation(SLOTS)
    public long loadStore() {
        return loadStore.apply(1)[0];
    }
}
