package io.wasix.host.syscalls;

import static io.wasix.host.syscalls.HostFunctions.i32s;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wasix.host.HostConfig;
import io.wasix.host.metrics.SyscallMetrics;
import io.wasix.host.net.Transport;
import org.junit.jupiter.api.Test;

/** A real function must have the catalog's signature, and may be registered once: else the host does not start. */
class HostFunctionsTest {
    private static HostFunctions fresh() {
        return new HostFunctions(new GuestState(HostConfig.of(Transport.NIO), null), SyscallMetrics.off());
    }

    @Test
    void aSignatureTheCatalogDoesNotListIsRefused() {
        HostFunctions r = fresh();
        var e = assertThrows(IllegalStateException.class, () -> r.wasix("fd_pipe", i32s(3), (m, a) -> 0));
        assertTrue(e.getMessage().contains("wasix_32v1.fd_pipe") && e.getMessage().contains("not in WasixCatalog"),
                e.getMessage());
        assertThrows(IllegalStateException.class, () -> r.preview0("sock_accept", i32s(3), (m, a) -> 0));
        assertThrows(IllegalStateException.class, () -> r.wasix("no_such_call", i32s(1), (m, a) -> 0));
    }

    @Test
    void aFunctionRegisteredTwiceIsRefused() {
        HostFunctions r = fresh();
        r.wasix("fd_pipe", i32s(2), (m, a) -> 0);
        assertThrows(IllegalStateException.class, () -> r.wasix("fd_pipe", i32s(2), (m, a) -> 0));
    }

    @Test
    void anotherModulesFunctionsAreNotTheCatalogs() {
        HostFunctions r = fresh();
        r.add("env", "anything", i32s(5), (m, a) -> 0); // only the three WASI namespaces are checked
    }
}
