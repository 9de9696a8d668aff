package io.wasix.host;

import io.wasix.host.net.Transport;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;

/**
 * What one guest instance is given: its argv and environment, its standard streams, the transport its
 * sockets run on, and its network policy. Immutable; any thread.
 *
 * @param args argv, argv[0] first
 * @param env "KEY=VALUE" strings
 * @param allowOutbound whether sock_connect may open outbound connections
 * @param forceReusePort bind every listener with SO_REUSEPORT, so that several shards share one port
 */
public record HostConfig(
        List<String> args,
        List<String> env,
        Transport transport,
        boolean allowOutbound,
        boolean forceReusePort,
        InputStream stdin,
        OutputStream stdout,
        OutputStream stderr) {

    public HostConfig {
        args = List.copyOf(args);
        env = List.copyOf(env);
    }

    /** Defaults for a single instance on the given transport, with the process's own streams. */
    public static HostConfig of(Transport transport) {
        return new HostConfig(List.of("guest"), List.of(), transport, false, false, System.in, System.out, System.err);
    }

    public HostConfig withArgs(List<String> args) {
        return new HostConfig(args, env, transport, allowOutbound, forceReusePort, stdin, stdout, stderr);
    }

    public HostConfig withEnv(List<String> env) {
        return new HostConfig(args, env, transport, allowOutbound, forceReusePort, stdin, stdout, stderr);
    }

    public HostConfig withAllowOutbound(boolean allow) {
        return new HostConfig(args, env, transport, allow, forceReusePort, stdin, stdout, stderr);
    }

    public HostConfig withForceReusePort(boolean force) {
        return new HostConfig(args, env, transport, allowOutbound, force, stdin, stdout, stderr);
    }

    public HostConfig withStdio(InputStream in, OutputStream out, OutputStream err) {
        return new HostConfig(args, env, transport, allowOutbound, forceReusePort, in, out, err);
    }
}
