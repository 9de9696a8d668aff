package io.wasix.bench.load;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.socket.DuplexChannel;
import io.wasix.host.net.Transport;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * The load benchmark's JVM ceiling: the same HTTP/1.1 hello server as the appliance's guests, written straight
 * on Netty with no wasm in between, on the same transports (io.wasix.host.net.Transport). One event loop
 * thread by default, as one guest shard has one. Answers every complete request head in a read, flushes once
 * per read batch, honours "Connection: close" (write, then close), keeps the connection otherwise.
 *
 * <p>Usage: {@code PlainNettyServer TRANSPORT PORT [HOST] [THREADS]}. Threading: Netty's event loop threads.
 */
public final class PlainNettyServer {
    private static final byte[] OK_KEEP = ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\n"
            + "Hello, World!").getBytes(StandardCharsets.US_ASCII);
    private static final byte[] OK_CLOSE = ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n"
            + "Connection: close\r\n\r\nHello, World!").getBytes(StandardCharsets.US_ASCII);
    private static final int MAX_HEAD = 8192;

    private PlainNettyServer() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: PlainNettyServer io_uring|epoll|nio PORT [HOST] [THREADS]");
            System.exit(2);
        }
        Transport transport = Transport.byLabel(args[0]);
        Throwable why = transport.unavailabilityCause();
        if (why != null) {
            System.err.println("plain-netty: " + transport.label() + " unavailable: " + why);
            System.exit(1);
        }
        int port = Integer.parseInt(args[1]);
        String host = args.length > 2 ? args[2] : "127.0.0.1";
        int threads = args.length > 3 ? Integer.parseInt(args[3]) : 1;
        var group = new MultiThreadIoEventLoopGroup(threads, transport.ioHandlerFactory());
        var bootstrap = new ServerBootstrap()
                .group(group)
                .channelFactory(() -> transport.newServerChannel(true)) // Netty's default: dual-stack
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childHandler(new ChannelInitializer<DuplexChannel>() {
                    @Override
                    protected void initChannel(DuplexChannel ch) {
                        ch.pipeline().addLast(new HelloHandler());
                    }
                });
        bootstrap.bind(new InetSocketAddress(host, port)).sync();
        System.err.println("plain-netty: listening on " + host + ":" + port + " (" + transport.label() + ", "
                + threads + (threads == 1 ? " thread)" : " threads)"));
        Thread.currentThread().join();
    }

    /** One connection's parser. Runs on the connection's event loop. */
    private static final class HelloHandler extends ChannelInboundHandlerAdapter {
        private ByteBuf pending;
        private boolean wrote;
        private boolean closing;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf in = (ByteBuf) msg;
            if (closing) {
                in.release();
                return;
            }
            if (pending != null) {
                pending.writeBytes(in);
                in.release();
                in = pending;
                pending = null;
            }
            while (!closing) {
                int end = headEnd(in);
                if (end < 0) {
                    break;
                }
                boolean close = wantsClose(in, in.readerIndex(), end);
                in.readerIndex(end);
                byte[] response = close ? OK_CLOSE : OK_KEEP;
                ctx.write(ctx.alloc().directBuffer(response.length).writeBytes(response));
                wrote = true;
                closing = close;
            }
            if (in.isReadable() && !closing) {
                if (in.readableBytes() > MAX_HEAD) {
                    in.release();
                    ctx.close();
                    return;
                }
                pending = ctx.alloc().buffer(Math.max(1024, in.readableBytes() * 2));
                pending.writeBytes(in);
            }
            in.release();
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (wrote) {
                wrote = false;
                var f = ctx.writeAndFlush(Unpooled.EMPTY_BUFFER);
                if (closing) {
                    f.addListener(ChannelFutureListener.CLOSE);
                }
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (pending != null) {
                pending.release();
                pending = null;
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }

        /** Index just past the first "\r\n\r\n" at or after the reader index, or -1. */
        private static int headEnd(ByteBuf b) {
            for (int i = b.readerIndex(), last = b.writerIndex() - 4; i <= last; i++) {
                if (b.getByte(i) == '\r' && b.getByte(i + 1) == '\n' && b.getByte(i + 2) == '\r'
                        && b.getByte(i + 3) == '\n') {
                    return i + 4;
                }
            }
            return -1;
        }

        /** "Connection: close" (any case) in the head, or HTTP/1.0 without "keep-alive"; no allocation. */
        private static boolean wantsClose(ByteBuf b, int from, int to) {
            int eol = indexOf(b, from, to, CRLF);
            boolean http10 = eol - from >= 8 && indexOf(b, eol - 8, eol, HTTP10) == eol - 8;
            int at = indexOf(b, from, to, CONNECTION);
            if (at < 0) {
                return http10;
            }
            int end = indexOf(b, at + 2, to, CRLF);
            if (indexOf(b, at, end, CLOSE) >= 0) {
                return true;
            }
            return http10 && indexOf(b, at, end, KEEP_ALIVE) < 0;
        }

        private static final byte[] CRLF = bytes("\r\n"), HTTP10 = bytes("http/1.0"),
                CONNECTION = bytes("\r\nconnection:"), CLOSE = bytes("close"), KEEP_ALIVE = bytes("keep-alive");

        private static byte[] bytes(String s) {
            return s.getBytes(StandardCharsets.US_ASCII);
        }

        /** First index of the lower-case pattern in [from, to), ignoring ASCII case, or -1. */
        private static int indexOf(ByteBuf b, int from, int to, byte[] pattern) {
            outer:
            for (int i = from; i <= to - pattern.length; i++) {
                for (int j = 0; j < pattern.length; j++) {
                    int c = b.getByte(i + j);
                    if (c >= 'A' && c <= 'Z') {
                        c += 32;
                    }
                    if (c != pattern[j]) {
                        continue outer;
                    }
                }
                return i;
            }
            return -1;
        }
    }
}
