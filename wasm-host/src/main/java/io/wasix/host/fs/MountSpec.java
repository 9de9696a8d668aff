package io.wasix.host.fs;

import java.nio.file.Path;

/**
 * One entry of the mount table as configured: what to mount at which guest path, with which quota. Each
 * guest instance builds its own mounts from these (in-memory mounts are per instance: shards share nothing).
 * Immutable; any thread.
 *
 * @param guestPath the preopen name the guest sees, e.g. "/" or "/data"
 * @param hostPath the host directory (HOST), or the directory whose files are copied in (LAYER), or null
 * @param maxBytes quota on bytes, {@link Quota#UNLIMITED} for none
 * @param maxInodes quota on inodes (files, directories, symlinks), {@link Quota#UNLIMITED} for none
 */
public record MountSpec(String guestPath, Type type, Path hostPath, long maxBytes, long maxInodes) {
    /** The three kinds of mount. */
    public enum Type { MEMORY, HOST, LAYER }

    /** Limits of an in-memory mount when none are given: its bytes live on the JVM heap. */
    public static final long DEFAULT_MEMORY_BYTES = 256L << 20, DEFAULT_MEMORY_INODES = 65_536;

    public static MountSpec memory(String guestPath) {
        return new MountSpec(guestPath, Type.MEMORY, null, DEFAULT_MEMORY_BYTES, DEFAULT_MEMORY_INODES);
    }

    public static MountSpec host(Path hostPath, String guestPath) {
        return new MountSpec(guestPath, Type.HOST, hostPath, Quota.UNLIMITED, Quota.UNLIMITED);
    }

    public static MountSpec layer(Path files, String guestPath) {
        return new MountSpec(guestPath, Type.LAYER, files, Quota.UNLIMITED, Quota.UNLIMITED);
    }

    public MountSpec withQuota(long bytes, long inodes) {
        return new MountSpec(guestPath, type, hostPath, bytes, inodes);
    }

    /**
     * The guest's default: nothing preopened, as wasmtime and wasmer do without --dir, so that fd 3 is the
     * first free fd (guests and conformance tests count on it). An in-memory mount is asked for by name.
     */
    public static java.util.List<MountSpec> defaults() {
        return java.util.List.of();
    }
}
