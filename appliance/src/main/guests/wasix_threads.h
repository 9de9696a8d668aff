/*
 * wasix_threads.h - threads for our freestanding guests (build-guests profile `threads`: atomics, bulk
 * memory, an imported shared env.memory). Include it after wasix.h, from exactly one .c file.
 *
 *   wx_thread_spawn(fn, arg, &tid)   starts fn(arg) on a new guest thread, through thread_spawn_v2, or
 *                                    through the 2023 ABI's five-argument thread_spawn when the guest is
 *                                    built with -DWX_SPAWN_2023, or through the wasi-threads proposal's
 *                                    wasi.thread-spawn (what wasix-libc's pthread_create imports) with
 *                                    -DWX_SPAWN_WASI
 *   wx_futex_wait / wx_futex_wake    the WASIX futex calls, with a relative timeout in ns (-1: none)
 *   wx_mutex_t, wx_cond_t            a mutex and a condition variable on them
 *
 * The host only starts a thread; the guest sets up its stack itself. The entry points below do that: each
 * new thread's first instructions set __stack_pointer from the start record the spawning thread filled in
 * (its layout is v2's 64-byte ThreadStart: stack top at 0, TLS base at 4, function at 8, argument at 12,
 * stack size at 56), then call the thread's function. Stacks come from a static pool of WX_MAX_THREADS slots
 * of WX_STACK_SIZE bytes, never reused: a guest spawns at most WX_MAX_THREADS threads in its life. These
 * guests use no C thread-locals, so there is no TLS to set up.
 */
#ifndef WASIX_APPLIANCE_WASIX_THREADS_H
#define WASIX_APPLIANCE_WASIX_THREADS_H

#ifndef WX_MAX_THREADS
#define WX_MAX_THREADS 8
#endif
#ifndef WX_STACK_SIZE
#define WX_STACK_SIZE 65536
#endif

/* futex_wait's timeout is wasix.h's wx_option_timestamp_t (tag u8 at 0, u64 nanoseconds at 8). */

/* v2's ThreadStart, which both our entry points read. */
typedef struct {
    uint32_t stack;             /* @0: the top of the new thread's stack */
    uint32_t tls_base;          /* @4: unused here (no C thread-locals) */
    void (*fn)(void *);         /* @8 */
    void *arg;                  /* @12 */
    uint32_t reserved[10];      /* @16..55 */
    uint32_t stack_size;        /* @56 */
    uint32_t guard_size;        /* @60 */
} wx_thread_start_t;

_Static_assert(sizeof(wx_thread_start_t) == 64, "ThreadStart is 64 bytes");

WX_WASIX("thread_spawn_v2")
int32_t thread_spawn_v2(wx_thread_start_t *start, uint32_t *ret_tid);
WX_WASIX("thread_spawn")
int32_t thread_spawn_2023(int64_t user_data, int64_t stack_base, int64_t stack_start, int32_t reactor,
                          uint32_t *ret_tid);
/* wasi-threads: the new thread's id, or the errno negated; entered through wasi_thread_start too. */
__attribute__((import_module("wasi"), import_name("thread-spawn")))
int32_t wasi_thread_spawn(wx_thread_start_t *start);
WX_WASIX("thread_join")
int32_t thread_join(uint32_t tid);
WX_WASIX("thread_id")
int32_t thread_id(uint32_t *ret_tid);
WX_WASIX("thread_sleep")
int32_t thread_sleep(int64_t ns);
WX_WASIX("thread_exit")
_Noreturn void thread_exit(int32_t code);
WX_WASIX("futex_wait")
int32_t futex_wait(uint32_t *addr, uint32_t expected, const wx_option_timestamp_t *timeout, uint8_t *ret_woken);
WX_WASIX("futex_wake")
int32_t futex_wake(uint32_t *addr, uint8_t *ret_woken);
WX_WASIX("futex_wake_all")
int32_t futex_wake_all(uint32_t *addr, uint8_t *ret_woken);
WX_WASIX("thread_local_create")
int32_t thread_local_create(int64_t user_data, uint32_t *ret_key);
WX_WASIX("thread_local_set")
int32_t thread_local_set(uint32_t key, int64_t value);
WX_WASIX("thread_local_get")
int32_t thread_local_get(uint32_t key, uint64_t *ret_value);
WX_WASIX("thread_local_destroy")
int32_t thread_local_destroy(uint32_t key);

/* ---- starting threads ------------------------------------------------------------------------ */

static uint8_t wx_stacks[WX_MAX_THREADS][WX_STACK_SIZE] __attribute__((aligned(16)));
static wx_thread_start_t wx_starts[WX_MAX_THREADS];
static uint32_t wx_next_slot;

__attribute__((noinline)) static void wx_thread_main(wx_thread_start_t *start) {
    start->fn(start->arg);
}

/* thread_spawn_v2's entry: wasi_thread_start(tid, start). Sets the stack pointer before anything else. */
__attribute__((export_name("wasi_thread_start")))
void wasi_thread_start(int32_t tid, wx_thread_start_t *start) {
    (void)tid;
    __asm__ volatile(
        ".globaltype __stack_pointer, i32\n"
        "local.get %0\n"
        "i32.load 0\n"
        "global.set __stack_pointer\n"
        :: "r"(start));
    wx_thread_main(start);
}

/* The 2023 ABI's entry: _start_thread(user_data lo, user_data hi); our user data is the start record. */
__attribute__((export_name("_start_thread")))
void _start_thread(int32_t user_lo, int32_t user_hi) {
    (void)user_hi;
    wx_thread_start_t *start = (wx_thread_start_t *)user_lo;
    __asm__ volatile(
        ".globaltype __stack_pointer, i32\n"
        "local.get %0\n"
        "i32.load 0\n"
        "global.set __stack_pointer\n"
        :: "r"(start));
    wx_thread_main(start);
}

/* Starts fn(arg) on a new thread; returns 0 and its id, or the errno (EAGAIN: out of stack slots). */
static inline int32_t wx_thread_spawn(void (*fn)(void *), void *arg, uint32_t *ret_tid) {
    uint32_t slot = __atomic_fetch_add(&wx_next_slot, 1, __ATOMIC_RELAXED);
    if (slot >= WX_MAX_THREADS) return WX_EAGAIN;
    wx_thread_start_t *start = &wx_starts[slot];
    memset(start, 0, sizeof *start);
    uint32_t lower = (uint32_t)&wx_stacks[slot][0];
    start->stack = lower + WX_STACK_SIZE;
    start->fn = fn;
    start->arg = arg;
    start->stack_size = WX_STACK_SIZE;
#if defined(WX_SPAWN_2023)
    return thread_spawn_2023((int64_t)(uint32_t)start, (int64_t)start->stack, (int64_t)lower, 0, ret_tid);
#elif defined(WX_SPAWN_WASI)
    int32_t tid = wasi_thread_spawn(start);
    if (tid < 0) return -tid;
    *ret_tid = (uint32_t)tid;
    return 0;
#else
    return thread_spawn_v2(start, ret_tid);
#endif
}

static inline uint32_t wx_thread_id(void) {
    uint32_t tid = 0;
    (void)thread_id(&tid);
    return tid;
}

static inline void wx_sleep_ms(uint32_t ms) {
    (void)thread_sleep((int64_t)ms * 1000000);
}

/* ---- futexes, a mutex, a condition variable ---------------------------------------------------- */

/* Waits while *addr == expected, at most timeout_ns (-1: no limit). Returns whether it was woken (or the
 * value had already changed); 0 means it timed out. */
static inline int wx_futex_wait(uint32_t *addr, uint32_t expected, int64_t timeout_ns) {
    wx_option_timestamp_t timeout;
    memset(&timeout, 0, sizeof timeout);
    if (timeout_ns >= 0) {
        timeout.tag = 1;
        timeout.nanos = (uint64_t)timeout_ns;
    }
    uint8_t woken = 0;
    if (futex_wait(addr, expected, &timeout, &woken) != 0) __builtin_trap();
    return woken;
}

static inline int wx_futex_wake(uint32_t *addr) {
    uint8_t woken = 0;
    if (futex_wake(addr, &woken) != 0) __builtin_trap();
    return woken;
}

static inline int wx_futex_wake_all(uint32_t *addr) {
    uint8_t woken = 0;
    if (futex_wake_all(addr, &woken) != 0) __builtin_trap();
    return woken;
}

/* 0 unlocked, 1 locked, 2 locked with waiters (Drepper's "Futexes are tricky", mutex 2). */
typedef struct {
    uint32_t state;
} wx_mutex_t;

static inline void wx_mutex_lock(wx_mutex_t *m) {
    uint32_t c = 0;
    if (__atomic_compare_exchange_n(&m->state, &c, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) return;
    if (c != 2) c = __atomic_exchange_n(&m->state, 2, __ATOMIC_ACQUIRE);
    while (c != 0) {
        wx_futex_wait(&m->state, 2, -1);
        c = __atomic_exchange_n(&m->state, 2, __ATOMIC_ACQUIRE);
    }
}

static inline void wx_mutex_unlock(wx_mutex_t *m) {
    if (__atomic_fetch_sub(&m->state, 1, __ATOMIC_RELEASE) != 1) {
        __atomic_store_n(&m->state, 0, __ATOMIC_RELEASE);
        wx_futex_wake(&m->state);
    }
}

/* A sequence number: a waiter sleeps while it has not moved since it let go of the mutex. */
typedef struct {
    uint32_t seq;
} wx_cond_t;

/* Returns 0 if it timed out (timeout_ns >= 0), else 1. Spurious wake-ups happen: callers loop. */
static inline int wx_cond_wait(wx_cond_t *c, wx_mutex_t *m, int64_t timeout_ns) {
    uint32_t seq = __atomic_load_n(&c->seq, __ATOMIC_RELAXED);
    wx_mutex_unlock(m);
    int woken = wx_futex_wait(&c->seq, seq, timeout_ns);
    wx_mutex_lock(m);
    return woken;
}

static inline void wx_cond_signal(wx_cond_t *c) {
    __atomic_fetch_add(&c->seq, 1, __ATOMIC_RELEASE);
    wx_futex_wake(&c->seq);
}

static inline void wx_cond_broadcast(wx_cond_t *c) {
    __atomic_fetch_add(&c->seq, 1, __ATOMIC_RELEASE);
    wx_futex_wake_all(&c->seq);
}

#endif /* WASIX_APPLIANCE_WASIX_THREADS_H */
