package io.wasix.bench.supervise;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Opens N idle TCP connections to HOST:PORT (connect, send nothing), then reports how many the server still
 * holds open after a settling pause, how many it closed or reset, and whether a fresh request on a new
 * connection is still answered. For bench/supervision/run.sh's idle-connection figure.
 *
 * <pre>java -cp bench/target/classes io.wasix.bench.supervise.IdleConnections HOST PORT N [SETTLE_MS]</pre>
 *
 * Prints one line of key=value pairs. Needs a file-descriptor limit above N. Single-threaded.
 */
public final class IdleConnections {
    private IdleConnections() {}

    public static void main(String[] args) throws Exception {
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        int n = Integer.parseInt(args[2]);
        long settle = args.length > 3 ? Long.parseLong(args[3]) : 3000;
        InetSocketAddress to = new InetSocketAddress(host, port);
        List<SocketChannel> open = new ArrayList<>(n);
        int failed = 0;
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            try {
                SocketChannel c = SocketChannel.open();
                c.setOption(StandardSocketOptions.SO_LINGER, 0); // a reset at the end: no TIME_WAIT left behind
                c.socket().connect(to, 5000);
                c.configureBlocking(false);
                open.add(c);
            } catch (IOException e) {
                failed++;
                if (failed > 100) {
                    break;
                }
            }
        }
        long connectMs = (System.nanoTime() - t0) / 1_000_000;
        Thread.sleep(settle);
        int held = 0, closed = 0;
        ByteBuffer one = ByteBuffer.allocate(1);
        for (SocketChannel c : open) {
            one.clear();
            try {
                int r = c.read(one);
                if (r < 0) {
                    closed++;
                } else {
                    held++;
                }
            } catch (IOException e) {
                closed++; // reset
            }
        }
        String fresh = fresh(to);
        System.out.println("asked=" + n + " connected=" + open.size() + " connect_failures=" + failed + " held=" + held
                + " closed_by_server=" + closed + " connect_ms=" + connectMs + " fresh_request=" + fresh);
        for (SocketChannel c : open) {
            c.close();
        }
    }

    /** A GET on a new connection: "answered", or what went wrong. */
    private static String fresh(InetSocketAddress to) {
        try (SocketChannel c = SocketChannel.open()) {
            c.socket().connect(to, 5000);
            c.socket().setSoTimeout(5000);
            c.socket().getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            byte[] head = c.socket().getInputStream().readNBytes(15);
            return new String(head, StandardCharsets.US_ASCII).startsWith("HTTP/1.1 200") ? "answered" : "bad_response";
        } catch (IOException e) {
            return "failed(" + e.getClass().getSimpleName() + ")";
        }
    }
}
