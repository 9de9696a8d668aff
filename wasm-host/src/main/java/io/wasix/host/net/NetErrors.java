package io.wasix.host.net;

import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.unix.Errors;
import io.wasix.host.abi.Errno;
import java.net.BindException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.PortUnreachableException;
import java.net.SocketTimeoutException;
import java.nio.channels.ClosedChannelException;
import java.util.Locale;

/**
 * Turns what Netty and the JDK throw for socket failures into the errno Linux would have returned. Native
 * transports carry the kernel's errno; NIO only carries exception types and messages. Stateless.
 *
 * <p>{@link #fromLinux} is public for the io_uring transport ({@code net.uring}), whose completions carry a
 * Linux errno.
 */
public final class NetErrors {
    private NetErrors() {}

    public static Errno errno(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof Errors.NativeIoException nio) {
                Errno e = fromLinux(-nio.expectedErr());
                if (e != Errno.IO) {
                    return e;
                }
            }
        }
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            Errno byMessage = fromMessage(t.getMessage());
            if (byMessage != null) {
                return byMessage;
            }
        }
        return switch (failure) {
            case ConnectTimeoutException c -> Errno.TIMEDOUT;
            case SocketTimeoutException s -> Errno.TIMEDOUT;
            case BindException b -> Errno.ADDRINUSE;
            case ConnectException c -> Errno.CONNREFUSED;
            case NoRouteToHostException n -> Errno.HOSTUNREACH;
            case PortUnreachableException p -> Errno.CONNREFUSED;
            case java.nio.channels.AlreadyConnectedException a -> Errno.ISCONN;
            case java.nio.channels.NotYetConnectedException n -> Errno.NOTCONN;
            case ClosedChannelException c -> Errno.PIPE;
            case IllegalArgumentException i -> Errno.INVAL; // the JDK's refusal of an option value (NIO)
            default -> Errno.IO;
        };
    }

    private static Errno fromMessage(String message) {
        if (message == null) {
            return null;
        }
        String m = message.toLowerCase(Locale.ROOT);
        if (m.contains("connection refused")) return Errno.CONNREFUSED;
        if (m.contains("address already in use")) return Errno.ADDRINUSE;
        if (m.contains("cannot assign requested address")) return Errno.ADDRNOTAVAIL;
        if (m.contains("connection reset")) return Errno.CONNRESET;
        if (m.contains("broken pipe")) return Errno.PIPE;
        if (m.contains("permission denied")) return Errno.ACCES;
        if (m.contains("network is unreachable")) return Errno.NETUNREACH;
        if (m.contains("no route to host")) return Errno.HOSTUNREACH;
        if (m.contains("timed out")) return Errno.TIMEDOUT;
        // NIO reports the kernel's refusals only by their strerror text
        if (m.contains("too many open files in system")) return Errno.NFILE;
        if (m.contains("too many open files")) return Errno.MFILE;
        if (m.contains("invalid argument")) return Errno.INVAL;
        if (m.contains("protocol not available")) return Errno.NOPROTOOPT;
        if (m.contains("no buffer space available")) return Errno.NOBUFS;
        // the datagram calls' refusals, by strerror text for the setsockopt Netty's native side reports that way
        if (m.contains("message too long")) return Errno.MSGSIZE;
        if (m.contains("destination address required")) return Errno.DESTADDRREQ;
        if (m.contains("operation not supported")) return Errno.NOTSUP;
        if (m.contains("no such device")) return Errno.NODEV;
        return null;
    }

    /** Linux errno numbers (asm-generic) to WASI errno, for the ones sockets produce. */
    public static Errno fromLinux(int linuxErrno) {
        return switch (linuxErrno) {
            case 1 -> Errno.PERM;
            case 4 -> Errno.INTR;
            case 9 -> Errno.BADF;
            case 11 -> Errno.AGAIN;
            case 12 -> Errno.NOMEM;
            case 13 -> Errno.ACCES;
            case 19 -> Errno.NODEV;
            case 22 -> Errno.INVAL;
            case 23 -> Errno.NFILE;
            case 24 -> Errno.MFILE;
            case 32 -> Errno.PIPE;
            case 38 -> Errno.NOSYS;
            case 71 -> Errno.PROTO;
            case 88 -> Errno.NOTSOCK;
            case 89 -> Errno.DESTADDRREQ;
            case 90 -> Errno.MSGSIZE;
            case 92 -> Errno.NOPROTOOPT;
            case 93 -> Errno.PROTONOSUPPORT;
            case 95 -> Errno.NOTSUP;
            case 97 -> Errno.AFNOSUPPORT;
            case 98 -> Errno.ADDRINUSE;
            case 99 -> Errno.ADDRNOTAVAIL;
            case 100 -> Errno.NETDOWN;
            case 101 -> Errno.NETUNREACH;
            case 103 -> Errno.CONNABORTED;
            case 104 -> Errno.CONNRESET;
            case 105 -> Errno.NOBUFS;
            case 106 -> Errno.ISCONN;
            case 107 -> Errno.NOTCONN;
            case 110 -> Errno.TIMEDOUT;
            case 111 -> Errno.CONNREFUSED;
            case 113 -> Errno.HOSTUNREACH;
            case 114 -> Errno.ALREADY;
            case 115 -> Errno.INPROGRESS;
            default -> Errno.IO;
        };
    }
}
