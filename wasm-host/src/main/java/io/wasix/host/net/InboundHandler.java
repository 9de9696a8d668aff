package io.wasix.host.net;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandler;

/**
 * The base of our inbound handlers: every event passes on down the pipeline unless a subclass overrides it.
 * Netty's ChannelInboundHandlerAdapter does the same, but its methods carry @Skip (and exceptionCaught
 * @Deprecated): when a handler is first added to a pipeline, Netty reads those annotations by reflection,
 * and the JDK generates and verifies a proxy class per annotation type, ~30 ms at every boot that no AOT
 * cache can keep (proxy classes are not archived). These methods carry no runtime annotations, so Netty's
 * check finds nothing to instantiate; the cost is that no event is skipped in the pipeline, which for our
 * one-handler pipelines is one extra call per event.
 *
 * <p>Threading: like every handler here, runs on the thread that runs the channel's loop: the guest thread in
 * direct mode, the shard's I/O thread in threaded mode (where subclasses take the shard lock themselves).
 *
 * <p>Public for the channel transport's handlers ({@code net.channel}); UDP's is here.
 */
public abstract class InboundHandler implements ChannelInboundHandler {
    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {}

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {}

    @Override
    public void channelRegistered(ChannelHandlerContext ctx) {
        ctx.fireChannelRegistered();
    }

    @Override
    public void channelUnregistered(ChannelHandlerContext ctx) {
        ctx.fireChannelUnregistered();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        ctx.fireChannelInactive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.fireChannelReadComplete();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    @SuppressWarnings("deprecation") // ChannelHandler's declaration is deprecated; ChannelInboundHandler's is not
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.fireExceptionCaught(cause);
    }
}
