package io.wasix.appliance;

import com.dylibso.chicory.compiler.InterpreterFallback;
import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.InterpreterMachine;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExternalType;
import io.wasix.appliance.guests.HelloGuest;
import io.wasix.appliance.guests.KeepaliveGuest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A guest module ready to instantiate: parsed, checked, and with the machine that runs it (bytecode compiled
 * at build time for bundled guests, at load time for user modules, or the interpreter on request).
 * Immutable once loaded; shared by all shards.
 *
 * @param name what the boot line calls it
 * @param mode "compiled at build time", "compiled at load time" or "interpreted"
 */
record GuestModule(String name, WasmModule module, Function<Instance, Machine> machine, String mode) {

    /** Bundled guests by name: their parsed module and their build-time compiled machine. */
    private record Bundled(Supplier<WasmModule> load, Function<Instance, Machine> machine) {}

    private static final Map<String, Bundled> BUNDLED = Map.of(
            "hello", new Bundled(HelloGuest::load, HelloGuest::create),
            "keepalive", new Bundled(KeepaliveGuest::load, KeepaliveGuest::create));

    /** A module that cannot be used, with a one-line reason. */
    static final class LoadException extends Exception {
        LoadException(String message) {
            super(message, null, false, false);
        }
    }

    static GuestModule load(String nameOrPath, boolean interpreter) throws LoadException {
        Bundled bundled = BUNDLED.get(nameOrPath);
        if (bundled != null && !Files.exists(Path.of(nameOrPath))) {
            if (interpreter) {
                // Not bundled.load: the build-time compiler's copy of the module has no code bodies left.
                return new GuestModule(nameOrPath, bundledWasm(nameOrPath), InterpreterMachine::new, "interpreted");
            }
            return new GuestModule(nameOrPath, bundled.load.get(), bundled.machine, "compiled at build time");
        }
        Path path = Path.of(nameOrPath);
        if (!Files.isRegularFile(path)) {
            throw new LoadException(nameOrPath + ": no such file, and no bundled guest of that name (bundled: "
                    + String.join(", ", BUNDLED.keySet()) + ")");
        }
        WasmModule m;
        try {
            m = Parser.parse(path);
        } catch (ChicoryException | IllegalArgumentException | IndexOutOfBoundsException e) {
            throw new LoadException(path + ": not a valid WebAssembly module: " + oneLine(e));
        } catch (RuntimeException e) {
            throw new LoadException(path + ": cannot be read: " + oneLine(e));
        }
        checkExports(path.toString(), m);
        if (interpreter) {
            return new GuestModule(path.toString(), m, InterpreterMachine::new, "interpreted");
        }
        try {
            var factory = MachineFactoryCompiler.builder(m).withInterpreterFallback(InterpreterFallback.WARN).compile();
            return new GuestModule(path.toString(), m, factory, "compiled at load time");
        } catch (ChicoryException e) {
            throw new LoadException(path + ": cannot be compiled: " + oneLine(e));
        }
    }

    /** A bundled guest's original module, from the .wasm the build puts beside its compiled classes. */
    private static WasmModule bundledWasm(String name) throws LoadException {
        try (var in = GuestModule.class.getResourceAsStream("guests/" + name + ".wasm")) {
            if (in == null) {
                throw new LoadException(name + ": the bundled guest's .wasm is missing from this build");
            }
            return Parser.parse(in);
        } catch (java.io.IOException e) {
            throw new LoadException(name + ": cannot read the bundled guest's .wasm: " + oneLine(e));
        }
    }

    private static void checkExports(String name, WasmModule m) throws LoadException {
        boolean start = false;
        boolean memory = false;
        var exports = m.exportSection();
        for (int i = 0; i < exports.exportCount(); i++) {
            var e = exports.getExport(i);
            start |= e.name().equals("_start") && e.exportType() == ExternalType.FUNCTION;
            memory |= e.name().equals("memory") && e.exportType() == ExternalType.MEMORY;
        }
        if (!start) {
            throw new LoadException(name + ": exports no _start function (is it a WASI command module?)");
        }
        if (!memory) {
            throw new LoadException(name + ": exports no memory");
        }
    }

    static String oneLine(Throwable e) {
        String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return msg.replace('\n', ' ');
    }
}
