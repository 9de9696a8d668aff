package io.wasix.host;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.Instance;
import io.wasix.host.fs.MountSpec;
import io.wasix.host.net.Transport;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
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
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        HostConfig cfg = HostConfig.of(t).withMounts(List.of(MountSpec.memory("/")))
                .withStdio(InputStream.nullInputStream(), out, err);
        assertEquals(List.of(), WasixHost.missingImports(ShimGuest.module("preview0.wasm")));
        Throwable ended = null;
        try (WasixHost host = new WasixHost(cfg)) {
            Instance instance = ShimGuest.instantiate("preview0.wasm", host);
            instance.export("_start").apply();
        } catch (Throwable e) {
            ended = e;
        }
        assertInstanceOf(GuestExitException.class, ended, () -> "guest did not exit: " + err.toString(US_ASCII));
        assertEquals(0, ((GuestExitException) ended).code(), () -> err.toString(US_ASCII));
        String stdout = out.toString(US_ASCII);
        assertTrue(stdout.matches("preview0: \\d+ checks passed\\n"), stdout);
    }
}
