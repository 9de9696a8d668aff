package io.wasix.host.net.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which destinations and ports each kind of rule allows, on both families, at the edges of blocks and ranges. */
class NetPolicyTest {
    static InetAddress ip(String literal) {
        return InetAddress.ofLiteral(literal);
    }

    static NetRule.Address addr(String literal, int bits, PortRange ports) {
        return new NetRule.Address(new IpPrefix(ip(literal), bits), ports);
    }

    static NetPolicy allowing(NetRule... rules) {
        return NetPolicy.rules(List.of(rules), List.of());
    }

    @Test
    void theDefaultAllowsNothingOutAndAnyPortIn() {
        NetPolicy p = NetPolicy.DENY_ALL;
        assertFalse(p.allowsSomeOutbound());
        assertFalse(p.allowsAddress(ip("127.0.0.1"), 80));
        assertFalse(p.allowsAddress(ip("::1"), 80));
        assertFalse(p.mayResolve("localhost"));
        assertTrue(p.allowsListen(8080));
        assertTrue(p.allowsListen(0));
    }

    @Test
    void allowAllAllowsEverything() {
        NetPolicy p = NetPolicy.ALLOW_ALL;
        assertTrue(p.allowsAddress(ip("10.9.8.7"), 1));
        assertTrue(p.allowsAddress(ip("2001:db8::1"), 65535));
        assertTrue(p.mayResolve("db.example"));
        assertEquals(List.of(), p.portsForName("db.example"), "nothing to remember: every address is allowed anyway");
    }

    @Test
    void anAddressAndAPort() {
        NetPolicy p = allowing(new NetRule.Address(IpPrefix.of(ip("127.0.0.1")), PortRange.of(5432)));
        assertTrue(p.allowsAddress(ip("127.0.0.1"), 5432));
        assertFalse(p.allowsAddress(ip("127.0.0.1"), 5433));
        assertFalse(p.allowsAddress(ip("127.0.0.2"), 5432));
        assertFalse(p.allowsAddress(ip("::1"), 5432));
        assertFalse(p.mayResolve("localhost"), "an address rule lets no name out");
    }

    @Test
    void anIpv4BlockAtItsEdges() {
        NetPolicy p = allowing(addr("10.0.0.0", 8, PortRange.ANY));
        assertFalse(p.allowsAddress(ip("9.255.255.255"), 1));
        assertTrue(p.allowsAddress(ip("10.0.0.0"), 1));
        assertTrue(p.allowsAddress(ip("10.255.255.255"), 65535));
        assertFalse(p.allowsAddress(ip("11.0.0.0"), 1));
        // a length that is not a whole byte: 192.168.4.0/22 is .4.0 to .7.255
        NetPolicy q = allowing(addr("192.168.5.9", 22, PortRange.ANY)); // host bits are ignored
        assertFalse(q.allowsAddress(ip("192.168.3.255"), 1));
        assertTrue(q.allowsAddress(ip("192.168.4.0"), 1));
        assertTrue(q.allowsAddress(ip("192.168.7.255"), 1));
        assertFalse(q.allowsAddress(ip("192.168.8.0"), 1));
        assertTrue(allowing(addr("1.2.3.4", 0, PortRange.ANY)).allowsAddress(ip("255.255.255.255"), 1));
        assertFalse(allowing(addr("1.2.3.4", 0, PortRange.ANY)).allowsAddress(ip("::1"), 1), "/0 of IPv4 is IPv4 only");
        assertTrue(allowing(addr("1.2.3.4", 32, PortRange.ANY)).allowsAddress(ip("1.2.3.4"), 1));
        assertFalse(allowing(addr("1.2.3.4", 32, PortRange.ANY)).allowsAddress(ip("1.2.3.5"), 1));
    }

    @Test
    void anIpv6AddressAndBlock() {
        NetPolicy one = allowing(new NetRule.Address(IpPrefix.of(ip("::1")), PortRange.of(8080)));
        assertTrue(one.allowsAddress(ip("::1"), 8080));
        assertFalse(one.allowsAddress(ip("::2"), 8080));
        assertFalse(one.allowsAddress(ip("127.0.0.1"), 8080));
        NetPolicy block = allowing(addr("fd00::", 8, PortRange.ANY));
        assertTrue(block.allowsAddress(ip("fd00::"), 1));
        assertTrue(block.allowsAddress(ip("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), 1));
        assertFalse(block.allowsAddress(ip("fc00::1"), 1));
        assertFalse(block.allowsAddress(ip("fe00::"), 1));
        NetPolicy odd = allowing(addr("2001:db8::", 33, PortRange.ANY));
        assertTrue(odd.allowsAddress(ip("2001:db8:7fff::1"), 1));
        assertFalse(odd.allowsAddress(ip("2001:db8:8000::"), 1));
    }

    @Test
    void anyAddressOnePort() {
        NetPolicy p = allowing(new NetRule.Address(null, PortRange.of(443)));
        assertTrue(p.allowsAddress(ip("93.184.216.34"), 443));
        assertTrue(p.allowsAddress(ip("2001:db8::1"), 443));
        assertFalse(p.allowsAddress(ip("93.184.216.34"), 80));
        assertTrue(p.mayResolve("anything.example"), "every address is reachable on 443: looking names up adds nothing");
    }

    @Test
    void portRangesIncludeBothEnds() {
        NetPolicy p = allowing(new NetRule.Address(null, new PortRange(8000, 8999)));
        assertFalse(p.allowsAddress(ip("10.0.0.1"), 7999));
        assertTrue(p.allowsAddress(ip("10.0.0.1"), 8000));
        assertTrue(p.allowsAddress(ip("10.0.0.1"), 8999));
        assertFalse(p.allowsAddress(ip("10.0.0.1"), 9000));
        assertThrows(IllegalArgumentException.class, () -> new PortRange(9, 8));
        assertThrows(IllegalArgumentException.class, () -> new PortRange(0, 65536));
        assertThrows(IllegalArgumentException.class, () -> new IpPrefix(ip("10.0.0.0"), 33));
        assertThrows(IllegalArgumentException.class, () -> new IpPrefix(ip("::"), 129));
    }

    @Test
    void aDenyRuleWinsOverAnAllowRule() {
        NetPolicy p = NetPolicy.rules(List.of(addr("10.0.0.0", 8, PortRange.ANY)),
                List.of(addr("10.1.0.0", 16, PortRange.of(22))));
        assertTrue(p.allowsAddress(ip("10.1.2.3"), 80));
        assertFalse(p.allowsAddress(ip("10.1.2.3"), 22));
        assertTrue(p.allowsAddress(ip("10.2.0.1"), 22));
    }

    @Test
    void theUnspecifiedAddressIsMatchedAsTheLoopbackItReaches() {
        assertEquals(ip("127.0.0.1"), NetPolicy.canonical(ip("0.0.0.0")));
        assertEquals(ip("::1"), NetPolicy.canonical(ip("::")));
        assertEquals(ip("10.0.0.1"), NetPolicy.canonical(ip("10.0.0.1")));
        // an IPv4-mapped IPv6 address is the IPv4 address (Java makes it so), and so is matched by IPv4 rules
        assertEquals(ip("127.0.0.1"), ip("::ffff:127.0.0.1"));
    }

    @Test
    void namesMatchWholeOrBySuffixWithoutCaseOrRootDot() {
        NetRule.Name exact = new NetRule.Name("DB.Example.", PortRange.of(5432));
        assertTrue(exact.matches("db.example"));
        assertTrue(exact.matches("db.EXAMPLE."));
        assertFalse(exact.matches("x.db.example"));
        assertFalse(exact.matches("db.example.org"));
        NetRule.Name glob = new NetRule.Name("*.example", PortRange.ANY);
        assertTrue(glob.matches("a.b.example"));
        assertFalse(glob.matches("example"));
        NetRule.Name all = new NetRule.Name("*", PortRange.ANY);
        assertTrue(all.matches("anything"));
    }

    @Test
    void aNameRuleLetsItsNameBeLookedUpAndNamesItsPorts() {
        NetPolicy p = NetPolicy.rules(
                List.of(new NetRule.Name("db.example", PortRange.of(5432)), new NetRule.Name("*.example", PortRange.of(443)),
                        addr("10.0.0.0", 8, PortRange.ANY)),
                List.of(new NetRule.Name("evil.example", PortRange.ANY)));
        assertTrue(p.mayResolve("db.example"));
        assertEquals(List.of(PortRange.of(5432), PortRange.of(443)), p.portsForName("db.example"));
        assertTrue(p.mayResolve("www.example"));
        assertEquals(List.of(PortRange.of(443)), p.portsForName("www.example"));
        assertFalse(p.mayResolve("evil.example"), "a deny rule for the name wins");
        assertEquals(List.of(), p.portsForName("evil.example"));
        assertFalse(p.mayResolve("db.other"), "a block of addresses lets no name out");
        assertFalse(p.allowsAddress(ip("93.184.216.34"), 5432), "a name rule allows no address by itself");
    }

    @Test
    void listenPortsIncludeEphemeralOnlyWhenAsked() {
        NetPolicy p = NetPolicy.DENY_ALL.withListen(List.of(PortRange.of(8080), new PortRange(8443, 8444)));
        assertTrue(p.allowsListen(8080));
        assertTrue(p.allowsListen(8444));
        assertFalse(p.allowsListen(8081));
        assertFalse(p.allowsListen(0));
        assertTrue(p.withListen(List.of(PortRange.of(0))).allowsListen(0));
        assertTrue(p.withListen(null).allowsListen(1));
    }

    @Test
    void allowAllHasNoRules() {
        assertThrows(IllegalArgumentException.class,
                () -> new NetPolicy(true, List.of(addr("10.0.0.0", 8, PortRange.ANY)), List.of(), null));
    }
}
