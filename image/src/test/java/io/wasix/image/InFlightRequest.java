package io.wasix.image;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * An HTTP request left half-sent on purpose, so that the server is in the middle of it (the guest has
 * accepted and waits in recv) when a test stops the server; {@link #finish} sends the rest and reads the
 * whole response. Also the small HTTP helpers the image tests share. One test thread.
 */
final class InFlightRequest implements AutoCloseable {
    static final String HEAD = "GET / HTTP/1.1\r\nHost: localhost\r\n";
    static final String HELLO_RESPONSE = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n"
            + "Connection: close\r\n\r\nHello, World!";

    private final Socket socket;

    private InFlightRequest(Socket socket) {
        this.socket = socket;
    }

    /** Connects and sends the request head without its final empty line. */
    static InFlightRequest start(int port) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
        s.setSoTimeout(10_000);
        OutputStream out = s.getOutputStream();
        out.write(HEAD.getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return new InFlightRequest(s);
    }

    /** Sends the end of the request head and reads the response until the server closes. */
    String finish() throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = socket.getInputStream();
        return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    /** GET / once, retrying while nothing answers yet (the listener comes up after the boot line). */
    static String get(int port, long timeoutMillis) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
                s.setSoTimeout(5000);
                s.getOutputStream().write((HEAD + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                String response = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                // A container engine's port forwarder may accept and close before the server listens.
                if (!response.isEmpty()) {
                    return response;
                }
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
            }
            assertTrue(System.nanoTime() < deadline, "no response on port " + port + " within " + timeoutMillis + " ms");
            Thread.sleep(50);
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
