package io.wasix.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wasix.host.fs.MountSpec;
import io.wasix.host.net.Transport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * fs-calls.wasm (C, no libc) drives every preview1 file call and its error paths through the host
 * functions, on an in-memory mount and on a host directory: the same checks must hold on both.
 */
class FsGuestTest {
    @TempDir
    Path tmp;

    private Path layer() throws Exception {
        Path layer = Files.createDirectories(tmp.resolve("layer"));
        Files.writeString(layer.resolve("hello.txt"), "hello from the layer\n");
        return layer;
    }

    private String runGuest(MountSpec first) throws Exception {
        List<MountSpec> mounts = List.of(first.withQuota(64 * 1024, 64), MountSpec.memory("/other"),
                MountSpec.layer(layer(), "/ro"));
        GuestModulesTest.Run run = GuestModulesTest.run(HostConfig.of(Transport.NIO).withMounts(mounts), "fs-calls.wasm");
        assertEquals(0, run.exitCode(), run::stderr);
        String stdout = run.stdout();
        assertTrue(stdout.matches("fs-calls: \\d{3} checks passed\\n"), stdout);
        return stdout;
    }

    @Test
    void everyFileCallOnAnInMemoryMount() throws Exception {
        runGuest(MountSpec.memory("/"));
    }

    @Test
    void everyFileCallOnAHostDirectory() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("root"));
        Files.writeString(tmp.resolve("outside"), "secret");
        String first = runGuest(MountSpec.host(root, "/"));
        try (var left = Files.list(root)) {
            assertEquals(List.of(), left.toList(), "the guest cleans up after itself");
        }
        assertEquals("secret", Files.readString(tmp.resolve("outside")));
        assertEquals(first, runGuest(MountSpec.host(root, "/")), "a second run on the same directory agrees");
    }
}
