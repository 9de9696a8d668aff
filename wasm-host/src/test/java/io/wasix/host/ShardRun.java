package io.wasix.host;

import com.dylibso.chicory.runtime.Instance;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A guest's _start run on a daemon thread of its own, as a shard runs it, for the tests whose guest serves
 * real clients: the host it runs on (made on that thread, handed over once the guest is instantiated) and how
 * it ended ({@link #ended}: null when _start returned, else what it threw). A host or guest that cannot be
 * made fails {@link #start} with that cause.
 *
 * <p>Threading: started from the test's thread; the guest's thread owns the host and closes it at the end.
 */
record ShardRun(WasixHost host, CompletableFuture<Throwable> ended, Thread thread) {
    interface HostMaker {
        WasixHost make() throws Exception;
    }

    interface Guest {
        Instance instantiate(WasixHost host) throws Exception;
    }

    static ShardRun start(String threadName, HostMaker host, Guest guest, long timeoutSeconds) throws Exception {
        CompletableFuture<WasixHost> started = new CompletableFuture<>();
        CompletableFuture<Throwable> ended = new CompletableFuture<>();
        Thread shard = new Thread(() -> {
            try (WasixHost h = host.make()) {
                Instance instance = guest.instantiate(h);
                started.complete(h);
                instance.export("_start").apply();
                ended.complete(null);
            } catch (Throwable e) {
                started.completeExceptionally(e);
                ended.complete(e);
            }
        }, threadName);
        shard.setDaemon(true);
        shard.start();
        return new ShardRun(started.get(timeoutSeconds, TimeUnit.SECONDS), ended, shard);
    }

    /** Waits (bounded) for the guest's thread to end, after the guest has been stopped. */
    void join(long millis) throws InterruptedException {
        thread.join(millis);
    }
}
