package io.wasix.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher as a WASI runtime: mounts from the command line, guest args after the module, and the
 * guest's exit status, stdout and stderr passed through unchanged (--quiet), as wasi-testsuite's adapter
 * runs it.
 */
class FsLauncherIT {
    private static final Path LAUNCHER = Path.of("target/appliance/bin/appliance");
    private static final Path TEST_GUESTS = Path.of("../wasm-host/src/test/guests");

    @TempDir
    Path tmp;

    private record Result(int status, String stdout, String stderr) {}

    private static Result run(List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(LAUNCHER.toString()));
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
        p.getOutputStream().close();
        var err = new java.util.concurrent.CompletableFuture<String>();
        Thread.ofPlatform().start(() -> {
            try {
                err.complete(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (Exception e) {
                err.completeExceptionally(e);
            }
        });
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return new Result(p.exitValue(), out, err.get(10, TimeUnit.SECONDS));
    }

    @Test
    void fileCallsThroughTheCommandLineMounts() throws Exception {
        Path root = Files.createDirectory(tmp.resolve("root"));
        Path layer = Files.createDirectory(tmp.resolve("layer"));
        Files.writeString(layer.resolve("hello.txt"), "hello from the layer\n");
        Result r = run(List.of("run", "--quiet", "--dir", root + "::/", "--tmpfs", "/other",
                "--ro-layer", layer + "::/ro", "--quota", "/=64K:64", TEST_GUESTS.resolve("fs-calls.wasm").toString()));
        assertEquals("", r.stderr, "--quiet leaves stderr to the guest");
        assertEquals(0, r.status);
        assertTrue(r.stdout.matches("fs-calls: \\d+ checks passed\\n"), r.stdout);
    }

    @Test
    void aFailingCheckIsTheGuestsOwnStatusAndStderr() throws Exception {
        // Without the third mount, the guest's first check of fd 5 fails: exit 1, its message on stderr.
        Path root = Files.createDirectory(tmp.resolve("root"));
        Result r = run(List.of("run", "--quiet", "--mapdir", "/:" + root, "--tmpfs", "/other",
                TEST_GUESTS.resolve("fs-calls.wasm").toString()));
        assertEquals(1, r.status, r.stderr);
        assertTrue(r.stderr.startsWith("fs-calls: line "), r.stderr);
        assertEquals("", r.stdout);
    }
}
