package io.wasix.bench.supervise;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Requests lost on the other shards while one shard traps and restarts. Against the appliance running the
 * crashy test guest with --shards 2 (appliance/src/test/guests/crashy.c, which answers each request with the
 * id of the instance that served it): opens C keep-alive connections and sorts them by instance, loads every
 * connection of both shards for D seconds, and halfway through sends one trapping request on a connection of
 * the first shard. Then reports, per side, the requests served and lost (a failed or wrongly answered
 * request), and how long the trapped shard took to serve again on a new connection.
 *
 * <pre>java -cp bench/target/classes io.wasix.bench.supervise.TrapUnderLoad PORT [CONNECTIONS] [SECONDS]</pre>
 *
 * Prints one line of key=value pairs. A loader per connection, each on its own virtual thread.
 */
public final class TrapUnderLoad {
    private static final byte[] GET = "GET / HTTP/1.1\r\nHost: t\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final String HEAD = "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n";

    private TrapUnderLoad() {}

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        int connections = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        long millis = (args.length > 2 ? Long.parseLong(args[2]) : 10) * 1000;
        Map<String, List<Conn>> byInstance = new HashMap<>();
        for (int i = 0; i < connections; i++) {
            Conn c = new Conn(port);
            byInstance.computeIfAbsent(c.get(), k -> new ArrayList<>()).add(c);
        }
        if (byInstance.size() != 2) {
            throw new IllegalStateException("expected two shards, saw instances " + byInstance.keySet());
        }
        List<String> ids = new ArrayList<>(byInstance.keySet());
        String doomed = ids.get(0), survivor = ids.get(1);
        AtomicBoolean loading = new AtomicBoolean(true);
        AtomicLong servedOther = new AtomicLong(), lostOther = new AtomicLong();
        AtomicLong servedTrapped = new AtomicLong(), cutTrapped = new AtomicLong();
        List<Thread> loaders = new ArrayList<>();
        for (var e : byInstance.entrySet()) {
            boolean other = e.getKey().equals(survivor);
            for (Conn c : e.getValue().subList(other ? 0 : 1, e.getValue().size())) {
                loaders.add(Thread.ofVirtual().start(() -> {
                    while (loading.get()) {
                        try {
                            String id = c.get();
                            if (other && !id.equals(survivor)) {
                                lostOther.incrementAndGet();
                            } else {
                                (other ? servedOther : servedTrapped).incrementAndGet();
                            }
                        } catch (IOException ex) {
                            (other ? lostOther : cutTrapped).incrementAndGet();
                            return;
                        }
                    }
                }));
            }
        }
        Thread.sleep(millis / 2);
        long trappedAt = System.nanoTime();
        byInstance.get(doomed).get(0).send('X');
        long backMs = -1;
        String reborn = null;
        while (reborn == null && System.nanoTime() - trappedAt < 10_000_000_000L) {
            try (Conn c = new Conn(port)) {
                String id = c.get();
                if (!id.equals(survivor) && !id.equals(doomed)) {
                    reborn = id;
                    backMs = (System.nanoTime() - trappedAt) / 1_000_000;
                }
            } catch (IOException e) {
                // the port refused or reset: keep trying
            }
        }
        Thread.sleep(Math.max(0, millis / 2 - (System.nanoTime() - trappedAt) / 1_000_000));
        loading.set(false);
        for (Thread t : loaders) {
            t.join(10_000);
        }
        System.out.println("connections=" + connections + " on_trapped_shard=" + byInstance.get(doomed).size()
                + " on_other_shard=" + byInstance.get(survivor).size() + " seconds=" + millis / 1000
                + " served_other=" + servedOther + " lost_other=" + lostOther
                + " served_trapped_before=" + servedTrapped + " cut_trapped=" + cutTrapped
                + " trapped_shard_serving_again_ms=" + backMs);
    }

    /** A keep-alive connection; {@link #get} answers the serving instance's id. */
    private static final class Conn implements AutoCloseable {
        private final Socket s = new Socket();
        private final InputStream in;
        private final OutputStream out;

        Conn(int port) throws IOException {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout(5000);
            s.setTcpNoDelay(true);
            in = s.getInputStream();
            out = s.getOutputStream();
        }

        String get() throws IOException {
            out.write(GET);
            byte[] r = in.readNBytes(HEAD.length() + 9);
            String text = new String(r, StandardCharsets.US_ASCII);
            if (r.length != HEAD.length() + 9 || !text.startsWith(HEAD)) {
                throw new IOException("bad response: " + text);
            }
            return text.substring(HEAD.length(), HEAD.length() + 8);
        }

        void send(char first) throws IOException {
            out.write((first + "GET / HTTP/1.1\r\nHost: t\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        }

        @Override
        public void close() throws IOException {
            s.close();
        }
    }
}
