package io.wasix.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The container's root file system (target/rootfs, assembled at package) against what the runtime really
 * needs: the system libraries a real boot maps, no more and no fewer, and the linked image as it is.
 */
@Timeout(60)
class RootfsIT {
    private static final Path IMAGE = Path.of("target/appliance");
    private static final Path ROOTFS = Path.of("target/rootfs");

    @Test
    void carriesExactlyTheSystemLibrariesARealBootMaps() throws Exception {
        Path image = IMAGE.toRealPath();
        int port = InFlightRequest.freePort();
        ProcessBuilder pb = new ProcessBuilder(IMAGE.resolve("bin/appliance").toString(), "run")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("PORT", Integer.toString(port));
        Process p = pb.start();
        Set<String> mapped = new TreeSet<>();
        try {
            // After a served request, the boot path has loaded all it loads (transport, guest, sockets).
            assertTrue(InFlightRequest.get(port, 20_000).endsWith("Hello, World!"));
            for (String lib : MappedLibraries.of(p.pid())) { // bin/appliance execs java: same pid
                Path real = Path.of(lib).toRealPath();
                if (!real.startsWith(image)) {
                    mapped.add(real.toString());
                }
            }
        } finally {
            p.destroy();
            p.waitFor(10, TimeUnit.SECONDS);
            p.destroyForcibly();
        }
        Set<String> carried = new TreeSet<>();
        for (String lib : MappedLibraries.systemLibrariesIn(ROOTFS)) {
            carried.add(Path.of(lib).toRealPath().toString()); // the host file it was copied from
        }
        assertTrue(mapped.stream().anyMatch(l -> l.contains("libc.so")), "a boot maps libc: " + mapped);
        assertEquals(mapped, carried, "system libraries: mapped by a real boot (left) vs carried by the rootfs (right)");
    }

    @Test
    void carriesTheLinkedImageAsItIsWithoutTheBashLauncher() throws IOException {
        Set<String> inImage = relativeFiles(IMAGE);
        inImage.remove("bin/appliance"); // bash; the rootfs has no shell, its ENTRYPOINT runs java
        inImage.add("lib/app/container.args"); // the ENTRYPOINT's argfile: the absolute class path, the main class
        assertEquals(inImage, relativeFiles(ROOTFS.resolve("appliance")));
        assertEquals(List.of("-cp /appliance/lib/app/wasm-host.jar:/appliance/lib/app/appliance.jar", "io.wasix.appliance.Main"),
                Files.readAllLines(ROOTFS.resolve("appliance/lib/app/container.args")));
        assertTrue(Files.readString(Path.of("../Dockerfile")).contains(
                "\nENTRYPOINT [\"/appliance/bin/java\", \"@/appliance/lib/app/container.args\", \"run\"]\n"));
    }

    /**
     * The AOT cache lives in the directory the image's user owns, /var/cache/wasix-appliance, so that a derived
     * image's `appliance compile --train` can rewrite it; the JVM finds it through the default archive's path.
     */
    @Test
    void theAotCacheIsLinkedFromTheUsersCacheDirectory() throws IOException {
        Path link = ROOTFS.resolve("appliance/lib/server/classes.jsa");
        assertTrue(Files.isSymbolicLink(link));
        assertEquals(Path.of("../../../var/cache/wasix-appliance/classes.jsa"), Files.readSymbolicLink(link));
        Path cache = Path.of("target/rootfs-cache/classes.jsa");
        assertEquals(Files.size(IMAGE.resolve("lib/server/classes.jsa")), Files.size(cache));
        String dockerfile = Files.readString(Path.of("../Dockerfile"));
        assertTrue(dockerfile.contains("\nCOPY --chown=65532:65532 image/target/rootfs-cache/ /var/cache/wasix-appliance/\n"),
                "the cache directory is the user's");
        assertTrue(dockerfile.contains("\nENV APPLIANCE_CACHE=/var/cache/wasix-appliance\n"), "compiled modules go there");
    }

    @Test
    void hasAnUnprivilegedUserAndAWorldWritableTmp() throws IOException {
        List<String> passwd = Files.readAllLines(ROOTFS.resolve("etc/passwd"));
        assertTrue(passwd.contains("appliance:x:65532:65532:appliance:/tmp:/sbin/nologin"), passwd.toString());
        assertTrue(Files.readAllLines(ROOTFS.resolve("etc/group")).contains("appliance:x:65532:"));
        assertEquals("rwxrwxrwx", PosixFilePermissions.toString(Files.getPosixFilePermissions(ROOTFS.resolve("tmp"))));
        assertTrue(Files.readString(Path.of("../Dockerfile")).contains("\nUSER 65532:65532\n"), "the Dockerfile runs as that user");
    }

    private static Set<String> relativeFiles(Path root) throws IOException {
        Set<String> files = new TreeSet<>();
        try (Stream<Path> s = Files.walk(root)) {
            s.filter(p -> !Files.isDirectory(p)).forEach(p -> files.add(root.relativize(p).toString()));
        }
        return files;
    }
}
