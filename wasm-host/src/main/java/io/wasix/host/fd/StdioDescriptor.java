package io.wasix.host.fd;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * fd 0, 1 or 2: the host process's standard streams, passed through unchanged. Reads from stdin block the
 * guest thread in the JDK (stdin is not a Netty channel). Owned by the guest thread; in threaded mode, by any guest
 * thread under the shard lock.
 */
public final class StdioDescriptor implements Descriptor {
    private final InputStream in;
    private final OutputStream out;

    private StdioDescriptor(InputStream in, OutputStream out) {
        this.in = in;
        this.out = out;
    }

    public static StdioDescriptor input(InputStream in) {
        return new StdioDescriptor(in, null);
    }

    public static StdioDescriptor output(OutputStream out) {
        return new StdioDescriptor(null, out);
    }

    public boolean readable() {
        return in != null;
    }

    public boolean writable() {
        return out != null;
    }

    public int read(byte[] buf, int off, int len) throws IOException {
        int n = in.read(buf, off, len);
        return Math.max(n, 0);
    }

    /** Bytes that can be read without blocking (0 also at end of input: the JDK cannot tell the two apart). */
    public int available() throws IOException {
        return in.available();
    }

    public void write(byte[] buf, int off, int len) throws IOException {
        out.write(buf, off, len);
        out.flush();
    }

    @Override
    public FileType fileType() {
        return FileType.CHARACTER_DEVICE;
    }

    @Override
    public int readiness() {
        return in != null ? IN : OUT;
    }

    @Override
    public long readinessSeq() {
        return 0;
    }

    @Override
    public void close() {
        // The host's own streams stay open: other shards and the appliance still print through them.
    }
}
