package io.wasix.host.net.channel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.channel.ChannelInboundHandler;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What keeps the channel transport's handlers cheap at boot (see io.wasix.host.net.InboundHandler). */
class ChannelHandlersTest {

    /**
     * Netty reads runtime annotations of every ChannelInboundHandler method the first time a handler class
     * joins a pipeline; an annotation found there makes the JDK generate a proxy class at boot. Ours have none.
     */
    @Test
    void ourHandlersCarryNoRuntimeAnnotationsForNettyToInstantiate() throws Exception {
        List<Class<?>> handlers = new ArrayList<>();
        for (Class<?> owner : List.of(ChannelListener.class, ChannelConnection.class)) {
            for (Class<?> c : owner.getDeclaredClasses()) {
                if (ChannelInboundHandler.class.isAssignableFrom(c)) {
                    handlers.add(c);
                }
            }
        }
        assertEquals(2, handlers.size(), "the channel listener's and connection's handlers: " + handlers);
        for (Class<?> h : handlers) {
            for (Method m : ChannelInboundHandler.class.getMethods()) {
                Method impl = h.getMethod(m.getName(), m.getParameterTypes());
                assertEquals(0, impl.getAnnotations().length, h.getSimpleName() + "." + m.getName() + " as Netty sees it");
            }
        }
    }
}
