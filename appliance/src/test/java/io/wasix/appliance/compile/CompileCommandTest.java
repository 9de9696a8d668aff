package io.wasix.appliance.compile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wasix.appliance.module.ArtifactCache;
import io.wasix.appliance.module.ModuleArtifact;
import io.wasix.appliance.module.Sha256;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `appliance compile`'s command line, its messages and exit statuses, and where the artifact goes. */
class CompileCommandTest {
    private static final Path TRAP = Path.of("../wasm-host/src/test/guests/trap.wasm");
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(Map<String, String> env, String... args) {
        return CompileCommand.run(List.of(args), env, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void withoutOptionsTheArtifactGoesToTheXdgCache(@TempDir Path dir) throws Exception {
        assertEquals(0, run(Map.of("XDG_CACHE_HOME", dir.toString()), TRAP.toString()), err());
        Path file = dir.resolve("wasix-appliance").resolve(ModuleArtifact.fileName(Sha256.ofFile(TRAP)));
        assertTrue(Files.isRegularFile(file), err());
        assertEquals("appliance: compiled " + TRAP + " (" + ModuleArtifact.shortDigest(Sha256.ofFile(TRAP)) + "): ",
                err().substring(0, err().indexOf(": ", "appliance: compiled ".length() + 20) + 2));
        assertTrue(err().strip().endsWith(" to " + file), err());
    }

    @Test
    void dashOPutsItInAnotherDirectory(@TempDir Path dir) throws Exception {
        assertEquals(0, run(Map.of("XDG_CACHE_HOME", dir.resolve("xdg").toString()), "-o", dir.resolve("out").toString(),
                TRAP.toString()), err());
        assertTrue(Files.isRegularFile(dir.resolve("out").resolve(ModuleArtifact.fileName(Sha256.ofFile(TRAP)))));
        assertTrue(Files.notExists(dir.resolve("xdg")));
    }

    @Test
    void aModuleThatCannotRunHereIsNotCompiled(@TempDir Path dir) {
        assertEquals(1, run(Map.of(), "-o", dir.toString(), "src/test/guests/foreign-imports.wasm"));
        assertEquals("appliance: src/test/guests/foreign-imports.wasm: imports what this host does not provide: "
                + "wasix_32v1.frobnicate, env.mem (memory); exports no memory", err().strip());
    }

    @Test
    void aBundledGuestsNameIsNoModuleFile(@TempDir Path dir) {
        assertEquals(1, run(Map.of(), "-o", dir.toString(), "hello"));
        assertEquals("appliance: hello: no such file (bundled guests are compiled at build time)", err().strip());
    }

    @Test
    void anUnwritableDirectoryIsOneLine(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "");
        assertEquals(1, run(Map.of(), "-o", file.toString(), TRAP.toString()));
        assertTrue(err().startsWith("appliance: cannot write the artifact to " + file + ": "), err());
    }

    @Test
    void usageErrors() {
        assertEquals(2, run(Map.of()));
        assertEquals("appliance compile: which module? (appliance compile MODULE.wasm)", err().strip());
        err.reset();
        assertEquals(2, run(Map.of(), "a.wasm", "b.wasm"));
        assertTrue(err().contains("one module at a time"), err());
        err.reset();
        assertEquals(2, run(Map.of(), "--frobnicate", "a.wasm"));
        assertEquals("appliance compile: unknown option '--frobnicate' (try: appliance compile --help)", err().strip());
        err.reset();
        assertEquals(2, run(Map.of(), "--train", "--requests", "0", "a.wasm"));
        assertEquals("appliance compile: --requests wants a number from 1 to 100000, got '0'", err().strip());
        err.reset();
        assertEquals(2, run(Map.of(), "a.wasm", "--", "x"));
        assertEquals("appliance compile: guest arguments after -- are for --train's run", err().strip());
        err.reset();
        assertEquals(2, run(Map.of(), "a.wasm"), "no HOME, no XDG_CACHE_HOME, no -o");
        assertTrue(err().strip().endsWith("; give -o DIR"), err());
    }

    @Test
    void helpAndOptions() {
        assertEquals(0, run(Map.of(), "--help"));
        assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("Usage: appliance compile"));
        var o = CompileCommand.parse(List.of("--train", "--requests=5", "-o", "/d", "m.wasm", "--", "--port", "1"));
        assertEquals(new CompileCommand.Options("m.wasm", "/d", true, 5, List.of("--port", "1")), o);
        assertNull(CompileCommand.parse(List.of("-h")));
    }

    @Test
    void theDefaultArchiveIsTheFileASymlinkNames(@TempDir Path dir) throws Exception {
        Path server = Files.createDirectories(dir.resolve("home/lib/server"));
        Path cache = Files.createDirectories(dir.resolve("var/cache"));
        assertEquals(server.resolve("classes.jsa"), Training.defaultArchive(dir.resolve("home")));
        Files.createSymbolicLink(server.resolve("classes.jsa"), Path.of("../../../var/cache/classes.jsa"));
        assertEquals(cache.resolve("classes.jsa"), Training.defaultArchive(dir.resolve("home")), "dangling");
        Files.writeString(cache.resolve("classes.jsa"), "x");
        assertEquals(cache.resolve("classes.jsa").toRealPath(), Training.defaultArchive(dir.resolve("home")));
    }

    @Test
    void aWildcardListenerIsReachedThroughLoopback() throws Exception {
        assertEquals("127.0.0.1", Training.target("0.0.0.0:8080").getAddress().getHostAddress());
        assertEquals(8080, Training.target("0.0.0.0:8080").getPort());
        assertEquals("0:0:0:0:0:0:0:1", Training.target("[::]:80").getAddress().getHostAddress());
        assertEquals("10.0.0.1", Training.target("10.0.0.1:80").getAddress().getHostAddress());
    }

    /** The digest keys the artifact: ArtifactCache names the file it will look for. */
    @Test
    void theArtifactsNameIsTheModulesDigest(@TempDir Path dir) throws Exception {
        assertEquals(0, run(Map.of(), "-o", dir.toString(), TRAP.toString()), err());
        assertEquals(List.of(ModuleArtifact.fileName(Sha256.ofFile(TRAP))),
                Files.list(dir).map(p -> p.getFileName().toString()).toList());
        assertTrue(Files.isRegularFile(new ArtifactCache(dir, "-o").fileFor(Sha256.ofFile(TRAP))));
    }
}
