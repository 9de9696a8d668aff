package io.wasix.appliance.module;

import io.wasix.appliance.trap.NamingInterpreter;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
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
 * @param mode "compiled at build time", "compiled ahead of time: sha256:... from DIR" (an artifact of
 *     `appliance compile`), "compiled at load time[, N functions too large for a JVM method
 *     interpreted]: WHY NO ARTIFACT", or "interpreted"
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

    /** {@link #load(String, boolean, ArtifactCache)} with no artifact cache: a user module is compiled. */
    public static GuestModule load(String nameOrPath, boolean interpreter) throws LoadException {
        return load(nameOrPath, interpreter, ArtifactCache.NONE);
    }

    /**
     * A bundled guest by name, or a .wasm file: run from its artifact in {@code cache} when there is one for
     * exactly these bytes, else compiled now (the mode says why), or interpreted on request.
     */
    public static GuestModule load(String nameOrPath, boolean interpreter, ArtifactCache cache) throws LoadException {
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
        return load(path.toString(), bytes, interpreter, cache);
    }

    /** {@link #load(String, byte[], boolean, ArtifactCache)} with no artifact cache: the module is compiled. */
    static GuestModule load(String name, byte[] bytes, boolean interpreter) throws LoadException {
        return load(name, bytes, interpreter, ArtifactCache.NONE);
    }

    /**
     * {@code bytes}, a user module called {@code name}: run from its artifact in {@code cache} when there is one
     * for exactly these bytes, else parsed, checked and compiled now (the mode says why), or interpreted on
     * request. Whatever is wrong with them is a LoadException of one line: never another exception
     * (ModuleLoadFuzzTest holds it to that).
     */
    static GuestModule load(String name, byte[] bytes, boolean interpreter, ArtifactCache cache) throws LoadException {
        if (interpreter) {
            return new GuestModule(name, checked(name, bytes), NamingInterpreter::new, "interpreted");
        }
        String digest = Sha256.ofBytes(bytes);
        String miss;
        try {
            ModuleArtifact artifact = cache.lookup(digest);
            WasmModule meta = Parser.parse(artifact.meta());
            return new GuestModule(name, meta, ArtifactLoader.machineFactory(artifact),
                    "compiled ahead of time: " + ModuleArtifact.shortDigest(digest) + " from " + cache.dir());
        } catch (ModuleArtifact.UnusableException e) {
            miss = e.getMessage();
        } catch (RuntimeException | AssertionError | StackOverflowError e) {
            miss = "artifact " + cache.fileFor(digest) + " holds no valid module: " + ParseFailure.reason(e);
        }
        WasmModule m = checked(name, bytes);
        try {
            ModuleArtifact compiled = ModuleCompiler.compile(m, bytes, digest);
            int n = compiled.interpreted().size();
            String fallback = n == 0 ? "" : ", " + n + (n == 1 ? " function" : " functions")
                    + " too large for a JVM method interpreted";
            return new GuestModule(name, m, ArtifactLoader.machineFactory(compiled),
                    "compiled at load time" + fallback + ": " + miss);
        } catch (ModuleArtifact.UnusableException | RuntimeException | AssertionError | StackOverflowError
                | OutOfMemoryError e) {
            throw new LoadException(name + ": cannot be compiled: " + ParseFailure.reason(e));
        }
    }

    /** {@link #checked(String, byte[])} of a file. */
    public static WasmModule checked(Path path, byte[] wasm) throws LoadException {
        return checked(path.toString(), wasm);
    }

    /** {@code bytes} parsed, with everything that stops them from running here on one line. */
    public static WasmModule checked(String name, byte[] bytes) throws LoadException {
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
        return m;
    }

    /**
     * The module whose name section names functions in a trap line. The build-time compiler's copy of a bundled
     * guest keeps no name section, nor does an artifact's, so the original is parsed then, once the guest has
     * trapped.
     */
    public WasmModule withNames() {
        if (module.nameSection() != null || mode.equals("interpreted")) {
            return module;
        }
        try {
            // An artifact's copy of the module keeps no custom sections: the .wasm it was compiled from has them.
            return mode.equals("compiled at build time") ? bundledWasm(name) : Parser.parse(Path.of(name));
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
