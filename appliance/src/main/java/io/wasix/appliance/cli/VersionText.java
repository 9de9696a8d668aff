package io.wasix.appliance.cli;

import com.dylibso.chicory.runtime.Instance;
import io.netty.util.Version;
import io.wasix.host.net.Transport;
import io.wasix.host.net.TransportChoice;
import java.util.Locale;

/**
 * What `appliance --version` prints: one line each for the appliance, Chicory, Netty and the JDK, then one per
 * transport saying whether it can run here and, if not, why. Versions are read from what is running (the jar's
 * manifest, the linked modules' descriptors, Netty's own version resources), not from the build's settings,
 * so a hand-assembled or mismatched image shows what it really holds. Main thread; stateless.
 */
public final class VersionText {
    private VersionText() {}

    public static String render() {
        StringBuilder b = new StringBuilder();
        b.append("appliance ").append(or(VersionText.class.getPackage().getImplementationVersion())).append('\n');
        b.append("Chicory ").append(moduleVersion(Instance.class)).append('\n');
        b.append("Netty ").append(nettyVersion()).append('\n');
        b.append("JDK ").append(Runtime.version()).append(" (").append(System.getProperty("java.vendor"))
                .append("), ").append(System.getProperty("os.name")).append(' ')
                .append(System.getProperty("os.arch").toLowerCase(Locale.ROOT)).append('\n');
        for (Transport t : Transport.values()) {
            String problem = TransportChoice.unavailabilityReason(t);
            b.append("transport ").append(t.label()).append(": ")
                    .append(problem == null ? "available" : "unavailable: " + problem).append('\n');
        }
        return b.toString();
    }

    /** The version a named module records (the image links Chicory as modules); else its jar's manifest's. */
    private static String moduleVersion(Class<?> c) {
        var descriptor = c.getModule().getDescriptor();
        if (descriptor != null && descriptor.rawVersion().isPresent()) {
            return descriptor.rawVersion().get();
        }
        return or(c.getPackage().getImplementationVersion());
    }

    /** Netty's artifacts each carry their version; they are all one release here, so the common's speaks for them. */
    private static String nettyVersion() {
        Version v = Version.identify(Version.class.getClassLoader()).get("netty-common");
        return v == null ? "unknown" : v.artifactVersion();
    }

    private static String or(String version) {
        return version == null ? "unknown (not run from the built jar)" : version;
    }
}
