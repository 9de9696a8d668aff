package io.wasix.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a boot of the linked image loads, from the JVM's class-load log of a real boot to its first response
 * and exit: the classes that cost a boot most are the ones the AOT cache cannot hold, so the appliance must
 * not load them for nothing (bench/results/boot-2026-12-05.md measured each).
 */
@Timeout(60)
class BootClassesIT {
    @TempDir
    Path dir;

    private List<String> bootLog() throws Exception {
        Path log = dir.resolve("class-load.log");
        int port = InFlightRequest.freePort();
        ProcessBuilder pb = new ProcessBuilder("target/appliance/bin/appliance", "run")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("PORT", Integer.toString(port));
        pb.environment().put("JDK_JAVA_OPTIONS", "-Xlog:class+load=info:file=" + log + ":none");
        Process p = pb.start();
        try {
            assertTrue(InFlightRequest.get(port, 20_000).endsWith("Hello, World!"));
            p.destroy();
            assertTrue(p.waitFor(10, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue());
        } finally {
            p.destroyForcibly();
        }
        return Files.readAllLines(log);
    }

    /** Our classes, Netty's and Chicory's all come from the AOT cache the build trained. */
    @Test
    void everyClassOfTheBootPathComesFromTheAotCache() throws Exception {
        List<String> notCached = bootLog().stream()
                .filter(l -> l.startsWith("io.wasix.") || l.startsWith("io.netty.") || l.startsWith("com.dylibso."))
                .filter(l -> !l.contains("/0x")) // hidden classes (a pattern switch at exit) are spun, never cached
                .filter(l -> !l.endsWith(" source: shared objects file"))
                .toList();
        assertEquals(List.of(), notCached);
    }

    /**
     * JFR event classes are never in an AOT cache: loading ours (the verifier did, for the syscall events'
     * switch) read them from the jar with JFR's instrumentation at the first syscall of every boot.
     */
    @Test
    void noJfrEventClassIsLoadedWithoutARecording() throws Exception {
        List<String> events = bootLog().stream()
                .filter(l -> l.startsWith("io.wasix.host.metrics.SyscallEvent ") || l.startsWith("io.wasix.host.metrics.SyscallEvents$")
                        || l.startsWith("jdk.jfr.Event ") || l.startsWith("jdk.internal.event.Event "))
                .toList();
        assertEquals(List.of(), events);
    }

    /**
     * Chicory's parser hashes every module with MessageDigest unless told not to (jlink.conf): the JDK's
     * provider lookup behind it costs 20-30 ms of CPU at boot, for a digest nothing here reads.
     */
    @Test
    void noMessageDigestAtBoot() throws Exception {
        List<String> security = bootLog().stream()
                .filter(l -> l.startsWith("java.security.MessageDigest ") || l.startsWith("sun.security.provider."))
                .toList();
        assertEquals(List.of(), security);
    }
}
