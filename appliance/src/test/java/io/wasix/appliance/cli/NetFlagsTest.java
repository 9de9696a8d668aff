package io.wasix.appliance.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wasix.host.net.policy.IpPrefix;
import io.wasix.host.net.policy.NetPolicy;
import io.wasix.host.net.policy.NetRule;
import io.wasix.host.net.policy.PortRange;
import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** --net, --listen and their variables: each spelling, and a clear usage error for anything else. */
class NetFlagsTest {
    static InetAddress ip(String s) {
        return InetAddress.ofLiteral(s);
    }

    static NetPolicy net(String... argv) throws UsageException {
        return Cli.parse(argv, Map.of()).net();
    }

    static String error(Map<String, String> env, String... argv) {
        return assertThrows(UsageException.class, () -> Cli.parse(argv, env)).getMessage();
    }

    static NetRule.Address addr(String literal, int bits, PortRange ports) {
        return new NetRule.Address(new IpPrefix(ip(literal), bits), ports);
    }

    @Test
    void allowDenyAndNone() throws Exception {
        assertEquals(NetPolicy.DENY_ALL, net("run"));
        assertEquals(NetPolicy.ALLOW_ALL, net("run", "--net"));
        assertEquals(NetPolicy.ALLOW_ALL, net("run", "--net=allow"));
        assertEquals(NetPolicy.DENY_ALL, net("run", "--net=deny"));
        assertEquals(NetPolicy.DENY_ALL, net("run", "--net=none"));
        assertEquals(NetPolicy.DENY_ALL, net("run", "--net", "--net=deny"), "the last one counts");
        for (String yes : List.of("1", "true", "YES", "allow")) {
            assertEquals(NetPolicy.ALLOW_ALL, Cli.parse(new String[] {"run"}, Map.of("APPLIANCE_NET", yes)).net(), yes);
        }
        for (String no : List.of("0", "false", "no", "deny", "none", "")) {
            assertEquals(NetPolicy.DENY_ALL, Cli.parse(new String[] {"run"}, Map.of("APPLIANCE_NET", no)).net(), no);
        }
        assertEquals(NetPolicy.DENY_ALL, Cli.parse(new String[] {"run", "--net=deny"}, Map.of("APPLIANCE_NET", "1")).net());
    }

    @Test
    void everyRuleKind() throws Exception {
        NetPolicy p = net("run", "--net=allow:127.0.0.1:5432,10.0.0.0/8:*,[::1]:8080,[fd00::/8]:*,db.example:443,*:443,"
                + "*.svc.example:8000-8999,192.168.1.7/32:1-2");
        assertEquals(List.of(
                new NetRule.Address(IpPrefix.of(ip("127.0.0.1")), PortRange.of(5432)),
                addr("10.0.0.0", 8, PortRange.ANY),
                new NetRule.Address(IpPrefix.of(ip("::1")), PortRange.of(8080)),
                addr("fd00::", 8, PortRange.ANY),
                new NetRule.Name("db.example", PortRange.of(443)),
                new NetRule.Address(null, PortRange.of(443)),
                new NetRule.Name("*.svc.example", new PortRange(8000, 8999)),
                addr("192.168.1.7", 32, new PortRange(1, 2))), p.allow());
        assertEquals(List.of(), p.deny());
        assertFalse(p.allowAll());
        assertNull(p.listen());
    }

    @Test
    void wasmersRulesetSpelling() throws Exception {
        NetPolicy p = net("run", "--net=ipv4:allow={10.0.0.0/8, 127.0.0.1}:{80, 8000-8001}/out,ipv6:allow=[::1]:*,"
                + "ipv6:allow=fd00::/8:443,dns:allow={db.example,*.svc}:5432,ipv4:deny=10.9.0.0/16:*,dns:deny=*evil.example:*,"
                + "ipv4:allow=*:53");
        assertEquals(List.of(
                addr("10.0.0.0", 8, PortRange.of(80)), addr("10.0.0.0", 8, new PortRange(8000, 8001)),
                addr("127.0.0.1", 32, PortRange.of(80)), addr("127.0.0.1", 32, new PortRange(8000, 8001)),
                addr("::1", 128, PortRange.ANY),
                addr("fd00::", 8, PortRange.of(443)),
                new NetRule.Name("db.example", PortRange.of(5432)), new NetRule.Name("*.svc", PortRange.of(5432)),
                addr("0.0.0.0", 0, PortRange.of(53))), p.allow());
        assertEquals(List.of(addr("10.9.0.0", 16, PortRange.ANY), new NetRule.Name("*evil.example", PortRange.ANY)), p.deny());
        assertTrue(p.allowsAddress(ip("8.8.8.8"), 53));
        assertFalse(p.allowsAddress(ip("::2"), 53), "ipv4:allow=* is every IPv4 address, and IPv4 only");
        assertFalse(p.allowsAddress(ip("10.9.1.1"), 80));
        assertFalse(p.mayResolve("not.evil.example"));
    }

    @Test
    void listenPorts() throws Exception {
        assertNull(net("run").listen(), "any");
        assertEquals(List.of(PortRange.of(8080), PortRange.of(8443)), net("run", "--listen", "8080,8443").listen());
        assertEquals(List.of(new PortRange(8000, 8999)), net("run", "--listen=8000-8999").listen());
        assertEquals(List.of(PortRange.of(0), PortRange.of(80)), net("run", "--listen", "0, 80").listen());
        assertNull(net("run", "--listen", "*").listen());
        NetPolicy both = Cli.parse(new String[] {"run", "--net"}, Map.of("APPLIANCE_LISTEN", "9000")).net();
        assertEquals(NetPolicy.ALLOW_ALL.withListen(List.of(PortRange.of(9000))), both);
        assertEquals(List.of(PortRange.of(1)),
                Cli.parse(new String[] {"run", "--listen", "1"}, Map.of("APPLIANCE_LISTEN", "9000")).net().listen());
    }

    @Test
    void anythingElseIsAUsageErrorThatSaysWhatItWanted() {
        Map<String, String> none = Map.of();
        assertEquals("--net: unknown policy 'all' (want " + NetFlags.POLICIES + ")", error(none, "run", "--net=all"));
        assertEquals("--net: unknown policy '' (want " + NetFlags.POLICIES + ")", error(none, "run", "--net="));
        assertEquals("APPLIANCE_NET: unknown policy 'sure' (want " + NetFlags.POLICIES + ")",
                error(Map.of("APPLIANCE_NET", "sure"), "run"));
        for (String bad : List.of("allow:", "allow:127.0.0.1", "allow:127.0.0.1:", "allow:127.0.0.1:x", "allow:127.0.0.1:70000",
                "allow:127.0.0.1:9-8", "allow:10.0.0.0/33:*", "allow:10.0.0/8:*", "allow:300.1.1.1:*", "allow:1.2.3:*",
                "allow:[::1:80", "allow:[10.0.0.1]:80", "allow:[::1/129]:*", "allow:db example:80", "allow:a,b:1",
                "ipv4:allow=", "ipv4:permit=1.2.3.4:80", "ipv5:allow=1.2.3.4:80", "ipv4:allow=::1:80", "dns:allow=x",
                "ipv4:allow=1.2.3.4:80/sideways")) {
            String m = error(none, "run", "--net=" + bad);
            assertTrue(m.startsWith("--net: "), bad + " -> " + m);
        }
        assertTrue(error(none, "run", "--net=allow:::1:80").contains("an IPv6 address goes in brackets"));
        assertTrue(error(none, "run", "--net=ipv6:allow=[::1]:80/in").contains("is an inbound rule: here listening is "
                + "governed by --listen PORTS"));
        for (String bad : List.of("", "http", "8080,", "1-", "65536", "-1", "9-8")) {
            assertTrue(error(none, "run", "--listen", bad).startsWith("--listen wants ports like 8080,8443"), bad);
        }
        assertTrue(error(Map.of("APPLIANCE_LISTEN", "x"), "run").startsWith("APPLIANCE_LISTEN wants ports"));
        assertEquals("--listen needs a value", error(none, "run", "--listen"));
    }
}
