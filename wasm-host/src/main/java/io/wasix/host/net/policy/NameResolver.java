package io.wasix.host.net.policy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/** Looks a host name up. The JDK's resolver in the appliance; a table in tests. Any thread. */
@FunctionalInterface
public interface NameResolver {
    NameResolver JDK = name -> List.of(InetAddress.getAllByName(name));

    /** The name's addresses, in the resolver's order; blocks while it asks. */
    List<InetAddress> resolve(String name) throws UnknownHostException;
}
