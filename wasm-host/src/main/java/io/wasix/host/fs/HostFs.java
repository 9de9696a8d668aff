package io.wasix.host.fs;

import io.wasix.host.abi.Errno;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashSet;
import java.util.Set;

/**
 * A host directory served through java.nio. The guest can reach nothing outside it: paths are resolved
 * one component at a time by {@link PathWalker}, every component is looked at with NOFOLLOW_LINKS, symlinks
 * are expanded by the walker itself (an absolute target or one that climbs out is ENOTCAPABLE). Open,
 * create, unlink, rmdir and rename then re-walk from the root through O_NOFOLLOW directory fds
 * ({@link HostNode}); the other mutations re-check, just before they run, that their parent directory still
 * really lies inside the root (a component swapped for a symlink meanwhile is refused). Usage starts from one count taken at mount time
 * (only when a limit is set) and then moves by deltas like the in-memory mounts. Owned by the guest thread; in
 * threaded mode, by any guest thread under the shard lock.
 */
public final class HostFs implements Mount {
    private static long nextDev = 0x1000;

    private final Path root;
    private final long dev;
    private final Quota quota;
    private final boolean readOnly;
    private final HostNode rootNode;

    public HostFs(Path dir, Quota quota, boolean readOnly) {
        try {
            this.root = dir.toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot map host directory " + dir, e);
        }
        if (!Files.isDirectory(root)) {
            throw new IllegalArgumentException("not a directory: " + dir);
        }
        synchronized (HostFs.class) {
            dev = nextDev++;
        }
        this.quota = quota;
        this.readOnly = readOnly;
        this.rootNode = new HostNode(this, root, Kind.DIRECTORY);
        if ((quota.maxBytes() != Quota.UNLIMITED || quota.maxInodes() != Quota.UNLIMITED)
                && quota.bytes() == 0 && quota.inodes() == 0) {
            long[] u = recount();
            quota.charge(u[0], u[1]); // a mount-time count, never repeated: later calls move it by deltas
        }
    }

    /** Quotas of host directories, by real path and limits: shards mounting one directory share one. */
    private static final java.util.Map<String, Quota.Shared> SHARED = new java.util.HashMap<>();

    /**
     * A host directory mounted with these limits, sharing its quota with every other instance in this
     * process that mounts the same directory with the same limits: the disk usage is one and the same.
     */
    public static HostFs shared(Path dir, long maxBytes, long maxInodes, boolean readOnly) {
        Quota.Shared q;
        synchronized (SHARED) {
            String key;
            try {
                key = dir.toRealPath() + "|" + maxBytes + "|" + maxInodes;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot map host directory " + dir, e);
            }
            q = SHARED.computeIfAbsent(key, k -> new Quota.Shared(maxBytes, maxInodes));
            synchronized (q) {
                return new HostFs(dir, q, readOnly); // the first mount counts the usage, under the lock
            }
        }
    }

    Path rootPath() {
        return root;
    }

    /** Fails unless {@code dir} still resolves, without any symlink, to itself under the root. */
    void checkConfined(Path dir) {
        try {
            Path real = dir.toRealPath();
            if (!real.equals(dir) || !real.startsWith(root)) {
                throw Errno.NOTCAPABLE.fail();
            }
        } catch (IOException e) {
            throw IoErrors.of(e);
        }
    }

    /** A host call that may fail with an IOException. */
    @FunctionalInterface
    interface HostIo {
        void run() throws IOException;
    }

    /**
     * Charges the quota first, then runs {@code io}, and gives the charge back if it fails: with a quota
     * shared by several shards, checking and charging after the fact could let two of them pass the limit.
     */
    void charged(long bytes, long inodes, HostIo io) {
        quota.charge(bytes, inodes);
        boolean done = false;
        try {
            io.run();
            done = true;
        } catch (IOException e) {
            throw IoErrors.of(e);
        } finally {
            if (!done) {
                quota.charge(-bytes, -inodes);
            }
        }
    }

    @Override
    public HostNode root() {
        return rootNode;
    }

    @Override
    public Quota quota() {
        return quota;
    }

    @Override
    public boolean readOnly() {
        return readOnly;
    }

    @Override
    public long dev() {
        return dev;
    }

    @Override
    public long[] recount() {
        long[] usage = new long[2];
        Set<Object> seen = new HashSet<>();
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a) {
                    usage[1]++;
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes a) {
                    Object key = a.fileKey();
                    if (key == null || seen.add(key)) {
                        usage[0] += a.isSymbolicLink() ? HostNode.linkLength(f) : a.size();
                        usage[1]++;
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path f, IOException e) {
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return usage;
    }
}
