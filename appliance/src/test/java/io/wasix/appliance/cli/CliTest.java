package io.wasix.appliance.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wasix.host.net.Transport;
import io.wasix.host.net.policy.NetPolicy;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CliTest {
    private static Settings parse(Map<String, String> env, String... argv) throws UsageException {
        return Cli.parse(argv, env);
    }

    @Test
    void defaultsBootTheBundledGuest() throws Exception {
        Settings s = parse(Map.of(), "run");
        assertEquals("hello", s.module());
        assertEquals(1, s.shards());
        assertNull(s.transport(), "auto");
        assertEquals(NetPolicy.DENY_ALL, s.net());
        assertFalse(s.interpreter());
    }

    @Test
    void flagsAndGuestArguments() throws Exception {
        Settings s = parse(Map.of(), "run", "--net", "--env", "A=1", "--env=B=2", "--shards", "3",
                "--transport", "epoll", "--interpreter", "x.wasm", "a", "--not-ours", "--", "b");
        assertEquals("x.wasm", s.module());
        assertEquals(NetPolicy.ALLOW_ALL, s.net());
        assertTrue(s.env().containsAll(List.of("A=1", "B=2")));
        assertEquals(3, s.shards());
        assertEquals(Transport.EPOLL, s.transport());
        assertTrue(s.interpreter());
        assertEquals(List.of("a", "--not-ours", "--", "b"), s.guestArgs());
    }

    @Test
    void doubleDashRightAfterTheModuleIsConsumed() throws Exception {
        assertEquals(List.of("--x"), parse(Map.of(), "run", "m.wasm", "--", "--x").guestArgs());
    }

    @Test
    void environmentVariablesConfigureAndFlagsWin() throws Exception {
        Map<String, String> env = Map.of("APPLIANCE_SHARDS", "2", "APPLIANCE_NET", "1",
                "APPLIANCE_TRANSPORT", "nio", "APPLIANCE_ENV", "K=V  L=W", "APPLIANCE_MODULE", "m.wasm");
        Settings s = parse(env, "run");
        assertEquals(2, s.shards());
        assertEquals(NetPolicy.ALLOW_ALL, s.net());
        assertEquals(Transport.NIO, s.transport());
        assertTrue(s.env().containsAll(List.of("K=V", "L=W")));
        assertEquals("m.wasm", s.module());
        assertEquals(4, parse(env, "run", "--shards", "4").shards());
    }

    /** Where compiled modules are looked for: --cache, else APPLIANCE_CACHE, else the user's XDG cache. */
    @Test
    void theArtifactCacheFollowsFlagThenVariableThenHome() throws Exception {
        var home = Map.of("HOME", "/home/u");
        assertEquals(java.nio.file.Path.of("/home/u/.cache/wasix-appliance"), parse(home, "run").cache().dir());
        var env = Map.of("HOME", "/home/u", "APPLIANCE_CACHE", "/var/cache/wasix-appliance");
        assertEquals(java.nio.file.Path.of("/var/cache/wasix-appliance"), parse(env, "run").cache().dir());
        assertEquals(java.nio.file.Path.of("/srv/c"), parse(env, "run", "--cache", "/srv/c", "m.wasm").cache().dir());
        assertEquals(java.nio.file.Path.of("/srv/d"), parse(env, "run", "--cache=/srv/d").cache().dir());
        assertThrows(UsageException.class, () -> parse(env, "run", "--cache"));
    }

    @Test
    void wasmerSpellingsAreAccepted() throws Exception {
        assertEquals(NetPolicy.ALLOW_ALL, parse(Map.of(), "run", "--net=allow", "x.wasm").net());
        assertEquals("x.wasm", parse(Map.of(), "x.wasm").module());
    }

    @Test
    void mistakesAreUsageErrors() {
        assertThrows(UsageException.class, () -> parse(Map.of(), "run", "--shards", "0"));
        assertThrows(UsageException.class, () -> parse(Map.of(), "run", "--shards"));
        assertThrows(UsageException.class, () -> parse(Map.of(), "run", "--transport", "dpdk"));
        assertThrows(UsageException.class, () -> parse(Map.of(), "run", "--env", "=NOKEY"));
        assertThrows(UsageException.class, () -> parse(Map.of(), "run", "--bogus"));
        assertThrows(UsageException.class, () -> parse(Map.of(), "frobnicate"));
        var dir = assertThrows(UsageException.class, () -> parse(Map.of(), "run", "--dir", "/no/such/dir::/b"));
        assertTrue(dir.getMessage().contains("no such host directory"), dir.getMessage());
    }

    /** A variable's mistake names the variable; the same mistake as a flag names the flag. */
    @Test
    void aBadVariableIsNamedAndNotTheFlag() throws Exception {
        Map<String, String> bad = Map.of(
                "APPLIANCE_SHARDS", "APPLIANCE_SHARDS wants a number from 1 to 1024, got 'x'",
                "APPLIANCE_TRANSPORT", "APPLIANCE_TRANSPORT: unknown transport 'x' (expected auto, io_uring, epoll or nio)",
                "APPLIANCE_ADMIN_PORT", "APPLIANCE_ADMIN_PORT wants [HOST:]PORT, got 'x'",
                "APPLIANCE_MAPDIR", "APPLIANCE_MAPDIR wants GUEST:HOST, got 'x'",
                "APPLIANCE_QUOTA", "APPLIANCE_QUOTA wants GUEST=BYTES[:INODES], got 'x'",
                "APPLIANCE_DIR", "APPLIANCE_DIR: no such host directory: x");
        for (var e : bad.entrySet()) {
            var thrown = assertThrows(UsageException.class, () -> parse(Map.of(e.getKey(), "x"), "run"));
            assertEquals(e.getValue(), thrown.getMessage());
        }
        assertEquals("APPLIANCE_ENV wants KEY=VALUE or KEY, got '=x'",
                assertThrows(UsageException.class, () -> parse(Map.of("APPLIANCE_ENV", "=x"), "run")).getMessage());
        assertEquals("--shards wants a number from 1 to 1024, got 'x'",
                assertThrows(UsageException.class, () -> parse(Map.of(), "run", "--shards", "x")).getMessage());
        assertEquals("--quota wants GUEST=BYTES[:INODES], got 'x'",
                assertThrows(UsageException.class, () -> parse(Map.of(), "run", "--tmpfs", "/", "--quota", "x")).getMessage());
    }

    @Test
    void helpIsNotAnError() throws Exception {
        assertNull(parse(Map.of(), "--help"));
        assertNull(parse(Map.of(), "run", "-h"));
        assertNull(parse(Map.of()));
    }

    @Test
    void helpAndVersionAreCommands() {
        assertEquals(Cli.Command.HELP, Cli.command(new String[] {}));
        assertEquals(Cli.Command.HELP, Cli.command(new String[] {"help"}));
        assertEquals(Cli.Command.HELP, Cli.command(new String[] {"--help"}));
        assertEquals(Cli.Command.HELP, Cli.command(new String[] {"-h"}));
        assertEquals(Cli.Command.VERSION, Cli.command(new String[] {"--version"}));
        assertEquals(Cli.Command.VERSION, Cli.command(new String[] {"-V"}));
        assertEquals(Cli.Command.RUN, Cli.command(new String[] {"keepalive"}));
        assertEquals(Cli.Command.RUN, Cli.command(new String[] {"run"}));
    }

    /** The container's entry point says run: `podman run IMAGE --version` is `run --version`. */
    @Test
    void helpAndVersionRightAfterRun() throws Exception {
        assertEquals(Cli.Command.VERSION, Cli.command(new String[] {"run", "--version"}));
        assertEquals(Cli.Command.HELP, Cli.command(new String[] {"run", "help"}));
        assertEquals(Cli.Command.HELP, Cli.command(new String[] {"run", "--help"}));
        assertNull(parse(Map.of(), "run", "--net", "--help"), "-h among run's options is help too");
        var late = assertThrows(UsageException.class, () -> parse(Map.of(), "run", "--net", "--version"));
        assertEquals("--version comes first and alone: appliance --version", late.getMessage());
    }

    /** `appliance keepalive` is `appliance run keepalive`, as `appliance x.wasm` is: a guest's name works as a file does. */
    @Test
    void aBundledGuestOrAFileNeedsNoRun(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        Settings s = parse(Map.of(), "keepalive", "a");
        assertEquals("keepalive", s.module());
        assertEquals(List.of("a"), s.guestArgs());
        java.nio.file.Path file = java.nio.file.Files.createFile(tmp.resolve("server"));
        assertEquals(file.toString(), parse(Map.of(), file.toString()).module(), "a file without .wasm");
        assertEquals("missing.wasm", parse(Map.of(), "missing.wasm").module(), "the load names what is missing");
    }

    /** Any first word that is no command and names no module says how to pass guest arguments. */
    @Test
    void anUnknownFirstWordSaysHowToPassGuestArguments() {
        var e = assertThrows(UsageException.class, () -> parse(Map.of(), "frobnicate", "x"));
        assertEquals("unknown command 'frobnicate': not run or help, nor a file or a bundled guest (hello, keepalive); "
                + "to pass it to the guest, put -- before it: appliance run [MODULE] -- frobnicate", e.getMessage());
        var v = assertThrows(UsageException.class, () -> parse(Map.of("APPLIANCE_MODULE", "m.wasm"), "frobnicate"));
        assertTrue(v.getMessage().contains("put -- before it"), v.getMessage());
    }

    @Test
    void bootReportByFlagOrVariable() throws Exception {
        assertFalse(parse(Map.of(), "run").bootReport());
        assertTrue(parse(Map.of(), "run", "--boot-report").bootReport());
        assertTrue(parse(Map.of("APPLIANCE_BOOT_REPORT", "1"), "run").bootReport());
        assertEquals(List.of("--boot-report"), parse(Map.of(), "run", "m.wasm", "--boot-report").guestArgs(),
                "after the module it is the guest's");
    }
}
