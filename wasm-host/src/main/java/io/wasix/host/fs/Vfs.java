package io.wasix.host.fs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * One guest instance's mount table: each mount is preopened under its guest path, in the order given, as
 * wasmtime preopens its --dir arguments (fd 3 first). Paths never cross from one mount into another
 * (the guest's libc picks the preopen by longest prefix), so a rename or link between two mounts is EXDEV.
 * Owned by the guest thread; in threaded mode, by any guest thread under the shard lock.
 */
public final class Vfs {
    /** A mount and the name the guest sees it under. */
    public record Preopen(String guestPath, Mount mount) {}

    private final List<Preopen> preopens;

    private Vfs(List<Preopen> preopens) {
        this.preopens = List.copyOf(preopens);
    }

    public static Vfs of(List<MountSpec> specs) {
        List<Preopen> out = new ArrayList<>();
        for (MountSpec s : specs) {
            Quota q = new Quota(s.maxBytes(), s.maxInodes());
            Mount m = switch (s.type()) {
                case MEMORY -> new MemFs(q);
                case HOST -> HostFs.shared(s.hostPath(), s.maxBytes(), s.maxInodes(), false);
                case LAYER -> layer(s.hostPath(), q);
            };
            out.add(new Preopen(s.guestPath(), m));
        }
        return new Vfs(out);
    }

    public List<Preopen> preopens() {
        return preopens;
    }

    /** A read-only in-memory copy of a directory tree: the layer of files bundled into the image. */
    static MemFs layer(Path dir, Quota quota) {
        MemFs fs = new MemFs(quota);
        copyInto(dir, fs.root());
        return fs.seal();
    }

    private static void copyInto(Path dir, MemNode target) {
        try (Stream<Path> children = Files.list(dir)) {
            for (Path p : children.sorted().toList()) {
                String name = p.getFileName().toString();
                if (Files.isSymbolicLink(p)) {
                    target.symlink(name, Files.readSymbolicLink(p).toString());
                } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    target.mkdir(name);
                    copyInto(p, target.lookup(name));
                } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    byte[] data = Files.readAllBytes(p);
                    target.createFile(name).write(0, data, 0, data.length);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read bundled files in " + dir, e);
        }
    }
}
