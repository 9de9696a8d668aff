package io.wasix.host.net.policy;

/**
 * Ports {@code from} to {@code to}, both included: one port when they are equal. Port 0 is what a bind to an
 * ephemeral port names. Immutable; any thread.
 */
public record PortRange(int from, int to) {
    public static final PortRange ANY = new PortRange(0, 65535);

    public PortRange {
        if (from < 0 || to > 65535 || from > to) {
            throw new IllegalArgumentException("not a port range: " + from + "-" + to);
        }
    }

    public static PortRange of(int port) {
        return new PortRange(port, port);
    }

    public boolean contains(int port) {
        return port >= from && port <= to;
    }

    @Override
    public String toString() {
        return this.equals(ANY) ? "*" : from == to ? Integer.toString(from) : from + "-" + to;
    }
}
