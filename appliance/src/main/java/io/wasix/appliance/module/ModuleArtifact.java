package io.wasix.appliance.module;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * A module compiled ahead of time (`appliance compile`): the JVM classes Chicory's compiler made of it, the
 * functions it left to the interpreter, and the module itself with the compiled functions' bodies emptied
 * (parsing that is all a boot still needs of the wasm). On disk it is a jar, {@code <sha256>.jar}, whose
 * entries are stored uncompressed: boot reads it whole, and inflating would cost more than the bytes saved.
 * Immutable; any thread.
 *
 * @param digest the SHA-256 of the module's .wasm, lowercase hex: what the artifact was compiled from
 * @param compiler the compiler that made the classes ({@link #COMPILER}); another one's classes may not link
 * @param mainClass the binary name of the class whose (Instance) constructor makes the machine
 * @param interpreted functions too large for a JVM method, which run in the interpreter
 * @param meta the module without the compiled functions' code, as a .wasm
 * @param classes class files by binary name
 */
public record ModuleArtifact(String digest, String compiler, String mainClass, Set<Integer> interpreted, byte[] meta,
        Map<String, byte[]> classes) {

    /** Bumped when this file's layout changes: an artifact of another layout is compiled again. */
    static final String FORMAT = "1";
    /** The compiler of this build; artifacts record it, and one made by another is not loaded. */
    public static final String COMPILER = "chicory " + chicoryVersion();

    private static final String PROPERTIES = "wasix-appliance-artifact.properties";
    private static final String META = "module.meta.wasm";

    /** An artifact that cannot be used, with the one-line reason. */
    public static final class UnusableException extends Exception {
        public UnusableException(String message) {
            super(message, null, false, false);
        }
    }

    /** The file name of the artifact of the module with this digest. */
    public static String fileName(String digest) {
        return digest + ".jar";
    }

    /** "sha256:0123456789ab": a digest as messages show it, short enough for a boot line. */
    public static String shortDigest(String digest) {
        return "sha256:" + digest.substring(0, Math.min(12, digest.length()));
    }

    /** Writes it to {@code file} through a temporary file beside it, so no reader sees half an artifact. */
    public void write(Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, ".artifact-", ".tmp");
        try {
            // A temporary file is private (0600); an artifact is as readable as the module it was made from.
            if (Files.getFileAttributeView(tmp, java.nio.file.attribute.PosixFileAttributeView.class) != null) {
                Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            }
            try (OutputStream out = Files.newOutputStream(tmp); ZipOutputStream zip = new ZipOutputStream(out)) {
                zip.setMethod(ZipOutputStream.STORED);
                Properties p = new Properties();
                p.setProperty("format", FORMAT);
                p.setProperty("module.sha256", digest);
                p.setProperty("compiler", compiler);
                p.setProperty("main.class", mainClass);
                p.setProperty("interpreted", new TreeSet<>(interpreted).stream().map(String::valueOf)
                        .collect(Collectors.joining(",")));
                // Properties.store always begins with the current date as a comment: dropped, so that the same
                // module always makes the same bytes, whatever the second it was compiled in.
                var text = new java.io.StringWriter();
                p.store(text, null);
                String body = text.toString().substring(text.toString().indexOf('\n') + 1);
                put(zip, PROPERTIES, ("# a WebAssembly module compiled by `appliance compile`\n" + body)
                        .getBytes(StandardCharsets.ISO_8859_1));
                put(zip, META, meta);
                for (var e : classes.entrySet()) {
                    put(zip, e.getKey().replace('.', '/') + ".class", e.getValue());
                }
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Reads the artifact at {@code file}, which must be for the module with {@code digest} and made by this
     * build's compiler.
     */
    public static ModuleArtifact read(Path file, String digest) throws UnusableException {
        try (ZipFile zip = new ZipFile(file.toFile())) {
            ZipEntry propsEntry = zip.getEntry(PROPERTIES);
            ZipEntry metaEntry = zip.getEntry(META);
            if (propsEntry == null || metaEntry == null) {
                throw new UnusableException("artifact " + file + " is not an appliance artifact (no " + PROPERTIES + ")");
            }
            Properties p = new Properties();
            try (InputStream in = zip.getInputStream(propsEntry)) {
                p.load(new java.io.InputStreamReader(in, StandardCharsets.ISO_8859_1));
            }
            if (!FORMAT.equals(p.getProperty("format"))) {
                throw new UnusableException("artifact " + file + " has format " + p.getProperty("format")
                        + ", this appliance reads format " + FORMAT);
            }
            String recorded = p.getProperty("module.sha256", "");
            if (!recorded.equals(digest)) {
                throw new UnusableException("artifact " + file + " is for another module (" + shortDigest(recorded) + ")");
            }
            String compiler = p.getProperty("compiler", "");
            if (!compiler.equals(COMPILER)) {
                throw new UnusableException("artifact " + file + " was compiled by " + compiler + ", this is " + COMPILER);
            }
            String mainClass = p.getProperty("main.class", "");
            Map<String, byte[]> classes = new LinkedHashMap<>();
            for (var entries = zip.entries(); entries.hasMoreElements(); ) {
                ZipEntry e = entries.nextElement();
                String name = e.getName();
                if (name.endsWith(".class")) {
                    classes.put(name.substring(0, name.length() - 6).replace('/', '.'), bytes(zip, e));
                }
            }
            if (!classes.containsKey(mainClass)) {
                throw new UnusableException("artifact " + file + " lacks its main class " + mainClass);
            }
            return new ModuleArtifact(recorded, compiler, mainClass, interpreted(p.getProperty("interpreted", "")),
                    bytes(zip, metaEntry), classes);
        } catch (java.nio.file.NoSuchFileException | java.io.FileNotFoundException e) {
            throw new UnusableException("artifact " + file + " is gone");
        } catch (IOException | RuntimeException e) {
            throw new UnusableException("artifact " + file + " is unreadable: " + GuestModule.oneLine(e));
        }
    }

    private static Set<Integer> interpreted(String list) {
        if (list.isBlank()) {
            return Set.of();
        }
        return Arrays.stream(list.split(",")).map(String::trim).map(Integer::valueOf).collect(Collectors.toUnmodifiableSet());
    }

    /** The entry's bytes, checked against the CRC the zip recorded (a stored entry's stream does not check it). */
    private static byte[] bytes(ZipFile zip, ZipEntry e) throws IOException, UnusableException {
        byte[] data;
        try (InputStream in = zip.getInputStream(e)) {
            data = in.readAllBytes();
        }
        CRC32 crc = new CRC32();
        crc.update(data);
        if (crc.getValue() != e.getCrc()) {
            throw new UnusableException("artifact " + zip.getName() + " is corrupt: " + e.getName() + " fails its CRC");
        }
        return data;
    }

    private static void put(ZipOutputStream zip, String name, byte[] data) throws IOException {
        ZipEntry e = new ZipEntry(name);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setSize(data.length);
        e.setCompressedSize(data.length);
        e.setCrc(crc.getValue());
        e.setTime(0); // the same module always makes the same bytes
        zip.putNextEntry(e);
        zip.write(data);
        zip.closeEntry();
    }

    /**
     * Chicory's version, from its module descriptor in the linked image (or its jar's, on a module path); on a
     * plain class path, as in unit tests, where neither says, "unversioned".
     */
    private static String chicoryVersion() {
        // A small class of the compiler module: its Compiler would load ASM just to be named here.
        var descriptor = com.dylibso.chicory.compiler.InterpreterFallback.class.getModule().getDescriptor();
        return descriptor == null ? "unversioned" : descriptor.rawVersion().orElse("unversioned");
    }
}
