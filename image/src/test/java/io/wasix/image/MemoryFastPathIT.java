package io.wasix.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The linked runtime gives the host its page-by-page copy of guest memory. On the class path (unit tests,
 * JMH) the reflection behind it always works; in the image Chicory is a named module, and only jlink.conf's
 * --add-opens makes it work. Without this test, losing that option would only show as slower file calls.
 */
class MemoryFastPathIT {
    @Test
    void theImageOpensChicorysMemoryToTheHost() throws Exception {
        Path image = Path.of("target/appliance");
        String cp = Path.of("target/test-classes").toAbsolutePath() + ":" + image.resolve("lib/app/wasm-host.jar").toAbsolutePath();
        // -Xshare:off: this class path is not the trained one, and the AOT cache would only warn about it.
        Process p = new ProcessBuilder(image.resolve("bin/java").toString(), "-Xshare:off", "-cp", cp,
                "io.wasix.host.abi.MemoryPagesProbe").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the probe did not finish");
        assertEquals(0, p.exitValue(), out);
        assertEquals("ByteArrayMemory=true\nByteBufferMemory=true\n", out);
    }
}
