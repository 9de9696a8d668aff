package io.wasix.appliance.module;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A user's module file read whole, or the one line that says why the path holds no file to read: a directory,
 * a device or an unreadable file. What is wrong with the bytes (empty, no "\0asm" magic, a .wat) is
 * ParseFailure's to say, for files and bytes alike. Stateless; any thread.
 */
final class ModuleFile {
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
        return bytes;
    }
}
