package io.wasix.host.syscalls;

import static io.wasix.host.syscalls.HostFunctions.i32s;

import io.wasix.host.abi.Errno;
import io.wasix.host.abi.GuestMemory;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * WASIX {@code resolve(host, host_len, port, addrs, naddrs, ret_naddrs)}: a host name's addresses. wasix-libc's
 * getaddrinfo calls it last, after trying the name as a literal and in the guest's own /etc/hosts, and turns
 * any errno it answers into EAI_NONAME.
 *
 * <p>Each entry is 18 bytes, the layout wasix-libc's caller reads ({@code __wasi_addr_ip_t} in
 * lookup_name.c's name_from_dns_search, since 2024-05; wasmer writes its {@code __wasi_addr_t} the same way):
 * the family at 0 (1 IPv4, 2 IPv6), a zero byte, then the address in network byte order from 2, an IPv4
 * address in 2..5 and zeros after it. At most {@code naddrs} entries are written, in the resolver's order
 * (IPv4 first, as the JDK orders them), and {@code ret_naddrs} says how many.
 *
 * <p>A numeric address (IPv4 or IPv6) is its own answer, whatever the policy: no lookup is made. A name is
 * looked up with the JDK's resolver when the network policy allows it ({@link io.wasix.host.net.policy.NetPolicy});
 * otherwise EACCES, as sock_connect answers. A name the resolver does not know is ENOENT; a malformed one
 * (empty, longer than a DNS name, or with characters no host name has) EINVAL.
 *
 * <p>Runs on a guest thread, and the lookup blocks it, and so its shard's sockets, while the resolver waits
 * (the JDK caches answers for 30 s).
 */
final class ResolveCall {
    static final int ENTRY_SIZE = 18;
    private static final int FAMILY_INET4 = 1, FAMILY_INET6 = 2;
    /** A DNS name is at most 253 characters, 254 with its root dot. */
    private static final int NAME_MAX = 254;

    private final GuestState state;

    ResolveCall(GuestState state) {
        this.state = state;
    }

    void register(HostFunctions r) {
        r.wasix("resolve", i32s(6), (m, a) -> resolve(m, (int) a[0], (int) a[1], (int) a[3], (int) a[4], (int) a[5]));
    }

    /** {@code port}, the third argument, is only a hint for the lookup; the answer is the same without it. */
    private int resolve(GuestMemory m, int host, int hostLen, int addrs, int n, int retN) {
        m.check(retN, 4);
        m.checkArray(addrs, n, ENTRY_SIZE);
        m.check(host, hostLen);
        String name = name(m.readBytes(host, hostLen));
        List<InetAddress> found = literal(name);
        if (found == null) {
            try {
                found = state.net.gate().resolve(name);
            } catch (UnknownHostException e) {
                throw Errno.NOENT.fail();
            }
        }
        long count = Math.min(found.size(), Integer.toUnsignedLong(n));
        for (int i = 0; i < count; i++) {
            m.write(addrs + i * ENTRY_SIZE, entry(found.get(i)));
        }
        m.writeI32(retN, (int) count);
        return 0;
    }

    private static String name(byte[] raw) {
        if (raw.length == 0 || raw.length > NAME_MAX) {
            throw Errno.INVAL.fail();
        }
        String s;
        try {
            s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(raw)).toString();
        } catch (CharacterCodingException e) {
            throw Errno.INVAL.fail();
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            // What a host name or an address literal is made of; nothing the JDK would read as something else
            // ("[...]" brackets, a "%" scope, whitespace).
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '-' || c == '_' || c == ':';
            if (!ok) {
                throw Errno.INVAL.fail();
            }
        }
        return s;
    }

    /** The address a numeric host is, or null for a name. */
    private static List<InetAddress> literal(String host) {
        try {
            return List.of(InetAddress.ofLiteral(host));
        } catch (IllegalArgumentException e) {
            if (host.indexOf(':') >= 0) {
                throw Errno.INVAL.fail(); // neither an IPv6 address nor a name
            }
            return null;
        }
    }

    private static byte[] entry(InetAddress a) {
        byte[] e = new byte[ENTRY_SIZE];
        byte[] ip = a.getAddress();
        e[0] = (byte) (a instanceof Inet4Address ? FAMILY_INET4 : FAMILY_INET6);
        System.arraycopy(ip, 0, e, 2, ip.length);
        return e;
    }
}
