package io.wasix.appliance.compile;

import io.wasix.appliance.module.ArtifactCache;
import io.wasix.appliance.module.GuestModule;
import io.wasix.appliance.module.ModuleArtifact;
import io.wasix.appliance.module.ModuleCompiler;
import io.wasix.appliance.module.Sha256;

import com.dylibso.chicory.wasm.ChicoryException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * `appliance compile [-o DIR] [--train [--requests N]] MODULE.wasm [-- ARGS...]`: compiles a module ahead of
 * time into the artifact cache, keyed by its SHA-256, and with --train boots it from there once and makes the
 * JDK's AOT cache of that boot this runtime's default, so that later boots of the module find everything
 * cached. Runs on main.
 */
public final class CompileCommand {
    public static final String HELP = """
            Usage: appliance compile [OPTIONS] MODULE.wasm [-- ARGS...]

            Compiles MODULE to JVM bytecode ahead of time, into DIR/<sha256 of MODULE>.jar. `appliance run MODULE`
            then loads that instead of compiling at every start; a changed module has another digest, so it
            is compiled at load time again (the boot line says why) until it is compiled anew.
            Options:
              -o DIR, --cache DIR   where the artifact goes (default: APPLIANCE_CACHE, else
                                    $XDG_CACHE_HOME/wasix-appliance, else ~/.cache/wasix-appliance);
                                    give `appliance run` the same --cache DIR
              --train               then boot MODULE from the artifact as `appliance run MODULE -- ARGS`
                                    would (APPLIANCE_* variables apply), send it HTTP requests, stop it,
                                    and write the JDK's AOT cache of that run over this runtime's
                                    (lib/server/classes.jsa): its later boots load their classes from it.
                                    For images: other modules then boot from a cache trained on this one
              --requests N          how many requests the training run serves (default 200)
              -h, --help            this text
            """;

    private static final int DEFAULT_REQUESTS = 200;

    /** What one `appliance compile` was asked to do. */
    record Options(String module, String cacheFlag, boolean train, int requests, List<String> guestArgs) {}

    private CompileCommand() {}

    /** {@code args} follow the word "compile". Returns the exit status. */
    public static int run(List<String> args, Map<String, String> env, PrintStream out, PrintStream err) {
        Options o;
        try {
            o = parse(args);
        } catch (IllegalArgumentException e) {
            err.println("appliance compile: " + e.getMessage());
            return 2;
        }
        if (o == null) {
            out.print(HELP);
            return 0;
        }
        ArtifactCache cache = ArtifactCache.locate(o.cacheFlag(), env);
        if (cache.dir() == null) {
            err.println("appliance compile: " + cache.why() + "; give -o DIR");
            return 2;
        }
        Path module = Path.of(o.module());
        ModuleArtifact artifact;
        Path file;
        try {
            artifact = compile(module);
            file = cache.fileFor(artifact.digest());
            artifact.write(file);
        } catch (GuestModule.LoadException e) {
            err.println("appliance: " + e.getMessage());
            return 1;
        } catch (IOException e) {
            err.println("appliance: cannot write the artifact to " + cache.dir() + ": " + GuestModule.oneLine(e));
            return 1;
        }
        int bytes = artifact.classes().values().stream().mapToInt(b -> b.length).sum();
        err.printf(Locale.ROOT, "appliance: compiled %s (%s): %d classes, %.1f KB of bytecode%s, to %s%n", module,
                ModuleArtifact.shortDigest(artifact.digest()), artifact.classes().size(), bytes / 1024.0,
                artifact.interpreted().isEmpty() ? "" : ", " + artifact.interpreted().size() + " functions interpreted",
                file);
        if (!o.train()) {
            return 0;
        }
        try {
            Training.Result r = Training.run(module, cache, o.requests(), o.guestArgs(), env, err);
            err.printf(Locale.ROOT, "appliance: AOT cache trained on %d requests to %s: %s, %.1f MB%n", r.answered(),
                    r.address(), r.cache(), r.bytes() / 1e6);
            return 0;
        } catch (Training.TrainingException e) {
            err.println("appliance: training failed: " + e.getMessage());
            return 1;
        }
    }

    /** Compiles the module at {@code path}; a bundled guest's name is not a file here. */
    static ModuleArtifact compile(Path path) throws GuestModule.LoadException {
        if (!Files.isRegularFile(path)) {
            throw new GuestModule.LoadException(path + ": no such file (bundled guests are compiled at build time)");
        }
        byte[] wasm;
        try {
            wasm = Files.readAllBytes(path);
        } catch (IOException e) {
            throw new GuestModule.LoadException(path + ": cannot be read: " + GuestModule.oneLine(e));
        }
        var m = GuestModule.checked(path, wasm);
        try {
            return ModuleCompiler.compile(m, wasm, Sha256.ofBytes(wasm));
        } catch (ChicoryException e) {
            throw new GuestModule.LoadException(path + ": cannot be compiled: " + GuestModule.oneLine(e));
        }
    }

    /** Null means help. */
    static Options parse(List<String> args) {
        String module = null;
        String cache = null;
        boolean train = false;
        int requests = DEFAULT_REQUESTS;
        List<String> guestArgs = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--")) {
                guestArgs.addAll(args.subList(i + 1, args.size()));
                break;
            }
            switch (a) {
                case "-h", "--help" -> {
                    return null;
                }
                case "-o", "--cache" -> cache = value(args, ++i, a);
                case "--train" -> train = true;
                case "--requests" -> requests = requests(value(args, ++i, a));
                default -> {
                    if (a.startsWith("--cache=")) {
                        cache = a.substring("--cache=".length());
                    } else if (a.startsWith("--requests=")) {
                        requests = requests(a.substring("--requests=".length()));
                    } else if (a.startsWith("-")) {
                        throw new IllegalArgumentException("unknown option '" + a + "' (try: appliance compile --help)");
                    } else if (module != null) {
                        throw new IllegalArgumentException("one module at a time (got '" + module + "' and '" + a
                                + "'); the guest's arguments for --train go after --");
                    } else {
                        module = a;
                    }
                }
            }
        }
        if (module == null) {
            throw new IllegalArgumentException("which module? (appliance compile MODULE.wasm)");
        }
        if (!guestArgs.isEmpty() && !train) {
            throw new IllegalArgumentException("guest arguments after -- are for --train's run");
        }
        return new Options(module, cache, train, requests, List.copyOf(guestArgs));
    }

    private static String value(List<String> args, int i, String flag) {
        if (i >= args.size()) {
            throw new IllegalArgumentException(flag + " needs a value");
        }
        return args.get(i);
    }

    private static int requests(String s) {
        try {
            int n = Integer.parseInt(s.trim());
            if (n >= 1 && n <= 100_000) {
                return n;
            }
        } catch (NumberFormatException e) {
            // the message below
        }
        throw new IllegalArgumentException("--requests wants a number from 1 to 100000, got '" + s + "'");
    }
}
