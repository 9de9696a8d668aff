package io.wasix.host.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.wasix.host.abi.Errno;
import io.wasix.host.abi.WasiException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A symlink the guest makes cannot point out of its mount for whoever follows it on the host: refused at
 * creation, and when a rename or link would carry it higher. The same on every mount kind. The guest-level
 * version of these checks runs through the syscalls in fs-calls.c (FsGuestTest).
 */
class SymlinkConfinementTest {
    @TempDir
    Path tmp;

    private static void refused(Runnable r) {
        WasiException e = assertThrows(WasiException.class, r::run);
        assertEquals(Errno.NOTCAPABLE, e.errno());
    }

    @Test
    void aTargetClimbsByItsLeadingDotDotsOnly() {
        assertEquals(0, SymlinkConfinement.climb("a/b"));
        assertEquals(0, SymlinkConfinement.climb("./a//b/"));
        assertEquals(0, SymlinkConfinement.climb("."));
        assertEquals(0, SymlinkConfinement.climb("..."));
        assertEquals(1, SymlinkConfinement.climb(".."));
        assertEquals(2, SymlinkConfinement.climb("../../lib/x"));
        assertEquals(2, SymlinkConfinement.climb("./.././../x"));
        assertEquals(-1, SymlinkConfinement.climb("/etc/passwd"));
        assertEquals(-1, SymlinkConfinement.climb("a/../b")); // ".." after a name: a may itself be a link
        assertEquals(-1, SymlinkConfinement.climb("../a/.."));
    }

    private static List<Supplier<Vnode>> roots(Path tmp) throws Exception {
        Path host = Files.createDirectories(tmp.resolve("host"));
        return List.of(() -> new MemFs(Quota.unlimited()).root(), () -> new HostFs(host, Quota.unlimited(), false).root());
    }

    @Test
    void aNewLinkMayClimbAsHighAsItsDirectoryIsDeep() throws Exception {
        for (Supplier<Vnode> make : roots(tmp)) {
            Vnode r = make.get();
            r.mkdir("d");
            Vnode d = r.lookup("d");
            d.mkdir("e");
            Vnode e = d.lookup("e");
            assertEquals(0, r.depth());
            assertEquals(1, d.depth());
            assertEquals(2, e.depth());
            SymlinkConfinement.checkNewLink(r, "d/e");
            SymlinkConfinement.checkNewLink(d, "../x");
            SymlinkConfinement.checkNewLink(e, "../../x");
            refused(() -> SymlinkConfinement.checkNewLink(r, ".."));
            refused(() -> SymlinkConfinement.checkNewLink(r, "../../../etc/passwd"));
            refused(() -> SymlinkConfinement.checkNewLink(d, "../../x"));
            refused(() -> SymlinkConfinement.checkNewLink(e, "../../../x"));
            refused(() -> SymlinkConfinement.checkNewLink(e, "/etc/passwd"));
            refused(() -> SymlinkConfinement.checkNewLink(e, "x/../../x"));
        }
    }

    @Test
    void aLinkOrADirectoryMovedHigherMayNotCarryALinkOut() throws Exception {
        for (Supplier<Vnode> make : roots(tmp)) {
            Vnode r = make.get();
            r.mkdir("d");
            Vnode d = r.lookup("d");
            d.mkdir("e");
            Vnode e = d.lookup("e");
            e.mkdir("f");
            e.lookup("f").symlink("deep", "../../../x"); // fine three levels down
            d.symlink("up", "../x");
            Vnode up = d.lookup("up");
            refused(() -> SymlinkConfinement.checkMove(up, d, r));         // to the root: climbs out
            SymlinkConfinement.checkMove(up, d, e);                        // deeper: fine
            refused(() -> SymlinkConfinement.checkMove(e, d, r));          // e/f/deep would be two deep
            SymlinkConfinement.checkMove(e, d, d);                         // the same depth: not searched
            SymlinkConfinement.checkMove(e.lookup("f"), e, e);
            refused(() -> SymlinkConfinement.checkMove(e.lookup("f"), e, d));
            e.lookup("f").unlink("deep");
            e.lookup("f").symlink("shallow", "../x");                      // climbs only to e
            SymlinkConfinement.checkMove(e, d, r);
        }
    }

    @Test
    void aMoveJudgesNoLinkItDoesNotMakeWorse() throws Exception {
        Path host = Files.createDirectories(tmp.resolve("planted"));
        Files.createDirectories(host.resolve("d"));
        Files.createSymbolicLink(host.resolve("abs"), Path.of("/etc"));          // the operator's
        Files.createSymbolicLink(host.resolve("d/odd"), Path.of("x/../../y"));
        Vnode r = new HostFs(host, Quota.unlimited(), false).root();
        Vnode d = r.lookup("d");
        SymlinkConfinement.checkMove(r.lookup("abs"), r, d);
        SymlinkConfinement.checkMove(d, r, d);
        SymlinkConfinement.checkMove(d.lookup("odd"), d, r);
    }

    @Test
    void aMoveToAnotherMountIsLeftToItsExdev() {
        Vnode a = new MemFs(Quota.unlimited()).root();
        Vnode b = new MemFs(Quota.unlimited()).root();
        a.mkdir("d");
        a.lookup("d").symlink("up", "../x");
        SymlinkConfinement.checkMove(a.lookup("d").lookup("up"), a.lookup("d"), b);
    }

    @Test
    void theReadOnlyLayerJudgesByDepthToo() throws Exception {
        Path src = Files.createDirectories(tmp.resolve("layer/d"));
        MemFs layer = Vfs.layer(src.getParent(), Quota.unlimited());
        Vnode d = layer.root().lookup("d");
        assertEquals(1, d.depth());
        SymlinkConfinement.checkNewLink(d, "../x");
        refused(() -> SymlinkConfinement.checkNewLink(d, "../../x"));
    }

    @Test
    void depthIsADirectorysOnly() {
        Vnode r = new MemFs(Quota.unlimited()).root();
        Vnode f = r.createFile("f");
        assertEquals(Errno.NOTDIR, assertThrows(WasiException.class, f::depth).errno());
    }

    @Test
    void aMovedTreeIsSearchedPastOneListingBatch() {
        Vnode r = new MemFs(Quota.unlimited()).root();
        r.mkdir("d");
        Vnode d = r.lookup("d");
        d.mkdir("e");
        Vnode e = d.lookup("e");
        for (int i = 0; i < 600; i++) {
            e.symlink(String.format("s%04d", i), "x");
        }
        e.symlink("zz", "../../x");
        refused(() -> SymlinkConfinement.checkMove(e, d, r));
    }
}
