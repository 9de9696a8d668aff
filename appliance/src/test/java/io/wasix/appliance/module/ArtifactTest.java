package io.wasix.appliance.module;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.Parser;
import io.wasix.appliance.trap.TrapSite;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Modules compiled ahead of time: an artifact is used only for the exact bytes it was compiled from and by
 * this compiler; anything else (a changed module, another module's artifact, a corrupt or foreign file) is
 * compiled at load time, and the mode says why.
 */
class ArtifactTest {
    private static final Path TRAP = Path.of("../wasm-host/src/test/guests/trap.wasm");
    private static final Path HELLO = Path.of("src/main/guests/hello.wasm");

    @TempDir
    Path dir;

    private ArtifactCache cache() {
        return new ArtifactCache(dir.resolve("cache"), "--cache");
    }

    private Path compiled(Path wasm) throws Exception {
        byte[] bytes = Files.readAllBytes(wasm);
        String digest = Sha256.ofBytes(bytes);
        ModuleCompiler.compile(GuestModule.checked(wasm, bytes), bytes, digest).write(cache().fileFor(digest));
        return cache().fileFor(digest);
    }

    @Test
    void aCompiledModuleRunsFromItsArtifactAndItsTrapIsNamedFromTheOriginal() throws Exception {
        compiled(TRAP);
        GuestModule g = GuestModule.load(TRAP.toString(), false, cache());
        assertEquals("compiled ahead of time: " + ModuleArtifact.shortDigest(Sha256.ofFile(TRAP)) + " from " + cache().dir(),
                g.mode());
        assertEquals(null, g.module().nameSection(), "the artifact's copy of the module has no custom sections");
        Instance instance = Instance.builder(g.module()).withMachineFactory(g.machine()).withStart(false).build();
        var trap = assertThrows(ChicoryException.class, () -> instance.export("_start").apply());
        assertEquals("boom (function #0)", TrapSite.describe(trap, g.withNames(), null));
    }

    /** The artifact's module keeps what instantiation reads and drops the compiled functions' code. */
    @Test
    void theArtifactsModuleHasNoCompiledCode() throws Exception {
        Path file = compiled(HELLO);
        ModuleArtifact a = ModuleArtifact.read(file, Sha256.ofFile(HELLO));
        var original = Parser.parse(HELLO);
        var meta = Parser.parse(a.meta());
        assertEquals(original.importSection(), meta.importSection());
        assertEquals(original.exportSection(), meta.exportSection());
        assertEquals(original.dataSection().dataSegmentCount(), meta.dataSection().dataSegmentCount());
        for (int i = 0; i < original.dataSection().dataSegmentCount(); i++) {
            assertArrayEquals(original.dataSection().getDataSegment(i).data(), meta.dataSection().getDataSegment(i).data());
        }
        assertEquals(original.codeSection().functionBodyCount(), meta.codeSection().functionBodyCount());
        assertTrue(a.meta().length < Files.size(HELLO) / 2, a.meta().length + " bytes of " + Files.size(HELLO));
        assertTrue(a.interpreted().isEmpty());
    }

    @Test
    void theSameModuleMakesTheSameArtifactByteForByte() throws Exception {
        byte[] first = Files.readAllBytes(compiled(HELLO));
        Files.delete(cache().fileFor(Sha256.ofFile(HELLO)));
        assertArrayEquals(first, Files.readAllBytes(compiled(HELLO)));
    }

    @Test
    void aChangedModuleIsCompiledAtLoadTimeAndTheModeSaysWhy() throws Exception {
        Path wasm = Files.copy(TRAP, dir.resolve("trap.wasm"));
        compiled(wasm);
        // a custom section appended: the same code, other bytes, another digest
        Files.write(wasm, new byte[] {0, 4, 3, 'x', 'y', 'z'}, java.nio.file.StandardOpenOption.APPEND);
        GuestModule g = GuestModule.load(wasm.toString(), false, cache());
        assertEquals("compiled at load time: no cached artifact for " + ModuleArtifact.shortDigest(Sha256.ofFile(wasm))
                + " in " + cache().dir(), g.mode());
        Instance instance = Instance.builder(g.module()).withMachineFactory(g.machine()).withStart(false).build();
        assertThrows(ChicoryException.class, () -> instance.export("_start").apply(), "it still runs");
    }

    @Test
    void anotherModulesArtifactUnderThisDigestIsNotUsed() throws Exception {
        Path other = compiled(HELLO);
        String digest = Sha256.ofFile(TRAP);
        Files.createDirectories(cache().dir());
        Files.copy(other, cache().fileFor(digest));
        GuestModule g = GuestModule.load(TRAP.toString(), false, cache());
        assertEquals("compiled at load time: artifact " + cache().fileFor(digest) + " is for another module ("
                + ModuleArtifact.shortDigest(Sha256.ofFile(HELLO)) + ")", g.mode());
    }

    @Test
    void anArtifactOfAnotherCompilerIsNotUsed() throws Exception {
        byte[] bytes = Files.readAllBytes(TRAP);
        String digest = Sha256.ofBytes(bytes);
        ModuleArtifact a = ModuleCompiler.compile(GuestModule.checked(TRAP, bytes), bytes, digest);
        new ModuleArtifact(digest, "chicory 0.0.1", a.mainClass(), a.interpreted(), a.meta(), a.classes())
                .write(cache().fileFor(digest));
        assertEquals("compiled at load time: artifact " + cache().fileFor(digest) + " was compiled by chicory 0.0.1, "
                + "this is " + ModuleArtifact.COMPILER, GuestModule.load(TRAP.toString(), false, cache()).mode());
    }

    @Test
    void aFileThatIsNoArtifactIsIgnoredWithItsReason() throws Exception {
        String digest = Sha256.ofFile(TRAP);
        Files.createDirectories(cache().dir());
        Files.writeString(cache().fileFor(digest), "not a zip");
        String mode = GuestModule.load(TRAP.toString(), false, cache()).mode();
        assertTrue(mode.startsWith("compiled at load time: artifact " + cache().fileFor(digest) + " is unreadable: "), mode);
    }

    /** One flipped byte in a class: the zip's CRC catches it, though a stored entry's stream would not. */
    @Test
    void aCorruptClassIsCaughtByItsCrc() throws Exception {
        Path file = compiled(TRAP);
        byte[] b = Files.readAllBytes(file);
        int at = indexOf(b, "CompiledMachineFuncGroup_0.class".getBytes()) + 60; // inside the class's bytes
        b[at] ^= 0x55;
        Files.write(file, b);
        String mode = GuestModule.load(TRAP.toString(), false, cache()).mode();
        assertTrue(mode.startsWith("compiled at load time: artifact " + file + " is corrupt: ") && mode.endsWith(" fails its CRC"),
                mode);
    }

    /** Classes with a valid CRC that the JVM still refuses: found at load, not mid-run, and compiled anew. */
    @Test
    void classesTheJvmRefusesAreFoundAtLoad() throws Exception {
        byte[] bytes = Files.readAllBytes(TRAP);
        String digest = Sha256.ofBytes(bytes);
        ModuleArtifact a = ModuleCompiler.compile(GuestModule.checked(TRAP, bytes), bytes, digest);
        Map<String, byte[]> broken = new LinkedHashMap<>(a.classes());
        // not the main class, which is loaded first anyway: one the machine would only reach mid-run
        String group = a.mainClass() + "FuncGroup_0";
        assertTrue(broken.containsKey(group), broken.keySet().toString());
        broken.put(group, new byte[] {(byte) 0xca, (byte) 0xfe, (byte) 0xba, (byte) 0xbe, 0, 0});
        new ModuleArtifact(digest, a.compiler(), a.mainClass(), a.interpreted(), a.meta(), broken).write(cache().fileFor(digest));
        String mode = GuestModule.load(TRAP.toString(), false, cache()).mode();
        assertTrue(mode.startsWith("compiled at load time: the JVM refused its classes: "), mode);
    }

    @Test
    void noCacheDirectoryIsAReasonToo() throws Exception {
        var none = ArtifactCache.locate(null, Map.of());
        assertEquals("compiled at load time: " + none.why(), GuestModule.load(TRAP.toString(), false, none).mode());
    }

    @Test
    void theArtifactIsAJarOfStoredEntries() throws Exception {
        try (ZipFile zip = new ZipFile(compiled(HELLO).toFile())) {
            assertTrue(zip.stream().allMatch(e -> e.getMethod() == java.util.zip.ZipEntry.STORED));
            assertTrue(zip.stream().anyMatch(e -> e.getName().endsWith(".class")));
        }
    }

    @Test
    void theCacheDirectoryFollowsFlagThenVariableThenXdg() {
        assertEquals(Path.of("/f"), ArtifactCache.locate("/f", Map.of("APPLIANCE_CACHE", "/v")).dir());
        assertEquals(Path.of("/v"), ArtifactCache.locate(null, Map.of("APPLIANCE_CACHE", "/v", "XDG_CACHE_HOME", "/x")).dir());
        assertEquals(Path.of("/x/wasix-appliance"),
                ArtifactCache.locate(null, Map.of("XDG_CACHE_HOME", "/x", "HOME", "/h")).dir());
        assertEquals(Path.of("/h/.cache/wasix-appliance"),
                ArtifactCache.locate(null, Map.of("XDG_CACHE_HOME", "relative", "HOME", "/h")).dir(),
                "the XDG spec ignores a relative XDG_CACHE_HOME");
        assertEquals(null, ArtifactCache.locate(null, Map.of()).dir());
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }
}
