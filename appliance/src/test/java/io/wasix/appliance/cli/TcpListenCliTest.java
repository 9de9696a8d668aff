package io.wasix.appliance.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** --tcplisten HOST:PORT and --env NAME, as wasmtime spells them, and their APPLIANCE_* variables. */
class TcpListenCliTest {
    private static Settings parse(Map<String, String> env, String... argv) throws UsageException {
        return Cli.parse(argv, env);
    }

    private static InetSocketAddress at(String ip, int port) throws Exception {
        return new InetSocketAddress(InetAddress.getByName(ip), port);
    }

    @Test
    void listenersInOrderVariableFirst() throws Exception {
        Settings s = parse(Map.of("APPLIANCE_TCPLISTEN", "0.0.0.0:7000  127.0.0.2:7001"), "run",
                "--tcplisten", "127.0.0.1:8080", "--tcplisten=[::1]:8081", "x.wasm");
        assertEquals(List.of(at("0.0.0.0", 7000), at("127.0.0.2", 7001), at("127.0.0.1", 8080), at("::1", 8081)),
                s.listeners());
        assertEquals(List.of(), parse(Map.of(), "run").listeners(), "none unless asked for");
    }

    @Test
    void aNameIsResolvedOnce() throws Exception {
        InetSocketAddress a = parse(Map.of(), "run", "--tcplisten", "localhost:9000").listeners().get(0);
        assertTrue(a.getAddress().isLoopbackAddress(), a.toString());
        assertEquals(9000, a.getPort());
    }

    @Test
    void mistakesAreUsageErrorsThatNameTheirSource() {
        for (String bad : List.of("8080", "127.0.0.1:", ":8080", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:http")) {
            UsageException e = assertThrows(UsageException.class, () -> parse(Map.of(), "run", "--tcplisten", bad), bad);
            assertTrue(e.getMessage().startsWith("--tcplisten wants HOST:PORT"), e.getMessage());
        }
        UsageException v6 = assertThrows(UsageException.class, () -> parse(Map.of(), "run", "--tcplisten", "::1:8080"));
        assertEquals("--tcplisten: put an IPv6 host in brackets, e.g. [::1]:8080, got '::1:8080'", v6.getMessage());
        UsageException unknown = assertThrows(UsageException.class,
                () -> parse(Map.of(), "run", "--tcplisten", "no-such-host.invalid:80"));
        assertEquals("--tcplisten: unknown host 'no-such-host.invalid'", unknown.getMessage());
        UsageException variable = assertThrows(UsageException.class,
                () -> parse(Map.of("APPLIANCE_TCPLISTEN", "8080"), "run"));
        assertTrue(variable.getMessage().startsWith("APPLIANCE_TCPLISTEN wants HOST:PORT"), variable.getMessage());
        assertThrows(UsageException.class, () -> parse(Map.of(), "run", "--tcplisten"));
    }

    /** Each shard binds its own listener: with port 0 each would get a different port. */
    @Test
    void portZeroNeedsOneShard() throws Exception {
        assertEquals(0, parse(Map.of(), "run", "--tcplisten", "127.0.0.1:0").listeners().get(0).getPort());
        UsageException e = assertThrows(UsageException.class,
                () -> parse(Map.of(), "run", "--shards", "2", "--tcplisten", "127.0.0.1:0"));
        assertEquals("--tcplisten with port 0 and --shards 2: give the port the shards share", e.getMessage());
        assertEquals(2, parse(Map.of(), "run", "--shards", "2", "--tcplisten", "127.0.0.1:8080").shards());
    }

    @Test
    void aListenerMustBeOnAPortListenAllows() throws Exception {
        assertEquals(1, parse(Map.of(), "run", "--listen", "8000-8999", "--tcplisten", "127.0.0.1:8080").listeners().size());
        UsageException e = assertThrows(UsageException.class,
                () -> parse(Map.of(), "run", "--listen", "8080", "--tcplisten", "127.0.0.1:9000"));
        assertEquals("--tcplisten: port 9000 is not one --listen allows", e.getMessage());
    }

    @Test
    void envNameTakesTheHostsValue() throws Exception {
        List<String> warnings = new ArrayList<>();
        Settings s = Cli.parse(new String[] {"run", "--env", "TOKEN", "--env=LANG", "--env", "A=1", "-e", "MISSING"},
                Map.of("TOKEN", "s3cret=x", "LANG", "C.UTF-8", "APPLIANCE_ENV", "LANG2 B=2"), warnings::add);
        assertTrue(s.env().containsAll(List.of("TOKEN=s3cret=x", "LANG=C.UTF-8", "A=1", "B=2")), s.env().toString());
        assertTrue(s.env().stream().noneMatch(kv -> kv.startsWith("MISSING") || kv.startsWith("LANG2")),
                "a name the host does not have is not set in the guest: " + s.env());
        assertEquals(List.of("APPLIANCE_ENV LANG2: LANG2 is not set here, so the guest does not get it",
                "--env MISSING: MISSING is not set here, so the guest does not get it"), warnings);
        UsageException e = assertThrows(UsageException.class, () -> parse(Map.of(), "run", "--env", "=x"));
        assertEquals("--env wants KEY=VALUE or KEY, got '=x'", e.getMessage());
    }
}
