package io.wasix.appliance.module;

import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import io.wasix.host.WasixHost;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything that stops a parsed module from running on this host, found before it is compiled, so one line
 * can list it all. The order is the most telling first: imports this host lacks usually mean the module was
 * built for another runtime (a memory imported under another name is also why such a module exports none), so
 * they lead; then the exports a WASI command needs (a memory: exported, or imported as env.memory, which the
 * host creates); then a memory too large for this host. Stateless; any thread.
 */
public final class ModuleCheck {
    private static final long MIB = 1L << 20;

    private ModuleCheck() {}

    /** The problems, in the order above; empty when the module can run. */
    static List<String> problems(WasmModule m) {
        List<String> problems = new ArrayList<>();
        List<String> missing = WasixHost.missingImports(m);
        if (!missing.isEmpty()) {
            problems.add("imports what this host does not provide: " + String.join(", ", missing));
        }
        boolean start = false;
        boolean memory = false;
        var exports = m.exportSection();
        for (int i = 0; i < exports.exportCount(); i++) {
            var e = exports.getExport(i);
            if (e.name().equals("_start") && e.exportType() == ExternalType.FUNCTION) {
                start = true;
                FunctionType type = functionType(m, (int) e.index());
                if (type == null) {
                    problems.add("exports _start as function " + e.index() + ", which it does not have");
                } else if (!type.params().isEmpty() || !type.returns().isEmpty()) {
                    problems.add("its _start has the signature " + signature(type)
                            + "; a WASI command's _start takes and returns nothing: () -> ()");
                }
            }
            memory |= e.name().equals("memory") && e.exportType() == ExternalType.MEMORY;
        }
        if (!start) {
            problems.add("exports no _start function (is it a WASI command module?)");
        }
        if (!memory && WasixHost.importedMemoryLimits(m) == null) {
            problems.add("exports no memory"); // an imported env.memory is created by the host
        }
        int pages = initialPages(m);
        if (pages > Memory.RUNTIME_MAX_PAGES) {
            problems.add("its memory starts at " + pages + " pages (" + mib(pages) + " MiB), more than the "
                    + Memory.RUNTIME_MAX_PAGES + " pages (" + mib(Memory.RUNTIME_MAX_PAGES)
                    + " MiB) a guest memory can have here");
        }
        return problems;
    }

    /**
     * Null, or why {@code shards} instances of the module do not fit in the JVM's heap: each shard's memory
     * is allocated in full at start, and a heap that cannot hold it fails with OutOfMemoryError mid-boot.
     */
    public static String heapProblem(WasmModule m, int shards, long maxHeap) {
        int pages = initialPages(m);
        long need = (long) pages * Memory.PAGE_SIZE * shards;
        if (need <= maxHeap) {
            return null;
        }
        return "its memory starts at " + pages + " pages (" + mib(pages) + " MiB)"
                + (shards == 1 ? "" : " per shard, " + need / MIB + " MiB for " + shards + " shards")
                + ", more than the JVM's heap (" + maxHeap / MIB + " MiB; raise it with JDK_JAVA_OPTIONS=-Xmx...)";
    }

    /** The type of function {@code index} (imports first, as wasm numbers them), or null if there is none. */
    private static FunctionType functionType(WasmModule m, int index) {
        if (index < 0) {
            return null;
        }
        int imported = 0;
        var imports = m.importSection();
        for (int i = 0; i < imports.importCount(); i++) {
            if (imports.getImport(i) instanceof FunctionImport f) {
                if (imported == index) {
                    return typeOrNull(m, f.typeIndex());
                }
                imported++;
            }
        }
        int local = index - imported;
        if (local >= m.functionSection().functionCount()) {
            return null;
        }
        return typeOrNull(m, m.functionSection().getFunctionType(local));
    }

    private static FunctionType typeOrNull(WasmModule m, int typeIndex) {
        return typeIndex >= 0 && typeIndex < m.typeSection().typeCount() ? m.typeSection().getType(typeIndex) : null;
    }

    /** "(i32, i64) -> (i32)", as the wasm text format lists them. */
    private static String signature(FunctionType t) {
        return "(" + String.join(", ", t.params().stream().map(ModuleCheck::valType).toList()) + ") -> ("
                + String.join(", ", t.returns().stream().map(ModuleCheck::valType).toList()) + ")";
    }

    private static String valType(ValType v) {
        return v.toString().toLowerCase(java.util.Locale.ROOT);
    }

    /** The pages the module's memory starts with (0 without a memory), imported or its own. */
    public static int initialPages(WasmModule m) {
        var imported = WasixHost.importedMemoryLimits(m);
        if (imported != null) {
            return imported.initialPages();
        }
        return m.memorySection()
                .filter(s -> s.memoryCount() > 0)
                .map(s -> s.getMemory(0).limits().initialPages())
                .orElse(0);
    }

    private static long mib(int pages) {
        return (long) pages * Memory.PAGE_SIZE / MIB;
    }
}
