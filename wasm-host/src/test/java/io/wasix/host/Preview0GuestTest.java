package io.wasix.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wasix.host.fs.MountSpec;
import io.wasix.host.net.Transport;
import java.util.List;

/**
 * preview0.wasm (C, no libc, importing only wasi_unstable) checks preview 0's own layouts and enum values
 * (whence, the 56-byte filestat, the 56-byte subscription) on every available transport: its poll_oneoff runs
 * the transport's loop.
 */
class Preview0GuestTest {
    @TransportTest
    void aPreview0ModuleRunsWithItsOwnLayouts(Transport t) {
        Transports.require(t);
        assertEquals(List.of(), WasixHost.missingImports(ShimGuest.module("preview0.wasm")));
        GuestModulesTest.Run run = GuestModulesTest.run(HostConfig.of(t).withMounts(List.of(MountSpec.memory("/"))),
                "preview0.wasm");
        assertEquals(0, run.exitCode(), run::stderr);
        String stdout = run.stdout();
        assertTrue(stdout.matches("preview0: \\d+ checks passed\\n"), stdout);
    }
}
