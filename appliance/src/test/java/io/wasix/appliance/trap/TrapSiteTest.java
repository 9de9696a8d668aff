package io.wasix.appliance.trap;

import io.wasix.appliance.module.GuestModule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.runtime.TrapException;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.FunctionImport;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The trap line's function, in each way a module runs: compiled at load time, interpreted, and with fallback. */
class TrapSiteTest {
    private static final Path GUESTS = Path.of("src/test/guests");
    private static final Path HOST_GUESTS = Path.of("../wasm-host/src/test/guests");

    @Test
    void interpretedTrapIsNamed() throws Exception {
        assertEquals("boom (function #0)", trapSite(HOST_GUESTS.resolve("trap.wasm"), true));
    }

    @Test
    void compiledTrapIsNamed() throws Exception {
        assertEquals("boom (function #0)", trapSite(HOST_GUESTS.resolve("trap.wasm"), false));
    }

    @Test
    void interpretedStackExhaustionIsNamed() throws Exception {
        assertEquals("descend (function #0)", trapSite(GUESTS.resolve("stack-exhaust.wasm"), true));
    }

    @Test
    void compiledStackExhaustionIsNamed() throws Exception {
        assertEquals("descend (function #0)", trapSite(GUESTS.resolve("stack-exhaust.wasm"), false));
    }

    /** inner_too_large is called by outer_too_large inside the interpreter: no Java frame of its own. */
    @Test
    void aTrapInAnInterpretedFallbackFunctionIsNamed(@TempDir Path dir) throws Exception {
        assertEquals("inner_too_large (function #2)", trapSite(FallbackGuest.write(dir), false));
    }

    /** The same from `appliance compile`'s artifact: the interpreted functions and their code come with it. */
    @Test
    void aTrapInAnInterpretedFallbackFunctionIsNamedFromItsArtifact(@TempDir Path dir) throws Exception {
        Path wasm = FallbackGuest.write(dir);
        var cache = new io.wasix.appliance.module.ArtifactCache(dir.resolve("cache"), "--cache");
        assertEquals(0, io.wasix.appliance.compile.CompileCommandAccess.compile(wasm, cache.dir()));
        GuestModule g = GuestModule.load(wasm.toString(), false, cache);
        assertTrue(g.mode().startsWith("compiled ahead of time: "), g.mode());
        Machine[] machine = new Machine[1];
        Instance instance = Instance.builder(g.module()).withMachineFactory(i -> machine[0] = g.machine().apply(i))
                .withStart(false).build();
        var trap = assertThrows(ChicoryException.class, () -> instance.export("_start").apply());
        assertTrue(machine[0] instanceof FallbackMachine, "interpreted functions: " + machine[0]);
        assertEquals("inner_too_large (function #2)", TrapSite.describe(trap, g.withNames(), machine[0]));
    }

    /**
     * The guest above is only a test of the fallback while its functions stay too large to compile: say so
     * loudly if a compiler change fits them in a JVM method.
     */
    @Test
    void theFallbackGuestReallyFallsBack(@TempDir Path dir) throws Exception {
        GuestModule g = loadQuietly(FallbackGuest.write(dir));
        Machine[] machine = new Machine[1];
        Instance.builder(g.module()).withMachineFactory(i -> machine[0] = g.machine().apply(i)).withStart(false).build();
        assertTrue(machine[0] instanceof FallbackMachine,
                "FallbackGuest compiled whole: make its functions larger; got " + machine[0]);
    }

    /**
     * Loading a module with functions left to the interpreter writes nothing on stderr, which is the guest's
     * (a wasmer-built program's stderr must match what it prints on wasmer); the boot line's mode counts them.
     */
    private static GuestModule loadQuietly(Path wasm) throws Exception {
        PrintStream err = System.err;
        var captured = new ByteArrayOutputStream();
        GuestModule g;
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            g = GuestModule.load(wasm.toString(), false);
        } finally {
            System.setErr(err);
        }
        assertEquals("", captured.toString(StandardCharsets.UTF_8), "loading wrote on stderr");
        assertTrue(g.mode().startsWith("compiled at load time, 2 functions too large for a JVM method interpreted: "),
                g.mode()); // then why no artifact was used
        return g;
    }

    /**
     * The bundled hello guest, compiled at build time by the Maven plugin, whose first host call traps: the
     * plugin's classes run wasm functions as func_N methods too, so the line names the function: the import
     * stub the trap came through, the innermost wasm function.
     */
    @Test
    void aTrapInAGuestCompiledAtBuildTimeIsNamed() throws Exception {
        GuestModule g = GuestModule.load("hello", false);
        assertEquals("compiled at build time", g.mode());
        WasmModule m = g.module();
        List<ImportFunction> trapping = new ArrayList<>();
        var imports = m.importSection();
        for (int i = 0; i < imports.importCount(); i++) {
            if (imports.getImport(i) instanceof FunctionImport f) {
                trapping.add(new HostFunction(f.module(), f.name(), m.typeSection().getType(f.typeIndex()),
                        (instance, args) -> {
                            throw new TrapException("trapped in the host, for the test");
                        }));
            }
        }
        Machine[] machine = new Machine[1];
        Instance instance = Instance.builder(m)
                .withImportValues(ImportValues.builder().withFunctions(trapping).build())
                .withMachineFactory(i -> machine[0] = g.machine().apply(i))
                .withMemoryFactory(io.wasix.host.WasixHost::newMemory)
                .withStart(false)
                .build();
        var trap = assertThrows(TrapException.class, () -> instance.export("_start").apply());
        assertEquals("environ_sizes_get (function #0)", TrapSite.describe(trap, g.withNames(), machine[0]),
                "the first import hello calls; its name from the original .wasm, as the compiled copy has none");
    }

    @Test
    void withoutANameSectionTheIndexIsGiven() throws Exception {
        WasmModule m = Parser.parse(HOST_GUESTS.resolve("trap.wasm"));
        assertEquals("boom (function #0)", TrapSite.name(m, 0));
        assertEquals("function #7", TrapSite.name(m, 7));
    }

    private static String trapSite(Path wasm, boolean interpreter) throws Exception {
        GuestModule g = GuestModule.load(wasm.toString(), interpreter);
        Machine[] machine = new Machine[1];
        Function<Instance, Machine> recording = i -> machine[0] = g.machine().apply(i);
        Instance instance = Instance.builder(g.module()).withMachineFactory(recording).withStart(false).build();
        var trap = assertThrows(ChicoryException.class, () -> instance.export("_start").apply());
        assertTrue(interpreter == machine[0] instanceof NamingInterpreter, "the machine the mode asks for");
        return TrapSite.describe(trap, g.module(), machine[0]);
    }
}
