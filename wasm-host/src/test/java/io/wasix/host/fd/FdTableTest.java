package io.wasix.host.fd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.wasix.host.abi.WasiException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Open file descriptions shared by fd_dup'ed fds, and fd_renumber, with Linux's semantics. */
class FdTableTest {
    /** Counts its closes. */
    static final class Probe implements Descriptor {
        int closes;

        public FileType fileType() {
            return FileType.REGULAR_FILE;
        }

        public int readiness() {
            return 0;
        }

        public long readinessSeq() {
            return 0;
        }

        public void close() {
            closes++;
        }
    }

    @Test
    void aDupSharesFlagsAndTheLastCloseClosesIt() {
        FdTable t = new FdTable();
        Probe p = new Probe();
        int a = t.add(p, 0);
        int b = t.dup(a);
        assertEquals(a + 1, b);
        t.entry(a).setFlags(FdTable.FDFLAG_APPEND);
        assertEquals(FdTable.FDFLAG_APPEND, t.entry(b).flags());
        t.close(a);
        assertEquals(0, p.closes);
        assertSame(p, t.get(b));
        t.close(b);
        assertEquals(1, p.closes);
        assertThrows(WasiException.class, () -> t.get(b));
    }

    @Test
    void renumberMovesAnFdOntoAnotherAndClosesWhatThatNamed() {
        FdTable t = new FdTable();
        Probe from = new Probe(), to = new Probe();
        int f = t.add(from, 0);
        int g = t.add(to, 0);
        List<Integer> told = new ArrayList<>();
        t.onClose(told::add);
        t.renumber(f, g);
        assertEquals(1, to.closes);
        assertEquals(0, from.closes);
        assertSame(from, t.get(g));
        assertThrows(WasiException.class, () -> t.get(f));
        assertEquals(List.of(g, f), told);
        assertEquals(f, t.add(new Probe(), 0)); // the freed number is the lowest again
        assertThrows(WasiException.class, () -> t.renumber(g, 99));
    }

    @Test
    void renumberOntoADupOfItselfKeepsItOpen() {
        FdTable t = new FdTable();
        Probe p = new Probe();
        int a = t.add(p, 0);
        int b = t.dup(a);
        t.renumber(a, b);
        assertEquals(0, p.closes);
        t.close(b);
        assertEquals(1, p.closes);
    }
}
