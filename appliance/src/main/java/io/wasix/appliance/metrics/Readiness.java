package io.wasix.appliance.metrics;

import io.wasix.host.HostEvents;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * What /healthz and /readyz answer. Live (/healthz): the guests serve, from the boot line until the appliance
 * starts stopping. Ready (/readyz): live, and every shard's guest has bound a listener, so a connection sent
 * here is accepted; an orchestrator stops routing to the appliance as soon as it drains.
 *
 * <p>Threading: main sets serving; each shard's thread reports its listeners through {@link #events} (on the
 * guest thread, inside sock_bind); the admin thread reads. Plain volatile and atomic fields: no lock.
 */
public final class Readiness {
    private final AtomicIntegerArray listeners;
    private volatile boolean serving;

    Readiness(int shards) {
        listeners = new AtomicIntegerArray(shards);
    }

    /** The events shard {@code shard}'s host reports to: its listeners counted here, everything passed to {@code next}. */
    public HostEvents events(int shard, HostEvents next) {
        return new HostEvents() {
            @Override
            public void listenerBound(InetSocketAddress local) {
                listeners.incrementAndGet(shard);
                next.listenerBound(local);
            }

            @Override
            public void firstResponse() {
                next.firstResponse();
            }
        };
    }

    /** A shard's guest is gone (and with it its listeners), e.g. before a restart: not ready until it binds again. */
    public void shardEnded(int shard) {
        listeners.set(shard, 0);
    }

    void serving(boolean now) {
        serving = now;
    }

    boolean live() {
        return serving;
    }

    boolean ready() {
        if (!serving) {
            return false;
        }
        for (int i = 0; i < listeners.length(); i++) {
            if (listeners.get(i) == 0) {
                return false;
            }
        }
        return true;
    }
}
