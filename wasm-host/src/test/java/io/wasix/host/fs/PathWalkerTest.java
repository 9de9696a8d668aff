package io.wasix.host.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wasix.host.abi.Errno;
import io.wasix.host.abi.WasiException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Path resolution: dots, slashes, symlinks and the limits, as WASI and Linux define them. */
class PathWalkerTest {
    MemFs fs;
    MemNode r;

    @BeforeEach
    void setUp() {
        fs = new MemFs(Quota.unlimited());
        r = fs.root();
        r.mkdir("d");
        r.lookup("d").createFile("f");
        r.symlink("ld", "d");
        r.symlink("dangling", "nowhere");
    }

    private static Errno errno(Runnable run) {
        return assertThrows(WasiException.class, run::run).errno();
    }

    @Test
    void dotsAndSlashesCollapse() {
        assertSame(r.lookup("d").lookup("f"), PathWalker.walk(r, "d/.//./f", false).node());
        assertSame(r.lookup("d"), PathWalker.walk(r, "d/", false).node());
        assertTrue(PathWalker.walk(r, "d/", false).mustBeDir());
        assertNull(PathWalker.walk(r, ".", false).name());
        assertSame(r, PathWalker.walk(r, "d/..", false).node());
    }

    @Test
    void errorsAreLinuxs() {
        assertEquals(Errno.NOENT, errno(() -> PathWalker.walk(r, "", false)));
        assertEquals(Errno.NOTDIR, errno(() -> PathWalker.walk(r, "d/f/", false)));
        assertEquals(Errno.NOTDIR, errno(() -> PathWalker.walk(r, "d/f/x", false)));
        assertEquals(Errno.NOENT, errno(() -> PathWalker.walk(r, "nope/x", false)));
        assertEquals(Errno.NAMETOOLONG, errno(() -> PathWalker.walk(r, "x".repeat(256), false)));
        assertEquals(Errno.NAMETOOLONG, errno(() -> PathWalker.walk(r, "a/".repeat(2100), false)));
        assertEquals(Errno.INVAL, errno(() -> PathWalker.walk(r, "d\0", false)));
        assertEquals(Errno.NOTCAPABLE, errno(() -> PathWalker.walk(r, "/d", false)));
    }

    @Test
    void symlinksAreFollowedInTheMiddleAndOnRequestAtTheEnd() {
        assertSame(r.lookup("d").lookup("f"), PathWalker.walk(r, "ld/f", false).node());
        assertEquals(Kind.SYMLINK, PathWalker.walk(r, "ld", false).node().kind());
        assertSame(r.lookup("d"), PathWalker.walk(r, "ld", true).node());
        PathWalker.Walk w = PathWalker.walk(r, "dangling", true);
        assertNull(w.node()); // creating through a dangling link creates its target, as open(O_CREAT) does
        assertEquals("nowhere", w.name());
    }

    /** The plain-path shortcut and the general walk must agree: the same result, or the same errno. */
    @Test
    void everyPathWalksAsTheGeneralWayWould() {
        r.lookup("d").mkdir("e");
        r.lookup("d").symlink("up", "..");
        r.lookup("d").lookup("e").createFile("g");
        String[] parts = {"d", "e", "f", "g", "ld", "up", "dangling", "none", ".", ".."};
        for (String a : parts) {
            for (String b : parts) {
                for (String path : new String[] {a, a + "/" + b, a + "/" + b + "/g", a + "/" + b + "/"}) {
                    for (boolean follow : new boolean[] {false, true}) {
                        String got = describe(() -> PathWalker.walk(r, path, follow));
                        String want = describe(() -> generalWalk(path, follow));
                        assertEquals(want, got, path + " follow=" + follow);
                    }
                }
            }
        }
    }

    /** The general walk alone: "./" in front keeps a path off the shortcut without changing where it leads. */
    private PathWalker.Walk generalWalk(String path, boolean follow) {
        return PathWalker.walk(r, "./" + path, follow);
    }

    private static String describe(java.util.function.Supplier<PathWalker.Walk> walk) {
        try {
            PathWalker.Walk w = walk.get();
            return "parent=" + System.identityHashCode(w.parent()) + " name=" + w.name() + " node="
                    + System.identityHashCode(w.node()) + " dir=" + w.mustBeDir();
        } catch (WasiException e) {
            return e.errno().name();
        }
    }
}
