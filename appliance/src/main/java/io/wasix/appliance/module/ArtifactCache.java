package io.wasix.appliance.module;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The directory of compiled modules, {@code <sha256 of the .wasm>.jar} each: `appliance compile` writes
 * there and `appliance run` looks there first. Content-addressed, so a changed module never finds the old
 * module's classes: it misses, and is compiled at load time. Immutable; any thread.
 *
 * @param dir the directory, or null when there is none (no HOME to put the default under)
 * @param why where it came from, or why there is none: "--cache", "APPLIANCE_CACHE", ...
 */
public record ArtifactCache(Path dir, String why) {
    static final String NAME = "wasix-appliance";

    /** For tests and --interpreter: never looked at. */
    public static final ArtifactCache NONE = new ArtifactCache(null, "no cache");

    /**
     * The directory {@code flag} names (--cache DIR, -o DIR), else APPLIANCE_CACHE, else the XDG user cache:
     * $XDG_CACHE_HOME/wasix-appliance (the spec ignores a relative one), else ~/.cache/wasix-appliance.
     */
    public static ArtifactCache locate(String flag, Map<String, String> env) {
        if (flag != null && !flag.isBlank()) {
            return new ArtifactCache(Path.of(flag), "--cache");
        }
        String variable = env.get("APPLIANCE_CACHE");
        if (variable != null && !variable.isBlank()) {
            return new ArtifactCache(Path.of(variable), "APPLIANCE_CACHE");
        }
        String xdg = env.get("XDG_CACHE_HOME");
        if (xdg != null && Path.of(xdg).isAbsolute()) {
            return new ArtifactCache(Path.of(xdg, NAME), "XDG_CACHE_HOME");
        }
        String home = env.get("HOME");
        if (home != null && Path.of(home).isAbsolute()) {
            return new ArtifactCache(Path.of(home, ".cache", NAME), "HOME");
        }
        return new ArtifactCache(null, "no cache directory: neither APPLIANCE_CACHE, XDG_CACHE_HOME nor HOME is set");
    }

    /** Where the artifact of the module with this digest is, or would be. */
    public Path fileFor(String digest) {
        return dir.resolve(ModuleArtifact.fileName(digest));
    }

    /** The artifact of the module with {@code digest}; UnusableException says why there is none to use. */
    public ModuleArtifact lookup(String digest) throws ModuleArtifact.UnusableException {
        if (dir == null) {
            throw new ModuleArtifact.UnusableException(why);
        }
        Path file = fileFor(digest);
        if (!Files.exists(file)) {
            throw new ModuleArtifact.UnusableException("no cached artifact for " + ModuleArtifact.shortDigest(digest)
                    + " in " + dir);
        }
        return ModuleArtifact.read(file, digest);
    }
}
