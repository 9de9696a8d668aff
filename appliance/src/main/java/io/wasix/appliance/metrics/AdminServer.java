package io.wasix.appliance.metrics;

import io.wasix.host.metrics.ShardStats;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The admin port: `/metrics` (Prometheus text) and `/healthz`, one request per connection, HTTP/1.1 with
 * Content-Length and Connection: close. A blocking JDK socket on its own daemon thread, so that scrapes
 * never run on a guest's thread and the image needs no HTTP library. Requests are served one at a time,
 * each bounded by a read timeout: a scraper is one client.
 *
 * <p>Threading: {@link #start} and {@link #close()} on main; everything else on the "admin" thread.
 */
public final class AdminServer implements AutoCloseable {
    private static final int READ_TIMEOUT_MS = 2_000;
    private static final int MAX_HEAD = 8192;

    private final ServerSocket server;
    private final Supplier<List<ShardStats>> stats;
    private final BooleanSupplier serving;
    private final Thread thread;

    private AdminServer(ServerSocket server, Supplier<List<ShardStats>> stats, BooleanSupplier serving) {
        this.server = server;
        this.stats = stats;
        this.serving = serving;
        this.thread = new Thread(this::acceptLoop, "admin");
        thread.setDaemon(true);
    }

    /**
     * Binds {@code address} and starts serving. {@code serving} answers /healthz: 200 while the guests
     * serve, 503 before they start and once they stop.
     */
    static AdminServer start(InetSocketAddress address, Supplier<List<ShardStats>> stats, BooleanSupplier serving)
            throws IOException {
        ServerSocket s = new ServerSocket();
        try {
            s.setReuseAddress(true);
            s.bind(address, 16);
        } catch (IOException e) {
            s.close();
            throw e;
        }
        AdminServer a = new AdminServer(s, stats, serving);
        a.thread.start();
        return a;
    }

    InetSocketAddress address() {
        return (InetSocketAddress) server.getLocalSocketAddress();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try (Socket c = server.accept()) {
                c.setSoTimeout(READ_TIMEOUT_MS);
                serve(c);
            } catch (SocketException | SocketTimeoutException e) {
                // closed by close(), a client that hung up, or one too slow to send its request: next
            } catch (IOException | RuntimeException e) {
                System.err.println("appliance: admin port: " + e);
            }
        }
    }

    private void serve(Socket c) throws IOException {
        String requestLine = readHead(new BufferedInputStream(c.getInputStream()));
        OutputStream out = c.getOutputStream();
        if (requestLine == null) {
            respond(out, 400, "Bad Request", "text/plain; charset=utf-8", "bad request\n", true);
            return;
        }
        String[] parts = requestLine.split(" ");
        if (parts.length != 3 || !parts[2].startsWith("HTTP/1.")) {
            respond(out, 400, "Bad Request", "text/plain; charset=utf-8", "bad request\n", true);
            return;
        }
        boolean head = parts[0].equals("HEAD");
        if (!head && !parts[0].equals("GET")) {
            respond(out, 405, "Method Not Allowed", "text/plain; charset=utf-8", "GET or HEAD\n", true);
            return;
        }
        String path = parts[1];
        int q = path.indexOf('?');
        if (q >= 0) {
            path = path.substring(0, q);
        }
        switch (path) {
            case "/metrics" -> respond(out, 200, "OK", PrometheusText.CONTENT_TYPE,
                    PrometheusText.render(stats.get()), !head);
            case "/healthz" -> {
                if (serving.getAsBoolean()) {
                    respond(out, 200, "OK", "text/plain; charset=utf-8", "ok\n", !head);
                } else {
                    respond(out, 503, "Service Unavailable", "text/plain; charset=utf-8", "not serving\n", !head);
                }
            }
            default -> respond(out, 404, "Not Found", "text/plain; charset=utf-8", "try /metrics or /healthz\n", !head);
        }
    }

    /** Reads the request head up to the blank line; returns its first line, or null if it is malformed. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0; // of "\r\n\r\n"
        while (matched < 4) {
            int b = in.read();
            if (b < 0 || head.size() >= MAX_HEAD) {
                return null;
            }
            head.write(b);
            matched = (b == '\r' && matched % 2 == 0) || (b == '\n' && matched % 2 == 1) ? matched + 1
                    : b == '\r' ? 1 : 0;
        }
        String text = head.toString(StandardCharsets.ISO_8859_1);
        return text.substring(0, text.indexOf("\r\n"));
    }

    private static void respond(OutputStream out, int status, String reason, String type, String body, boolean withBody)
            throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 " + status + " " + reason + "\r\nContent-Type: " + type + "\r\nContent-Length: "
                + b.length + "\r\nConnection: close\r\n\r\n";
        out.write(head.getBytes(StandardCharsets.ISO_8859_1));
        if (withBody) {
            out.write(b);
        }
        out.flush();
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            // closing a listener we own: nothing to do
        }
        try {
            thread.join(READ_TIMEOUT_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
