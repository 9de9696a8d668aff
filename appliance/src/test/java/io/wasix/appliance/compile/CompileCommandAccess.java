package io.wasix.appliance.compile;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** `appliance compile -o DIR MODULE` for tests in other packages; its messages go to stderr as usual. */
public final class CompileCommandAccess {
    private CompileCommandAccess() {}

    public static int compile(Path wasm, Path cacheDir) {
        return CompileCommand.run(List.of("-o", cacheDir.toString(), wasm.toString()), Map.of(),
                new PrintStream(new ByteArrayOutputStream()), System.err);
    }
}
