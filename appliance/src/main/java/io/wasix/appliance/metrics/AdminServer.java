package io.wasix.appliance.metrics;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.concurrent.TimeUnit;

/**
 * The admin port's server: one request per connection, served by one NIO selector loop on its own daemon
 * thread, so a scrape never runs on a guest's thread and the image needs no HTTP library.
 *
 * <p>Why a selector and not a thread (or virtual thread) per connection: the port must keep answering
 * /healthz while hostile clients hold connections (idle ones, a byte a second, half-written requests). One
 * loop serves every connection as its bytes come, so none waits behind another; memory is bounded by a cap
 * on connections ({@link #MAX_CONNECTIONS}, beyond which the oldest is dropped: the one nearest its deadline,
 * and the least likely to be a prober's, which sends its request with its connect) and a small input buffer
 * each; and every connection has one deadline ({@link #EXCHANGE_TIMEOUT_MS} from its accept, for the whole
 * request and response), so a slow client costs a slot for at most that long. Deadlines come in accept order,
 * so the oldest connection is also the next to expire: one ordered set serves both. No thread pool and no
 * virtual-thread scheduler start at boot.
 *
 * <p>Threading: {@link #start} and {@link #close()} on main; everything else on the "admin" thread, which
 * owns the selector and every connection.
 */
public final class AdminServer implements AutoCloseable {
    /**
     * Connections held at once; a new one beyond it drops the oldest. Room for a few hundred: a crowd of slow
     * clients below it costs each a slot for {@link #EXCHANGE_TIMEOUT_MS} and no more, while a cap below the
     * crowd would drop one on every accept, and clients that come straight back would turn that into a storm
     * of connections that overflows the kernel's accept queue (a prober's SYN then waits a second).
     */
    static final int MAX_CONNECTIONS = 256;
    /** From accept to the last byte of the response: a request head is a few hundred bytes, sent at once. */
    static final long EXCHANGE_TIMEOUT_MS = 2_000;
    /** The largest request head read; a longer one is answered 431. */
    static final int MAX_HEAD = 4096;
    private static final int BACKLOG = 256;
    /**
     * Accepts per turn of the loop, so that a flood of connections (each one making room by dropping the
     * oldest) cannot push out a prober's connection before its request is read.
     */
    private static final int ACCEPTS_PER_TURN = 16;

    /** One admin connection. Admin thread. */
    private static final class Conn {
        final SocketChannel channel;
        final long deadline;
        ByteBuffer in; // allocated on the first read
        ByteBuffer out;
        /** Answered and half-closed: reading (and discarding) until the client closes. */
        boolean lingering;

        Conn(SocketChannel channel, long deadline) {
            this.channel = channel;
            this.deadline = deadline;
        }
    }

    private final ServerSocketChannel server;
    private final Selector selector;
    private final AdminPages pages;
    private final Thread thread;
    /** Accept order, which is deadline order. */
    private final LinkedHashSet<Conn> conns = new LinkedHashSet<>();
    private final int maxConnections;
    /** Where a lingering connection's bytes go. */
    private final ByteBuffer discard = ByteBuffer.allocate(512);
    private volatile boolean open = true;
    /** Connections dropped to make room (read by tests). */
    private volatile long evicted;

    private AdminServer(ServerSocketChannel server, Selector selector, AdminPages pages, int maxConnections) {
        this.server = server;
        this.maxConnections = maxConnections;
        this.selector = selector;
        this.pages = pages;
        this.thread = new Thread(this::loop, "admin");
        thread.setDaemon(true);
    }

    /** Binds {@code address} and starts serving {@code pages}. */
    static AdminServer start(InetSocketAddress address, AdminPages pages) throws IOException {
        return start(address, pages, MAX_CONNECTIONS);
    }

    /** As {@link #start(InetSocketAddress, AdminPages)}, holding at most {@code maxConnections} (tests). */
    static AdminServer start(InetSocketAddress address, AdminPages pages, int maxConnections) throws IOException {
        ServerSocketChannel s = ServerSocketChannel.open();
        Selector sel = null;
        try {
            s.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            s.bind(address, BACKLOG);
            s.configureBlocking(false);
            sel = Selector.open();
            s.register(sel, SelectionKey.OP_ACCEPT);
        } catch (IOException e) {
            s.close();
            if (sel != null) {
                sel.close();
            }
            throw e;
        }
        AdminServer a = new AdminServer(s, sel, pages, maxConnections);
        a.thread.start();
        return a;
    }

    InetSocketAddress address() {
        try {
            return (InetSocketAddress) server.getLocalAddress();
        } catch (IOException e) {
            throw new IllegalStateException("the admin port is closed", e);
        }
    }

    long evicted() {
        return evicted;
    }

    private void loop() {
        try {
            while (open) {
                long now = System.nanoTime();
                expire(now);
                long wait = conns.isEmpty() ? 0
                        : Math.max(1, TimeUnit.NANOSECONDS.toMillis(conns.getFirst().deadline - now) + 1);
                selector.select(wait);
                Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey k = it.next();
                    it.remove();
                    if (!k.isValid()) {
                        continue;
                    }
                    if (k.isAcceptable()) {
                        acceptSome();
                    } else {
                        Conn c = (Conn) k.attachment();
                        try {
                            if (k.isReadable()) {
                                read(c, k);
                            } else if (k.isWritable()) {
                                write(c, k);
                            }
                        } catch (IOException e) {
                            drop(c); // reset by the client, or gone: nothing to answer
                        }
                    }
                }
            }
        } catch (IOException | ClosedSelectorException e) {
            if (open) {
                System.err.println("appliance: admin port stopped: " + e);
            }
        } finally {
            for (Conn c : conns) {
                closeQuietly(c.channel);
            }
            conns.clear();
            closeQuietly(server);
            try {
                selector.close();
            } catch (IOException e) {
                // closing what we own
            }
        }
    }

    /**
     * Accepts up to {@link #ACCEPTS_PER_TURN} connections (more wait in the backlog for the next turn) and
     * reads each at once: a prober's request usually arrived with its connect, and is answered right here.
     */
    private void acceptSome() throws IOException {
        SocketChannel ch;
        for (int i = 0; i < ACCEPTS_PER_TURN && (ch = server.accept()) != null; i++) {
            if (conns.size() >= maxConnections) {
                drop(conns.getFirst());
                evicted++;
            }
            Conn c = new Conn(ch, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(EXCHANGE_TIMEOUT_MS));
            try {
                ch.configureBlocking(false);
                SelectionKey k = ch.register(selector, SelectionKey.OP_READ, c);
                conns.add(c);
                read(c, k);
            } catch (IOException e) {
                drop(c);
            }
        }
    }

    private void read(Conn c, SelectionKey k) throws IOException {
        if (c.lingering) {
            int n;
            do {
                discard.clear();
                n = c.channel.read(discard);
            } while (n > 0);
            if (n < 0) {
                drop(c);
            }
            return;
        }
        if (c.in == null) {
            c.in = ByteBuffer.allocate(MAX_HEAD);
        }
        int from = Math.max(0, c.in.position() - 3); // the blank line may straddle reads
        int n = c.channel.read(c.in);
        if (n < 0) {
            drop(c); // ended before a whole head: nobody to answer
            return;
        }
        int end = headEnd(c.in, from);
        if (end >= 0) {
            respond(c, k, pages.answer(new String(c.in.array(), 0, end, StandardCharsets.ISO_8859_1)));
        } else if (!c.in.hasRemaining()) {
            respond(c, k, AdminPages.headTooLarge());
        }
    }

    /** The offset of the blank line ending the head in {@code in}'s filled part, searched from {@code from}; or -1. */
    private static int headEnd(ByteBuffer in, int from) {
        byte[] b = in.array();
        for (int i = from; i + 3 < in.position(); i++) {
            if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') {
                return i + 2;
            }
        }
        return -1;
    }

    private void respond(Conn c, SelectionKey k, byte[] response) throws IOException {
        c.in = null;
        c.out = ByteBuffer.wrap(response);
        k.interestOps(SelectionKey.OP_WRITE);
        write(c, k);
    }

    private void write(Conn c, SelectionKey k) throws IOException {
        c.channel.write(c.out);
        if (!c.out.hasRemaining()) {
            // Connection: close. Closing now, with request bytes still unread (a head cut at MAX_HEAD), would
            // reset the connection and could lose the response: half-close, and close once the client has.
            c.out = null;
            c.lingering = true;
            c.channel.shutdownOutput();
            k.interestOps(SelectionKey.OP_READ);
        }
    }

    /** Closes every connection past its deadline; they are in deadline order. */
    private void expire(long now) {
        while (!conns.isEmpty() && conns.getFirst().deadline - now <= 0) {
            drop(conns.getFirst());
        }
    }

    private void drop(Conn c) {
        conns.remove(c);
        closeQuietly(c.channel);
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            // closing what we own
        }
    }

    @Override
    public void close() {
        open = false;
        selector.wakeup();
        try {
            thread.join(EXCHANGE_TIMEOUT_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeQuietly(server); // if the loop did not get to it
    }
}
