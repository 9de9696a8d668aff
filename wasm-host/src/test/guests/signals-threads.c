// build-guests: threads -Wl,--max-memory=4194304
/*
 * signals-threads.c - test guest: the scenarios of signals.c in a module that spawns threads (so it runs
 * threaded), and these, where a signal goes to another thread:
 *
 *   futex          a worker waits in futex_wait on a word nobody changes; the main thread sends it SIGUSR1
 *                  (every 20 ms, until it answers): its handler runs on the worker, and futex_wait returns
 *                  as if woken; prints what the worker saw
 *   recv           a worker waits in sock_recv on a connection whose peer never sends; the main thread sends
 *                  it SIGUSR1 (every 20 ms, until it answers): the handler runs on the worker, and sock_recv
 *                  answers EINTR
 *   join           the main thread joins a worker that returns once the main thread's handler has counted 3
 *                  SIGALRMs of a 30 ms timer: thread_join takes the signals and goes on waiting; answers 0
 */
#define WX_THREADS 1
#define WX_MAX_THREADS 4
#define WX_STACK_SIZE 65536
#include "wasix.h"
#include "wasix_threads.h"
#include "signals.c"

static volatile uint32_t worker_done, worker_result, worker_handler_thread;
static int32_t conn_worker = -1;

static void futex_worker(void *arg) {
    (void)arg;
    uint32_t before = counts[SIG_USR1];
    int woken = wx_futex_wait(&never_changes, 0, -1);
    worker_result = (uint32_t)woken;
    worker_handler_thread = counts[SIG_USR1] > before ? last_thread : 0;
    __atomic_store_n(&worker_done, 1, __ATOMIC_RELEASE);
}

static void recv_worker(void *arg) {
    (void)arg;
    char buf[8];
    wx_iovec_t iov = {buf, sizeof buf};
    uint32_t got = 0;
    uint16_t roflags = 0;
    uint32_t before = counts[SIG_USR1];
    int32_t err;
    do {
        err = sock_recv(conn_worker, &iov, 1, 0, &got, &roflags);
    } while (err == WX_EINTR && counts[SIG_USR1] == before); // taken at the call's start: wait again
    worker_result = (uint32_t)err;
    worker_handler_thread = last_thread;
    __atomic_store_n(&worker_done, 1, __ATOMIC_RELEASE);
}

/* Sends SIGUSR1 to tid every 20 ms until the worker says it is done (a signal that comes before it waits is
 * taken when its call starts, so the wait still needs one more). */
static uint32_t signal_until_done(uint32_t tid) {
    uint32_t sent = 0;
    while (!__atomic_load_n(&worker_done, __ATOMIC_ACQUIRE)) {
        int32_t err = thread_signal(tid, SIG_USR1);
        if (err) fail("thread_signal", err);
        sent++;
        wx_sleep_ms(20);
    }
    return sent;
}

static int futex_scenario(void) {
    use_handler();
    uint32_t tid = 0;
    int32_t err = wx_thread_spawn(futex_worker, 0, &tid);
    if (err) fail("spawn", err);
    signal_until_done(tid);
    (void)thread_join(tid);
    say("futex_wait woken", worker_result);
    say("its handler ran on thread", worker_handler_thread);
    say("worker", tid);
    return worker_result == 1 && worker_handler_thread == tid ? 0 : 1;
}

static int recv_scenario(void) {
    use_handler();
    uint16_t port = 0;
    int32_t lfd = listen_local(&port), client, err;
    if ((err = sock_open(WX_AF_INET4, WX_SOCK_STREAM, 0, &client))) fail("sock_open", err);
    wx_addr_port_t addr;
    wx_addr_ipv4_in(&addr, 127, 0, 0, 1, port);
    if ((err = sock_connect(client, &addr))) fail("sock_connect", err);
    if ((err = sock_accept_v2(lfd, 0, &conn_worker, &addr))) fail("sock_accept_v2", err);
    uint32_t tid = 0;
    if ((err = wx_thread_spawn(recv_worker, 0, &tid))) fail("spawn", err);
    signal_until_done(tid);
    (void)thread_join(tid);
    say("sock_recv", worker_result);
    say("its handler ran on thread", worker_handler_thread);
    say("worker", tid);
    return worker_result == WX_EINTR && worker_handler_thread == tid ? 0 : 1;
}

static void join_worker(void *arg) {
    (void)arg;
    while (counts[SIG_ALRM] < 3) wx_sleep_ms(5);
}

static int join_scenario(void) {
    use_handler();
    uint32_t tid = 0;
    int32_t err = wx_thread_spawn(join_worker, 0, &tid);
    if (err) fail("spawn", err);
    if ((err = proc_raise_interval(SIG_ALRM, 30 * 1000000LL, 1))) fail("proc_raise_interval", err);
    err = thread_join(tid);
    (void)proc_raise_interval(SIG_ALRM, 0, 0);
    say("thread_join", (uint32_t)err);
    say("alarms at least 3", counts[SIG_ALRM] >= 3);
    say("on thread", last_thread);
    return err == 0 && counts[SIG_ALRM] >= 3 && last_thread == 1 ? 0 : 1;
}

void _start(void) {
    uint32_t argc = 0;
    char **argv = 0;
    const char *failed = 0;
    if (wx_load_args(&argc, &argv, &failed) != 0 || argc < 2) proc_exit(2);
    int status;
    if (streq(argv[1], "futex")) status = futex_scenario();
    else if (streq(argv[1], "recv")) status = recv_scenario();
    else if (streq(argv[1], "join")) status = join_scenario();
    else status = run_signals(argv[1], argv, argc);
    proc_exit(status < 0 ? 2 : status);
}
