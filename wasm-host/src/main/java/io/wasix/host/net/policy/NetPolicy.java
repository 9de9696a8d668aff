package io.wasix.host.net.policy;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.List;

/**
 * What a guest may reach: the destinations of its outbound traffic (sock_connect, the names {@code resolve}
 * looks up) and the ports it may listen on (sock_bind). The appliance's {@code --net} and {@code --listen}.
 *
 * <p>Outbound is refused unless allowed: by {@link #ALLOW_ALL}, or by an allow rule that no deny rule
 * contradicts, as in wasmer's rulesets (a destination is reachable when some rule allows it and none denies
 * it). An address rule names addresses; a name rule names the addresses {@code resolve} answered this guest
 * for a matching name, which {@link NetGate} remembers. A name may be looked up at all only when everything
 * is allowed, when a name rule matches it, or when a rule allows every address ({@code *:443}): the lookup
 * goes out through the host's DNS, which would otherwise carry data out of a guest limited to a few
 * addresses. {@code listen} null means any port; port 0 in it allows binding an ephemeral port.
 *
 * <p>Immutable; any thread.
 */
public record NetPolicy(boolean allowAll, List<NetRule> allow, List<NetRule> deny, List<PortRange> listen) {
    /** The default: nothing outbound, any port to listen on. */
    public static final NetPolicy DENY_ALL = new NetPolicy(false, List.of(), List.of(), null);
    /** {@code --net}: every outbound destination, any port to listen on. */
    public static final NetPolicy ALLOW_ALL = new NetPolicy(true, List.of(), List.of(), null);

    public NetPolicy {
        allow = List.copyOf(allow);
        deny = List.copyOf(deny);
        listen = listen == null ? null : List.copyOf(listen);
        if (allowAll && !(allow.isEmpty() && deny.isEmpty())) {
            throw new IllegalArgumentException("a policy that allows everything has no rules");
        }
    }

    /** Outbound by rules; any port to listen on. */
    public static NetPolicy rules(List<NetRule> allow, List<NetRule> deny) {
        return new NetPolicy(false, allow, deny, null);
    }

    /** The same outbound rules, listening only on {@code ports} (null: any). */
    public NetPolicy withListen(List<PortRange> ports) {
        return new NetPolicy(allowAll, allow, deny, ports);
    }

    /** Whether any outbound destination can be allowed at all. */
    public boolean allowsSomeOutbound() {
        return allowAll || !allow.isEmpty();
    }

    /** Whether a deny rule names {@code address}:{@code port} (as {@link #canonical} makes it). */
    public boolean denies(InetAddress address, int port) {
        for (NetRule r : deny) {
            if (r instanceof NetRule.Address a && a.matches(address, port)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether {@code address}:{@code port} (as {@link #canonical} makes it) is allowed without any name: by
     * {@link #allowAll}, or an address rule that allows it and none that denies it.
     */
    public boolean allowsAddress(InetAddress address, int port) {
        if (allowAll) {
            return true;
        }
        if (denies(address, port)) {
            return false;
        }
        for (NetRule r : allow) {
            if (r instanceof NetRule.Address a && a.matches(address, port)) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code resolve} may look {@code name} up (see the class comment). */
    public boolean mayResolve(String name) {
        if (allowAll) {
            return true;
        }
        if (deniesName(name)) {
            return false;
        }
        for (NetRule r : allow) {
            if ((r instanceof NetRule.Name n && n.matches(name)) || (r instanceof NetRule.Address a && a.prefix() == null)) {
                return true;
            }
        }
        return false;
    }

    /** The ports that name rules allow on the addresses {@code name} resolves to; empty when none do. */
    public List<PortRange> portsForName(String name) {
        if (allowAll || deniesName(name)) {
            return List.of();
        }
        return allow.stream().filter(r -> r instanceof NetRule.Name n && n.matches(name)).map(NetRule::ports).toList();
    }

    private boolean deniesName(String name) {
        for (NetRule r : deny) {
            if (r instanceof NetRule.Name n && n.matches(name)) {
                return true;
            }
        }
        return false;
    }

    /** Whether the guest may bind {@code port} (0: an ephemeral port). */
    public boolean allowsListen(int port) {
        if (listen == null) {
            return true;
        }
        for (PortRange r : listen) {
            if (r.contains(port)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The address a connection to {@code address} really reaches, for matching: the unspecified address
     * (0.0.0.0, ::) is the host's own loopback on Linux, so a rule against 127.0.0.1 cannot be stepped around
     * through it. An IPv4-mapped IPv6 address is already an {@link Inet4Address} here, as Java makes it.
     */
    public static InetAddress canonical(InetAddress address) {
        if (!address.isAnyLocalAddress()) {
            return address;
        }
        return address instanceof Inet4Address ? LOOPBACK4 : LOOPBACK6;
    }

    private static final InetAddress LOOPBACK4 = InetAddress.ofLiteral("127.0.0.1"), LOOPBACK6 = InetAddress.ofLiteral("::1");
}
