package io.wasix.appliance.trap;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a test module whose two functions are too large for one JVM method, so Chicory's compiler leaves them
 * to its interpreter: _start (compiled) calls outer_too_large(0), which calls inner_too_large(0) inside the
 * interpreter, which divides by zero. Generated here, not committed: as a .wasm it would weigh ~100 KB.
 * Test thread only.
 */
final class FallbackGuest {
    /** local.get 0; i32.load; local.set 0 — each a call into the memory once compiled, 7 bytes of wasm. */
    private static final byte[] STEP = {0x20, 0x00, 0x28, 0x02, 0x00, 0x21, 0x00};
    private static final int STEPS = 12_000;

    private FallbackGuest() {}

    static Path write(Path dir) throws IOException {
        Path wasm = dir.resolve("fallback-trap.wasm");
        Files.write(wasm, module());
        return wasm;
    }

    static byte[] module() {
        var out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00});
        // types: 0 () -> (), 1 (i32) -> i32
        section(out, 1, bytes(0x02, 0x60, 0x00, 0x00, 0x60, 0x01, 0x7f, 0x01, 0x7f));
        section(out, 3, bytes(0x03, 0x00, 0x01, 0x01));            // _start, outer, inner
        section(out, 5, bytes(0x01, 0x00, 0x01));                  // one memory, 1 page
        var exports = new ByteArrayOutputStream();
        exports.write(2);
        name(exports, "_start");
        exports.writeBytes(bytes(0x00, 0x00));                     // function 0
        name(exports, "memory");
        exports.writeBytes(bytes(0x02, 0x00));                     // memory 0
        section(out, 7, exports.toByteArray());
        var code = new ByteArrayOutputStream();
        code.write(3);
        body(code, bytes(0x41, 0x00, 0x10, 0x01, 0x1a, 0x0b));     // i32.const 0; call 1; drop
        body(code, large(bytes(0x20, 0x00, 0x10, 0x02, 0x0b)));    // local.get 0; call 2
        body(code, large(bytes(0x41, 0x01, 0x20, 0x00, 0x6d, 0x0b))); // i32.const 1; local.get 0; i32.div_s
        section(out, 10, code.toByteArray());
        var names = new ByteArrayOutputStream();
        name(names, "name");
        var functionNames = new ByteArrayOutputStream();
        functionNames.write(3);
        String[] fn = {"_start", "outer_too_large", "inner_too_large"};
        for (int i = 0; i < fn.length; i++) {
            functionNames.write(i);
            name(functionNames, fn[i]);
        }
        names.write(1);                                            // subsection: function names
        leb(names, functionNames.size());
        names.writeBytes(functionNames.toByteArray());
        section(out, 0, names.toByteArray());
        return out.toByteArray();
    }

    /** STEPS steps, then the tail. */
    private static byte[] large(byte[] tail) {
        var b = new ByteArrayOutputStream();
        for (int i = 0; i < STEPS; i++) {
            b.writeBytes(STEP);
        }
        b.writeBytes(tail);
        return b.toByteArray();
    }

    /** A function body with no locals around the given instructions (which end with `end`). */
    private static void body(ByteArrayOutputStream code, byte[] instructions) {
        leb(code, instructions.length + 1);
        code.write(0x00); // the locals vector, empty
        code.writeBytes(instructions);
    }

    private static void section(ByteArrayOutputStream out, int id, byte[] content) {
        out.write(id);
        leb(out, content.length);
        out.writeBytes(content);
    }

    private static void name(ByteArrayOutputStream out, String s) {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        leb(out, utf8.length);
        out.writeBytes(utf8);
    }

    private static void leb(ByteArrayOutputStream out, int value) {
        do {
            int b = value & 0x7f;
            value >>>= 7;
            out.write(value == 0 ? b : b | 0x80);
        } while (value != 0);
    }

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }
}
