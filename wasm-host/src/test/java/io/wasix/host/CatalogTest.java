package io.wasix.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import io.wasix.host.abi.Errno;
import io.wasix.host.metrics.SyscallMetrics;
import io.wasix.host.metrics.SyscallStats;
import io.wasix.host.net.Transport;
import io.wasix.host.syscalls.GuestState;
import io.wasix.host.syscalls.Syscalls;
import io.wasix.host.syscalls.UnsupportedCallTrap;
import io.wasix.host.syscalls.WasixCatalog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The catalog of every wasix_32v1, wasi_snapshot_preview1 and wasi_unstable function: the host provides each
 * of them with the catalog's signature (a real one or an ENOTSUP stub) and nothing else under those names, a
 * module importing all of them links, its stubs answer 58 through the metrics path, and the README's table of
 * what answers ENOTSUP is exactly what the host stubs.
 */
class CatalogTest {
    static final Path README = Path.of("../README.md");
    static final String TABLE_START = "<!-- enotsup-table: generated from WasixCatalog; CatalogTest checks it -->";
    static final String TABLE_END = "<!-- end of enotsup-table -->";

    private static List<HostFunction> provided() {
        return Syscalls.all(new GuestState(HostConfig.of(Transport.NIO), null));
    }

    private static String key(String module, String name, FunctionType type) {
        return module + "." + name + " " + type;
    }

    /** ... and, beside the catalog, wasi.thread-spawn, which always has a real implementation. */
    @Test
    void theHostProvidesEveryCatalogEntryOnceAndNothingElse() {
        Set<String> catalog = new TreeSet<>();
        for (WasixCatalog.Entry e : WasixCatalog.entries()) {
            assertTrue(catalog.add(key(e.module(), e.name(), e.type())), "listed once: " + e);
        }
        catalog.add(key(WasixCatalog.WASI_THREADS, "thread-spawn",
                FunctionType.of(List.of(ValType.I32), List.of(ValType.I32))));
        Set<String> host = new TreeSet<>();
        for (HostFunction f : provided()) {
            assertTrue(host.add(key(f.module(), f.name(), f.functionType())), "provided once: " + f.name());
        }
        assertEquals(catalog, host);
        long wasix = WasixCatalog.entries().stream().filter(e -> e.module().equals(WasixCatalog.WASIX)).count();
        long p1 = WasixCatalog.entries().stream().filter(e -> e.module().equals(WasixCatalog.PREVIEW1)).count();
        long p0 = WasixCatalog.entries().stream().filter(e -> e.module().equals(WasixCatalog.PREVIEW0)).count();
        assertEquals(46, p1, "preview 1's 46 functions");
        assertEquals(45, p0, "preview 0's 45 (no sock_accept)");
        assertTrue(wasix > 150, "wasix_32v1 has them all and more: " + wasix);
    }

    @Test
    void theRealFunctionsAreTheOnesTheyShouldBe() {
        // a sample of what this host implements for real: none of these may have fallen back to a stub
        Set<String> stubbed = Syscalls.stubs().stream().map(WasixCatalog.Entry::key).collect(Collectors.toSet());
        for (String real : List.of("wasix_32v1.fd_event", "wasix_32v1.fd_pipe", "wasix_32v1.fd_dup2",
                "wasix_32v1.fd_fdflags_get", "wasix_32v1.fd_fdflags_set", "wasix_32v1.tty_get", "wasix_32v1.tty_set",
                "wasix_32v1.proc_id", "wasix_32v1.proc_parent", "wasix_32v1.proc_exit2", "wasix_32v1.path_open2",
                "wasix_32v1.getcwd", "wasix_32v1.chdir", "wasix_32v1.sock_accept", "wasi_unstable.fd_seek",
                "wasi_unstable.poll_oneoff", "wasi_unstable.fd_filestat_get", "wasi_unstable.path_filestat_get",
                "wasi_unstable.fd_write", "wasi_unstable.proc_exit", "wasi_snapshot_preview1.sock_accept",
                "wasix_32v1.callback_signal", "wasix_32v1.thread_signal", "wasix_32v1.proc_raise",
                "wasix_32v1.proc_raise_interval", "wasix_32v1.proc_signals_get", "wasix_32v1.proc_signals_sizes_get",
                "wasi_snapshot_preview1.proc_raise", "wasi_unstable.proc_raise", "wasix_32v1.stack_checkpoint",
                "wasix_32v1.stack_restore", "wasix_32v1.proc_join")) {
            assertTrue(!stubbed.contains(real), real + " is implemented, not a stub");
        }
        for (String stub : List.of("wasix_32v1.proc_fork", "wasix_32v1.proc_exec", "wasix_32v1.proc_spawn",
                "wasix_32v1.proc_signal")) {
            assertTrue(stubbed.contains(stub), stub + " answers ENOTSUP until a later issue makes it real");
        }
    }

    @Test
    void aModuleImportingTheWholeCatalogLinksAndEachStubAnswersEnotsupAndIsCounted() {
        List<ImportingGuest.Import> imports = new ArrayList<>();
        for (WasixCatalog.Entry e : WasixCatalog.entries()) {
            imports.add(new ImportingGuest.Import(e.module(), e.name(), e.type()));
        }
        WasmModule module = Parser.parse(ImportingGuest.module(imports));
        assertEquals(List.of(), WasixHost.missingImports(module), "nothing in the catalog is refused at load");

        Transports.require(Transport.NIO);
        SyscallMetrics metrics = new SyscallMetrics(0, true, null);
        Map<String, Long> stubCalls = new LinkedHashMap<>();
        try (WasixHost host = new WasixHost(HostConfig.of(Transport.NIO), metrics)) {
            Instance instance = Instance.builder(module).withImportValues(host.imports(module))
                    .withMemoryFactory(WasixHost::newMemory).withStart(false).build();
            for (WasixCatalog.Entry stub : Syscalls.stubs()) {
                int i = WasixCatalog.entries().indexOf(stub);
                long[] args = new long[stub.type().params().size()];
                var export = instance.export("call" + i);
                switch (stub.stub()) {
                    case ERRNO -> assertEquals(Errno.NOTSUP.code(), (int) export.apply(args)[0], stub.key());
                    case IGNORED -> export.apply(args);
                    case NORETURN -> {
                        UnsupportedCallTrap trap = assertThrows(UnsupportedCallTrap.class, () -> export.apply(args));
                        assertEquals(stub.name(), trap.syscall());
                    }
                }
                stubCalls.merge(stub.name(), 1L, Long::sum);
            }
        }
        assertTrue(stubCalls.size() > 40, "many stubs were called: " + stubCalls.size());
        Map<String, SyscallStats> stats = new LinkedHashMap<>();
        for (SyscallStats s : metrics.snapshot().syscalls()) {
            stats.put(s.syscall(), s);
        }
        stubCalls.forEach((name, calls) -> {
            SyscallStats s = stats.get(name);
            assertEquals(calls, s.calls(), name + " is counted like any syscall");
            assertEquals(Map.of("ENOTSUP", calls), s.errorsByName(), name + "'s calls are all ENOTSUP");
        });
    }

    @Test
    void threadSpawnLinksInBothItsSignatures() throws Exception {
        FunctionType old = FunctionType.of(List.of(ValType.I64, ValType.I64, ValType.I64, ValType.I32, ValType.I32),
                List.of(ValType.I32));
        FunctionType v2 = FunctionType.of(List.of(ValType.I32, ValType.I32), List.of(ValType.I32));
        for (List<FunctionType> types : List.of(List.of(old), List.of(v2), List.of(old, v2), List.of(v2, old))) {
            List<ImportingGuest.Import> imports = new ArrayList<>();
            for (FunctionType t : types) {
                imports.add(new ImportingGuest.Import("wasix_32v1", "thread_spawn", t));
            }
            imports.add(new ImportingGuest.Import("wasix_32v1", "fd_pipe", v2));
            WasmModule module = Parser.parse(ImportingGuest.module(imports));
            assertEquals(List.of(), WasixHost.missingImports(module), types.toString());
            Transports.require(Transport.NIO);
            try (WasixHost host = new WasixHost(HostConfig.of(Transport.NIO))) {
                Instance instance = Instance.builder(module).withImportValues(host.imports(module))
                        .withMemoryFactory(WasixHost::newMemory).withStart(false).build();
                for (int i = 0; i < types.size(); i++) {
                    long[] r = instance.export("call" + i).apply(new long[types.get(i).params().size()]);
                    // the real one, in either ABI: this module's memory is not shared, so no thread can share it
                    assertEquals(Errno.NOTCAPABLE.code(), (int) r[0], "thread_spawn " + types.get(i));
                }
            }
        }
    }

    @Test
    void importsOfAnotherRuntimeOrWithAnotherSignatureAreStillRefused() {
        FunctionType one = FunctionType.of(List.of(ValType.I32), List.of(ValType.I32));
        FunctionType wide = FunctionType.of(List.of(ValType.I64), List.of(ValType.I32));
        WasmModule module = Parser.parse(ImportingGuest.module(List.of(
                new ImportingGuest.Import("wasi", "thread_spawn", one),
                new ImportingGuest.Import("wasix_32v1", "fd_pipe", one),
                new ImportingGuest.Import("wasix_32v1", "thread_spawn", one),
                new ImportingGuest.Import("wasi_unstable", "sock_accept", one),
                new ImportingGuest.Import("wasi", "thread-spawn", wide))));
        List<String> missing = WasixHost.missingImports(module);
        assertEquals(5, missing.size(), missing.toString());
        assertEquals("wasi.thread_spawn", missing.get(0), "the wasi module serves thread-spawn only");
        assertTrue(missing.get(1).startsWith("wasix_32v1.fd_pipe (expected (I32,I32) -> (I32)"), missing.get(1));
        assertTrue(missing.get(2).contains(" or "), "both thread_spawn signatures are named: " + missing.get(2));
        assertEquals("wasi_unstable.sock_accept", missing.get(3), "preview 0 has no sock_accept");
        assertTrue(missing.get(4).startsWith("wasi.thread-spawn (expected (I32) -> (I32)"), missing.get(4));
    }

    /**
     * wasi.thread-spawn, the wasi-threads proposal's spawn, which wasix-libc's pthread_create imports (and
     * wasmer links for every module), links; on a memory that is not shared it answers ENOTCAPABLE negated.
     */
    @Test
    void wasiThreadSpawnLinksAndAnswersANegatedErrno() {
        FunctionType one = FunctionType.of(List.of(ValType.I32), List.of(ValType.I32));
        WasmModule module = Parser.parse(ImportingGuest.module(List.of(
                new ImportingGuest.Import("wasi", "thread-spawn", one))));
        assertEquals(List.of(), WasixHost.missingImports(module));
        assertTrue(WasixHost.spawnsThreads(module));
        Transports.require(Transport.NIO);
        try (WasixHost host = new WasixHost(HostConfig.of(Transport.NIO))) {
            Instance instance = Instance.builder(module).withImportValues(host.imports(module))
                    .withMemoryFactory(WasixHost::newMemory).withStart(false).build();
            assertEquals(-Errno.NOTCAPABLE.code(), (int) instance.export("call0").apply(64)[0]);
            assertEquals(-Errno.FAULT.code(), (int) instance.export("call0").apply(-8)[0], "a start past the memory");
        }
    }

    /** The README's table: one row per import module and prefix; † no result, ‡ must not return. */
    static String enotsupTable() {
        Map<String, List<String>> rows = new LinkedHashMap<>();
        for (WasixCatalog.Entry e : Syscalls.stubs()) {
            String prefix = e.name().startsWith("dl") ? "dl"
                    : e.name().contains("_") ? e.name().substring(0, e.name().indexOf('_')) : e.name();
            String mark = switch (e.stub()) {
                case ERRNO -> "";
                case IGNORED -> "†";
                case NORETURN -> "‡";
            };
            List<String> names = rows.computeIfAbsent("| `" + e.module() + "` | " + prefix + " | ", k -> new ArrayList<>());
            String cell = "`" + e.name() + "`" + mark;
            if (!names.contains(cell)) {
                names.add(cell);
            }
        }
        StringBuilder b = new StringBuilder(TABLE_START).append('\n');
        b.append("| import module | group | answers ENOTSUP (58) |\n|---|---|---|\n");
        rows.forEach((row, names) -> b.append(row).append(String.join(", ", names)).append(" |\n"));
        return b.append(TABLE_END).toString();
    }

    @Test
    void theReadmeListsExactlyWhatAnswersEnotsup() throws Exception {
        String readme = Files.readString(README);
        int start = readme.indexOf(TABLE_START);
        int end = readme.indexOf(TABLE_END);
        String expected = enotsupTable();
        if (start < 0 || end < start) {
            fail("README.md has no ENOTSUP table; add this:\n" + expected);
        }
        String actual = readme.substring(start, end + TABLE_END.length());
        assertEquals(expected, actual, "README.md's ENOTSUP table is out of date; replace it with the expected text");
    }

    @Test
    void everyStubIsInTheCatalogUnderItsOwnNamespace() {
        Set<String> modules = new HashSet<>();
        for (WasixCatalog.Entry e : Syscalls.stubs()) {
            modules.add(e.module());
            assertTrue(WasixCatalog.find(e.module(), e.name(), e.type()) == e, e.key());
        }
        assertEquals(Set.of("wasix_32v1"), modules, "preview 1 and preview 0 are served whole");
    }
}
