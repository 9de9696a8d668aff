package io.wasix.appliance;

import io.wasix.host.net.Transport;
import java.util.List;

/**
 * What one run of the appliance was asked to do, from the command line and APPLIANCE_* variables.
 * Immutable; any thread.
 *
 * @param module a path to a .wasm file or the name of a bundled guest
 * @param transport the forced transport, or null for auto (io_uring, else epoll, else NIO)
 * @param env "KEY=VALUE" strings the guest sees
 * @param guestArgs arguments after the module (argv[1..])
 * @param bootReport print the boot timestamps once the first response has gone out (--boot-report)
 */
public record Settings(
        String module,
        boolean net,
        List<String> env,
        int shards,
        Transport transport,
        boolean interpreter,
        List<String> guestArgs,
        boolean bootReport) {

    public static final String DEFAULT_GUEST = "hello";
}
