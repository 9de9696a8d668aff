package io.wasix.host.syscalls;

import static io.wasix.host.syscalls.HostFunctions.i32s;


/**
 * WASIX tty_get and tty_set. The guest's stdio are the host's streams passed through, never a terminal the
 * guest may drive, so tty_get answers what wasmer's system TTY answers when stdio is not a terminal (a
 * container without -t, a pipe): 80 columns, 25 rows, 800 x 600 pixels, no stdio is a tty, no echo, no line
 * buffering, no line feeds. wasix-libc's isatty() then says 0 for every fd. tty_set is accepted and changes
 * nothing, as wasmer's does on such stdio. Stateless; any guest thread.
 */
final class TtyCalls {
    /** __wasi_tty_t: u32 cols, rows, width, height; then u8 stdin_tty, stdout_tty, stderr_tty, echo,
     * line_buffered, line_feeds; padded to 24. */
    static final int TTY_SIZE = 24;
    private static final int COLS = 80, ROWS = 25, WIDTH = 800, HEIGHT = 600;

    void register(HostFunctions r) {
        r.wasix("tty_get", i32s(1), (m, a) -> {
            int at = (int) a[0];
            m.check(at, TTY_SIZE);
            m.fill(at, TTY_SIZE, (byte) 0);
            m.writeI32(at, COLS);
            m.writeI32(at + 4, ROWS);
            m.writeI32(at + 8, WIDTH);
            m.writeI32(at + 12, HEIGHT);
            return 0;
        });
        r.wasix("tty_set", i32s(1), (m, a) -> {
            m.check((int) a[0], TTY_SIZE);
            return 0;
        });
    }
}
