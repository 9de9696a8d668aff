package io.wasix.host;

import static io.wasix.host.ShimGuest.async;
import static io.wasix.host.ShimGuest.client;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.InterpreterMachine;
import com.dylibso.chicory.runtime.Machine;
import io.wasix.host.net.Transport;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * {@link WasixHost#stop()} on a guest that never calls the host: its thread is interrupted, and compiled code
 * and Chicory's interpreter both unwind at the next backward branch. And the {@link Heartbeat} a watchdog
 * reads: even and unchanged while the guest spins, odd while it waits in a host call.
 */
class InterruptTest {
    @TransportTest
    void stopEndsACompiledGuestSpinningInItsOwnCode(Transport t) throws Exception {
        Transports.require(t);
        stopsASpinningGuest(t, MachineFactoryCompiler.compile(ShimGuest.module("spin.wasm")));
    }

    @TransportTest
    void stopEndsAnInterpretedGuestSpinningInItsOwnCode(Transport t) throws Exception {
        Transports.require(t);
        stopsASpinningGuest(t, InterpreterMachine::new);
    }

    private static void stopsASpinningGuest(Transport t, Function<Instance, Machine> machine) throws Exception {
        CompletableFuture<WasixHost> started = new CompletableFuture<>();
        CompletableFuture<Throwable> ended = new CompletableFuture<>();
        CompletableFuture<Boolean> interruptedAfterClose = new CompletableFuture<>();
        Thread guest = new Thread(() -> {
            try (WasixHost h = new WasixHost(HostConfig.of(t))) {
                Instance i = Instance.builder(ShimGuest.module("spin.wasm")).withImportValues(h.imports())
                        .withMachineFactory(machine).withMemoryFactory(h::memory).withStart(false).build();
                started.complete(h);
                i.export("yield_then_spin").apply();
                ended.complete(null);
            } catch (Throwable e) {
                started.completeExceptionally(e);
                ended.complete(e);
            }
            interruptedAfterClose.complete(Thread.currentThread().isInterrupted());
        }, "spinner-" + t.label());
        guest.setDaemon(true);
        guest.start();
        WasixHost host = started.get(5, TimeUnit.SECONDS);
        Heartbeat beat = host.heartbeats().get(0);
        assertEquals(guest, beat.thread());
        while (beat.read() < 2) { // sched_yield's way in and out: 0 -> 1 -> 2
            Thread.onSpinWait();
        }
        long spinning = beat.read();
        Thread.sleep(100);
        assertEquals(spinning, beat.read(), "no host call while it spins");
        assertTrue(Heartbeat.inGuest(spinning));

        host.stop();
        Throwable end = ended.get(5, TimeUnit.SECONDS);
        assertInstanceOf(ChicoryInterruptedException.class, end, () -> "ended with " + end);
        assertTrue(WasixHost.isStop(end));
        assertFalse(interruptedAfterClose.get(5, TimeUnit.SECONDS), "close() clears the interrupt that stop() set");
        guest.join(5000);
        host.stop(); // after close: does nothing, and no longer reaches the thread
    }

    @TransportTest
    void aGuestWaitingInAHostCallShowsAnOddHeartbeat(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            int port = g.localPort(lfd);
            Heartbeat beat = g.host.heartbeats().get(0);
            CompletableFuture<Long> whileWaiting = async(() -> {
                Thread.sleep(200); // the guest is in accept by now
                long b = beat.read();
                client(port).close();
                return b;
            });
            long before = beat.read();
            assertTrue(Heartbeat.inGuest(before), "between calls: guest code");
            g.accept(lfd, 0);
            long during = whileWaiting.get(5, TimeUnit.SECONDS);
            assertFalse(Heartbeat.inGuest(during), "in accept: the host's");
            assertTrue(Heartbeat.inGuest(beat.read()));
            assertTrue(beat.read() > during);
        }
    }
}
