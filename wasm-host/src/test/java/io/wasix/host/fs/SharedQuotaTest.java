package io.wasix.host.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.wasix.host.abi.Errno;
import io.wasix.host.abi.WasiException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Shards mounting one host directory share its quota: the limit holds for all of them together. */
class SharedQuotaTest {
    @TempDir
    Path tmp;

    @Test
    void twoInstancesMountingOneDirectoryShareItsQuota() throws Exception {
        Files.writeString(tmp.resolve("already"), "x".repeat(100)); // counted once, at the first mount
        List<MountSpec> specs = List.of(MountSpec.host(tmp, "/").withQuota(1000, 10));
        Mount a = Vfs.of(specs).preopens().get(0).mount();
        Mount b = Vfs.of(specs).preopens().get(0).mount();
        assertSame(a.quota(), b.quota());
        assertEquals(100, a.quota().bytes());
        a.root().createFile("fa").open(true).write(0, new byte[500], 0, 500);
        OpenFile fb = b.root().createFile("fb").open(true);
        WasiException e = assertThrows(WasiException.class, () -> fb.write(0, new byte[500], 0, 500));
        assertEquals(Errno.DQUOT, e.errno());
        fb.write(0, new byte[400], 0, 400);
        assertEquals(1000, b.quota().bytes());
        assertEquals(a.recount()[0], a.quota().bytes());
        assertEquals(a.recount()[1], b.quota().inodes());
    }
}
