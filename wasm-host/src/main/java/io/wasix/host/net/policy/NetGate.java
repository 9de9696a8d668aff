package io.wasix.host.net.policy;

import io.wasix.host.abi.Errno;
import io.wasix.host.metrics.NetPolicyRefusals;
import io.wasix.host.metrics.NetPolicyRefusals.Direction;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One guest's {@link NetPolicy} in force. Every outbound destination and every port the guest binds passes
 * here; a refusal is EACCES for the guest and is counted. The addresses {@code resolve} answered for a name
 * that a name rule allows are remembered, with that rule's ports, so that connecting to them is allowed: the
 * most recently used {@link #REMEMBERED_MAX} of them, so a guest resolving without end holds no more.
 *
 * <p>Threading: any of the guest's threads. The remembered addresses are guarded by this object's lock; the
 * rest is immutable.
 */
public final class NetGate {
    static final int REMEMBERED_MAX = 4096;

    private final NetPolicy policy;
    private final NameResolver resolver;
    private final NetPolicyRefusals refusals;
    private final Map<InetAddress, List<PortRange>> remembered = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<InetAddress, List<PortRange>> eldest) {
            return size() > REMEMBERED_MAX;
        }
    };

    public NetGate(NetPolicy policy, NameResolver resolver, NetPolicyRefusals refusals) {
        this.policy = policy;
        this.resolver = resolver;
        this.refusals = refusals;
    }

    public NetPolicy policy() {
        return policy;
    }

    /**
     * EACCES (counted) unless the guest may send to {@code destination}: a connection, or a datagram to that
     * address.
     */
    public void requireOutbound(InetSocketAddress destination) {
        if (!allowsOutbound(destination.getAddress(), destination.getPort())) {
            throw refused(Direction.OUTBOUND);
        }
    }

    boolean allowsOutbound(InetAddress address, int port) {
        InetAddress a = NetPolicy.canonical(address);
        if (policy.allowsAddress(a, port)) {
            return true;
        }
        if (policy.allowAll() || policy.denies(a, port)) {
            return false;
        }
        synchronized (this) {
            List<PortRange> ports = remembered.get(a);
            return ports != null && ports.stream().anyMatch(r -> r.contains(port));
        }
    }

    /** EACCES (counted) unless the guest may bind {@code port} (0: an ephemeral port). */
    public void requireListen(int port) {
        if (!policy.allowsListen(port)) {
            throw refused(Direction.LISTEN);
        }
    }

    /**
     * Looks {@code name} up with the resolver, blocking the calling thread meanwhile, and remembers the
     * addresses for the name rules that allow it. EACCES (counted) when the policy lets no lookup of it go out.
     *
     * @throws UnknownHostException when the resolver knows no such name
     */
    public List<InetAddress> resolve(String name) throws UnknownHostException {
        if (!policy.mayResolve(name)) {
            throw refused(Direction.OUTBOUND);
        }
        List<InetAddress> found = resolver.resolve(name);
        List<PortRange> ports = policy.portsForName(name);
        if (!ports.isEmpty()) {
            synchronized (this) {
                for (InetAddress a : found) {
                    remembered.merge(NetPolicy.canonical(a), ports, NetGate::union);
                }
            }
        }
        return found;
    }

    private static List<PortRange> union(List<PortRange> a, List<PortRange> b) {
        List<PortRange> u = new ArrayList<>(a);
        for (PortRange r : b) {
            if (!u.contains(r)) {
                u.add(r);
            }
        }
        return List.copyOf(u);
    }

    private RuntimeException refused(Direction d) {
        refusals.count(d);
        return Errno.ACCES.fail();
    }
}
