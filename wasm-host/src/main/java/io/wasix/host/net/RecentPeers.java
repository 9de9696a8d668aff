package io.wasix.host.net;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The peers one UDP socket has lately received datagrams from. Without outbound access (the appliance's --net),
 * a UDP socket may still send to these: that is a reply, as a server answers a client and a stateful firewall
 * lets the answer out. Bounded: past {@link #LIMIT} peers, the one heard from least recently is forgotten.
 *
 * <p>Threading: owned by the guest thread, as its socket is.
 */
final class RecentPeers {
    static final int LIMIT = 1024;

    private final Map<InetSocketAddress, Boolean> peers = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<InetSocketAddress, Boolean> eldest) {
            return size() > LIMIT;
        }
    };

    void heard(InetSocketAddress peer) {
        peers.put(key(peer), Boolean.TRUE);
    }

    boolean heardFrom(InetSocketAddress peer) {
        return peers.get(key(peer)) != null;
    }

    /** An IPv4 peer reads the same as its v4-mapped IPv6 form (a dual-stack socket may be given either). */
    private static InetSocketAddress key(InetSocketAddress a) {
        if (a.getAddress() instanceof Inet6Address v6) {
            byte[] b = v6.getAddress();
            boolean mapped = b[10] == (byte) 0xff && b[11] == (byte) 0xff;
            for (int i = 0; i < 10 && mapped; i++) {
                mapped = b[i] == 0;
            }
            if (mapped) {
                try {
                    return new InetSocketAddress(InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]}), a.getPort());
                } catch (UnknownHostException e) {
                    throw new AssertionError(e); // four bytes are always an address
                }
            }
        }
        return a;
    }
}
