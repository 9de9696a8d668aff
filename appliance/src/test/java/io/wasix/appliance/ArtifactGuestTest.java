package io.wasix.appliance;

import static io.wasix.appliance.KeepaliveGuestTest.GET;
import static io.wasix.appliance.KeepaliveGuestTest.OK_KEEP;
import static io.wasix.appliance.KeepaliveGuestTest.readN;
import static io.wasix.appliance.KeepaliveGuestTest.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wasix.appliance.compile.CompileCommandAccess;
import io.wasix.appliance.module.ArtifactCache;
import io.wasix.appliance.module.GuestModule;
import io.wasix.host.net.Transport;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The keep-alive guest as a user's module: `appliance compile` writes its artifact, and a real host serves it
 * from there on a free loopback port, on every transport this machine has.
 */
class ArtifactGuestTest {
    private static final Path KEEPALIVE = Path.of("src/main/guests/keepalive.wasm");

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aCompiledUsersModuleServesFromItsArtifact(Transport t) throws Exception {
        Path wasm = Files.copy(KEEPALIVE, dir.resolve("server.wasm"));
        ArtifactCache cache = new ArtifactCache(dir.resolve("cache"), "--cache");
        assertEquals(0, CompileCommandAccess.compile(wasm, cache.dir()));
        AtomicReference<GuestModule> loaded = new AtomicReference<>();
        try (var server = new KeepaliveGuestTest.Server(t, "server", () -> {
                    loaded.set(GuestModule.load(wasm.toString(), false, cache));
                    return loaded.get();
                });
                Socket s = server.connect()) {
            assertTrue(loaded.get().mode().startsWith("compiled ahead of time: sha256:"), loaded.get().mode());
            for (int i = 0; i < 3; i++) {
                write(s, GET);
                assertEquals(OK_KEEP, readN(s, OK_KEEP.length()), "request " + i);
            }
        }
    }
}
