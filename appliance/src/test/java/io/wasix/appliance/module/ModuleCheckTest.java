package io.wasix.appliance.module;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.dylibso.chicory.wasm.Parser;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What stops a module from running here, all of it, most telling first; and the bundled guests' names. */
class ModuleCheckTest {
    private static final Path GUESTS = Path.of("src/test/guests");

    @Test
    void missingImportsComeBeforeTheMissingMemoryExport() throws Exception {
        assertEquals(List.of("imports what this host does not provide: wasix_32v1.frobnicate, env.mem (memory)",
                        "exports no memory"),
                ModuleCheck.problems(Parser.parse(GUESTS.resolve("foreign-imports.wasm"))));
    }

    @Test
    void aMemoryLargerThanAGuestCanHaveIsAProblem() throws Exception {
        assertEquals(List.of("its memory starts at 65536 pages (4096 MiB), more than the 32767 pages (2047 MiB) "
                        + "a guest memory can have here"),
                ModuleCheck.problems(Parser.parse(GUESTS.resolve("big-memory.wasm"))));
    }

    @Test
    void aGoodModuleHasNone() throws Exception {
        assertEquals(List.of(), ModuleCheck.problems(Parser.parse(GUESTS.resolve("stack-exhaust.wasm"))));
    }

    /** stack-exhaust.wasm starts with one page (64 KiB) per shard, big-memory.wasm with 65536 (4 GiB). */
    @Test
    void theHeapMustHoldEveryShardsMemory() throws Exception {
        assertNull(ModuleCheck.heapProblem(Parser.parse(GUESTS.resolve("stack-exhaust.wasm")), 4, 4 * 65536));
        var big = Parser.parse(GUESTS.resolve("big-memory.wasm"));
        assertEquals("its memory starts at 65536 pages (4096 MiB) per shard, 8192 MiB for 2 shards, more than the "
                + "JVM's heap (1024 MiB; raise it with JDK_JAVA_OPTIONS=-Xmx...)", ModuleCheck.heapProblem(big, 2, 1L << 30));
        assertEquals("its memory starts at 65536 pages (4096 MiB), more than the JVM's heap (1024 MiB; raise it with "
                + "JDK_JAVA_OPTIONS=-Xmx...)", ModuleCheck.heapProblem(big, 1, 1L << 30));
    }

    @Test
    void theLoadErrorListsEveryProblemOnOneLine() {
        String path = GUESTS.resolve("foreign-imports.wasm").toString();
        var e = assertThrows(GuestModule.LoadException.class, () -> GuestModule.load(path, false));
        assertEquals(path + ": imports what this host does not provide: wasix_32v1.frobnicate, env.mem (memory); "
                + "exports no memory", e.getMessage());
    }

    /** In --help's order, every run: the list came from Map.of, whose order changes from run to run. */
    @Test
    void theBundledGuestsAreListedInAStableOrder() {
        var e = assertThrows(GuestModule.LoadException.class, () -> GuestModule.load("no-such-guest", false));
        assertEquals("no-such-guest: no such file, and no bundled guest of that name (bundled: hello, keepalive)",
                e.getMessage());
    }

    /** A module's names reach our messages: a newline in one must not split the line (ModuleLoadFuzzTest). */
    @Test
    void namesFromTheModuleAreEscapedOntoOneLine() {
        assertEquals("wasix_32v1.s\\nG_bind\\x07\\u2028x", GuestModule.printable("wasix_32v1.s\nG_bind\u0007\u2028x"));
        assertEquals("plain", GuestModule.printable("plain"));
    }

    /**
     * A type section whose counts its bytes cannot hold is refused before Chicory sizes lists by them: a
     * function type claiming 200,000,000 parameters in 4 bytes once had it allocate ~800 MB per type.
     */
    @Test
    void aTypeCountTheSectionCannotHoldIsRefusedBeforeParsing() {
        byte[] module = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
            0x01, 0x07, // type section, 7 bytes
            0x01, 0x60, (byte) 0x80, (byte) 0x84, (byte) 0xaf, 0x5f, 0x00}; // 1 type: 200,000,000 params
        var e = assertThrows(GuestModule.LoadException.class, () -> GuestModule.load("big.wasm", module, false));
        assertEquals("big.wasm: section 1 (type) at offset 8: type 0 declares 200000000 parameters in the 1 bytes left",
                e.getMessage());
    }
}
