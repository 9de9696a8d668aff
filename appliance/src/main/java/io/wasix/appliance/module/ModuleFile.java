package io.wasix.appliance.module;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;

/**
 * A user's module file read whole, or the one line that says why the path holds no WebAssembly module at all:
 * a directory, an empty or unreadable file, a text file (.wat included) or anything else without the "\0asm"
 * magic. What is wrong inside a module that has the magic is the parser's to say. Stateless; any thread.
 */
final class ModuleFile {
    private static final byte[] MAGIC = {0x00, 0x61, 0x73, 0x6d};

    private ModuleFile() {}

    /** The file's bytes; the path exists (the caller has said "no such file" otherwise). */
    static byte[] read(Path path) throws GuestModule.LoadException {
        if (Files.isDirectory(path)) {
            throw new GuestModule.LoadException(path + ": is a directory, not a WebAssembly module");
        }
        if (!Files.isRegularFile(path)) {
            throw new GuestModule.LoadException(path + ": not a regular file, so not a WebAssembly module");
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (AccessDeniedException e) {
            throw new GuestModule.LoadException(path + ": cannot be read: permission denied");
        } catch (IOException | OutOfMemoryError e) {
            throw new GuestModule.LoadException(path + ": cannot be read: " + GuestModule.oneLine(e));
        }
        if (bytes.length == 0) {
            throw new GuestModule.LoadException(path + ": is empty, not a WebAssembly module");
        }
        if (!startsWithMagic(bytes)) {
            throw new GuestModule.LoadException(path + ": not a WebAssembly module (bad magic: " + describe(bytes) + ")");
        }
        return bytes;
    }

    private static boolean startsWithMagic(byte[] bytes) {
        if (bytes.length < MAGIC.length) {
            return false;
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (bytes[i] != MAGIC[i]) {
                return false;
            }
        }
        return true;
    }

    /** What the file starts with instead: a .wat is named, since wat2wasm is then all that is missing. */
    private static String describe(byte[] bytes) {
        String head = new String(bytes, 0, Math.min(bytes.length, 64), StandardCharsets.ISO_8859_1).stripLeading();
        if (head.startsWith("(module") || head.startsWith(";;")) {
            return "it is WebAssembly text; compile it with wat2wasm first";
        }
        int n = Math.min(bytes.length, MAGIC.length);
        return "it starts with " + HexFormat.ofDelimiter(" ").formatHex(bytes, 0, n) + ", a module with 00 61 73 6d";
    }
}
