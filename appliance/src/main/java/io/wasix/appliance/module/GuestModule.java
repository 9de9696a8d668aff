package io.wasix.appliance.module;

import io.wasix.appliance.trap.FallbackInterpreter;
import io.wasix.appliance.trap.FallbackMachine;
import io.wasix.appliance.trap.NamingInterpreter;

import com.dylibso.chicory.compiler.InterpreterFallback;
import com.dylibso.chicory.compiler.internal.ClassLoadingCollector;
import com.dylibso.chicory.compiler.internal.Compiler;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExternalType;
import io.wasix.appliance.guests.HelloGuest;
import io.wasix.appliance.guests.KeepaliveGuest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
public record GuestModule(String name, WasmModule module, Function<Instance, Machine> machine, String mode) {

    /** Bundled guests by name: their parsed module and their build-time compiled machine. */
    private record Bundled(Supplier<WasmModule> load, Function<Instance, Machine> machine) {}

    /** In the order --help lists them, which error messages keep. */
    private static final Map<String, Bundled> BUNDLED = new LinkedHashMap<>();

    static {
        BUNDLED.put("hello", new Bundled(HelloGuest::load, HelloGuest::create));
        BUNDLED.put("keepalive", new Bundled(KeepaliveGuest::load, KeepaliveGuest::create));
    }

    /** The bundled guests' names, in the order --help lists them. */
    public static Set<String> bundledNames() {
        return Collections.unmodifiableSet(BUNDLED.keySet());
    }

    /** A module that cannot be used, with a one-line reason. */
    public static final class LoadException extends Exception {
        private final boolean notFound;

        public LoadException(String message) {
            this(message, false);
        }

        LoadException(String message, boolean notFound) {
            super(printable(message), null, false, false);
            this.notFound = notFound;
        }

        /** The name is neither a file nor a bundled guest (perhaps a guest argument given without --). */
        public boolean notFound() {
            return notFound;
        }
    }

    public static GuestModule load(String nameOrPath, boolean interpreter) throws LoadException {
        Bundled bundled = BUNDLED.get(nameOrPath);
        if (bundled != null && !Files.exists(Path.of(nameOrPath))) {
            if (interpreter) {
                // Not bundled.load: the build-time compiler's copy of the module has no code bodies left.
                return new GuestModule(nameOrPath, bundledWasm(nameOrPath), NamingInterpreter::new, "interpreted");
            }
            return new GuestModule(nameOrPath, bundled.load.get(), bundled.machine, "compiled at build time");
        }
        Path path = Path.of(nameOrPath);
        if (!Files.exists(path)) {
            throw new LoadException(nameOrPath + ": no such file, and no bundled guest of that name (bundled: "
                    + String.join(", ", BUNDLED.keySet()) + ")", true);
        }
        byte[] bytes = ModuleFile.read(path);
        return load(path.toString(), bytes, interpreter);
    }

    /**
     * Parses, checks and prepares {@code bytes}, a user module called {@code name}. Whatever is wrong with
     * them is a LoadException of one line: never another exception (ModuleLoadFuzzTest holds it to that).
     */
    static GuestModule load(String name, byte[] bytes, boolean interpreter) throws LoadException {
        String refusal = ParseFailure.beforeParse(bytes);
        if (refusal != null) {
            throw new LoadException(name + ": " + refusal);
        }
        WasmModule m;
        try {
            m = Parser.parse(bytes);
        } catch (RuntimeException | AssertionError | StackOverflowError | OutOfMemoryError e) {
            // Chicory's parser throws more than ChicoryException on hostile bytes: index and buffer errors, and
            // (with -ea) its own asserts, which ModuleLoadFuzzTest found on a code section.
            throw new LoadException(name + ": " + ParseFailure.explain(bytes, e));
        }
        List<String> problems;
        try {
            problems = ModuleCheck.problems(m);
        } catch (RuntimeException e) {
            // A module that parsed but whose sections contradict each other (an export of a function it lacks).
            throw new LoadException(name + ": invalid: " + ParseFailure.reason(e));
        }
        if (!problems.isEmpty()) {
            throw new LoadException(name + ": " + String.join("; ", problems));
        }
        if (interpreter) {
            return new GuestModule(name, m, NamingInterpreter::new, "interpreted");
        }
        try {
            return new GuestModule(name, m, compile(m), "compiled at load time");
        } catch (RuntimeException | AssertionError | StackOverflowError | OutOfMemoryError e) {
            throw new LoadException(name + ": cannot be compiled: " + ParseFailure.reason(e));
        }
    }

    /**
     * Compiles as MachineFactoryCompiler does, through the compiler it wraps, which also says which functions
     * were too large for a JVM method and fell back to the interpreter: those then run on a
     * {@link FallbackInterpreter}, so a trap in one of them is named.
     */
    private static Function<Instance, Machine> compile(WasmModule m) {
        var result = Compiler.builder(m)
                .withClassCollectorFactory(ClassLoadingCollector::new)
                .withInterpreterFallback(InterpreterFallback.WARN)
                .build()
                .compile();
        Function<Instance, Machine> compiled = ((ClassLoadingCollector) result.collector()).machineFactory();
        var interpreted = java.util.Set.copyOf(result.interpretedFunctions());
        if (interpreted.isEmpty()) {
            return compiled;
        }
        int[] ids = interpreted.stream().mapToInt(Integer::intValue).sorted().toArray();
        return instance -> new FallbackMachine(compiled.apply(instance), new FallbackInterpreter(instance, ids), interpreted);
    }

    /**
     * The module whose name section names functions in a trap line. The build-time compiler's copy of a bundled
     * guest keeps no name section, so its original is parsed then, once the guest has trapped.
     */
    public WasmModule withNames() {
        if (module.nameSection() != null || !mode.equals("compiled at build time")) {
            return module;
        }
        try {
            return bundledWasm(name);
        } catch (LoadException | RuntimeException e) {
            return module; // the index alone still places the trap
        }
    }

    /** A bundled guest's original module, from the .wasm the build puts beside its compiled classes. */
    private static WasmModule bundledWasm(String name) throws LoadException {
        try (var in = GuestModule.class.getResourceAsStream("/io/wasix/appliance/guests/" + name + ".wasm")) {
            if (in == null) {
                throw new LoadException(name + ": the bundled guest's .wasm is missing from this build");
            }
            return Parser.parse(in);
        } catch (java.io.IOException e) {
            throw new LoadException(name + ": cannot read the bundled guest's .wasm: " + oneLine(e));
        }
    }

    /**
     * {@code text} on one line of printable characters: control characters and line separators, which a module
     * can put in its import, export and function names (and a user in a file name), become escapes such as
     * {@code \n} or {@code \x07}, so that a message about the module stays one line. Found by ModuleLoadFuzzTest.
     */
    public static String printable(String text) {
        StringBuilder b = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean control = c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == '\u2028' || c == '\u2029';
            if (!control) {
                if (b != null) {
                    b.append(c);
                }
                continue;
            }
            if (b == null) {
                b = new StringBuilder(text.length() + 8).append(text, 0, i);
            }
            switch (c) {
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> b.append(c < 0x100 ? String.format("\\x%02x", (int) c) : String.format("\\u%04x", (int) c));
            }
        }
        return b == null ? text : b.toString();
    }

    public static String oneLine(Throwable e) {
        String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return msg.replace('\n', ' ');
    }
}
