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

    private List<String> bootLog(String... runArgs) throws Exception {
        Path log = dir.resolve("class-load.log");
        Files.deleteIfExists(log);
        int port = InFlightRequest.freePort();
        List<String> cmd = new java.util.ArrayList<>(List.of("target/appliance/bin/appliance", "run"));
        cmd.addAll(List.of(runArgs));
        ProcessBuilder pb = new ProcessBuilder(cmd)
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

    /** Our classes, Netty's, Chicory's and the JDK's all come from the AOT cache the build trained. */
    @Test
    void everyClassOfTheBootPathComesFromTheAotCache() throws Exception {
        assertEquals(List.of(), notCached(bootLog()));
    }

    /**
     * In a container, whose engine blocks io_uring, the appliance runs on epoll: the training covers that path
     * too (before it did, ~50 epoll classes were parsed and verified at every container boot).
     */
    @Test
    void theEpollPathComesFromTheAotCacheToo() throws Exception {
        assertEquals(List.of(), notCached(bootLog("--transport", "epoll")));
    }

    /** A user's module after `appliance compile`: the digest, the artifact and its loader are cached too. */
    @Test
    void aCompiledUsersModuleLoadsThroughCachedClasses() throws Exception {
        Path wasm = Files.copy(Path.of("../appliance/src/main/guests/hello.wasm"), dir.resolve("server.wasm"));
        Process compile = new ProcessBuilder("target/appliance/bin/appliance", "compile", "-o", dir.resolve("c").toString(),
                wasm.toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        assertEquals(0, compile.waitFor());
        List<String> log = bootLog("--cache", dir.resolve("c").toString(), wasm.toString());
        assertTrue(log.stream().anyMatch(l -> l.startsWith("io.wasix.appliance.module.ArtifactLoader ")), "the artifact path ran");
        // a module's own classes are in the image's cache only if it trained on that module (a derived image)
        assertEquals(List.of(), notCached(log).stream().filter(l -> !l.startsWith("com.dylibso.chicory.$gen.")).toList());
    }

    /**
     * A pattern switch is linked at its first run by spinning a hidden class (SwitchBootstraps.typeSwitch),
     * which the AOT cache does not keep: the host's recv and send had one each, ~10 ms of the first response.
     * Only the shard's outcome, once a guest has ended (here: at exit), may still spin one.
     */
    @Test
    void noPatternSwitchIsLinkedOnTheWayToTheFirstResponse() throws Exception {
        List<String> spun = bootLog().stream()
                .filter(l -> l.contains("$$TypeSwitch/0x") && !l.startsWith("io.wasix.appliance.Outcome$$TypeSwitch/"))
                .toList();
        assertEquals(List.of(), spun);
    }

    /**
     * Every class a boot spins (defines at run time: the AOT cache keeps none of them) costs the boot its
     * generation, ~1.5 ms each. What is left: the method-handle forms Netty's PlatformDependent0 links at its
     * first use (8; jlink can pre-generate them, but the AOT cache's dump regenerates java.base's holder
     * classes without them), and the shard outcome's pattern switches at exit. A record used as a hash key on
     * the boot path (its equals and hashCode are invokedynamic) spun 12 more; the JDK's Comparator.comparing
     * one lambda.
     */
    @Test
    void aBootSpinsNoClassButNettysMethodHandleForms() throws Exception {
        List<String> spun = bootLog().stream()
                .filter(l -> !l.endsWith(" source: shared objects file") && l.contains("/0x"))
                .filter(l -> !l.startsWith("io.wasix.appliance.Outcome$$TypeSwitch/"))
                .toList();
        List<String> forms = spun.stream().filter(l -> l.startsWith("java.lang.invoke.LambdaForm$")).toList();
        assertEquals(List.of(), spun.stream().filter(l -> !forms.contains(l)).toList());
        assertTrue(forms.size() <= 8, "method-handle forms spun: " + forms);
    }

    /** Classes not from the AOT cache, but for the hidden ones (a pattern switch at exit), which are spun. */
    private static List<String> notCached(List<String> log) {
        return log.stream()
                .filter(l -> !l.contains("/0x") && !l.contains("$$Lambda"))
                .filter(l -> !l.endsWith(" source: shared objects file"))
                .toList();
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
