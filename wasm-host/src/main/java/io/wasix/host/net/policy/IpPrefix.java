package io.wasix.host.net.policy;

import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * The addresses of one family whose first {@code bits} bits are {@code network}'s: a CIDR block
 * ({@code 10.0.0.0/8}, {@code fd00::/8}), or one address at the full length. Host bits given in the network
 * are ignored, as ipnet's {@code contains} ignores them. Immutable; any thread.
 */
public record IpPrefix(InetAddress network, int bits) {
    public IpPrefix {
        int max = network.getAddress().length * 8;
        if (bits < 0 || bits > max) {
            throw new IllegalArgumentException("prefix length " + bits + " is not within 0.." + max);
        }
    }

    /** Just {@code address}. */
    public static IpPrefix of(InetAddress address) {
        return new IpPrefix(address, address.getAddress().length * 8);
    }

    /** Whether {@code address} is in this block. An address of the other family never is. */
    public boolean contains(InetAddress address) {
        byte[] a = address.getAddress(), n = network.getAddress();
        if (a.length != n.length) {
            return false;
        }
        int whole = bits / 8, rest = bits % 8;
        for (int i = 0; i < whole; i++) {
            if (a[i] != n[i]) {
                return false;
            }
        }
        int mask = (0xff << (8 - rest)) & 0xff;
        return rest == 0 || (a[whole] & mask) == (n[whole] & mask);
    }

    public boolean ipv4() {
        return network instanceof Inet4Address;
    }

    @Override
    public String toString() {
        String host = network.getHostAddress();
        boolean single = bits == network.getAddress().length * 8;
        return ipv4() ? host + (single ? "" : "/" + bits) : "[" + host + (single ? "" : "/" + bits) + "]";
    }
}
