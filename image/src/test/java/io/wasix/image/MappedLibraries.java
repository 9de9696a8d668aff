package io.wasix.image;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The shared libraries a running process has mapped, read from /proc/PID/maps, and the ones the rootfs
 * carries. Stateless; any thread.
 */
final class MappedLibraries {
    private MappedLibraries() {}

    /** Paths of the shared objects (".so" in the name) mapped by process {@code pid}, as the kernel names them. */
    static Set<String> of(long pid) throws IOException {
        Set<String> libs = new TreeSet<>();
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/maps"))) {
            int slash = line.indexOf('/');
            if (slash < 0) {
                continue; // anonymous, [heap], [vdso] ...
            }
            String path = line.substring(slash).replace(" (deleted)", "");
            if (Path.of(path).getFileName().toString().contains(".so")) {
                libs.add(path);
            }
        }
        return libs;
    }

    /** The rootfs's shared objects outside its /appliance (the system libraries it carries), rootfs-relative. */
    static Set<String> systemLibrariesIn(Path rootfs) throws IOException {
        Set<String> libs = new TreeSet<>();
        try (Stream<Path> files = Files.walk(rootfs)) {
            files.filter(Files::isRegularFile)
                    .filter(p -> !p.startsWith(rootfs.resolve("appliance")))
                    .filter(p -> p.getFileName().toString().contains(".so"))
                    .forEach(p -> libs.add("/" + rootfs.relativize(p)));
        }
        return libs;
    }
}
