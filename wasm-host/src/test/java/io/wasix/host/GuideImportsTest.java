package io.wasix.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import io.wasix.host.syscalls.Syscalls;
import io.wasix.host.syscalls.WasixCatalog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The guide's table of every import a guest can have (docs/guests.md) is exactly what the host provides: one
 * row per function name and signature, with what each import module's function does here (implemented, or
 * which kind of stub), generated from the host's own registry ({@link WasixCatalog}, {@link Syscalls#stubs()});
 * and its line on {@code env.memory} says what the host does with an imported memory.
 */
class GuideImportsTest {
    static final Path GUIDE = Path.of("../docs/guests.md");
    static final String START = "<!-- imports-table: generated from WasixCatalog; GuideImportsTest checks it -->";
    static final String END = "<!-- end of imports-table -->";
    /** Where a failing run leaves the table it expected. */
    static final Path WRITTEN = Path.of("target/imports-table.md");
    static final List<String> MODULES = List.of(WasixCatalog.WASIX, WasixCatalog.PREVIEW1, WasixCatalog.PREVIEW0);

    /** A module that imports only a memory, env.memory, as wasix-libc links every module. */
    static final byte[] IMPORTS_ENV_MEMORY = {
            0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
            0x02, 0x0f, 0x01,                                 // import section, 15 bytes, 1 import
            0x03, 'e', 'n', 'v', 0x06, 'm', 'e', 'm', 'o', 'r', 'y',
            0x02, 0x00, 0x01                                  // a memory, no maximum, 1 page
    };

    static String signature(FunctionType t) {
        String params = t.params().stream().map(GuideImportsTest::name).collect(Collectors.joining(" "));
        String results = t.returns().isEmpty() ? "()" : t.returns().stream().map(GuideImportsTest::name)
                .collect(Collectors.joining(" "));
        return "(" + params + ") → " + results;
    }

    private static String name(ValType v) {
        return v.toString().toLowerCase(java.util.Locale.ROOT);
    }

    static String cell(WasixCatalog.Entry e, Set<WasixCatalog.Entry> stubs) {
        if (e == null) {
            return "–";
        }
        if (!stubs.contains(e)) {
            return "✓";
        }
        return switch (e.stub()) {
            case ERRNO -> "ENOTSUP";
            case IGNORED -> "ignored";
            case NORETURN -> "traps";
        };
    }

    static String table() {
        Set<WasixCatalog.Entry> stubs = Set.copyOf(Syscalls.stubs());
        // one row per name and signature, in name order; wasix_32v1's entries come first in the catalog
        Map<String, Map<String, WasixCatalog.Entry>> rows = new LinkedHashMap<>();
        WasixCatalog.entries().stream()
                .sorted(java.util.Comparator.comparing(WasixCatalog.Entry::name))
                .forEach(e -> rows.computeIfAbsent("| `" + e.name() + "` | " + signature(e.type()) + " |",
                        k -> new LinkedHashMap<>()).put(e.module(), e));
        StringBuilder b = new StringBuilder(START).append('\n');
        b.append("| function | parameters → result | `wasix_32v1` | `wasi_snapshot_preview1` | `wasi_unstable` |\n");
        b.append("|---|---|---|---|---|\n");
        rows.forEach((row, byModule) -> {
            b.append(row);
            for (String module : MODULES) {
                b.append(' ').append(cell(byModule.get(module), stubs)).append(" |");
            }
            b.append('\n');
        });
        b.append('\n');
        for (String module : MODULES) {
            long all = WasixCatalog.entries().stream().filter(e -> e.module().equals(module)).count();
            long real = WasixCatalog.entries().stream().filter(e -> e.module().equals(module) && !stubs.contains(e)).count();
            b.append("- `").append(module).append("`: ").append(all).append(" rows, ").append(real)
                    .append(" implemented, ").append(all - real).append(all - real == 1 ? " stub\n" : " stubs\n");
        }
        b.append('\n');
        List<String> missing = WasixHost.missingImports(Parser.parse(IMPORTS_ENV_MEMORY));
        b.append(missing.isEmpty()
                ? "`env.memory`: provided. A module that imports its memory (as wasix-libc links every program) gets one\n"
                        + "made from the limits it declares, shared if it says so.\n"
                : "`env.memory`: not provided by this build. A module that imports its memory instead of exporting it\n"
                        + "(wasix-libc links every program that way) is refused at load, and the message names `env.memory (memory)`.\n");
        return b.append(END).toString();
    }

    @Test
    void theGuideListsExactlyTheImportsTheHostProvides() throws Exception {
        String guide = Files.readString(GUIDE);
        int start = guide.indexOf(START);
        int end = guide.indexOf(END);
        String expected = table();
        String actual = start < 0 || end < start ? "" : guide.substring(start, end + END.length());
        if (!expected.equals(actual)) {
            Files.writeString(WRITTEN, expected + "\n"); // to paste between the markers
        }
        if (start < 0 || end < start) {
            fail("docs/guests.md has no imports table; add " + WRITTEN.toAbsolutePath());
        }
        assertEquals(expected, actual,
                "docs/guests.md's imports table is out of date; replace it with " + WRITTEN.toAbsolutePath());
    }
}
