package io.wasix.host.net.policy;

import java.net.InetAddress;
import java.util.Locale;

/** One rule of a {@link NetPolicy}: which destinations it names. Immutable; any thread. */
public sealed interface NetRule {
    PortRange ports();

    /** The addresses in {@code prefix} (null: every address, of both families) on {@code ports}. */
    record Address(IpPrefix prefix, PortRange ports) implements NetRule {
        public boolean matches(InetAddress address, int port) {
            return ports.contains(port) && (prefix == null || prefix.contains(address));
        }

        @Override
        public String toString() {
            return (prefix == null ? "*" : prefix.toString()) + ":" + ports;
        }
    }

    /**
     * A host name, and the ports on the addresses {@code resolve} answers for it. {@code pattern} is a name
     * ({@code db.example}), {@code *} (every name), or {@code *} and a suffix ({@code *.example}: the names
     * ending so, as wasmer's domain globs), all compared without case and without a trailing dot.
     */
    record Name(String pattern, PortRange ports) implements NetRule {
        public Name {
            pattern = normalized(pattern);
        }

        public boolean matches(String name) {
            String n = normalized(name);
            return pattern.startsWith("*") ? n.endsWith(pattern.substring(1)) : n.equals(pattern);
        }

        static String normalized(String name) {
            String n = name.toLowerCase(Locale.ROOT);
            return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
        }

        @Override
        public String toString() {
            return pattern + ":" + ports;
        }
    }
}
