package io.wasix.appliance.cli;

import io.wasix.host.fs.MountSpec;
import io.wasix.host.net.Transport;
import io.wasix.host.net.policy.NetPolicy;
import java.net.InetSocketAddress;
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
        List<InetSocketAddress> listeners) {

    public static final String DEFAULT_GUEST = "hello";

    /**
     * @param stats print the per-syscall table on stderr at exit
     * @param trace print one line per syscall on stderr
     * @param adminAddress where to serve /metrics and /healthz, or null for no admin port
     */
    public record Metrics(boolean stats, boolean trace, InetSocketAddress adminAddress) {
        public static final Metrics NONE = new Metrics(false, false, null);
    }
}
