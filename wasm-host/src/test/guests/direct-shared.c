// build-guests: threads -Wl,--max-memory=1048576
/*
 * direct-shared.c - test guest: a module as wasix-libc links every program, threads or not: its memory is
 * imported and shared, it calls the futex and thread-local functions, but it imports no thread_spawn, so
 * it runs in direct mode on its one thread. argv[1]:
 *
 *   calls   futex_wait with a 30 ms timeout on an unchanged value (times out: woken 0, at least 30 ms),
 *           futex_wait on a changed value (woken 1 at once), futex_wake with nobody waiting (woken 0),
 *           thread_id (1), thread_join of itself (EDEADLK 16) and of an unknown thread (0), a thread-local
 *           key set and read back; prints each, exits 0
 *   block   futex_wait with no timeout on an unchanged value: nobody can wake it; the test stops it
 */
#define WX_MAX_THREADS 1
#define WX_STACK_SIZE 16
#include "wasix.h"
#include "wasix_threads.h"

static uint32_t word;

static void say(const char *label, uint32_t value) {
    wx_write_str(1, label);
    wx_write_str(1, " ");
    wx_write_u32(1, value);
    wx_write_str(1, "\n");
}

static uint64_t now_ms(void) {
    uint64_t t = 0;
    (void)clock_time_get(1, 1, &t);
    return t / 1000000;
}

void _start(void) {
    uint32_t argc = 0;
    char **argv = 0;
    const char *failed = 0;
    if (wx_load_args(&argc, &argv, &failed) != 0 || argc < 2) proc_exit(2);
    if (argv[1][0] == 'b') {
        wx_write_str(1, "blocked\n");
        wx_futex_wait(&word, 0, -1);
        proc_exit(1);
    }
    uint64_t t0 = now_ms();
    int woken = wx_futex_wait(&word, 0, 30 * 1000000LL);
    uint64_t took = now_ms() - t0;
    say("timeout woken", (uint32_t)woken);
    say("took at least 30 ms", took >= 30);
    say("changed woken", (uint32_t)wx_futex_wait(&word, 1, -1));
    say("wake woken", (uint32_t)wx_futex_wake(&word));
    say("thread id", wx_thread_id());
    say("join self", (uint32_t)thread_join(wx_thread_id()));
    say("join unknown", (uint32_t)thread_join(77));
    uint32_t key = 0;
    uint64_t value = 0;
    (void)thread_local_create(5, &key);
    (void)thread_local_set(key, 1234);
    (void)thread_local_get(key, &value);
    say("local", (uint32_t)value);
    proc_exit(0);
}
