package io.wasix.bench;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import io.wasix.host.HostConfig;
import io.wasix.host.WasixHost;
import io.wasix.host.metrics.SyscallMetrics;
import io.wasix.host.net.TransportChoice;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.TimeUnit;
import jdk.jfr.Recording;
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
 * What one call from wasm into the host costs: a trivial call (args_sizes_get) and sock_send of 64 bytes to
 * a connected loopback peer, with the guest compiled to bytecode or interpreted, and the per-syscall metrics
 * off, on (counted and timed, as --stats and --admin-port make them), or off with a JFR recording of the
 * calls' event families running (jfr). Each operation is one host call made inside a wasm loop of {@link #N};
 * loopOnly is that loop without the call.
 *
 * <p>Threading: JMH runs the trial setup and the benchmark on the same thread, which owns the host's loop.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC"})
public class HostCallBench {
    static final int N = 1000;

    @Param({"compiled", "interpreter"})
    public String mode;

    @Param({"off", "on", "jfr"})
    public String metrics;

    private Recording recording;

    private WasixHost host;
    private ExportFunction loopOnly, trivial, send;
    private ServerSocket server;
    private Thread drain;
    private int fd;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        WasmModule module;
        try (InputStream in = HostCallBench.class.getResourceAsStream("/guests/hostcall.wasm")) {
            module = Parser.parse(in);
        }
        if (metrics.equals("jfr")) {
            recording = new Recording();
            recording.enable("wasix.ProcSyscall");
            recording.enable("wasix.SocketSyscall");
            recording.setToDisk(false);
            recording.setMaxSize(64L << 20);
            recording.start();
        }
        var transport = TransportChoice.choose(null).transport();
        SyscallMetrics m = metrics.equals("on") ? new SyscallMetrics(0, true, null) : SyscallMetrics.off();
        host = new WasixHost(HostConfig.of(transport).withAllowOutbound(true), m);
        var builder = Instance.builder(module).withImportValues(host.imports())
                .withMemoryFactory(WasixHost::newMemory).withStart(false);
        if (mode.equals("compiled")) {
            builder.withMachineFactory(MachineFactoryCompiler.compile(module));
        }
        Instance instance = builder.build();
        loopOnly = instance.export("loop_only");
        trivial = instance.export("trivial");
        send = instance.export("send");

        server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        drain = Thread.ofPlatform().daemon().name("peer").start(this::drainOnePeer);
        var mem = instance.memory();
        mem.writeByte(64, (byte) 1); // INET4
        mem.writeShort(66, (short) server.getLocalPort()); // little-endian in, as wasmer reads it
        mem.write(68, InetAddress.getLoopbackAddress().getAddress());
        fd = (int) instance.export("open_connect").apply()[0];
        if (fd < 0) {
            throw new IllegalStateException("open_connect: errno " + (-1000 - fd));
        }
        System.err.println("transport " + host.transportLabel() + ", mode " + mode + ", metrics " + metrics);
    }

    /** Reads and drops everything the guest sends, until it closes. */
    private void drainOnePeer() {
        try (Socket s = server.accept(); InputStream in = s.getInputStream()) {
            byte[] buf = new byte[1 << 16];
            while (in.read(buf) >= 0) {
                // discard
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        host.close();
        server.close();
        if (recording != null) {
            recording.close();
        }
        drain.join(5_000);
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public long loopOnly() {
        return loopOnly.apply(N)[0];
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public long trivialCall() {
        return check(trivial.apply(N)[0]);
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public long sockSend64() {
        return check(send.apply(fd, N)[0]);
    }

    private static long check(long errno) {
        if (errno != 0) {
            throw new IllegalStateException("a host call failed: errno bits " + errno);
        }
        return errno;
    }
}
