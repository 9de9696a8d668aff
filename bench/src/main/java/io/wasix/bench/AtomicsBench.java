package io.wasix.bench;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import io.wasix.host.WasixHost;
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
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the shared memory's atomics cost compiled guest code: a loop of the threads proposal's read-modify-write
 * operations (guests/atomics.wat: i32 add, i64 cmpxchg, 16-bit xor, 8-bit xchg) on the SharedMemory that
 * WasixHost.newMemory gives a shared memory, uncontended, on one thread.
 *
 * <p>Threading: JMH runs the trial setup and the benchmark on the same thread.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC"})
public class AtomicsBench {
    /** Rounds per operation, each four atomic operations (and one atomic load). */
    static final int ROUNDS = 4096;

    private ExportFunction rmw;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        WasmModule module;
        try (InputStream in = AtomicsBench.class.getResourceAsStream("/guests/atomics.wasm")) {
            module = Parser.parse(in);
        }
        Instance instance = Instance.builder(module).withMemoryFactory(WasixHost::newMemory)
                .withMachineFactory(MachineFactoryCompiler.compile(module)).withStart(false).build();
        rmw = instance.export("rmw");
        System.err.println("memory " + instance.memory().getClass().getSimpleName());
    }

    /** Time per round of four read-modify-writes. */
    @Benchmark
    @OperationsPerInvocation(ROUNDS)
    public long rmw() {
        return rmw.apply(ROUNDS)[0];
    }
}
