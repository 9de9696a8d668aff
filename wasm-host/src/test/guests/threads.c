// build-guests: threads -Wl,--max-memory=4194304
/*
 * threads.c - test guest: threads, futexes and thread-locals, one scenario per run, named by argv[1].
 * Spawns through thread_spawn_v2 (threads-2023.c builds the same scenarios on the 2023 ABI's thread_spawn).
 * Each scenario prints what it saw on stdout, one line per fact, and ends with proc_exit(0) when it saw what
 * it expected (1 when not); the tests read both.
 *
 *   mutex THREADS ITERS  THREADS workers add 1 to a plain counter ITERS times each, under a futex mutex;
 *                        the main thread joins them (thread_join) and prints "count N"
 *   condvar ROUNDS       the main thread and a worker hand a turn back and forth ROUNDS times through a
 *                        condition variable; prints "rounds N"
 *   locals               thread-local keys with a destructor (_thread_local_destroy): three workers set
 *                        values and return; the main thread destroys a key it set; prints every destructor
 *                        call ("destroy USER VALUE", in call order) and the thread ids seen
 *   exit CODE            a worker calls proc_exit(CODE) while the main thread waits on a futex for ever
 *   trap                 a worker traps (unreachable) while the main thread waits on a futex for ever
 *   exit-thread          the main thread calls thread_exit; a worker prints and returns 30 ms later
 *   futex-timeout MS     futex_wait with a timeout of MS ms on a value nobody changes; prints "woken W"
 *                        and the milliseconds it took
 *   atomic-wait          memory.atomic.wait32 in one thread woken by futex_wake in another, and futex_wait
 *                        woken by memory.atomic.notify: each waits on a value nobody changes, so only a
 *                        wake can end it; prints "atomic.wait = R" and "futex_wait woken = W"
 *   block                a worker waits on a futex for ever; the main thread joins it (for ever): the
 *                        test checks that nothing spins, then stops the guest
 *   spin                 a worker loops in guest code for ever, calling nothing; the main thread joins it
 *                        (for ever): the test reads both heartbeats, then stops the guest
 *   limit                spawns threads that wait for ever until thread_spawn fails; prints how many it
 *                        spawned and the errno, then exits
 *   accept-close         a worker blocks in sock_accept; the main thread closes the listener; prints the
 *                        worker's errno
 *   slow-reply           prints "port N"; the main thread accepts in a loop (blocking) and hands each
 *                        connection to a worker, which reads a request, sleeps 300 ms, answers "reply" and
 *                        closes: the test stops the guest gracefully during that sleep
 *   pipe-event           a worker blocks in fd_read of an empty pipe, then in poll_oneoff on an event fd;
 *                        the main thread's write to each wakes it; prints what it read
 *   wake-ups             a worker blocks in epoll_wait and poll_oneoff; the main thread connects, sends,
 *                        re-arms a one-shot interest (epoll_ctl) and closes: each wakes it; prints what it
 *                        saw each time
 */
#define WX_MAX_THREADS 160 /* the "limit" scenario spawns past the host's 128 */
#define WX_STACK_SIZE 16384
#include "wasix.h"
#include "wasix_threads.h"

WX_WASIX("sock_addr_local")
int32_t sock_addr_local(int32_t fd, wx_addr_port_t *ret_addr);
WX_WASIX("fd_pipe")
int32_t fd_pipe(int32_t *ret_fd1, int32_t *ret_fd2);
WX_WASIX("fd_event")
int32_t fd_event(int64_t initial, int32_t flags, int32_t *ret_fd);

static _Noreturn void fail(const char *what, int32_t err) {
    wx_write_str(1, "FAILED ");
    wx_write_str(1, what);
    wx_write_str(1, " errno ");
    wx_write_u32(1, (uint32_t)err);
    wx_write_str(1, "\n");
    proc_exit(1);
}

static void say(const char *label, uint32_t value) {
    char line[96];
    uint32_t n = 0;
    for (const char *p = label; *p && n < 80; p++) line[n++] = *p;
    line[n++] = ' ';
    n += wx_fmt_u32(line + n, value);
    line[n++] = '\n';
    (void)wx_write_all(1, line, n);
}

static uint32_t parse_u32(const char *s) {
    uint32_t v = 0;
    while (s && *s >= '0' && *s <= '9') v = v * 10 + (uint32_t)(*s++ - '0');
    return v;
}

static int streq(const char *a, const char *b) {
    while (*a && *a == *b) a++, b++;
    return *a == *b;
}

static uint64_t now_ns(void) {
    uint64_t t = 0;
    (void)clock_time_get(1, 1, &t);
    return t;
}

static uint32_t spawn(void (*fn)(void *), void *arg) {
    uint32_t tid = 0;
    int32_t err = wx_thread_spawn(fn, arg, &tid);
    if (err != 0) fail("thread_spawn", err);
    return tid;
}

static void join(uint32_t tid) {
    int32_t err = thread_join(tid);
    if (err != 0) fail("thread_join", err);
}

/* ---- mutex ----------------------------------------------------------------------------------- */

static wx_mutex_t lock;
static uint32_t counter;
static uint32_t iterations;

static void add(void *arg) {
    (void)arg;
    for (uint32_t i = 0; i < iterations; i++) {
        wx_mutex_lock(&lock);
        uint32_t v = counter; // a plain read-modify-write: only the mutex keeps it whole
        if ((i & 63) == 0) (void)thread_sleep(0);
        counter = v + 1;
        wx_mutex_unlock(&lock);
    }
}

static int mutex_scenario(uint32_t threads, uint32_t iters) {
    uint32_t tids[WX_MAX_THREADS];
    if (threads > WX_MAX_THREADS) threads = WX_MAX_THREADS;
    iterations = iters;
    for (uint32_t i = 0; i < threads; i++) tids[i] = spawn(add, 0);
    for (uint32_t i = 0; i < threads; i++) join(tids[i]);
    say("count", counter);
    return counter == threads * iters ? 0 : 1;
}

/* ---- condvar --------------------------------------------------------------------------------- */

static wx_cond_t turn_changed;
static uint32_t turn;   /* 0: the main thread's turn, 1: the worker's */
static uint32_t rounds, rounds_done;

static void pong(void *arg) {
    (void)arg;
    wx_mutex_lock(&lock);
    for (uint32_t i = 0; i < rounds; i++) {
        while (turn != 1) wx_cond_wait(&turn_changed, &lock, -1);
        turn = 0;
        wx_cond_signal(&turn_changed);
    }
    wx_mutex_unlock(&lock);
}

static int condvar_scenario(uint32_t n) {
    rounds = n;
    uint32_t tid = spawn(pong, 0);
    wx_mutex_lock(&lock);
    for (uint32_t i = 0; i < n; i++) {
        turn = 1;
        wx_cond_signal(&turn_changed);
        while (turn != 0) wx_cond_wait(&turn_changed, &lock, -1);
        rounds_done++;
    }
    wx_mutex_unlock(&lock);
    join(tid);
    say("rounds", rounds_done);
    return rounds_done == n ? 0 : 1;
}

/* ---- thread-locals --------------------------------------------------------------------------- */

#define USER_A 0x0000ABCD00000001ull
#define USER_B 0x0000ABCD00000002ull
static uint32_t key_a, key_b;
static uint32_t worker_ids[3];
static uint64_t seen_before_set[3];
static uint64_t seen_after_set[3];

/* Called by the host for each value of a key being destroyed: at a thread's end, and by thread_local_destroy. */
__attribute__((export_name("_thread_local_destroy")))
void thread_local_destroyed(int32_t user_lo, int32_t user_hi, int32_t value_lo, int32_t value_hi) {
    (void)value_hi;
    wx_mutex_lock(&lock);
    char line[64];
    uint32_t n = 0;
    const char *p = "destroy ";
    while (*p) line[n++] = *p++;
    n += wx_fmt_u32(line + n, (uint32_t)user_hi);
    line[n++] = ':';
    n += wx_fmt_u32(line + n, (uint32_t)user_lo);
    line[n++] = ' ';
    n += wx_fmt_u32(line + n, (uint32_t)value_lo);
    line[n++] = '\n';
    (void)wx_write_all(1, line, n);
    wx_mutex_unlock(&lock);
}

static void set_locals(void *arg) {
    uint32_t i = (uint32_t)arg;
    worker_ids[i] = wx_thread_id();
    uint64_t v = 99;
    (void)thread_local_get(key_a, &v);
    seen_before_set[i] = v;
    (void)thread_local_set(key_a, 100 + i);
    if (i == 0) (void)thread_local_set(key_b, 200);
    (void)thread_local_get(key_a, &v);
    seen_after_set[i] = v;
}

static int locals_scenario(void) {
    if (thread_local_create((int64_t)USER_A, &key_a) != 0) fail("thread_local_create", 0);
    if (thread_local_create((int64_t)USER_B, &key_b) != 0) fail("thread_local_create", 0);
    say("keys", key_a * 10 + key_b);
    // One at a time, so the destructor lines come in a known order.
    for (uint32_t i = 0; i < 3; i++) join(spawn(set_locals, (void *)i));
    for (uint32_t i = 0; i < 3; i++) {
        say("worker id", worker_ids[i]);
        say("before set", (uint32_t)seen_before_set[i]);
        say("after set", (uint32_t)seen_after_set[i]);
    }
    say("main id", wx_thread_id());
    (void)thread_local_set(key_a, 7);
    int32_t err = thread_local_destroy(key_a);
    say("destroy errno", (uint32_t)err);
    uint64_t v = 99;
    (void)thread_local_get(key_a, &v);
    say("after destroy", (uint32_t)v);
    return 0;
}

/* ---- ending the guest from a worker ---------------------------------------------------------- */

static uint32_t never_changes;
static uint32_t exit_code;

static void exit_later(void *arg) {
    (void)arg;
    wx_sleep_ms(50);
    wx_write_str(1, "worker exits\n");
    proc_exit((int32_t)exit_code);
}

static void trap_later(void *arg) {
    (void)arg;
    wx_sleep_ms(50);
    wx_write_str(1, "worker traps\n");
    __builtin_trap();
}

static void wait_for_ever(void) {
    wx_write_str(1, "main waits\n");
    for (;;) wx_futex_wait(&never_changes, 0, -1);
}

static void print_later(void *arg) {
    (void)arg;
    wx_sleep_ms(30);
    wx_write_str(1, "worker still runs\n");
}

/* ---- futex timeout, atomic wait -------------------------------------------------------------- */

static int futex_timeout_scenario(uint32_t ms) {
    uint64_t t0 = now_ns();
    int woken = wx_futex_wait(&never_changes, 0, (int64_t)ms * 1000000);
    uint64_t took = (now_ns() - t0) / 1000000;
    say("woken", (uint32_t)woken);
    say("took ms", (uint32_t)took);
    return woken == 0 && took >= ms ? 0 : 1;
}

static uint32_t atomic_word, futex_word;
static uint32_t atomic_done, futex_done;
static int32_t atomic_result = -1, futex_result = -1;

static void atomic_waiter(void *arg) {
    (void)arg;
    atomic_result = __builtin_wasm_memory_atomic_wait32((int32_t *)&atomic_word, 0, -1);
    __atomic_store_n(&atomic_done, 1, __ATOMIC_RELEASE);
}

static void futex_waiter(void *arg) {
    (void)arg;
    futex_result = wx_futex_wait(&futex_word, 0, -1);
    __atomic_store_n(&futex_done, 1, __ATOMIC_RELEASE);
}

static int atomic_wait_scenario(void) {
    uint32_t a = spawn(atomic_waiter, 0);
    uint32_t hits = 0;
    // The value never changes, so the waiter can only return by being woken: wake until it has.
    while (!__atomic_load_n(&atomic_done, __ATOMIC_ACQUIRE)) {
        hits += (uint32_t)wx_futex_wake(&atomic_word);
        wx_sleep_ms(2);
    }
    join(a);
    say("atomic.wait =", (uint32_t)atomic_result);
    say("futex_wake hits", hits);
    uint32_t f = spawn(futex_waiter, 0);
    uint32_t notified = 0;
    while (!__atomic_load_n(&futex_done, __ATOMIC_ACQUIRE)) {
        notified += (uint32_t)__builtin_wasm_memory_atomic_notify((int32_t *)&futex_word, 1);
        wx_sleep_ms(2);
    }
    join(f);
    say("futex_wait woken =", (uint32_t)futex_result);
    say("notify woke", notified);
    return atomic_result == 0 && hits == 1 && futex_result == 1 && notified == 1 ? 0 : 1;
}

static void block_for_ever(void *arg) {
    (void)arg;
    for (;;) wx_futex_wait(&never_changes, 0, -1);
}

static volatile uint32_t spins;

static void spin_for_ever(void *arg) {
    (void)arg;
    for (;;) spins++; // a store each turn: the loop cannot be optimised away
}

static int limit_scenario(void) {
    uint32_t spawned = 0, tid = 0;
    int32_t err;
    while ((err = wx_thread_spawn(block_for_ever, 0, &tid)) == 0) spawned++;
    say("spawned", spawned);
    say("errno", (uint32_t)err);
    return 0;
}

/* ---- sockets from several threads ------------------------------------------------------------ */

static int32_t listener_fd = -1;
static uint32_t entering;
static int32_t accept_errno = -1;

static int32_t listen_local(uint16_t *port) {
    int32_t fd;
    int32_t err = sock_open(WX_AF_INET4, WX_SOCK_STREAM, 0, &fd);
    if (err) fail("sock_open", err);
    wx_addr_port_t addr;
    wx_addr_ipv4_in(&addr, 127, 0, 0, 1, 0);
    if ((err = sock_bind(fd, &addr))) fail("sock_bind", err);
    if ((err = sock_listen(fd, 16))) fail("sock_listen", err);
    if ((err = sock_addr_local(fd, &addr))) fail("sock_addr_local", err);
    *port = wx_addr_port_out(&addr);
    return fd;
}

static void accept_blocked(void *arg) {
    (void)arg;
    int32_t fd = -1;
    wx_addr_port_t peer;
    __atomic_store_n(&entering, 1, __ATOMIC_RELEASE);
    accept_errno = sock_accept_v2(listener_fd, 0, &fd, &peer);
}

static int accept_close_scenario(void) {
    uint16_t port;
    listener_fd = listen_local(&port);
    uint32_t tid = spawn(accept_blocked, 0);
    while (!__atomic_load_n(&entering, __ATOMIC_ACQUIRE)) wx_sleep_ms(1);
    wx_sleep_ms(50); // it is in sock_accept by now
    int32_t err = fd_close(listener_fd);
    say("close errno", (uint32_t)err);
    join(tid);
    say("accept errno", (uint32_t)accept_errno);
    return accept_errno == WX_EBADF ? 0 : 1;
}

static int32_t handed = -1;
static uint32_t handed_seq;

static void reply_slowly(void *arg) {
    (void)arg;
    uint32_t seen = 0;
    for (;;) {
        while (__atomic_load_n(&handed_seq, __ATOMIC_ACQUIRE) == seen) wx_futex_wait(&handed_seq, seen, -1);
        seen = __atomic_load_n(&handed_seq, __ATOMIC_ACQUIRE);
        int32_t fd = handed;
        char buf[64];
        wx_iovec_t iov = {buf, sizeof buf};
        uint32_t got = 0;
        uint16_t roflags = 0;
        (void)sock_recv(fd, &iov, 1, 0, &got, &roflags);
        wx_sleep_ms(300);
        wx_ciovec_t out = {"reply", 5};
        uint32_t sent = 0;
        (void)sock_send(fd, &out, 1, 0, &sent);
        (void)fd_close(fd);
    }
}

static int slow_reply_scenario(void) {
    uint16_t port;
    listener_fd = listen_local(&port);
    spawn(reply_slowly, 0);
    say("port", port);
    for (;;) {
        wx_addr_port_t peer;
        int32_t fd, err = sock_accept_v2(listener_fd, 0, &fd, &peer);
        if (err) fail("sock_accept_v2", err);
        handed = fd;
        __atomic_fetch_add(&handed_seq, 1, __ATOMIC_RELEASE);
        wx_futex_wake(&handed_seq);
    }
}

/* The worker's view of the wake-ups: each step waits for ever, so only the main thread's call can end it. */
static uint32_t ready_for;
static int32_t server_side = -1;
static int32_t ep = -1;

static void tell_ready(uint32_t s) {
    __atomic_store_n(&ready_for, s, __ATOMIC_RELEASE);
}

static void watch(int32_t op, int32_t fd, uint32_t events) {
    wx_epoll_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.events = events;
    ev.fd = (uint32_t)fd;
    int32_t err = epoll_ctl(ep, op, fd, &ev);
    if (err) fail("epoll_ctl", err);
}

static uint32_t wait_events(void) {
    wx_epoll_event_t out[4];
    int32_t n = 0;
    int32_t err = epoll_wait(ep, out, 4, -1, &n);
    if (err) fail("epoll_wait", err);
    return n == 1 ? out[0].events : 999;
}

static uint32_t receive(void) {
    char buf[16];
    wx_iovec_t iov = {buf, sizeof buf};
    uint32_t got = 0;
    uint16_t roflags = 0;
    int32_t err = sock_recv(server_side, &iov, 1, 0, &got, &roflags);
    if (err) fail("sock_recv", err);
    return got;
}

static void watcher(void *arg) {
    (void)arg;
    int32_t err;
    if ((err = epoll_create(&ep))) fail("epoll_create", err);
    watch(WX_EPOLL_CTL_ADD, listener_fd, WX_EPOLLIN);
    tell_ready(1);
    say("connect woke epoll_wait, events", wait_events());
    wx_addr_port_t peer;
    if ((err = sock_accept_v2(listener_fd, 0, &server_side, &peer))) fail("sock_accept_v2", err);

    // poll_oneoff on the accepted socket, woken by a send from the main thread
    wx_subscription_t sub;
    wx_event_t event;
    memset(&sub, 0, sizeof sub);
    sub.tag = 1; // fd_read
    sub.u.fd.fd = (uint32_t)server_side;
    uint32_t nevents = 0;
    tell_ready(2);
    if ((err = poll_oneoff(&sub, &event, 1, &nevents))) fail("poll_oneoff", err);
    say("send woke poll_oneoff, nbytes", nevents == 1 ? (uint32_t)event.nbytes : 999);
    say("received", receive());

    // a one-shot interest, reported once for the next send, then re-armed by the main thread's epoll_ctl
    watch(WX_EPOLL_CTL_ADD, server_side, WX_EPOLLIN | WX_EPOLLONESHOT);
    tell_ready(3);
    say("send woke epoll_wait, events", wait_events());
    tell_ready(4); // the byte stays unread: only a re-arm can report it again
    say("epoll_ctl MOD woke epoll_wait, events", wait_events());
    say("received", receive());

    // woken by the peer's close in the main thread
    watch(WX_EPOLL_CTL_MOD, server_side, WX_EPOLLIN | WX_EPOLLRDHUP);
    tell_ready(5);
    say("close woke epoll_wait, rdhup", (wait_events() & WX_EPOLLRDHUP) ? 1 : 0);
}

static void await_ready(uint32_t s) {
    while (__atomic_load_n(&ready_for, __ATOMIC_ACQUIRE) != s) wx_sleep_ms(1);
    wx_sleep_ms(50); // it is blocked in its call by now
}

static void send_str(int32_t fd, const char *s) {
    wx_ciovec_t msg = {s, (uint32_t)strlen(s)};
    uint32_t sent = 0;
    int32_t err = sock_send(fd, &msg, 1, 0, &sent);
    if (err) fail("sock_send", err);
}

static int wake_ups_scenario(void) {
    uint16_t port;
    listener_fd = listen_local(&port);
    int32_t err, client;
    if ((err = fd_fdstat_set_flags(listener_fd, WX_FDFLAG_NONBLOCK))) fail("fd_fdstat_set_flags", err);
    uint32_t tid = spawn(watcher, 0);
    await_ready(1);
    if ((err = sock_open(WX_AF_INET4, WX_SOCK_STREAM, 0, &client))) fail("sock_open", err);
    wx_addr_port_t to;
    wx_addr_ipv4_in(&to, 127, 0, 0, 1, port);
    if ((err = sock_connect(client, &to))) fail("sock_connect", err);
    await_ready(2);
    send_str(client, "ping");
    await_ready(3);
    send_str(client, "x");
    await_ready(4);
    watch(WX_EPOLL_CTL_MOD, server_side, WX_EPOLLIN | WX_EPOLLONESHOT);
    await_ready(5);
    if ((err = fd_close(client))) fail("fd_close", err);
    join(tid);
    return 0;
}

static int32_t pipe_r = -1, pipe_w = -1, event_fd = -1;

static void pipe_event_reader(void *arg) {
    (void)arg;
    char buf[16];
    wx_iovec_t iov = {buf, sizeof buf};
    uint32_t got = 0;
    tell_ready(1);
    int32_t err = fd_read(pipe_r, &iov, 1, &got);
    if (err) fail("fd_read", err);
    say("pipe read", got);
    wx_subscription_t sub;
    wx_event_t event;
    memset(&sub, 0, sizeof sub);
    sub.tag = 1; // fd_read
    sub.u.fd.fd = (uint32_t)event_fd;
    uint32_t nevents = 0;
    tell_ready(2);
    if ((err = poll_oneoff(&sub, &event, 1, &nevents))) fail("poll_oneoff", err);
    uint64_t value = 0;
    wx_iovec_t v = {&value, 8};
    if ((err = fd_read(event_fd, &v, 1, &got))) fail("fd_read", err);
    say("event woke poll_oneoff, value", (uint32_t)value);
}

static int pipe_event_scenario(void) {
    int32_t err;
    if ((err = fd_pipe(&pipe_r, &pipe_w))) fail("fd_pipe", err);
    if ((err = fd_event(0, 0, &event_fd))) fail("fd_event", err);
    uint32_t tid = spawn(pipe_event_reader, 0);
    await_ready(1);
    wx_ciovec_t msg = {"hello", 5};
    uint32_t n = 0;
    if ((err = fd_write(pipe_w, &msg, 1, &n))) fail("fd_write", err);
    await_ready(2);
    uint64_t value = 7;
    wx_ciovec_t v = {&value, 8};
    if ((err = fd_write(event_fd, &v, 1, &n))) fail("fd_write", err);
    join(tid);
    return 0;
}

/* ---- entry ----------------------------------------------------------------------------------- */

void _start(void) {
    uint32_t argc = 0;
    char **argv = 0;
    const char *failed = 0;
    if (wx_load_args(&argc, &argv, &failed) != 0 || argc < 2) fail("args", 0);
    const char *what = argv[1];
    const char *a1 = argc > 2 ? argv[2] : "0";
    const char *a2 = argc > 3 ? argv[3] : "0";
    int status = 1;
    if (streq(what, "mutex")) {
        status = mutex_scenario(parse_u32(a1), parse_u32(a2));
    } else if (streq(what, "condvar")) {
        status = condvar_scenario(parse_u32(a1));
    } else if (streq(what, "locals")) {
        status = locals_scenario();
    } else if (streq(what, "exit")) {
        exit_code = parse_u32(a1);
        spawn(exit_later, 0);
        wait_for_ever();
    } else if (streq(what, "trap")) {
        spawn(trap_later, 0);
        wait_for_ever();
    } else if (streq(what, "exit-thread")) {
        spawn(print_later, 0);
        wx_write_str(1, "main exits its thread\n");
        thread_exit(0);
    } else if (streq(what, "futex-timeout")) {
        status = futex_timeout_scenario(parse_u32(a1));
    } else if (streq(what, "atomic-wait")) {
        status = atomic_wait_scenario();
    } else if (streq(what, "block")) {
        wx_write_str(1, "blocked\n");
        join(spawn(block_for_ever, 0));
        status = 1;
    } else if (streq(what, "spin")) {
        uint32_t tid = spawn(spin_for_ever, 0);
        wx_write_str(1, "spinning\n");
        join(tid);
        status = 1;
    } else if (streq(what, "limit")) {
        status = limit_scenario();
    } else if (streq(what, "accept-close")) {
        status = accept_close_scenario();
    } else if (streq(what, "slow-reply")) {
        status = slow_reply_scenario();
    } else if (streq(what, "pipe-event")) {
        status = pipe_event_scenario();
    } else if (streq(what, "wake-ups")) {
        status = wake_ups_scenario();
    } else {
        fail("unknown scenario", 0);
    }
    proc_exit(status);
}
