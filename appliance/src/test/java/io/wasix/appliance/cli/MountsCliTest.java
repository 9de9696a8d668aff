package io.wasix.appliance.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wasix.host.fs.MountSpec;
import io.wasix.host.fs.MountSpec.Type;
import io.wasix.host.fs.Quota;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --dir, --mapdir, --tmpfs, --ro-layer, --quota and --quiet, and their APPLIANCE_* variables. */
class MountsCliTest {
    @TempDir
    Path tmp;

    private static Settings parse(Map<String, String> env, String... argv) throws UsageException {
        return Cli.parse(argv, env);
    }

    @Test
    void withoutMountsNothingIsPreopened() throws Exception {
        assertEquals(List.of(), parse(Map.of(), "run", "m.wasm").mounts());
    }

    @Test
    void wasmtimeAndWasmerSpellingsInTheOrderGiven() throws Exception {
        String a = tmp.toString();
        Path b = Files.createDirectory(tmp.resolve("b"));
        Settings s = parse(Map.of(), "run", "--dir", a + "::/", "--mapdir", "/data:" + b, "--dir", a,
                "--tmpfs", "/tmp", "--dir=" + b + "::/b", "m.wasm", "--dir", "x");
        List<MountSpec> m = s.mounts();
        assertEquals(List.of("/", "/data", a, "/tmp", "/b"), m.stream().map(MountSpec::guestPath).toList());
        assertEquals(List.of(Type.HOST, Type.HOST, Type.HOST, Type.MEMORY, Type.HOST),
                m.stream().map(MountSpec::type).toList());
        assertEquals(b, m.get(1).hostPath());
        assertEquals(List.of("--dir", "x"), s.guestArgs(), "after the module, flags are the guest's");
    }

    @Test
    void quotasTakeSizesAndInodes() throws Exception {
        Settings s = parse(Map.of(), "run", "--tmpfs", "/", "--quota", "/=10M:500", "--ro-layer", tmp + "::/ro",
                "--quota=/ro=4K");
        assertEquals(10L << 20, s.mounts().get(0).maxBytes());
        assertEquals(500, s.mounts().get(0).maxInodes());
        assertEquals(4096, s.mounts().get(1).maxBytes());
        assertEquals(Quota.UNLIMITED, s.mounts().get(1).maxInodes());
        assertEquals(Type.LAYER, s.mounts().get(1).type());
    }

    @Test
    void variablesConfigureMountsToo() throws Exception {
        Settings s = parse(Map.of("APPLIANCE_DIR", tmp + "::/h", "APPLIANCE_TMPFS", "/t",
                "APPLIANCE_QUOTA", "/t=1G", "APPLIANCE_QUIET", "1"), "run");
        assertEquals(List.of("/h", "/t"), s.mounts().stream().map(MountSpec::guestPath).toList());
        assertEquals(1L << 30, s.mounts().get(1).maxBytes());
        assertTrue(s.quiet());
        assertTrue(parse(Map.of(), "run", "--quiet").quiet());
    }

    @Test
    void mistakesAreUsageErrors() {
        assertThrows(UsageException.class, () -> parse(Map.of(), "run", "--dir", tmp.resolve("missing") + "::/"));
        assertThrows(UsageException.class, () -> parse(Map.of(), "run", "--mapdir", "nocolon"));
        assertThrows(UsageException.class, () -> parse(Map.of(), "run", "--tmpfs", "/", "--quota", "/x=1M"));
        assertThrows(UsageException.class, () -> parse(Map.of(), "run", "--tmpfs", "/", "--quota", "/=lots"));
        assertThrows(UsageException.class, () -> parse(Map.of(), "run", "--dir"));
    }
}
