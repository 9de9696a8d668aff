package io.wasix.host.net.policy;

import static io.wasix.host.net.policy.NetPolicyTest.addr;
import static io.wasix.host.net.policy.NetPolicyTest.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.wasix.host.abi.Errno;
import io.wasix.host.abi.WasiException;
import io.wasix.host.metrics.NetPolicyRefusals;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A guest's policy in force: refusals are EACCES and counted; a name rule allows what resolve answered. */
class NetGateTest {
    static final Map<String, List<InetAddress>> NAMES = Map.of(
            "db.example", List.of(ip("10.0.0.5"), ip("2001:db8::5")),
            "web.example", List.of(ip("10.0.0.6")));
    final List<String> lookedUp = new ArrayList<>();
    final NameResolver table = name -> {
        lookedUp.add(name);
        List<InetAddress> a = NAMES.get(name);
        if (a == null) {
            throw new UnknownHostException(name);
        }
        return a;
    };
    final NetPolicyRefusals refusals = new NetPolicyRefusals();

    NetGate gate(NetPolicy p) {
        return new NetGate(p, table, refusals);
    }

    static InetSocketAddress at(String literal, int port) {
        return new InetSocketAddress(ip(literal), port);
    }

    static void refused(Runnable r) {
        assertEquals(Errno.ACCES, assertThrows(WasiException.class, r::run).errno());
    }

    @Test
    void aNameResolvedToAnAllowedAndADeniedAddress() throws Exception {
        NetGate g = gate(NetPolicy.rules(List.of(new NetRule.Name("db.example", PortRange.of(5432))),
                List.of(addr("10.0.0.0", 8, PortRange.ANY))));
        refused(() -> g.requireOutbound(at("2001:db8::5", 5432))); // not resolved yet: nothing allowed
        assertEquals(NAMES.get("db.example"), g.resolve("db.example"));
        g.requireOutbound(at("2001:db8::5", 5432));
        refused(() -> g.requireOutbound(at("10.0.0.5", 5432)));     // resolved, but a deny rule names it
        refused(() -> g.requireOutbound(at("2001:db8::5", 5433)));  // not the rule's port
        refused(() -> g.requireOutbound(at("2001:db8::6", 5432)));  // not an address resolve answered
        assertEquals(new NetPolicyRefusals.Counts(4, 0), refusals.snapshot());
    }

    @Test
    void aNameNoRuleAllowsIsNotLookedUp() throws Exception {
        NetGate g = gate(NetPolicy.rules(List.of(new NetRule.Name("db.example", PortRange.ANY)), List.of()));
        refused(() -> {
            try {
                g.resolve("web.example");
            } catch (UnknownHostException e) {
                throw new AssertionError(e);
            }
        });
        assertEquals(List.of(), lookedUp, "the name never left the host");
        assertEquals(1, refusals.snapshot().outbound());
        assertThrows(UnknownHostException.class, () -> gate(NetPolicy.ALLOW_ALL).resolve("nowhere.example"));
    }

    @Test
    void anAddressOnlyAllowedThroughANameIsNotAllowedByAnotherName() throws Exception {
        NetGate g = gate(NetPolicy.rules(List.of(new NetRule.Name("web.example", PortRange.of(443)),
                new NetRule.Address(null, PortRange.of(80))), List.of()));
        g.resolve("db.example"); // may be looked up (any address on 80), but no name rule names it
        refused(() -> g.requireOutbound(at("10.0.0.5", 443)));
        g.requireOutbound(at("10.0.0.5", 80));
        g.resolve("web.example");
        g.requireOutbound(at("10.0.0.6", 443));
    }

    @Test
    void theUnspecifiedAddressCannotStepAroundALoopbackRule() {
        NetGate g = gate(NetPolicy.rules(List.of(new NetRule.Address(null, PortRange.ANY)),
                List.of(addr("127.0.0.0", 8, PortRange.ANY), addr("::1", 128, PortRange.ANY))));
        g.requireOutbound(at("10.0.0.1", 22));
        refused(() -> g.requireOutbound(at("0.0.0.0", 22)));       // Linux connects that to 127.0.0.1
        refused(() -> g.requireOutbound(at("::", 22)));            // and that to ::1
        refused(() -> g.requireOutbound(at("::ffff:127.0.0.1", 22)));
    }

    @Test
    void listenRefusalsAreCountedApart() {
        NetGate g = gate(NetPolicy.ALLOW_ALL.withListen(List.of(PortRange.of(8080))));
        g.requireListen(8080);
        refused(() -> g.requireListen(0));
        refused(() -> g.requireListen(8081));
        assertEquals(new NetPolicyRefusals.Counts(0, 2), refusals.snapshot());
    }

    @Test
    void theRememberedAddressesAreBounded() throws Exception {
        List<InetAddress> many = new ArrayList<>();
        for (int i = 0; i <= NetGate.REMEMBERED_MAX; i++) {
            many.add(InetAddress.getByAddress(new byte[] {10, (byte) (i >> 16), (byte) (i >> 8), (byte) i}));
        }
        NetGate g = new NetGate(NetPolicy.rules(List.of(new NetRule.Name("big.example", PortRange.ANY)), List.of()),
                name -> many, refusals);
        g.resolve("big.example");
        refused(() -> g.requireOutbound(new InetSocketAddress(many.get(0), 1))); // the eldest went
        g.requireOutbound(new InetSocketAddress(many.get(NetGate.REMEMBERED_MAX), 1));
        g.requireOutbound(new InetSocketAddress(many.get(1), 1));
    }
}
