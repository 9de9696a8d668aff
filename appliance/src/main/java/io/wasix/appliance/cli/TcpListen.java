package io.wasix.appliance.cli;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * Parses --tcplisten's HOST:PORT (wasmtime's spelling: a host is required, an IPv6 one in brackets, a name is
 * resolved once, here). Runs on main.
 */
final class TcpListen {
    private TcpListen() {}

    /** {@code source}: the flag or variable the value came from, which a message names. */
    static InetSocketAddress parse(String value, String source) throws UsageException {
        String s = value.trim();
        int colon = s.lastIndexOf(':');
        if (colon <= 0) {
            throw new UsageException(source + " wants HOST:PORT (e.g. 127.0.0.1:8080 or [::1]:8080), got '" + value + "'");
        }
        String host = s.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":")) {
            throw new UsageException(source + ": put an IPv6 host in brackets, e.g. [::1]:8080, got '" + value + "'");
        }
        int port;
        try {
            port = Integer.parseInt(s.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 0 || port > 65535 || host.isEmpty()) {
            throw new UsageException(source + " wants HOST:PORT with a port from 0 to 65535, got '" + value + "'");
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            throw new UsageException(source + ": unknown host '" + host + "'");
        }
    }
}
