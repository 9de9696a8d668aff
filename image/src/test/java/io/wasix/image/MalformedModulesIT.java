package io.wasix.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10's malformed modules through the launcher, as a user meets them: each is one line on stderr naming
 * what is wrong, status 1, and no stack trace; an uncaught wasm exception is a trap, status 134. The broken
 * binaries are our own guests with one defect each (committed WAT, or hello.wasm cut or patched here).
 */
@Timeout(120)
class MalformedModulesIT {
    private static final Path LAUNCHER = Path.of("target/appliance/bin/appliance");
    private static final Path GUESTS = Path.of("../appliance/src/test/guests");
    private static final Path HELLO = Path.of("../appliance/src/main/guests/hello.wasm");

    private record Result(int status, String stderr) {}

    private static Result run(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(LAUNCHER.toString(), "run", "--quiet"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return new Result(p.exitValue(), err);
    }

    /** Status 1 and exactly one line, "appliance: PATH: " then {@code expected}. */
    private static void refused(Path module, String expected) throws Exception {
        Result r = run(module.toString());
        assertEquals(1, r.status, r.stderr);
        assertEquals("appliance: " + module + ": " + expected + "\n", r.stderr);
    }

    private static Path write(Path dir, String name, byte[] bytes) throws Exception {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    @Test
    void aWrongStartSignatureIsOneLine() throws Exception {
        refused(GUESTS.resolve("bad-start-signature.wasm"),
                "its _start has the signature (i32) -> (i32); a WASI command's _start takes and returns nothing: () -> ()");
    }

    @Test
    void aTableBeyondTheLimitSaysSo() throws Exception {
        refused(GUESTS.resolve("big-table.wasm"), "section 3 (table) at offset 18: table 0 starts at 100,000,000 "
                + "entries, more than the 10,000,000 a table can have here");
    }

    @Test
    void aWrongVersionAndATruncatedSectionAreNamed(@TempDir Path dir) throws Exception {
        byte[] hello = Files.readAllBytes(HELLO);
        byte[] v2 = hello.clone();
        v2[4] = 2;
        refused(write(dir, "v2.wasm", v2), "unsupported binary version 2 (this host runs version 1)");
        Result cut = run(write(dir, "cut.wasm", Arrays.copyOf(hello, hello.length / 2)).toString());
        assertEquals(1, cut.status, cut.stderr);
        assertTrue(cut.stderr.matches("appliance: \\S+cut.wasm: truncated section \\d+ \\(code\\) at offset \\d+: "
                + "it declares \\d+ bytes, \\d+ remain\n"), cut.stderr);
        refused(write(dir, "empty.wasm", new byte[0]), "is empty, not a WebAssembly module");
        refused(write(dir, "header.wasm", Arrays.copyOf(hello, 6)),
                "truncated in its header: 6 bytes, where the magic and version alone take 8");
    }

    @Test
    void anUncaughtWasmExceptionIsATrap() throws Exception {
        for (String mode : List.of("--transport=auto", "--interpreter")) {
            Result r = run(mode, GUESTS.resolve("uncaught-exception.wasm").toString());
            assertEquals(134, r.status, mode + ": " + r.stderr);
            assertTrue(r.stderr.startsWith("appliance: shard 0: guest trapped: uncaught wasm exception (tag 0)"), r.stderr);
            assertEquals(1, r.stderr.lines().count(), r.stderr);
        }
    }
}
