package io.wasix.host;

import io.wasix.host.fs.MountSpec;
import io.wasix.host.net.Transport;
import io.wasix.host.net.policy.NetPolicy;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * What one guest instance is given: its argv and environment, its standard streams, the transport its
 * sockets run on, and its network policy. Immutable; any thread.
 *
 * @param args argv, argv[0] first
 * @param env "KEY=VALUE" strings
 * @param net what the guest may reach (outbound destinations, ports to listen on)
 * @param forceReusePort bind every listener with SO_REUSEPORT, so that several shards share one port
 * @param mounts the guest's mount table, preopened from fd 3 in this order
 * @param listeners listening TCP sockets preopened for the guest (wasmtime's --tcplisten), bound and listening
 *     before it starts, at the fds after the mounts' in this order
 * @param limits what the guest may hold: memory pages, connections
 * @param forceReuseAddr bind every listener with SO_REUSEADDR, whatever the guest set: for an embedder that
 *     restarts guests, whose new run binds the port its previous run's connections (closed by the host, in
 *     TIME_WAIT) still hold; Linux lets that bind through only when those connections' listener had it too
 */
public record HostConfig(
        List<String> args,
        List<String> env,
        Transport transport,
        NetPolicy net,
        boolean forceReusePort,
        InputStream stdin,
        OutputStream stdout,
        OutputStream stderr,
        List<MountSpec> mounts,
        List<InetSocketAddress> listeners,
        Limits limits,
        boolean forceReuseAddr) {

    /**
     * @param maxMemoryPages the most 64 KiB pages the guest's memory may grow to (its declared maximum is
     *     lowered to this); {@link com.dylibso.chicory.runtime.Memory#RUNTIME_MAX_PAGES} for no limit of ours
     * @param maxConnections the most accepted connections the guest holds at once; past it the host stops
     *     accepting and the kernel queues the rest (0: no limit)
     */
    public record Limits(int maxMemoryPages, int maxConnections) {
        public static final Limits NONE = new Limits(com.dylibso.chicory.runtime.Memory.RUNTIME_MAX_PAGES, 0);

        public Limits {
            if (maxMemoryPages < 0 || maxConnections < 0) {
                throw new IllegalArgumentException("negative limit");
            }
        }
    }

    public HostConfig {
        args = List.copyOf(args);
        env = List.copyOf(env);
        mounts = List.copyOf(mounts);
        listeners = List.copyOf(listeners);
        java.util.Objects.requireNonNull(limits);
    }

    public HostConfig(List<String> args, List<String> env, Transport transport, NetPolicy net,
            boolean forceReusePort, InputStream stdin, OutputStream stdout, OutputStream stderr) {
        this(args, env, transport, net, forceReusePort, stdin, stdout, stderr, MountSpec.defaults(), List.of(),
                Limits.NONE, false);
    }

    public HostConfig withMounts(List<MountSpec> mounts) {
        return new HostConfig(args, env, transport, net, forceReusePort, stdin, stdout, stderr, mounts, listeners,
                limits, forceReuseAddr);
    }

    /** Defaults for a single instance on the given transport, with the process's own streams. */
    public static HostConfig of(Transport transport) {
        return new HostConfig(List.of("guest"), List.of(), transport, NetPolicy.DENY_ALL, false, System.in, System.out,
                System.err);
    }

    public HostConfig withArgs(List<String> args) {
        return new HostConfig(args, env, transport, net, forceReusePort, stdin, stdout, stderr, mounts, listeners,
                limits, forceReuseAddr);
    }

    public HostConfig withEnv(List<String> env) {
        return new HostConfig(args, env, transport, net, forceReusePort, stdin, stdout, stderr, mounts, listeners,
                limits, forceReuseAddr);
    }

    public HostConfig withNet(NetPolicy net) {
        return new HostConfig(args, env, transport, net, forceReusePort, stdin, stdout, stderr, mounts, listeners,
                limits, forceReuseAddr);
    }

    /** Shorthand for {@link #withNet}: every outbound destination, or none. */
    public HostConfig withAllowOutbound(boolean allow) {
        return withNet(allow ? NetPolicy.ALLOW_ALL : NetPolicy.DENY_ALL);
    }

    public HostConfig withForceReusePort(boolean force) {
        return new HostConfig(args, env, transport, net, force, stdin, stdout, stderr, mounts, listeners,
                limits, forceReuseAddr);
    }

    public HostConfig withStdio(InputStream in, OutputStream out, OutputStream err) {
        return new HostConfig(args, env, transport, net, forceReusePort, in, out, err, mounts, listeners,
                limits, forceReuseAddr);
    }

    public HostConfig withListeners(List<InetSocketAddress> listeners) {
        return new HostConfig(args, env, transport, net, forceReusePort, stdin, stdout, stderr, mounts, listeners,
                limits, forceReuseAddr);
    }

    public HostConfig withLimits(Limits limits) {
        return new HostConfig(args, env, transport, net, forceReusePort, stdin, stdout, stderr, mounts, listeners,
                limits, forceReuseAddr);
    }

    public HostConfig withForceReuseAddr(boolean force) {
        return new HostConfig(args, env, transport, net, forceReusePort, stdin, stdout, stderr, mounts, listeners,
                limits, force);
    }
}
