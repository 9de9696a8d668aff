package io.wasix.host.abi;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * The 20-byte WASIX socket address: family tag u8 at 0, port at 2, IPv4 at 4 or IPv6 at 4..19.
 * The port byte order is asymmetric, as wasmer defines it and real binaries rely on: addresses the guest
 * passes in carry the port little-endian, addresses the host writes out carry it big-endian.
 */
public final class SockAddr {
    public static final int SIZE = 20;
    public static final int UNSPEC = 0, INET4 = 1, INET6 = 2, UNIX = 3;

    private SockAddr() {}

    /** Reads an input address (bind, connect, send_to). */
    public static InetSocketAddress read(GuestMemory mem, int ptr) {
        byte[] raw = mem.readBytes(ptr, SIZE);
        int port = (raw[2] & 0xff) | (raw[3] & 0xff) << 8;
        try {
            return switch (raw[0]) {
                case INET4 -> new InetSocketAddress(
                        InetAddress.getByAddress(new byte[] {raw[4], raw[5], raw[6], raw[7]}), port);
                case INET6 -> {
                    byte[] a = new byte[16];
                    System.arraycopy(raw, 4, a, 0, 16);
                    yield new InetSocketAddress(InetAddress.getByAddress(a), port);
                }
                default -> throw Errno.AFNOSUPPORT.fail();
            };
        } catch (UnknownHostException e) {
            throw Errno.INVAL.fail(); // unreachable for 4- and 16-byte arrays
        }
    }

    /** Writes an output address (accept, addr_local, addr_peer). Null writes an Unspec address. */
    public static void write(GuestMemory mem, int ptr, InetSocketAddress addr) {
        byte[] raw = new byte[SIZE];
        if (addr != null) {
            InetAddress ip = addr.getAddress();
            byte[] a = ip.getAddress();
            raw[0] = ip instanceof Inet6Address ? (byte) INET6 : (byte) INET4;
            raw[2] = (byte) (addr.getPort() >>> 8);
            raw[3] = (byte) addr.getPort();
            System.arraycopy(a, 0, raw, 4, a.length);
        }
        mem.write(ptr, raw);
    }

    /** Reads a plain IPv4 address (__wasi_addr_ip4_t: 4 bytes, a.b.c.d), as the multicast calls take it. */
    public static InetAddress readIp4(GuestMemory mem, int ptr) {
        try {
            return InetAddress.getByAddress(mem.readBytes(ptr, 4));
        } catch (UnknownHostException e) {
            throw new AssertionError(e); // four bytes are always an address
        }
    }

    /**
     * Reads a plain IPv6 address (__wasi_addr_ip6_t), as the multicast calls take it: eight 16-bit segments, each
     * a u16 in the guest's own (little-endian) byte order, first segment first. That is how wasmer reads it and
     * how a guest that fills the struct's u16 fields writes it (ff02::1 is bytes 02 ff 00 00 ... 01 00), unlike
     * the 16 network-order bytes of a socket address.
     */
    public static InetAddress readIp6(GuestMemory mem, int ptr) {
        byte[] raw = mem.readBytes(ptr, 16);
        byte[] a = new byte[16];
        for (int i = 0; i < 16; i += 2) {
            a[i] = raw[i + 1];
            a[i + 1] = raw[i];
        }
        try {
            return Inet6Address.getByAddress(null, a, -1); // stays IPv6 even when v4-mapped
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** The any-address of a family, for sockets that listen without binding first. */
    public static InetSocketAddress any(boolean ipv6) {
        try {
            return new InetSocketAddress(
                    ipv6 ? InetAddress.getByAddress(new byte[16]) : Inet4Address.getByAddress(new byte[4]), 0);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
