package io.wasix.appliance.module;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A path that holds no WebAssembly module at all is one line saying what it holds instead. */
class ModuleFileTest {
    @TempDir
    Path tmp;

    private String failure(Path path) {
        return assertThrows(GuestModule.LoadException.class, () -> GuestModule.load(path.toString(), false)).getMessage();
    }

    @Test
    void aDirectoryIsADirectory() {
        assertEquals(tmp + ": is a directory, not a WebAssembly module", failure(tmp));
    }

    @Test
    void textHasABadMagic() throws Exception {
        Path readme = Files.writeString(tmp.resolve("README.md"), "# WASIX Appliance\n");
        assertEquals(readme + ": not a WebAssembly module (bad magic: it starts with 23 20 57 41, a module with 00 61 73 6d)",
                failure(readme));
    }

    @Test
    void webAssemblyTextIsNamed() throws Exception {
        Path wat = Files.writeString(tmp.resolve("server.wasm"), "  (module (func (export \"_start\")))\n");
        assertEquals(wat + ": not a WebAssembly module (bad magic: it is WebAssembly text; compile it with wat2wasm first)",
                failure(wat));
    }

    @Test
    void emptyAndShortFiles() throws Exception {
        Path empty = Files.createFile(tmp.resolve("empty.wasm"));
        assertEquals(empty + ": is empty, not a WebAssembly module", failure(empty));
        Path two = Files.write(tmp.resolve("two.wasm"), new byte[] {0, 0x61});
        assertEquals(two + ": not a WebAssembly module (bad magic: it starts with 00 61, a module with 00 61 73 6d)",
                failure(two));
    }

    @Test
    void aMissingFileIsStillNotFound() {
        var e = assertThrows(GuestModule.LoadException.class, () -> GuestModule.load(tmp.resolve("x.wasm").toString(), false));
        assertTrue(e.notFound(), e.getMessage());
    }

    @Test
    void aDeviceIsNoRegularFile() {
        assertEquals("/dev/null: not a regular file, so not a WebAssembly module", failure(Path.of("/dev/null")));
    }
}
