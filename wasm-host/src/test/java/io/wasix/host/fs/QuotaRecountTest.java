package io.wasix.host.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wasix.host.abi.Errno;
import io.wasix.host.abi.WasiException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The property behind "usage by deltas": after any sequence of operations, succeeded or refused, the
 * usage the quota holds equals a full recount of the tree, and a refused operation changed nothing.
 */
class QuotaRecountTest {
    private static final String[] NAMES = {"a", "b", "c", "d"};
    private static final long MAX_BYTES = 8_000, MAX_INODES = 12;

    @TempDir
    Path tmp;

    @Test
    void inMemoryUsageAlwaysEqualsARecount() {
        for (long seed = 1; seed <= 20; seed++) {
            randomOps(new MemFs(new Quota(MAX_BYTES, MAX_INODES)), seed, 400);
        }
    }

    @Test
    void hostDirectoryUsageAlwaysEqualsARecount() throws Exception {
        for (long seed = 1; seed <= 4; seed++) {
            Path dir = java.nio.file.Files.createDirectory(tmp.resolve("run" + seed));
            randomOps(new HostFs(dir, new Quota(MAX_BYTES, MAX_INODES), false), seed, 250);
        }
    }

    private static void randomOps(Mount fs, long seed, int steps) {
        Random rnd = new Random(seed);
        List<OpenFile> open = new ArrayList<>();
        int refused = 0;
        for (int step = 0; step < steps; step++) {
            long[] before = {fs.quota().bytes(), fs.quota().inodes()};
            long[] treeBefore = fs.recount();
            String what = "";
            try {
                Vnode dir = randomDir(fs, rnd);
                String name = NAMES[rnd.nextInt(NAMES.length)];
                Vnode n = dir.lookup(name);
                switch (rnd.nextInt(11)) {
                    case 0 -> { what = "createFile " + name; dir.createFile(name); }
                    case 1 -> { what = "mkdir " + name; dir.mkdir(name); }
                    case 2 -> { what = "symlink " + name; dir.symlink(name, "target-" + rnd.nextInt(1000)); }
                    case 3 -> { what = "unlink " + name; dir.unlink(name); }
                    case 4 -> { what = "rmdir " + name; dir.rmdir(name); }
                    case 5 -> {
                        Vnode to = randomDir(fs, rnd);
                        String toName = NAMES[rnd.nextInt(NAMES.length)];
                        what = "rename " + name + " -> " + toName;
                        dir.rename(name, to, toName);
                    }
                    case 6 -> {
                        what = "link " + name;
                        if (n != null) {
                            randomDir(fs, rnd).link(NAMES[rnd.nextInt(NAMES.length)], n);
                        }
                    }
                    case 7, 8 -> {
                        if (n != null && n.kind() == Kind.FILE) {
                            OpenFile f = n.open(true);
                            open.add(f);
                            int len = rnd.nextInt(3000);
                            long pos = rnd.nextInt(6000);
                            what = "write " + len + " at " + pos;
                            f.write(pos, new byte[len], 0, len);
                        }
                    }
                    case 9 -> {
                        if (n != null && n.kind() == Kind.FILE) {
                            long size = rnd.nextInt(9000);
                            what = "truncate " + size;
                            OpenFile f = n.open(true);
                            open.add(f);
                            f.truncate(size);
                        }
                    }
                    default -> {
                        if (n != null && n.kind() == Kind.FILE) {
                            what = "allocate";
                            OpenFile f = n.open(true);
                            open.add(f);
                            f.allocate(rnd.nextInt(5000), 1 + rnd.nextInt(5000));
                        }
                    }
                }
            } catch (WasiException e) {
                if (e.errno() == Errno.DQUOT) {
                    refused++;
                    assertArrayEquals(before, new long[] {fs.quota().bytes(), fs.quota().inodes()},
                            "seed " + seed + " step " + step + ": refused " + what + " moved the usage");
                    assertArrayEquals(treeBefore, fs.recount(),
                            "seed " + seed + " step " + step + ": refused " + what + " changed the tree");
                }
            }
            long[] real = fs.recount();
            assertEquals(real[0], fs.quota().bytes(), "seed " + seed + " step " + step + " after " + what + ": bytes");
            assertEquals(real[1], fs.quota().inodes(), "seed " + seed + " step " + step + " after " + what + ": inodes");
            assertTrue(fs.quota().bytes() <= MAX_BYTES && fs.quota().inodes() <= MAX_INODES, "over quota: " + Arrays.toString(real));
        }
        open.forEach(OpenFile::close);
        assertTrue(refused > 0, "seed " + seed + ": the sequence never reached the quota, so it proved less");
    }

    /** The root or one of its subdirectories, one or two levels down. */
    private static Vnode randomDir(Mount fs, Random rnd) {
        Vnode d = fs.root();
        for (int depth = rnd.nextInt(3); depth > 0; depth--) {
            Vnode c = d.lookup(NAMES[rnd.nextInt(NAMES.length)]);
            if (c == null || c.kind() != Kind.DIRECTORY) {
                break;
            }
            d = c;
        }
        return d;
    }
}
