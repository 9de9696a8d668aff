package io.wasix.appliance.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The admin port over a real loopback socket, on a port the kernel picks. */
@Timeout(30)
class AdminServerTest {

    static String request(InetSocketAddress at, String requestLine) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(at, 5_000);
            s.setSoTimeout(5_000);
            OutputStream out = s.getOutputStream();
            out.write((requestLine + "\r\nHost: x\r\nUser-Agent: test\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static String body(String response) {
        return response.substring(response.indexOf("\r\n\r\n") + 4);
    }

    @Test
    void servesMetricsAndHealthUntilClosed() throws Exception {
        AtomicBoolean serving = new AtomicBoolean(true);
        InetSocketAddress at;
        try (AdminServer admin = AdminServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                new AdminPages(ReportsTest::sample, serving::get, () -> false))) {
            at = admin.address();
            String metrics = request(at, "GET /metrics HTTP/1.1");
            assertTrue(metrics.startsWith("HTTP/1.1 200 OK\r\n"), metrics);
            assertTrue(metrics.contains("\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
            String page = body(metrics);
            assertTrue(metrics.contains("\r\nContent-Length: " + page.getBytes(StandardCharsets.UTF_8).length + "\r\n"));
            assertEquals(2, ReportsTest.value(page, "wasix_syscall_calls_total{shard=\"0\",syscall=\"sock_send\"}"));

            String health = request(at, "GET /healthz HTTP/1.1");
            assertTrue(health.startsWith("HTTP/1.1 200 OK\r\n") && body(health).equals("ok\n"), health);
            serving.set(false);
            assertTrue(request(at, "GET /healthz HTTP/1.1").startsWith("HTTP/1.1 503 "));

            assertTrue(request(at, "GET /metrics?x=1 HTTP/1.0").startsWith("HTTP/1.1 200 OK\r\n"));
            String head = request(at, "HEAD /metrics HTTP/1.1");
            assertTrue(head.startsWith("HTTP/1.1 200 OK\r\n") && body(head).isEmpty(), head);
            assertTrue(request(at, "GET /nope HTTP/1.1").startsWith("HTTP/1.1 404 "));
            assertTrue(request(at, "POST /metrics HTTP/1.1").startsWith("HTTP/1.1 405 "));
            assertTrue(request(at, "garbage").startsWith("HTTP/1.1 400 "));
        }
        try (Socket s = new Socket()) {
            s.connect(at, 2_000);
            throw new AssertionError("still listening after close");
        } catch (ConnectException expected) {
            // closed
        }
    }

    @Test
    void aBusyPortIsAnError() throws Exception {
        AdminPages pages = new AdminPages(ReportsTest::sample, () -> true, () -> true);
        try (AdminServer first = AdminServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), pages)) {
            try {
                AdminServer.start(first.address(), pages).close();
                throw new AssertionError("bound a busy port");
            } catch (IOException expected) {
                assertTrue(expected.getMessage().contains("in use"), expected.getMessage());
            }
        }
    }
}
