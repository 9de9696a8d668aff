package io.wasix.host.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.wasix.host.abi.Errno;
import io.wasix.host.abi.WasiException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A host mount never reaches outside its root: not by "..", not through absolute or relative symlinks
 * planted on the host, and not when a directory is swapped for a symlink after the path was resolved.
 */
class HostConfinementTest {
    @TempDir
    Path tmp;
    Path root, outside;
    HostFs fs;

    @BeforeEach
    void setUp() throws Exception {
        root = Files.createDirectories(tmp.resolve("root"));
        outside = Files.createDirectories(tmp.resolve("outside"));
        Files.writeString(outside.resolve("secret"), "secret");
        Files.createDirectories(root.resolve("d/e"));
        Files.writeString(root.resolve("d/file"), "inside");
        fs = new HostFs(root, Quota.unlimited(), false);
    }

    private static void assertErrno(Errno want, Runnable r) {
        WasiException e = assertThrows(WasiException.class, r::run);
        assertEquals(want, e.errno());
    }

    private PathWalker.Walk walk(String path, boolean follow) {
        return PathWalker.walk(fs.root(), path, follow);
    }

    @Test
    void dotDotCannotClimbAboveTheRoot() {
        assertErrno(Errno.NOTCAPABLE, () -> walk("../outside/secret", true));
        assertErrno(Errno.NOTCAPABLE, () -> walk("d/../../outside/secret", true));
        assertErrno(Errno.NOTCAPABLE, () -> walk("d/e/../../..", true));
        assertEquals("inside", read(walk("d/e/../file", true).existing()));
    }

    @Test
    void absolutePathsAreRefused() {
        assertErrno(Errno.NOTCAPABLE, () -> walk(outside.resolve("secret").toString(), true));
    }

    @Test
    void anAbsoluteSymlinkPlantedOnTheHostIsNotFollowed() throws Exception {
        Files.createSymbolicLink(root.resolve("abs"), outside.resolve("secret"));
        Files.createSymbolicLink(root.resolve("absdir"), outside);
        assertErrno(Errno.NOTCAPABLE, () -> walk("abs", true));
        assertErrno(Errno.NOTCAPABLE, () -> walk("absdir/secret", false));
        // Not following the last component is fine: it names the link itself.
        assertEquals(Kind.SYMLINK, walk("abs", false).existing().kind());
        assertErrno(Errno.LOOP, () -> walk("abs", false).existing().open(false));
    }

    @Test
    void aRelativeSymlinkThatClimbsOutIsRefused() throws Exception {
        Files.createSymbolicLink(root.resolve("d/up"), Path.of("../../outside"));
        Files.createSymbolicLink(root.resolve("d/ok"), Path.of("../d/e"));
        assertErrno(Errno.NOTCAPABLE, () -> walk("d/up/secret", true));
        assertEquals(Kind.DIRECTORY, walk("d/ok", true).existing().kind());
    }

    @Test
    void symlinkLoopsEndInEloop() throws Exception {
        Files.createSymbolicLink(root.resolve("l1"), Path.of("l2"));
        Files.createSymbolicLink(root.resolve("l2"), Path.of("l1"));
        assertErrno(Errno.LOOP, () -> walk("l1", true));
        assertErrno(Errno.LOOP, () -> walk("l1/x", false));
    }

    @Test
    void aDirectorySwappedForASymlinkAfterResolutionIsRefused() throws Exception {
        Vnode d = walk("d", true).existing();
        // The race: between resolving "d" and using it, someone replaces it with a link to the outside.
        Path moved = tmp.resolve("d-moved");
        Files.move(root.resolve("d"), moved);
        Files.createSymbolicLink(root.resolve("d"), outside);
        assertErrno(Errno.NOTCAPABLE, () -> d.createFile("planted"));
        assertErrno(Errno.NOTCAPABLE, () -> d.unlink("secret"));
        assertErrno(Errno.NOTCAPABLE, () -> d.mkdir("x"));
        assertErrno(Errno.NOTCAPABLE, () -> d.symlink("x", "y"));
        assertFalse(Files.exists(outside.resolve("planted")));
        assertEquals("secret", Files.readString(outside.resolve("secret")));
    }

    @Test
    void anAncestorSwappedForASymlinkRedirectsNothing() throws Exception {
        Files.createDirectories(outside.resolve("e"));
        Files.writeString(outside.resolve("e/f"), "outside");
        Files.writeString(root.resolve("d/e/f"), "inside");
        Vnode f = walk("d/e/f", true).existing();
        Vnode e = walk("d/e", true).existing();
        Files.move(root.resolve("d"), tmp.resolve("d-moved"));
        Files.createSymbolicLink(root.resolve("d"), outside);
        // Each call opens root, then d with O_NOFOLLOW: d is now a symlink, so nothing reaches outside/.
        assertErrno(Errno.NOTCAPABLE, () -> f.open(false));
        assertErrno(Errno.NOTCAPABLE, () -> e.unlink("f"));
        assertErrno(Errno.NOTCAPABLE, () -> e.rename("f", fs.root(), "stolen"));
        assertEquals("outside", Files.readString(outside.resolve("e/f")));
        assertFalse(Files.exists(root.resolve("stolen")));
    }

    @Test
    void aFileSwappedForASymlinkIsNotOpenedThroughIt() throws Exception {
        Vnode f = walk("d/file", true).existing();
        Files.delete(root.resolve("d/file"));
        Files.createSymbolicLink(root.resolve("d/file"), outside.resolve("secret"));
        assertErrno(Errno.LOOP, () -> f.open(false)); // opened with NOFOLLOW_LINKS
    }

    @Test
    void symlinksCreatedByTheGuestStayInside() {
        Vnode r = fs.root();
        r.symlink("rel", "d/file");
        assertEquals("inside", read(walk("rel", true).existing()));
        assertNotNull(r.lookup("rel"));
    }

    @Test
    void aReadOnlyHostMountRefusesWrites() {
        HostFs ro = new HostFs(root, Quota.unlimited(), true);
        assertErrno(Errno.ROFS, () -> ro.root().createFile("x"));
        assertErrno(Errno.ROFS, () -> ro.root().lookup("d").unlink("file"));
        assertErrno(Errno.ROFS, () -> ro.root().lookup("d").lookup("file").open(true));
        assertEquals("inside", read(ro.root().lookup("d").lookup("file")));
    }

    private static String read(Vnode n) {
        OpenFile f = n.open(false);
        byte[] b = new byte[(int) f.size()];
        f.read(0, b, 0, b.length);
        f.close();
        return new String(b, StandardCharsets.UTF_8);
    }
}
