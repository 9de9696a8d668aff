package io.wasix.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A send or WAITALL receive whose iovecs add up to ~2 GiB, in the launched appliance with 32 MiB of direct
 * memory and 160 MiB of heap (the guest's own memory is 64 MiB of it): the host must take such calls in pieces.
 * Before, the send allocated the whole total as one direct buffer and the receive one heap array ("host error",
 * exit 1). The guest is wasm-host's bounded-io test guest.
 */
class BoundedIoIT {
    private static final Path LAUNCHER = Path.of("target/appliance/bin/appliance");
    private static final Path GUEST = Path.of("../wasm-host/src/test/guests/bounded-io.wasm");

    @ParameterizedTest
    @ValueSource(strings = {"send", "waitall"})
    @Timeout(60)
    void hugeIovecsRunInLittleMemory(String mode) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(LAUNCHER.toString(), "run", "--net", GUEST.toString(), mode);
        pb.environment().put("JDK_JAVA_OPTIONS", "-XX:MaxDirectMemorySize=32m -Xmx160m");
        pb.environment().remove("APPLIANCE_EXEC_TIME");
        Process p = pb.start();
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (java.io.IOException e) {
                return e.toString();
            }
        });
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(50, TimeUnit.SECONDS), "the appliance did not finish");
        assertEquals(0, p.exitValue(), "stdout: " + out + "\nstderr: " + err.get());
        List<String> lines = out.lines().toList();
        if (mode.equals("send")) {
            assertEquals(1, lines.size(), out);
            String[] parts = lines.get(0).split("[= ]");
            long sent = Long.parseLong(parts[1]), received = Long.parseLong(parts[3]);
            assertEquals(sent, received, "every byte sent was received: " + out);
            assertTrue(received >= 256L << 20, out);
        } else {
            assertEquals(List.of("waitall=2"), lines, "WAITALL ends at the peer's FIN with what came");
        }
    }
}
