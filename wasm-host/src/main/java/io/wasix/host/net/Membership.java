package io.wasix.host.net;

import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * One multicast group membership as the guest asked for it: an IPv4 group with the address of the interface to
 * join it on (0.0.0.0: the one the kernel routes the group through), or an IPv6 group with an interface index (0:
 * likewise). Immutable; any thread.
 *
 * @param interfaceV4 the interface's IPv4 address, for an IPv4 group (null for an IPv6 one)
 * @param interfaceIndex the interface index, for an IPv6 group (0 for an IPv4 one)
 */
public record Membership(InetAddress group, InetAddress interfaceV4, int interfaceIndex) {
    public boolean v6() {
        return group instanceof Inet6Address;
    }
}
