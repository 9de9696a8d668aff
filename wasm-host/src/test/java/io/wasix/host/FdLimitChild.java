package io.wasix.host;

import static io.wasix.host.ShimGuest.*;

import io.wasix.host.abi.Errno;
import io.wasix.host.net.Transport;
import java.nio.charset.StandardCharsets;

/**
 * The guest side of {@link FdLimitTest}, in a JVM of its own that the test starts under a low {@code ulimit -n}
 * so that running out of fds hits this process and not the test JVM. Prints one line per finding on stdout;
 * the test judges them. It uses no JUnit assertion once fds run out: loading a class then may fail for want
 * of an fd (test classes load from directories), so everything the out-of-fds paths need is used once before.
 *
 * <pre>
 *   FdLimitChild sockets TRANSPORT   sock_bind, sock_listen, sock_connect once fds have run out
 *   FdLimitChild accept TRANSPORT    a one-request-per-connection server, until a client sends "ping"
 *   FdLimitChild release TRANSPORT   fds held by the process, not the guest, run out; the guest waits in
 *                                    accept; a line on stdin frees them; the guest must then accept
 * </pre>
 *
 * <p>Threading: main thread only; the guest runs on it.
 */
final class FdLimitChild {
    private FdLimitChild() {}

    public static void main(String[] args) {
        Transport t = Transport.byLabel(args[1]);
        preloadClasses(FdLimitChild.class, io.wasix.host.net.GuestSocket.class);
        try (ShimGuest g = ShimGuest.open(t)) {
            switch (args[0]) {
                case "sockets" -> sockets(g);
                case "accept" -> accept(g);
                case "release" -> release(g);
                default -> throw new IllegalArgumentException(args[0]);
            }
        }
        System.out.flush();
        System.exit(0); // without waiting for Netty's non-daemon threads, if any
    }

    /**
     * Loads every class of the directories {@code anchors} were loaded from. Classes in a directory need an fd
     * each to load, and the out-of-fds paths under test would otherwise fail on their first use, in this test
     * setup only: the appliance loads our classes from jars, whose fds stay open.
     */
    private static void preloadClasses(Class<?>... anchors) {
        for (Class<?> anchor : anchors) {
            try {
                java.nio.file.Path root = java.nio.file.Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI());
                if (!java.nio.file.Files.isDirectory(root)) {
                    continue;
                }
                try (var files = java.nio.file.Files.walk(root)) {
                    for (java.nio.file.Path f : (Iterable<java.nio.file.Path>) files::iterator) {
                        String name = root.relativize(f).toString();
                        if (name.endsWith(".class")) {
                            Class.forName(name.substring(0, name.length() - 6).replace('/', '.'), false,
                                    FdLimitChild.class.getClassLoader());
                        }
                    }
                }
            } catch (Exception | LinkageError e) {
                throw new IllegalStateException("cannot preload the classes beside " + anchor, e);
            }
        }
    }

    private static void report(String line) {
        System.out.println(line);
        System.out.flush();
    }

    private static void sockets(ShimGuest g) {
        int lfd = g.listener();
        int port = g.localPort(lfd);
        // the error path once, while fds remain (see the class comment)
        int probe = g.openStream();
        g.addrIn(ADDR_IN, port);
        report("warm-up " + Errno.of(g.call("sock_bind", probe, ADDR_IN)));
        g.close(probe);
        // a socket bound before fds ran out, to connect from afterwards
        int bound = g.openStream();
        g.addrIn(ADDR_IN, 0);
        g.ok("sock_bind", bound, ADDR_IN);
        int boundPort = g.localPort(bound);

        int made = 0;
        Errno bindErr = Errno.SUCCESS;
        int last = -1;
        while (made < 100_000) { // far past any `ulimit -n` the test sets
            int fd = g.openStream();
            g.addrIn(ADDR_IN, 0);
            bindErr = Errno.of(g.call("sock_bind", fd, ADDR_IN));
            if (bindErr != Errno.SUCCESS) {
                report("bind after " + made + " " + bindErr);
                break;
            }
            last = fd;
            made++;
        }
        int fresh = g.openStream();
        report("listen " + Errno.of(g.call("sock_listen", fresh, 4)));
        g.addrIn(ADDR_IN, port);
        report("connect " + Errno.of(g.call("sock_connect", fresh, ADDR_IN)));
        report("bound-connect " + Errno.of(g.call("sock_connect", bound, ADDR_IN)));
        g.ok("sock_addr_local", bound, ADDR_OUT);
        report("still-bound " + (g.addrOut(ADDR_OUT).getPort() == boundPort));
        g.close(last);
        g.pump(20); // NIO and io_uring release a closed listener's fd when the loop runs
        g.addrIn(ADDR_IN, 0);
        report("after-close " + Errno.of(g.call("sock_bind", fresh, ADDR_IN)));
    }

    private static void release(ShimGuest g) {
        int lfd = g.listener();
        java.util.List<java.io.FileInputStream> held = new java.util.ArrayList<>();
        while (held.size() < 100_000) {
            try {
                held.add(new java.io.FileInputStream("/dev/null"));
            } catch (java.io.IOException outOfFds) {
                break;
            }
        }
        long[] releasedAt = new long[1];
        Thread releaser = new Thread(() -> {
            try {
                new java.io.BufferedReader(new java.io.InputStreamReader(System.in)).readLine();
                synchronized (releasedAt) {
                    releasedAt[0] = System.nanoTime();
                }
                for (var f : held) {
                    f.close();
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        releaser.setDaemon(true);
        releaser.start();
        report("port " + g.localPort(lfd) + " holding " + held.size());
        int cfd = g.accept(lfd, 0); // the client waits in the kernel's queue until fds are free again
        long acceptedAt = System.nanoTime();
        g.tryRecv(cfd, 100);
        g.send(cfd, "pong".getBytes(StandardCharsets.US_ASCII));
        g.close(cfd);
        synchronized (releasedAt) {
            report("accepted " + (releasedAt[0] == 0 ? "before the release" : (acceptedAt - releasedAt[0]) / 1_000_000 + " ms after the release"));
        }
    }

    private static void accept(ShimGuest g) {
        int lfd = g.listener();
        report("port " + g.localPort(lfd));
        int served = 0;
        while (served < 100_000) {
            int cfd = g.accept(lfd, 0);
            int errno = g.tryRecv(cfd, 100);
            int n = errno == 0 ? g.i32(RET) : 0;
            String got = new String(g.bytes(BUF, n), StandardCharsets.US_ASCII);
            if (got.equals("ping")) {
                g.send(cfd, "pong".getBytes(StandardCharsets.US_ASCII));
                g.close(cfd);
                report("served ping after " + served + " other connections");
                return;
            }
            g.close(cfd);
            served++;
        }
    }
}
