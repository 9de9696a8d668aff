package io.wasix.host;

import io.wasix.host.abi.Errno;
import java.net.InetSocketAddress;

/**
 * A listener the configuration preopens ({@link HostConfig#listeners()}) could not be bound or put to listen,
 * so the host was not built: the guest never ran. Thrown on the thread building the {@link WasixHost}.
 */
public final class ListenerPreopenException extends RuntimeException {
    private final InetSocketAddress address;
    private final Errno errno;

    public ListenerPreopenException(InetSocketAddress address, Errno errno) {
        super("cannot listen on " + hostPort(address) + ": E" + errno.name(), null, false, false);
        this.address = address;
        this.errno = errno;
    }

    public InetSocketAddress address() {
        return address;
    }

    public Errno errno() {
        return errno;
    }

    /** 127.0.0.1:8080, [::1]:8080: the spelling the flag takes. */
    static String hostPort(InetSocketAddress a) {
        String host = a.getAddress() instanceof java.net.Inet6Address ? "[" + a.getAddress().getHostAddress() + "]"
                : a.getAddress().getHostAddress();
        return host + ":" + a.getPort();
    }
}
