package io.wasix.host.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.util.internal.logging.InternalLoggerFactory;
import org.junit.jupiter.api.Test;

/**
 * What keeps Netty's first use cheap at boot (see NettyLog, Transport's initializer; InboundHandler's part is
 * net.channel's ChannelHandlersTest).
 */
class NettyBootTest {

    @Test
    void nettyLogsThroughOurFactoryOnceATransportIsUsed() {
        Transport.values(); // initializes Transport, which installs the factory
        assertEquals("NettyLog", InternalLoggerFactory.getDefaultFactory().getClass().getSimpleName());
        assertTrue(InternalLoggerFactory.getInstance("x").isWarnEnabled());
        assertFalse(InternalLoggerFactory.getInstance("x").isDebugEnabled());
        assertTrue(System.getProperty("io.netty.machineId").matches("([0-9a-f]{2}:){7}[0-9a-f]{2}"),
                System.getProperty("io.netty.machineId"));
    }

    @Test
    void placeholdersAreFilledInOrder() {
        assertEquals("a 1 b 2 c {}", NettyLog.format("a {} b {} c {}", 1, 2));
        assertEquals("no args {}", NettyLog.format("no args {}"));
        assertEquals("x java.io.IOException: boom", NettyLog.format("x {}", new java.io.IOException("boom")));
    }

    /** The probe's rings are the shards' rings: a boot builds each loop once (and tears none down). */
    @Test
    void theProbesLoopsAreAdoptedByTheNextLoopsInsteadOfBuiltAgain() throws Exception {
        TransportChoice.choose(null, 3); // leftovers of this one are closed by the next choice
        TransportChoice choice = TransportChoice.choose(null, 2);
        Transport t = choice.transport();
        var first = TransportChoice.adoptSpare(t, Thread.currentThread());
        var adopted = new java.util.concurrent.atomic.AtomicReference<io.netty.channel.ManualIoEventLoop>();
        var ownedByOther = new java.util.concurrent.atomic.AtomicBoolean();
        Thread other = new Thread(() -> {
            var loop = TransportChoice.adoptSpare(t, Thread.currentThread());
            adopted.set(loop);
            if (loop != null) {
                ownedByOther.set(loop.inEventLoop(Thread.currentThread()));
                loop.shutdown(); // only its owner may run it to the end
                while (!loop.isTerminated()) {
                    loop.runNow();
                }
            }
        });
        other.start();
        other.join(10_000);
        var second = adopted.get();
        try {
            org.junit.jupiter.api.Assertions.assertNotNull(first, "the first of the two probed loops");
            org.junit.jupiter.api.Assertions.assertNotNull(second, "the second of the two probed loops");
            org.junit.jupiter.api.Assertions.assertNotSame(first, second);
            org.junit.jupiter.api.Assertions.assertNull(TransportChoice.adoptSpare(t, Thread.currentThread()),
                    "only the last choice's two loops are kept, not the earlier choice's three");
            assertTrue(first.inEventLoop(Thread.currentThread()), "owned by the thread that adopted it");
            assertTrue(ownedByOther.get(), "owned by the thread that adopted it");
            first.runNow(); // the owner can run it (io_uring enables its ring here)
        } finally {
            first.shutdown();
            while (!first.isTerminated()) {
                first.runNow();
            }
        }
    }
}
