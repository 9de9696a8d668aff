package io.wasix.host;

import static io.wasix.host.PipeTest.pipe;
import static io.wasix.host.PipeTest.readText;
import static io.wasix.host.PipeTest.writeText;
import static io.wasix.host.ShimGuest.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.wasix.host.abi.Errno;
import io.wasix.host.net.Transport;
import org.junit.jupiter.api.Test;

/**
 * WASIX fd_dup2 (fcntl's F_DUPFD), fd_fdflags_get/set (CLOEXEC), fd_renumber as wasix-libc's dup2 uses it,
 * tty_get/tty_set, proc_id and proc_parent. None of these touch a socket, so one transport serves.
 */
class DupTtyProcTest {
    static final int CLOEXEC = 1;

    static int dup2(ShimGuest g, int fd, int minFd, int cloexec) {
        g.putI32(RET + 12, -1);
        g.ok("fd_dup2", fd, minFd, cloexec, RET + 12);
        return g.i32(RET + 12);
    }

    static int fdflags(ShimGuest g, int fd) {
        g.putU16(RET + 16, 0xffff);
        g.ok("fd_fdflags_get", fd, RET + 16);
        return g.u16(RET + 16);
    }

    @Test
    void fdDup2IsFcntlDupfdWithCloexec() {
        try (ShimGuest g = ShimGuest.open(Transport.NIO)) {
            int[] p = pipe(g); // 3 and 4
            assertEquals(10, dup2(g, p[1], 10, 1), "the lowest free fd not below min_fd");
            assertEquals(11, dup2(g, p[1], 10, 0), "10 is taken: the next one");
            assertEquals(5, dup2(g, p[1], 0, 0), "min_fd 0: simply the lowest free");
            assertEquals(CLOEXEC, fdflags(g, 10), "F_DUPFD_CLOEXEC");
            assertEquals(0, fdflags(g, 11));
            assertEquals(0, fdflags(g, p[1]), "the original keeps its own (per-fd) flag");

            assertEquals(0, writeText(g, 10, "through the copy"));
            assertEquals("through the copy", readText(g, p[0], 100), "one pipe end behind both fds");
            g.setFlags(11, NONBLOCK);
            g.ok("fd_fdstat_get", p[1], EVENTS);
            assertEquals(NONBLOCK, g.u16(EVENTS + 2), "NONBLOCK belongs to the open file: shared, as on Linux");

            g.close(p[1]);
            g.close(5);
            g.close(11);
            assertEquals(0, writeText(g, 10, "still open"), "the last copy keeps the end open");
            g.close(10);
            assertEquals("still open", readText(g, p[0], 100));
            assertEquals("", readText(g, p[0], 100), "its last fd closed: end of file");

            g.expect(Errno.BADF, "fd_dup2", 99, 0, 0, RET);
            g.expect(Errno.INVAL, "fd_dup2", p[0], -1, 0, RET);
            g.expect(Errno.INVAL, "fd_dup2", p[0], 1 << 20, 0, RET);
            g.expect(Errno.FAULT, "fd_dup2", p[0], 0, 0, MEMORY_SIZE - 2);
            g.close(p[0]);
        }
    }

    @Test
    void fdflagsSetAndGetCloexecPerFd() {
        try (ShimGuest g = ShimGuest.open(Transport.NIO)) {
            int[] p = pipe(g);
            assertEquals(0, fdflags(g, p[0]), "new fds have no CLOEXEC");
            g.ok("fd_fdflags_set", p[0], CLOEXEC);
            assertEquals(CLOEXEC, fdflags(g, p[0]));
            assertEquals(0, fdflags(g, p[1]), "per fd, not per pipe");
            g.ok("fd_fdflags_set", p[0], 0xfffe);
            assertEquals(0, fdflags(g, p[0]), "other bits are ignored, as F_SETFD ignores them");
            g.ok("fd_fdflags_set", p[0], CLOEXEC);
            g.close(p[0]);
            int[] q = pipe(g);
            assertEquals(p[0], q[0], "the fd is reused...");
            assertEquals(0, fdflags(g, q[0]), "...without the old fd's CLOEXEC");
            g.expect(Errno.BADF, "fd_fdflags_get", 99, RET);
            g.expect(Errno.BADF, "fd_fdflags_set", 99, CLOEXEC);
            g.expect(Errno.FAULT, "fd_fdflags_get", q[0], MEMORY_SIZE - 1);
            g.ok("fd_fdflags_get", 1, RET); // stdio has flags too
        }
    }

    @Test
    void fdRenumberInAWasixModuleIsDup2() {
        // The shim imports wasix_32v1, so its fd_renumber is wasix-libc's dup2 (and dup3): the source stays open.
        try (ShimGuest g = ShimGuest.open(Transport.NIO)) {
            int[] p = pipe(g);
            g.ok("fd_fdflags_set", p[1], CLOEXEC);
            g.ok("fd_renumber", p[1], 20);
            assertEquals(0, fdflags(g, 20), "dup2's copy has no CLOEXEC");
            assertEquals(0, writeText(g, 20, "via 20 "));
            assertEquals(0, writeText(g, p[1], "via the source"));
            assertEquals("via 20 via the source", readText(g, p[0], 100));

            int[] q = pipe(g);
            g.ok("fd_renumber", q[1], p[1]); // onto an open fd: that one is closed first
            assertEquals(0, writeText(g, p[1], "now q"));
            assertEquals("now q", readText(g, q[0], 100));
            g.ok("fd_renumber", q[1], q[1]);
            g.expect(Errno.BADF, "fd_renumber", 99, 21);
            g.expect(Errno.BADF, "fd_renumber", q[1], -1);
        }
    }

    @Test
    void ttyGetDescribesStdioThatIsNotATerminal() {
        try (ShimGuest g = ShimGuest.open(Transport.NIO)) {
            for (int i = 0; i < 24; i++) {
                g.putU8(EVENTS + i, 0xAA);
            }
            g.ok("tty_get", EVENTS);
            assertEquals(80, g.i32(EVENTS), "cols");
            assertEquals(25, g.i32(EVENTS + 4), "rows");
            assertEquals(800, g.i32(EVENTS + 8), "width");
            assertEquals(600, g.i32(EVENTS + 12), "height");
            assertArrayEquals(new byte[8], g.bytes(EVENTS + 16, 8),
                    "stdin, stdout and stderr are not ttys; no echo, no line buffering, no line feeds; padding zeroed");
            g.ok("tty_set", EVENTS);
            g.expect(Errno.FAULT, "tty_get", MEMORY_SIZE - 8);
            g.expect(Errno.FAULT, "tty_set", MEMORY_SIZE - 8);
        }
    }

    @Test
    void procIdAndParent() {
        try (ShimGuest g = ShimGuest.open(Transport.NIO)) {
            g.ok("proc_id", RET);
            assertEquals(1, g.i32(RET), "the guest is process 1 of its own world, as wasmer numbers it");
            g.ok("proc_parent", 1, RET + 4);
            assertEquals(0, g.i32(RET + 4), "with parent 0");
            g.expect(Errno.BADF, "proc_parent", 2, RET + 4);
            g.expect(Errno.FAULT, "proc_id", MEMORY_SIZE);
        }
    }
}
