package io.wasix.host.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.wasix.host.abi.Errno;
import io.wasix.host.abi.WasiException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The in-memory mount's semantics, as Linux gives them on tmpfs, and its quota arithmetic. */
class MemFsTest {
    private static void assertErrno(Errno want, Runnable r) {
        WasiException e = assertThrows(WasiException.class, r::run);
        assertEquals(want, e.errno());
    }

    @Test
    void renameFollowsLinuxRules() {
        MemFs fs = new MemFs(Quota.unlimited());
        MemNode r = fs.root();
        r.mkdir("a");
        r.lookup("a").mkdir("b");
        r.createFile("f");
        r.mkdir("full");
        r.lookup("full").createFile("x");
        r.mkdir("empty");
        assertErrno(Errno.INVAL, () -> r.rename("a", r.lookup("a").lookup("b"), "a"));
        assertErrno(Errno.ISDIR, () -> r.rename("f", r, "a"));
        assertErrno(Errno.NOTDIR, () -> r.rename("a", r, "f"));
        assertErrno(Errno.NOTEMPTY, () -> r.rename("a", r, "full"));
        r.rename("a", r, "empty"); // an empty directory is replaced
        assertNull(r.lookup("a"));
        assertEquals(Kind.DIRECTORY, r.lookup("empty").lookup("b").kind());
        assertEquals(4 + 1 + 1, fs.quota().inodes()); // root, empty(was a), b, f, full, x
    }

    @Test
    void hardLinksShareOneInodeAndItsBytes() {
        MemFs fs = new MemFs(Quota.unlimited());
        MemNode r = fs.root();
        r.createFile("f").write(0, new byte[100], 0, 100);
        r.link("g", r.lookup("f"));
        assertEquals(2, r.lookup("f").stat().nlink());
        assertEquals(100, fs.quota().bytes());
        r.unlink("f");
        assertEquals(100, fs.quota().bytes());
        r.unlink("g");
        assertEquals(0, fs.quota().bytes());
        assertEquals(1, fs.quota().inodes());
    }

    @Test
    void aRefusedWriteLeavesTheFileAsItWas() {
        MemFs fs = new MemFs(new Quota(1000, 10));
        MemNode f = fs.root().createFile("f");
        f.write(0, new byte[] {1, 2, 3}, 0, 3);
        assertErrno(Errno.DQUOT, () -> f.write(2, new byte[999], 0, 999));
        assertEquals(3, f.size());
        byte[] back = new byte[3];
        f.read(0, back, 0, 3);
        assertEquals(List.of((byte) 1, (byte) 2, (byte) 3), List.of(back[0], back[1], back[2]));
        assertEquals(3, fs.quota().bytes());
        f.write(0, new byte[1000], 0, 1000); // exactly at the limit is allowed
        assertEquals(1000, fs.quota().bytes());
    }

    @Test
    void inodeQuotaCountsFilesDirectoriesAndSymlinks() {
        MemFs fs = new MemFs(new Quota(Quota.UNLIMITED, 3));
        MemNode r = fs.root();
        r.mkdir("d");
        r.symlink("s", "d");
        assertErrno(Errno.DQUOT, () -> r.createFile("f"));
        assertNull(r.lookup("f"));
        r.rmdir("d");
        r.createFile("f");
        assertEquals(3, fs.quota().inodes());
    }

    @Test
    void anUnlinkedOpenFileKeepsItsDataButNotItsCharge() {
        MemFs fs = new MemFs(Quota.unlimited());
        MemNode f = fs.root().createFile("f");
        f.write(0, new byte[50], 0, 50);
        fs.root().unlink("f");
        assertEquals(0, fs.quota().bytes());
        f.write(50, new byte[50], 0, 50);
        assertEquals(100, f.size());
        assertEquals(0, fs.quota().bytes());
        assertEquals(1, fs.quota().inodes());
    }

    @Test
    void truncateThenExtendReadsZeros() {
        MemFs fs = new MemFs(Quota.unlimited());
        MemNode f = fs.root().createFile("f");
        f.write(0, new byte[] {9, 9, 9, 9}, 0, 4);
        f.truncate(1);
        f.truncate(4);
        byte[] b = new byte[4];
        f.read(0, b, 0, 4);
        assertEquals(List.of((byte) 9, (byte) 0, (byte) 0, (byte) 0), List.of(b[0], b[1], b[2], b[3]));
        f.write(8, new byte[] {7}, 0, 1); // a write past the end leaves a zero-filled hole
        byte[] hole = new byte[9];
        f.read(0, hole, 0, 9);
        assertEquals(0, hole[5]);
        assertEquals(9, fs.quota().bytes());
    }

    @Test
    void theReadOnlyLayerRefusesEveryChange() {
        MemFs fs = new MemFs(Quota.unlimited());
        fs.root().createFile("f").write(0, new byte[] {1}, 0, 1);
        fs.root().mkdir("d");
        fs.seal();
        MemNode r = fs.root();
        assertErrno(Errno.ROFS, () -> r.createFile("g"));
        assertErrno(Errno.ROFS, () -> r.mkdir("e"));
        assertErrno(Errno.ROFS, () -> r.unlink("f"));
        assertErrno(Errno.ROFS, () -> r.rmdir("d"));
        assertErrno(Errno.ROFS, () -> r.rename("f", r, "g"));
        assertErrno(Errno.ROFS, () -> r.symlink("s", "f"));
        assertErrno(Errno.ROFS, () -> r.lookup("f").open(true));
        assertEquals(1, r.lookup("f").open(false).size());
    }

    @Test
    void listingsResumeAfterANameWhateverChangedMeanwhile() {
        MemFs fs = new MemFs(Quota.unlimited());
        MemNode r = fs.root();
        for (String n : List.of("b", "d", "f")) {
            r.createFile(n);
        }
        List<DirEntry> first = r.list(null, 2);
        assertEquals(List.of("b", "d"), first.stream().map(DirEntry::name).toList());
        r.unlink("d"); // the name the cursor sits on goes away
        r.createFile("a"); // one before the cursor appears: not listed again
        r.createFile("e"); // one after the cursor appears: listed
        assertEquals(List.of("e", "f"), r.list("d", 10).stream().map(DirEntry::name).toList());
    }
}
