// build-guests: threads -Wl,--max-memory=1048576 -Wl,--export=pingpong
/*
 * futex-pingpong.c - JMH guest (FutexPingPongBench): round trips between two guest threads over the WASIX
 * futex calls, the same protocol as bench/futex/pingpong.c on Linux futexes with pthreads. _start spawns the
 * partner and returns; pingpong(n) then makes n round trips from the calling thread. A round trip: the
 * caller sets the word to 1 and wakes it; the partner, waiting while it is 0, sets it back to 0 and wakes it;
 * the caller, waiting while it is 1, sees the 0.
 */
#define WX_MAX_THREADS 1
#include "wasix.h"
#include "wasix_threads.h"

static uint32_t word;

static void partner(void *arg) {
    (void)arg;
    for (;;) {
        while (__atomic_load_n(&word, __ATOMIC_ACQUIRE) == 0) wx_futex_wait(&word, 0, -1);
        __atomic_store_n(&word, 0, __ATOMIC_RELEASE);
        wx_futex_wake(&word);
    }
}

__attribute__((export_name("pingpong")))
uint32_t pingpong(uint32_t n) {
    for (uint32_t i = 0; i < n; i++) {
        __atomic_store_n(&word, 1, __ATOMIC_RELEASE);
        wx_futex_wake(&word);
        while (__atomic_load_n(&word, __ATOMIC_ACQUIRE) != 0) wx_futex_wait(&word, 1, -1);
    }
    return n;
}

void _start(void) {
    uint32_t tid;
    if (wx_thread_spawn(partner, 0, &tid) != 0) proc_exit(1);
}
