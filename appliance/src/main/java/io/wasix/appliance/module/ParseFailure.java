package io.wasix.appliance.module;

import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmLimits;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * Why a module's bytes do not parse, in one line that names the place: the header (magic, version), a
 * section whose declared size runs past the end of the file ("truncated section 5 (memory)"), or a section
 * whose contents Chicory refused, with Chicory's reason minus the prefix its parser puts on every malformed
 * module ("section size mismatch, unexpected end of section or function, "), which used to begin even the
 * message for a bad magic number. The framing is walked here, without Chicory: a section is "section N" by
 * its position in the file, counted from 1, and named by its id. Stateless; any thread.
 */
final class ParseFailure {
    private static final String CHICORY_PREFIX = "section size mismatch, unexpected end of section or function, ";
    private static final String[] SECTION_NAMES = {"custom", "type", "import", "function", "table", "memory",
        "global", "export", "start", "element", "code", "data", "data count", "tag"};

    /** A section as the file frames it. */
    private record Frame(int number, int id, int offset, long size) {
        String label() {
            return "section " + number + " (" + name(id) + ") at offset " + offset;
        }
    }

    private ParseFailure() {}

    /** One line: what is wrong with {@code bytes}, which Chicory's parser refused with {@code failure}. */
    static String explain(byte[] bytes, Throwable failure) {
        String header = header(bytes);
        if (header != null) {
            return header;
        }
        List<Frame> frames = new ArrayList<>();
        String framing = frames(bytes, frames);
        if (framing != null) {
            return framing;
        }
        String reason = reason(failure);
        Frame at = failingSection(bytes, frames, reason);
        if (at == null) {
            return "invalid: " + reason;
        }
        String limits = at.id == 4 ? tableLimits(bytes, at) : null;
        return at.label() + ": " + (limits != null ? limits : reason);
    }

    /**
     * What is wrong with {@code bytes} that is cheaper to say before Chicory parses them, or null: the header,
     * the section framing, and a type section whose counts the bytes cannot hold. Chicory sizes a list by a
     * count before it reads the elements, so a mutated type section (ModuleLoadFuzzTest's regression input
     * slow-unit-3ccf...) had it allocate hundreds of MB per function type and run past the test's timeout.
     */
    static String beforeParse(byte[] bytes) {
        String header = header(bytes);
        if (header != null) {
            return header;
        }
        List<Frame> frames = new ArrayList<>();
        String framing = frames(bytes, frames);
        if (framing != null) {
            return framing;
        }
        for (Frame f : frames) {
            if (f.id == 1) {
                String counts = typeCounts(bytes, f);
                if (counts != null) {
                    return f.label() + ": " + counts;
                }
            }
        }
        return null;
    }

    /**
     * A count in the type section larger than the bytes left in it (each type and each value type takes at
     * least one byte), or null. Stops at the first type that is not a plain function type (0x60): the
     * GC proposal's encodings are Chicory's to check.
     */
    private static String typeCounts(byte[] b, Frame f) {
        int[] pos = {f.offset + 1};
        leb(b, pos); // the section size, already framed
        int end = pos[0] + (int) f.size;
        try {
            long types = leb(b, pos);
            if (types > end - pos[0]) {
                return "it declares " + types + " types in " + (end - pos[0]) + " bytes";
            }
            for (long i = 0; i < types; i++) {
                if ((b[pos[0]++] & 0xff) != 0x60) {
                    return null;
                }
                for (String what : new String[] {"parameters", "results"}) {
                    long count = leb(b, pos);
                    if (count > end - pos[0]) {
                        return "type " + i + " declares " + count + " " + what + " in the " + (end - pos[0])
                                + " bytes left";
                    }
                    for (long v = 0; v < count; v++) {
                        int type = b[pos[0]++] & 0xff;
                        if (type == 0x63 || type == 0x64) { // (ref null? ht): a heap type follows
                            leb(b, pos);
                        }
                    }
                }
            }
        } catch (ArrayIndexOutOfBoundsException e) {
            return null; // malformed past what we read: Chicory's message says it
        }
        return null;
    }

    /** Null when the 8-byte header is a core module's; else what it is instead. */
    private static String header(byte[] b) {
        if (b.length == 0) {
            return "is empty, not a WebAssembly module";
        }
        if (b.length < 4 || b[0] != 0 || b[1] != 'a' || b[2] != 's' || b[3] != 'm') {
            return "not a WebAssembly module (bad magic: " + instead(b) + ")";
        }
        if (b.length < 8) {
            return "truncated in its header: " + b.length + " bytes, where the magic and version alone take 8";
        }
        int version = (b[4] & 0xff) | (b[5] & 0xff) << 8 | (b[6] & 0xff) << 16 | (b[7] & 0xff) << 24;
        if ((version & 0xffff) == 0x0d && (version >>> 16) == 1) {
            return "a WebAssembly component (component model layer 1), not a core module: this host runs core modules";
        }
        if (version != 1) {
            return "unsupported binary version " + Integer.toUnsignedString(version) + " (this host runs version 1)";
        }
        return null;
    }

    /** What a file without the magic starts with: a .wat is named, since wat2wasm is then all that is missing. */
    private static String instead(byte[] b) {
        String head = new String(b, 0, Math.min(b.length, 64), StandardCharsets.ISO_8859_1).stripLeading();
        if (head.startsWith("(module") || head.startsWith(";;")) {
            return "it is WebAssembly text; compile it with wat2wasm first";
        }
        return "it starts with " + HexFormat.ofDelimiter(" ").formatHex(b, 0, Math.min(4, b.length))
                + ", a module with 00 61 73 6d";
    }

    /** Walks the section headers into {@code frames}; returns what is wrong with the framing, or null. */
    private static String frames(byte[] b, List<Frame> frames) {
        int pos = 8;
        for (int number = 1; pos < b.length; number++) {
            int offset = pos;
            int id = b[pos++] & 0xff;
            long size = 0;
            int shift = 0;
            while (true) {
                if (pos >= b.length) {
                    return "truncated in the header of section " + number + " (" + name(id) + ") at offset " + offset;
                }
                int x = b[pos++] & 0xff;
                size |= (long) (x & 0x7f) << shift;
                shift += 7;
                if ((x & 0x80) == 0) {
                    break;
                }
                if (shift >= 35) {
                    return "section " + number + " (" + name(id) + ") at offset " + offset
                            + ": its size is not a valid LEB128 u32";
                }
            }
            if (size > 0xffffffffL) {
                return "section " + number + " (" + name(id) + ") at offset " + offset + ": its size is beyond a u32";
            }
            if (id >= SECTION_NAMES.length) {
                return "section " + number + " at offset " + offset + " has unknown id " + id;
            }
            Frame f = new Frame(number, id, offset, size);
            frames.add(f);
            long remaining = b.length - pos;
            if (size > remaining) {
                return "truncated " + f.label() + ": it declares " + size + " bytes, " + remaining + " remain";
            }
            pos += (int) size;
        }
        return null;
    }

    /**
     * The section Chicory failed in: the one after the last it handed to a listener (or that one itself, when
     * it failed after decoding it, for bytes left over). Null when every section parsed (a failure of the
     * module as a whole, such as validation).
     */
    private static Frame failingSection(byte[] b, List<Frame> frames, String reason) {
        int[] parsed = {0};
        try {
            Parser.builder().build().parse(new ByteArrayInputStream(b), section -> parsed[0]++);
        } catch (RuntimeException | AssertionError | StackOverflowError | OutOfMemoryError e) {
            int index = reason.equals("section size mismatch") ? parsed[0] - 1 : parsed[0];
            return index >= 0 && index < frames.size() ? frames.get(index) : null;
        }
        return null;
    }

    /** What is wrong with a table's limits, when that is why Chicory refused the table section; else null. */
    private static String tableLimits(byte[] b, Frame f) {
        try {
            int[] pos = {f.offset + 1};
            leb(b, pos); // the section size, already framed
            long count = leb(b, pos);
            for (int i = 0; i < count; i++) {
                int refType = b[pos[0]++] & 0xff;
                if (refType != 0x70 && refType != 0x6f) {
                    return null; // another encoding: Chicory's words are all we have
                }
                int flags = b[pos[0]++] & 0xff;
                long min = leb(b, pos);
                long max = (flags & 1) != 0 ? leb(b, pos) : -1;
                if (min > WasmLimits.MAX_TABLE_ENTRIES) {
                    return String.format(Locale.ROOT, "table %d starts at %,d entries, more than the %,d a table can"
                            + " have here", i, min, WasmLimits.MAX_TABLE_ENTRIES);
                }
                if (max >= 0 && max < min) {
                    return String.format(Locale.ROOT, "table %d: its minimum (%,d entries) is above its maximum (%,d)",
                            i, min, max);
                }
            }
        } catch (ArrayIndexOutOfBoundsException e) {
            return null; // malformed past what we read: Chicory's message says it
        }
        return null;
    }

    private static long leb(byte[] b, int[] pos) {
        long v = 0;
        for (int shift = 0; shift < 35; shift += 7) {
            int x = b[pos[0]++] & 0xff;
            v |= (long) (x & 0x7f) << shift;
            if ((x & 0x80) == 0) {
                break;
            }
        }
        return v;
    }

    /** Chicory's message, on one line, without the prefix its parser adds to every malformed module. */
    static String reason(Throwable e) {
        if (e instanceof OutOfMemoryError) {
            return "it declares more than the heap can hold";
        }
        if (e instanceof StackOverflowError) {
            return "nested too deeply to parse";
        }
        if (e instanceof AssertionError && e.getMessage() == null) {
            return "Chicory's parser refused it (one of its internal checks failed)";
        }
        String msg = e.getMessage();
        if (msg == null || msg.isBlank()) {
            return e.getClass().getSimpleName();
        }
        while (msg.startsWith(CHICORY_PREFIX)) {
            msg = msg.substring(CHICORY_PREFIX.length());
        }
        return msg.replaceAll("\\s+", " ").strip();
    }

    private static String name(int id) {
        return id < SECTION_NAMES.length ? SECTION_NAMES[id] : "id " + id;
    }
}
