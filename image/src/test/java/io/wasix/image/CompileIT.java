package io.wasix.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * `appliance compile` through the linked launcher, bare: the artifact goes to the user's cache directory and
 * every later `appliance run` of that module boots from it; --train puts the module's classes in the
 * runtime's AOT cache (on a copy of the image: training rewrites it). The modules are the bundled guests'
 * .wasm files, user's modules as far as the appliance can tell.
 */
@Timeout(300)
class CompileIT {
    private static final Path IMAGE = Path.of("target/appliance");
    private static final Path HELLO = Path.of("../appliance/src/main/guests/hello.wasm");
    /** A module the image's own training did not compile (it trains on hello.wasm as a user's module). */
    private static final Path KEEPALIVE = Path.of("../appliance/src/main/guests/keepalive.wasm");
    private static final String MACHINE = "com.dylibso.chicory.$gen.CompiledMachine";

    @TempDir
    Path dir;

    @Test
    void aCompiledModuleBootsFromTheUsersCacheUntilItChanges() throws Exception {
        Path wasm = Files.copy(HELLO, dir.resolve("server.wasm"));
        Map<String, String> env = Map.of("XDG_CACHE_HOME", dir.resolve("xdg").toString());
        Path cache = dir.resolve("xdg/wasix-appliance");

        Finished compiled = runToEnd(IMAGE, env, "compile", wasm.toString());
        assertEquals(0, compiled.status, compiled.stderr);
        assertTrue(Files.isRegularFile(cache.resolve(sha256(wasm) + ".jar")), compiled.stderr);

        String line = bootLineAndHello(IMAGE, env, List.of("run", wasm.toString()));
        assertTrue(line.startsWith("appliance: " + wasm + " (compiled ahead of time: sha256:" + sha256(wasm).substring(0, 12)
                + " from " + cache + ") started on "), line);

        Files.write(wasm, new byte[] {0, 4, 3, 'x', 'y', 'z'}, StandardOpenOption.APPEND); // a custom section
        line = bootLineAndHello(IMAGE, env, List.of("run", wasm.toString()));
        assertTrue(line.startsWith("appliance: " + wasm + " (compiled at load time: no cached artifact for sha256:"
                + sha256(wasm).substring(0, 12) + " in " + cache + ") started on "), line);
    }

    /** Before training, the module's classes are defined from the artifact; after it, they come from the cache. */
    @Test
    void trainingPutsTheModulesClassesInTheAotCache() throws Exception {
        Path image = dir.resolve("image");
        Process cp = new ProcessBuilder("cp", "-a", IMAGE.toString(), image.toString()).inheritIO().start();
        assertEquals(0, cp.waitFor());
        Path wasm = Files.copy(KEEPALIVE, dir.resolve("server.wasm"));
        Map<String, String> env = Map.of("APPLIANCE_CACHE", dir.resolve("cache").toString());
        assertEquals(0, runToEnd(image, env, "compile", wasm.toString()).status);
        assertEquals(List.of(MACHINE + " source: __JVM_DefineClass__"), machineClassLoads(image, env, wasm),
                "before training: defined from the artifact's bytes");

        Map<String, String> trainEnv = new java.util.HashMap<>(env);
        trainEnv.put("PORT", Integer.toString(InFlightRequest.freePort()));
        Finished trained = runToEnd(image, trainEnv, "compile", "--train", wasm.toString());
        assertEquals(0, trained.status, trained.stderr);
        assertTrue(trained.stderr.contains("appliance: AOT cache trained on 200 requests to 0.0.0.0:" + trainEnv.get("PORT")
                + ": " + image.toRealPath().resolve("lib/server/classes.jsa")), trained.stderr);
        assertEquals(List.of(MACHINE + " source: shared objects file"), machineClassLoads(image, env, wasm));
    }

    /** How the module's machine class was loaded, from a boot's class-load log; no cds/aot warning allowed. */
    private List<String> machineClassLoads(Path image, Map<String, String> env, Path wasm) throws Exception {
        Map<String, String> logged = new java.util.HashMap<>(env);
        Path log = dir.resolve("class-load-" + System.nanoTime() + ".log");
        logged.put("JDK_JAVA_OPTIONS", "-Xlog:class+load=info:file=" + log + ":none -Xlog:cds=warning,aot=warning:stderr");
        String line = bootLineAndHello(image, logged, List.of("run", wasm.toString()));
        assertTrue(line.contains("(compiled ahead of time: "), line);
        List<String> loads = new ArrayList<>();
        for (String l : Files.readAllLines(log)) {
            if (l.startsWith(MACHINE + " ")) {
                loads.add(l);
            }
        }
        return loads;
    }

    /** Boots, answers one GET, stops with SIGTERM (status 0); returns the boot line. */
    private static String bootLineAndHello(Path image, Map<String, String> env, List<String> args) throws Exception {
        int port = InFlightRequest.freePort();
        List<String> cmd = new ArrayList<>(List.of(image.resolve("bin/appliance").toString()));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().putAll(env);
        pb.environment().put("PORT", Integer.toString(port));
        Process p = pb.start();
        try (BufferedReader err = p.errorReader(StandardCharsets.UTF_8)) {
            List<String> before = new ArrayList<>();
            String line;
            while ((line = err.readLine()) != null && !line.startsWith("appliance: ")) {
                before.add(line);
            }
            assertTrue(line != null, "no boot line: " + before);
            assertFalse(before.stream().anyMatch(l -> l.contains("[warning]") || l.contains("[error]")), String.join("\n", before));
            assertTrue(line.contains(", listening on 0.0.0.0:" + port + ", "), line);
            assertTrue(InFlightRequest.get(port, 10_000).endsWith("Hello, World!"));
            p.destroy();
            assertTrue(p.waitFor(10, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue());
            return line;
        } finally {
            p.destroyForcibly();
        }
    }

    private record Finished(int status, String stderr) {}

    private static Finished runToEnd(Path image, Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(image.resolve("bin/appliance").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().putAll(env);
        Process p = pb.start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(240, TimeUnit.SECONDS));
        return new Finished(p.exitValue(), err);
    }

    private static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }
}
