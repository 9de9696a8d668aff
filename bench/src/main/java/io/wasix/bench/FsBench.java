package io.wasix.bench;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import io.wasix.host.HostConfig;
import io.wasix.host.WasixHost;
import io.wasix.host.fs.DirEntry;
import io.wasix.host.fs.MountSpec;
import io.wasix.host.fs.OpenFile;
import io.wasix.host.fs.PathWalker;
import io.wasix.host.fs.Quota;
import io.wasix.host.fs.Vfs;
import io.wasix.host.fs.Vnode;
import io.wasix.host.net.Transport;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The filesystem lanes, each two ways in one run: {@code *_guest} is fs-bench.wasm (compiled to bytecode)
 * doing the operation through the preview1 host functions; {@code *_native} is plain Java doing the same
 * operation on the same VFS code. guest/native is the cost of the wasm boundary and the ABI; host_call_guest
 * measures that boundary alone (one host call that does almost nothing). Each benchmark
 * method runs on its own JMH thread, which owns its guest (and that guest's in-memory mount).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgs = {"-Xmx1g"})
public class FsBench {
    static final int SMALL = 4096, BIG = 1 << 20, DIR_ENTRIES = 1000;

    static List<MountSpec> mounts() {
        return List.of(MountSpec.memory("/").withQuota(Quota.UNLIMITED, Quota.UNLIMITED));
    }

    /** fs-bench.wasm instantiated on a host with one in-memory mount at fd 3. */
    @State(Scope.Thread)
    public static class Guest {
        WasixHost host;
        ExportFunction writeSmall, writeBig, stat, readdir, hostCall;

        @Setup(Level.Trial)
        public void setUp() throws Exception {
            WasmModule module = guestModule();
            host = new WasixHost(HostConfig.of(Transport.NIO).withMounts(mounts())
                    .withStdio(InputStream.nullInputStream(), OutputStream.nullOutputStream(), System.err));
            Instance instance = Instance.builder(module).withImportValues(host.imports())
                    .withMachineFactory(MachineFactoryCompiler.compile(module)).withMemoryFactory(WasixHost::newMemory)
                    .withStart(false).build();
            writeSmall = instance.export("fs_write_small");
            writeBig = instance.export("fs_write_big");
            stat = instance.export("stat_storm");
            readdir = instance.export("readdir_big");
            hostCall = instance.export("host_call");
            check(writeSmall.apply()[0], 0, "fs_write_small");
            check(instance.export("setup_dir").apply()[0], 0, "setup_dir");
            check(readdir.apply()[0], DIR_ENTRIES + 2, "readdir_big"); // with "." and ".."
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            host.close();
        }
    }

    /** The same VFS, called from Java. */
    @State(Scope.Thread)
    public static class Native {
        Vnode root;
        final byte[] small = new byte[SMALL], big = new byte[BIG];

        @Setup(Level.Trial)
        public void setUp() {
            root = Vfs.of(mounts()).preopens().get(0).mount().root();
            write("small", small);
            root.mkdir("dir");
            Vnode dir = root.lookup("dir");
            for (int i = 0; i < DIR_ENTRIES; i++) {
                dir.createFile(String.format("f%03d", i));
            }
            check(readdir(), DIR_ENTRIES, "readdir");
        }

        void write(String name, byte[] data) {
            PathWalker.Walk w = PathWalker.walk(root, name, false);
            Vnode n = w.node() != null ? w.node() : w.parent().createFile(w.name());
            OpenFile f = n.open(true);
            f.truncate(0);
            f.write(0, data, 0, data.length);
            f.close();
        }

        long stat() {
            return PathWalker.walk(root, "small", false).existing().stat().size();
        }

        int readdir() {
            Vnode dir = PathWalker.walk(root, "dir", false).existing();
            int count = 0;
            String after = null;
            while (true) {
                List<DirEntry> batch = dir.list(after, 1024);
                count += batch.size();
                if (batch.size() < 1024) {
                    return count;
                }
                after = batch.get(batch.size() - 1).name();
            }
        }
    }

    /** fs-bench.wasm from the bench jar, where the build puts every bench guest. */
    static WasmModule guestModule() throws IOException {
        try (InputStream in = FsBench.class.getResourceAsStream("/guests/fs-bench.wasm")) {
            if (in == null) {
                throw new IllegalStateException("guests/fs-bench.wasm is not on the class path: build the bench module");
            }
            return Parser.parse(in);
        }
    }

    static void check(long got, long want, String what) {
        if (got != want) {
            throw new IllegalStateException(what + " returned " + got + ", expected " + want);
        }
    }

    @Benchmark
    public long fs_write_small_guest(Guest g) {
        return g.writeSmall.apply()[0];
    }

    @Benchmark
    public void fs_write_small_native(Native n) {
        n.write("small", n.small);
    }

    @Benchmark
    public long fs_write_big_guest(Guest g) {
        return g.writeBig.apply()[0];
    }

    @Benchmark
    public void fs_write_big_native(Native n) {
        n.write("big", n.big);
    }

    @Benchmark
    public long stat_storm_guest(Guest g) {
        return g.stat.apply()[0];
    }

    @Benchmark
    public long stat_storm_native(Native n) {
        return n.stat();
    }

    @Benchmark
    public long readdir_big_guest(Guest g) {
        return g.readdir.apply()[0];
    }

    @Benchmark
    public int readdir_big_native(Native n) {
        return n.readdir();
    }

    /** No native peer: the fixed cost of crossing into the host and back, for reading the ratios above. */
    @Benchmark
    public long host_call_guest(Guest g) {
        return g.hostCall.apply()[0];
    }
}
