package io.wasix.appliance.module;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * Module loading (parse, ModuleCheck, compile) on random and mutated modules (issue 10): each input either
 * loads or is refused with one line, never another exception, never a hang (each case under a JUnit timeout,
 * which Jazzer also applies to every fuzzing run).
 *
 * <p>An input starts with a choice: raw bytes (the rest of the input, a module from nothing), or one of our
 * guests (bundled and test guests, from their committed .wasm) with up to 16 mutations the input describes:
 * set a byte, insert or delete a run, cut the end, copy a run elsewhere, or nudge a LEB128 size. Mutating real
 * modules reaches the sections' contents, where random bytes rarely get past the magic.
 *
 * <p>Regression inputs: src/test/resources/io/wasix/appliance/module/ModuleLoadFuzzTestInputs. Test thread.
 */
class ModuleLoadFuzzTest {
    private static final List<byte[]> SEEDS = seeds();

    private static List<byte[]> seeds() {
        List<Path> paths = List.of(Path.of("src/main/guests/hello.wasm"), Path.of("src/main/guests/keepalive.wasm"),
                Path.of("src/test/guests/stack-exhaust.wasm"), Path.of("src/test/guests/foreign-imports.wasm"),
                Path.of("src/test/guests/uncaught-exception.wasm"), Path.of("src/test/guests/big-table.wasm"),
                Path.of("../wasm-host/src/test/guests/fs-calls.wasm"), Path.of("../wasm-host/src/test/guests/trap.wasm"));
        return paths.stream().map(p -> {
            try {
                return Files.readAllBytes(p);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }).toList();
    }

    @FuzzTest(maxDuration = "5s")
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void loadsOrRefusesOnOneLine(FuzzedDataProvider data) {
        boolean interpreter = data.consumeInt(0, 3) == 0; // no compile: more inputs a second
        byte[] module = data.consumeBoolean() ? mutated(data) : data.consumeRemainingAsBytes();
        try {
            GuestModule.load("fuzzed.wasm", module, interpreter);
        } catch (GuestModule.LoadException e) {
            String line = e.getMessage();
            assertTrue(line.startsWith("fuzzed.wasm: "), line);
            assertFalse(line.contains("\n") || line.contains("\r"), () -> "more than one line: " + line);
            assertFalse(line.matches(".*\\b(java|com\\.dylibso)\\.[a-z.]+[A-Z]\\w*(Exception|Error)\\b.*"),
                    () -> "a Java exception's name instead of a reason: " + line);
        }
    }

    private static byte[] mutated(FuzzedDataProvider data) {
        byte[] b = SEEDS.get(data.consumeInt(0, SEEDS.size() - 1)).clone();
        int n = data.consumeInt(1, 16);
        for (int i = 0; i < n && b.length > 0; i++) {
            int at = data.consumeInt(0, b.length - 1);
            switch (data.consumeInt(0, 5)) {
                case 0 -> b[at] = data.consumeByte();
                case 1 -> { // insert a run
                    byte[] run = data.consumeBytes(data.consumeInt(1, 8));
                    byte[] c = new byte[b.length + run.length];
                    System.arraycopy(b, 0, c, 0, at);
                    System.arraycopy(run, 0, c, at, run.length);
                    System.arraycopy(b, at, c, at + run.length, b.length - at);
                    b = c;
                }
                case 2 -> { // delete a run
                    int len = Math.min(data.consumeInt(1, 64), b.length - at);
                    byte[] c = new byte[b.length - len];
                    System.arraycopy(b, 0, c, 0, at);
                    System.arraycopy(b, at + len, c, at, b.length - at - len);
                    b = c;
                }
                case 3 -> b = java.util.Arrays.copyOf(b, at); // cut the end
                case 4 -> { // copy a run over another place
                    int from = data.consumeInt(0, b.length - 1);
                    int len = Math.min(Math.min(data.consumeInt(1, 32), b.length - from), b.length - at);
                    System.arraycopy(b.clone(), from, b, at, len);
                }
                default -> b[at] = (byte) (b[at] + data.consumeInt(-3, 3)); // nudge: sizes, counts, indices
            }
        }
        return b;
    }
}
