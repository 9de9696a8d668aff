package io.wasix.appliance.cli;

import io.wasix.appliance.module.ArtifactCache;
import io.wasix.appliance.supervise.RestartPolicy;
import io.wasix.host.fs.MountSpec;
import io.wasix.host.net.Transport;
import io.wasix.host.net.policy.NetPolicy;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/**
 * What one run of the appliance was asked to do, from the command line and APPLIANCE_* variables.
 * Immutable; any thread.
 *
 * @param module a path to a .wasm file or the name of a bundled guest
 * @param net what the guest may reach (--net) and listen on (--listen)
 * @param transport the forced transport, or null for auto (io_uring, else epoll, else NIO)
 * @param env "KEY=VALUE" strings the guest sees
 * @param guestArgs arguments after the module (argv[1..])
 * @param metrics what reads the per-syscall metrics
 * @param mounts the guest's mount table (--dir, --mapdir, --tmpfs, --ro-layer, --quota), preopened in this order
 * @param quiet no boot line: stderr carries the guest's output only
 * @param bootReport print the boot timestamps once the first response has gone out (--boot-report)
 * @param listeners listening sockets preopened for the guest (--tcplisten), after the mounts, in this order
 * @param supervision what happens to a shard whose guest fails or stalls
 * @param limits what each shard's guest may hold
 * @param cache where `appliance compile` put compiled modules (--cache, APPLIANCE_CACHE, the XDG default)
 */
public record Settings(
        String module,
        NetPolicy net,
        List<String> env,
        int shards,
        Transport transport,
        boolean interpreter,
        List<String> guestArgs,
        Metrics metrics,
        List<MountSpec> mounts,
        boolean quiet,
        boolean bootReport,
        List<InetSocketAddress> listeners,
        Supervision supervision,
        Limits limits,
        ArtifactCache cache) {

    public static final String DEFAULT_GUEST = "hello";

    /**
     * @param stats print the per-syscall table on stderr at exit
     * @param trace print one line per syscall on stderr
     * @param adminAddress where to serve /metrics and /healthz, or null for no admin port
     */
    public record Metrics(boolean stats, boolean trace, InetSocketAddress adminAddress) {
        public static final Metrics NONE = new Metrics(false, false, null);
    }

    /**
     * @param restart --restart and --restart-limit
     * @param watchdog --watchdog: how long a guest thread may run without a host call, or null for no watchdog
     */
    public record Supervision(RestartPolicy restart, Duration watchdog) {
        public static final Supervision DEFAULT = new Supervision(RestartPolicy.DEFAULT, null);
    }

    /**
     * @param maxMemory --max-memory in bytes, or 0 for the default (derived from the heap and the shard count)
     * @param maxConnections --max-connections per shard, or 0 for no limit
     */
    public record Limits(long maxMemory, int maxConnections) {
        public static final Limits DEFAULT = new Limits(0, 0);
    }
}
