package io.wasix.host.thread;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The 2023 ABI's thread-local keys (thread_local_create/set/get/destroy), as wasmer 3.x keeps them: a key
 * from a per-guest counter starting at 1, the user data given at its creation, and one value per (thread,
 * key), kept in each {@link GuestThread}. What a destructor is called with is computed here; calling it (guest
 * code) is the caller's job, without the lock.
 *
 * <p>Threading: guarded by the shard lock (in direct mode, the one guest thread).
 */
final class ThreadLocals {
    /** One destructor call owed: {@code _thread_local_destroy(user, value)}. */
    record Destruction(long user, long value) {}

    private int nextKey = 1;
    private final Map<Integer, Long> userData = new HashMap<>();

    int create(long user) {
        int key = nextKey++;
        userData.put(key, user);
        return key;
    }

    void set(GuestThread thread, int key, long value) {
        thread.locals.put(key, value);
    }

    long get(GuestThread thread, int key) {
        return thread.locals.getOrDefault(key, 0L);
    }

    /** Drops {@code key} from every thread; the calls owed, one per value set (none for an unknown key). */
    List<Destruction> destroy(int key, Collection<GuestThread> threads) {
        List<Destruction> owed = new ArrayList<>();
        Long user = userData.remove(key);
        for (GuestThread t : threads) {
            Long value = t.locals.remove(key);
            if (user != null && value != null) {
                owed.add(new Destruction(user, value));
            }
        }
        return owed;
    }

    /** At a thread's end: drops its values; the calls owed for those whose key still exists. */
    List<Destruction> threadEnded(GuestThread thread) {
        List<Destruction> owed = new ArrayList<>();
        for (var e : thread.locals.entrySet()) {
            Long user = userData.get(e.getKey());
            if (user != null) {
                owed.add(new Destruction(user, e.getValue()));
            }
        }
        thread.locals.clear();
        return owed;
    }
}
