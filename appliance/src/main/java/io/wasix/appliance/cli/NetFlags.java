package io.wasix.appliance.cli;

import io.wasix.host.net.policy.IpPrefix;
import io.wasix.host.net.policy.NetPolicy;
import io.wasix.host.net.policy.NetRule;
import io.wasix.host.net.policy.PortRange;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Reads {@code --net[=POLICY]} and {@code --listen PORTS} (and APPLIANCE_NET, APPLIANCE_LISTEN) into a
 * {@link NetPolicy}. POLICY is {@code allow} (what a bare {@code --net} means), {@code deny} or {@code none}
 * (the default), {@code allow:RULE,RULE...} with RULE = HOST:PORTS, or a ruleset in wasmer's own spelling
 * ({@code ipv4:allow=10.0.0.0/8:443,dns:allow=db.example:5432}, see wasmer's lib/virtual-net/src/ruleset.rs),
 * whose inbound ({@code /in}) rules have no meaning here: listening is {@code --listen}'s. Any other value is
 * a usage error that says what it wanted. Stateless; main.
 */
final class NetFlags {
    static final String POLICIES = "allow, deny, none, allow:HOST:PORTS,... or wasmer's ipv4:/ipv6:/dns: rules";
    private static final Pattern DOTTED_QUAD = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern NUMERIC = Pattern.compile("[\\d.]+");
    private static final Pattern NAME = Pattern.compile("\\*|\\*?[A-Za-z0-9_.-]+");

    private NetFlags() {}

    /** The policy {@code value} names; {@code source} is the flag or variable it came from. */
    static NetPolicy policy(String value, String source) throws UsageException {
        String v = value.trim();
        if (v.equals("allow")) {
            return NetPolicy.ALLOW_ALL;
        }
        if (v.equals("deny") || v.equals("none")) {
            return NetPolicy.DENY_ALL;
        }
        if (v.startsWith("allow:")) {
            List<NetRule> allow = new ArrayList<>();
            for (String rule : v.substring("allow:".length()).split(",", -1)) {
                allow.add(rule(rule.trim(), source));
            }
            return NetPolicy.rules(allow, List.of());
        }
        if (v.startsWith("ipv4:") || v.startsWith("ipv6:") || v.startsWith("dns:")) {
            return wasmerRuleset(v, source);
        }
        throw new UsageException(source + ": unknown policy '" + value + "' (want " + POLICIES + ")");
    }

    /** {@code --listen}: ports and ranges, comma-separated; 0 allows ephemeral ports; {@code *}: any (null). */
    static List<PortRange> listen(String value, String source) throws UsageException {
        String v = value.trim();
        if (v.equals("*")) {
            return null;
        }
        List<PortRange> ports = new ArrayList<>();
        for (String p : v.split(",", -1)) {
            PortRange r = ports(p.trim(), source + " wants ports like 8080,8443 or 8000-8999 (0: ephemeral ports), got '"
                    + value + "'");
            ports.add(r);
        }
        return ports;
    }

    /** HOST:PORTS of {@code allow:}: an address, [IPv6], a CIDR block, a name, *.suffix or *. */
    private static NetRule rule(String rule, String source) throws UsageException {
        String why = source + ": '" + rule + "' is not HOST:PORTS (e.g. 127.0.0.1:5432, 10.0.0.0/8:*, [::1]:8080, "
                + "[fd00::/8]:*, db.example:443, *:443)";
        int colon = rule.lastIndexOf(':');
        if (colon <= 0) {
            throw new UsageException(why);
        }
        String host = rule.substring(0, colon);
        PortRange ports = ports(rule.substring(colon + 1), why);
        if (host.equals("*")) {
            return new NetRule.Address(null, ports);
        }
        if (host.startsWith("[")) {
            if (!host.endsWith("]")) {
                throw new UsageException(why);
            }
            return new NetRule.Address(prefix(host.substring(1, host.length() - 1), false, why), ports);
        }
        if (host.contains(":")) {
            throw new UsageException(source + ": an IPv6 address goes in brackets, as in [::1]:8080; got '" + rule + "'");
        }
        if (host.contains("/") || NUMERIC.matcher(host).matches()) {
            return new NetRule.Address(prefix(host, true, why), ports);
        }
        if (!NAME.matcher(host).matches()) {
            throw new UsageException(why);
        }
        return new NetRule.Name(host, ports);
    }

    /** An address or ADDRESS/BITS block of one family; IPv4 only as a full dotted quad. */
    private static IpPrefix prefix(String s, boolean ipv4, String why) throws UsageException {
        int slash = s.indexOf('/');
        String address = slash < 0 ? s : s.substring(0, slash);
        InetAddress a;
        try {
            if (ipv4 && !DOTTED_QUAD.matcher(address).matches()) {
                throw new IllegalArgumentException(address);
            }
            a = ipv4 ? Inet4Address.ofLiteral(address) : InetAddress.ofLiteral(address);
        } catch (IllegalArgumentException e) {
            throw new UsageException(why);
        }
        if (!ipv4 && !(a instanceof Inet6Address)) {
            // an IPv4-mapped address in brackets: Java makes it IPv4, so say so rather than guess a length
            throw new UsageException(why + ": write an IPv4 address without brackets");
        }
        int max = ipv4 ? 32 : 128;
        int bits = max;
        if (slash >= 0) {
            try {
                bits = Integer.parseInt(s.substring(slash + 1));
            } catch (NumberFormatException e) {
                bits = -1;
            }
            if (bits < 0 || bits > max) {
                throw new UsageException(why + ": a prefix length is 0 to " + max);
            }
        }
        return new IpPrefix(a, bits);
    }

    /** N, N-M or *. */
    private static PortRange ports(String s, String why) throws UsageException {
        if (s.equals("*")) {
            return PortRange.ANY;
        }
        try {
            int dash = s.indexOf('-');
            if (dash < 0) {
                return PortRange.of(port(s));
            }
            return new PortRange(port(s.substring(0, dash)), port(s.substring(dash + 1)));
        } catch (IllegalArgumentException e) {
            throw new UsageException(why);
        }
    }

    private static int port(String s) {
        if (s.isEmpty() || s.length() > 5 || !s.chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException(s);
        }
        int p = Integer.parseInt(s);
        if (p > 65535) {
            throw new IllegalArgumentException(s);
        }
        return p;
    }

    // ------------------------------------------------------------------ wasmer's ruleset

    /**
     * {@code TYPE:ACTION=EXPR,...}: TYPE ipv4, ipv6 or dns; ACTION allow or deny; EXPR {@code IPS:PORTS[/out]}
     * or {@code NAMES:PORTS}, where each side is one value or a {@code {a,b}} list. As wasmer reads it:
     * whitespace is ignored, a segment ends where ",ipv4:", ",ipv6:" or ",dns:" begins, and "*" for an ipv4 or
     * ipv6 rule is every address of that family.
     */
    private static NetPolicy wasmerRuleset(String value, String source) throws UsageException {
        String s = value.replaceAll("\\s", "");
        List<NetRule> allow = new ArrayList<>(), deny = new ArrayList<>();
        while (!s.isEmpty()) {
            int next = s.length();
            for (String start : new String[] {",ipv4:", ",ipv6:", ",dns:"}) {
                int i = s.indexOf(start);
                if (i >= 0 && i < next) {
                    next = i;
                }
            }
            String segment = s.substring(0, next);
            s = next < s.length() ? s.substring(next + 1) : "";
            String why = source + ": '" + segment + "' is not a wasmer rule (TYPE:allow=EXPR or TYPE:deny=EXPR, "
                    + "TYPE ipv4, ipv6 or dns, e.g. ipv4:allow=10.0.0.0/8:443, dns:allow=db.example:5432)";
            int colon = segment.indexOf(':');
            String type = colon < 0 ? "" : segment.substring(0, colon);
            String rest = colon < 0 ? "" : segment.substring(colon + 1);
            List<NetRule> into;
            if (rest.startsWith("allow=")) {
                into = allow;
            } else if (rest.startsWith("deny=")) {
                into = deny;
            } else {
                throw new UsageException(why);
            }
            String expr = rest.substring(rest.indexOf('=') + 1);
            switch (type) {
                case "ipv4", "ipv6" -> {
                    boolean v4 = type.equals("ipv4");
                    int split = v4 ? expr.indexOf(':') : expr.lastIndexOf(':');
                    if (split <= 0) {
                        throw new UsageException(why);
                    }
                    String ips = expr.substring(0, split), portsAndDir = expr.substring(split + 1);
                    int slash = portsAndDir.indexOf('/');
                    if (slash >= 0) {
                        String dir = portsAndDir.substring(slash + 1);
                        if (dir.equals("in")) {
                            throw new UsageException(source + ": '" + segment + "' is an inbound rule: here listening "
                                    + "is governed by --listen PORTS, and --net rules are outbound");
                        }
                        if (!dir.equals("out")) {
                            throw new UsageException(why);
                        }
                        portsAndDir = portsAndDir.substring(0, slash);
                    }
                    List<PortRange> ports = new ArrayList<>();
                    for (String p : list(portsAndDir)) {
                        ports.add(ports(p, why));
                    }
                    List<String> hosts = v4 || !ips.startsWith("[") ? list(ips)
                            : List.of(ips.endsWith("]") ? ips.substring(1, ips.length() - 1) : ips);
                    for (String h : hosts) {
                        IpPrefix prefix = h.equals("*")
                                ? new IpPrefix(InetAddress.ofLiteral(v4 ? "0.0.0.0" : "::"), 0)
                                : prefix(h, v4, why);
                        for (PortRange p : ports) {
                            into.add(new NetRule.Address(prefix, p));
                        }
                    }
                }
                case "dns" -> {
                    int split = expr.indexOf(':');
                    if (split <= 0) {
                        throw new UsageException(why);
                    }
                    List<PortRange> ports = new ArrayList<>();
                    for (String p : list(expr.substring(split + 1))) {
                        ports.add(ports(p, why));
                    }
                    for (String name : list(expr.substring(0, split))) {
                        if (!NAME.matcher(name).matches()) {
                            throw new UsageException(why);
                        }
                        for (PortRange p : ports) {
                            into.add(new NetRule.Name(name, p));
                        }
                    }
                }
                default -> throw new UsageException(why);
            }
        }
        return NetPolicy.rules(allow, deny);
    }

    /** "a" or "{a,b}". */
    private static List<String> list(String s) {
        if (s.startsWith("{") && s.endsWith("}")) {
            return List.of(s.substring(1, s.length() - 1).split(",", -1));
        }
        return List.of(s);
    }
}
