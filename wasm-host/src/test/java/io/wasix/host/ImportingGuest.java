package io.wasix.host;

import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Writes a module that imports the given functions and exports, for each import {@code i}, a function
 * {@code call<i>} of the same type that passes its parameters straight through and returns what the import
 * returns. Generated from the catalog in the test, so it can never fall behind it. It has one page of memory,
 * exported, since host functions reach the guest's memory through the instance. Test thread only.
 */
final class ImportingGuest {
    /** One function import. */
    record Import(String module, String name, FunctionType type) {}

    private ImportingGuest() {}

    static byte[] module(List<Import> imports) {
        int n = imports.size();
        var out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00});

        var types = new ByteArrayOutputStream(); // type i is import i's
        leb(types, n);
        for (Import imp : imports) {
            types.write(0x60);
            valTypes(types, imp.type().params());
            valTypes(types, imp.type().returns());
        }
        section(out, 1, types);

        var importSection = new ByteArrayOutputStream();
        leb(importSection, n);
        for (int i = 0; i < n; i++) {
            name(importSection, imports.get(i).module());
            name(importSection, imports.get(i).name());
            importSection.write(0x00); // a function
            leb(importSection, i);
        }
        section(out, 2, importSection);

        var functions = new ByteArrayOutputStream(); // function n + i is the export of import i
        leb(functions, n);
        for (int i = 0; i < n; i++) {
            leb(functions, i);
        }
        section(out, 3, functions);

        var memory = new ByteArrayOutputStream();
        memory.writeBytes(new byte[] {0x01, 0x00, 0x01}); // one memory, min 1 page, no max
        section(out, 5, memory);

        var exports = new ByteArrayOutputStream();
        leb(exports, n + 1);
        name(exports, "memory");
        exports.writeBytes(new byte[] {0x02, 0x00});
        for (int i = 0; i < n; i++) {
            name(exports, "call" + i);
            exports.write(0x00);
            leb(exports, n + i);
        }
        section(out, 7, exports);

        var code = new ByteArrayOutputStream();
        leb(code, n);
        for (int i = 0; i < n; i++) {
            var body = new ByteArrayOutputStream();
            body.write(0x00); // no locals
            for (int p = 0; p < imports.get(i).type().params().size(); p++) {
                body.write(0x20); // local.get p
                leb(body, p);
            }
            body.write(0x10); // call i
            leb(body, i);
            body.write(0x0b); // end
            leb(code, body.size());
            code.writeBytes(body.toByteArray());
        }
        section(out, 10, code);
        return out.toByteArray();
    }

    private static void valTypes(ByteArrayOutputStream out, List<ValType> types) {
        leb(out, types.size());
        for (ValType t : types) {
            if (t.equals(ValType.I32)) {
                out.write(0x7f);
            } else if (t.equals(ValType.I64)) {
                out.write(0x7e);
            } else {
                throw new IllegalArgumentException("no such catalog type: " + t);
            }
        }
    }

    private static void section(ByteArrayOutputStream out, int id, ByteArrayOutputStream content) {
        out.write(id);
        leb(out, content.size());
        out.writeBytes(content.toByteArray());
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
}
