package io.wasix.appliance.module;

import com.dylibso.chicory.compiler.InterpreterFallback;
import com.dylibso.chicory.compiler.internal.ByteClassCollector;
import com.dylibso.chicory.compiler.internal.Compiler;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.WasmWriter;
import com.dylibso.chicory.wasm.types.RawSection;
import com.dylibso.chicory.wasm.types.SectionId;
import java.io.ByteArrayOutputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Compiles a checked module to JVM classes with Chicory's compiler, as bytes (an artifact), whether for
 * `appliance compile` or for a module compiled at load time: both then load through {@link ArtifactLoader}.
 * Functions too large for a JVM method are left to the interpreter, silently: the guest's stderr is the guest's
 * (a wasmer-built program's must match what it prints on wasmer), and the boot line's mode counts them.
 * Stateless; any thread.
 */
public final class ModuleCompiler {
    private static final int UNREACHABLE = 0x00, END = 0x0b;

    private ModuleCompiler() {}

    /** {@code module} is {@code wasm} parsed; {@code digest} its SHA-256. */
    public static ModuleArtifact compile(WasmModule module, byte[] wasm, String digest) {
        var result = Compiler.builder(module)
                .withClassCollectorFactory(ByteClassCollector::new)
                .withInterpreterFallback(InterpreterFallback.SILENT)
                .build()
                .compile();
        // Sorted by name, so that the same module always makes the same artifact, byte for byte.
        Map<String, byte[]> classes = new LinkedHashMap<>();
        new TreeMap<>(result.classBytes()).forEach((name, bytes) -> classes.put(name.replace('/', '.'), bytes));
        Set<Integer> interpreted = Set.copyOf(result.interpretedFunctions());
        return new ModuleArtifact(digest, ModuleArtifact.COMPILER, result.collector().mainClassName().replace('/', '.'),
                interpreted, meta(wasm, module, interpreted), classes);
    }

    /**
     * The module as boot needs it: every section but the custom ones (names, debug info: a trap re-reads the
     * original .wasm for names), and each compiled function's body replaced by {@code unreachable}, which
     * validates for any signature. Interpreted functions keep their code: the interpreter runs it.
     */
    static byte[] meta(byte[] wasm, WasmModule module, Set<Integer> interpreted) {
        int imported = module.importSection().count(com.dylibso.chicory.wasm.types.ExternalType.FUNCTION);
        WasmWriter writer = new WasmWriter();
        Parser.parseWithoutDecoding(wasm, section -> {
            if (section.sectionId() == SectionId.CODE) {
                writer.writeSection(SectionId.CODE, emptied(((RawSection) section).contents(), imported, interpreted));
            } else if (section.sectionId() != SectionId.CUSTOM) {
                writer.writeSection((RawSection) section);
            }
        });
        return writer.bytes();
    }

    /** A code section's contents with the bodies of all but the {@code interpreted} functions emptied. */
    private static byte[] emptied(byte[] code, int imported, Set<Integer> interpreted) {
        int[] at = {0};
        int count = readU32(code, at);
        ByteArrayOutputStream out = new ByteArrayOutputStream(interpreted.isEmpty() ? 8 + 4 * count : code.length);
        WasmWriter.writeVarUInt32(out, count);
        for (int i = 0; i < count; i++) {
            int size = readU32(code, at);
            if (interpreted.contains(imported + i)) {
                WasmWriter.writeVarUInt32(out, size);
                out.write(code, at[0], size);
            } else {
                out.write(3); // body size: no locals, unreachable, end
                out.write(0);
                out.write(UNREACHABLE);
                out.write(END);
            }
            at[0] += size;
        }
        return out.toByteArray();
    }

    /** An unsigned LEB128 u32 at {@code at[0]}, which it advances. */
    private static int readU32(byte[] b, int[] at) {
        int value = 0;
        for (int shift = 0; shift < 35; shift += 7) {
            byte x = b[at[0]++];
            value |= (x & 0x7f) << shift;
            if ((x & 0x80) == 0) {
                return value;
            }
        }
        throw new IllegalArgumentException("malformed LEB128 in the code section");
    }
}
