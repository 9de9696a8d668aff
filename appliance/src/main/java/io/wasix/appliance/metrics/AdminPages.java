package io.wasix.appliance.metrics;

import io.wasix.host.metrics.ShardStats;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * What the admin port answers: a whole HTTP/1.1 response (Content-Length, Connection: close) for a request
 * head. `/metrics` (Prometheus text), `/healthz` (liveness) and `/readyz` (readiness); GET or HEAD.
 * Stateless apart from its suppliers; the admin thread.
 */
final class AdminPages {
    private static final String TEXT = "text/plain; charset=utf-8";

    private final Supplier<List<ShardStats>> stats;
    private final BooleanSupplier live;
    private final BooleanSupplier ready;

    AdminPages(Supplier<List<ShardStats>> stats, BooleanSupplier live, BooleanSupplier ready) {
        this.stats = stats;
        this.live = live;
        this.ready = ready;
    }

    /** The response to a complete request head (up to its blank line, ISO-8859-1). */
    byte[] answer(String head) {
        int eol = head.indexOf("\r\n");
        String[] parts = (eol < 0 ? head : head.substring(0, eol)).split(" ");
        if (parts.length != 3 || !parts[2].startsWith("HTTP/1.")) {
            return badRequest();
        }
        boolean body = !parts[0].equals("HEAD");
        if (body && !parts[0].equals("GET")) {
            return response(405, "Method Not Allowed", TEXT, "GET or HEAD\n", true);
        }
        String path = parts[1];
        int q = path.indexOf('?');
        if (q >= 0) {
            path = path.substring(0, q);
        }
        return switch (path) {
            case "/metrics" -> response(200, "OK", PrometheusText.CONTENT_TYPE, PrometheusText.render(stats.get()), body);
            case "/healthz" -> live.getAsBoolean() ? response(200, "OK", TEXT, "ok\n", body)
                    : response(503, "Service Unavailable", TEXT, "not serving\n", body);
            case "/readyz" -> ready.getAsBoolean() ? response(200, "OK", TEXT, "ready\n", body)
                    : response(503, "Service Unavailable", TEXT, "not ready\n", body);
            default -> response(404, "Not Found", TEXT, "try /metrics, /healthz or /readyz\n", body);
        };
    }

    static byte[] badRequest() {
        return response(400, "Bad Request", TEXT, "bad request\n", true);
    }

    static byte[] headTooLarge() {
        return response(431, "Request Header Fields Too Large", TEXT, "request head too large\n", true);
    }

    private static byte[] response(int status, String reason, String type, String body, boolean withBody) {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        byte[] head = ("HTTP/1.1 " + status + " " + reason + "\r\nContent-Type: " + type + "\r\nContent-Length: "
                + b.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
        if (!withBody) {
            return head;
        }
        byte[] all = new byte[head.length + b.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(b, 0, all, head.length, b.length);
        return all;
    }
}
