// build-guests: freestanding -Wl,--max-memory=1048576
/*
 * signals.c - test guest: WASIX signals (callback_signal, proc_raise, thread_signal, proc_raise_interval)
 * on one thread, in direct mode; signals-threads.c builds the same scenarios threaded, with more. One
 * scenario per run, named by argv[1]; each prints what it saw, one line per fact, and exits 0 when it saw
 * what it expected (1 when not).
 *
 *   raise              before any handler, an ignored signal (CHLD, ALRM) does nothing; a handler name that is
 *                      no (i32) -> () export changes nothing; then, with the handler, proc_raise in each
 *                      namespace and thread_signal to itself each run it before they return (preview 0
 *                      numbers have no STKFLT: its 16 is CHLD, 17); an unknown signal is EINVAL, an unknown
 *                      thread ESRCH; a signal raised inside the handler runs after it, not inside it
 *   default SIG        no handler: proc_raise(SIG); what follows prints "still here" and exits 5
 *   alarm WAIT N MS    a handler counts SIGALRMs from a repeating proc_raise_interval of MS ms, while the
 *                      thread blocks in WAIT (accept, poll, sleep, pipe, futex, epoll), a wait nothing else
 *                      ends: each signal ends it with EINTR (futex: woken 1) after the handler ran; after N,
 *                      the timer is cancelled and a wait of 4 intervals sees no more; prints what it saw
 *   once MS            a proc_raise_interval that does not repeat: one SIGALRM, then none
 *   term               prints "ready", then waits in accept with a handler for SIGTERM and SIGINT; when one
 *                      comes, prints "got signal N" and exits 100 + N
 *   idle               as term, with a repeating timer armed for an hour: the test checks that the waiting
 *                      guest uses no CPU, then sends SIGTERM
 *   ignore             prints "ready"; a handler that ignores every signal; waits in accept for ever
 *   plain              prints "ready"; no handler; waits in accept for ever
 */
#ifndef WX_THREADS
#include "wasix.h"
#endif

/* Named apart from wasix.h's poll_oneoff (where it has one): this guest passes raw bytes. */
WX_P1("poll_oneoff")
int32_t raw_poll_oneoff(const void *in, void *out, int32_t nsubscriptions, uint32_t *ret_nevents);
WX_WASIX("sock_addr_local")
int32_t sock_addr_local(int32_t fd, wx_addr_port_t *ret_addr);
WX_WASIX("fd_pipe")
int32_t fd_pipe(int32_t *ret_fd1, int32_t *ret_fd2);
WX_WASIX("callback_signal")
void callback_signal(const char *name, int32_t len);
WX_WASIX("thread_signal")
int32_t thread_signal(uint32_t tid, int32_t sig);
WX_WASIX("proc_raise")
int32_t proc_raise_wasix(int32_t sig);
WX_P1("proc_raise")
int32_t proc_raise_p1(int32_t sig);
WX_IMPORT("wasi_unstable", "proc_raise")
int32_t proc_raise_p0(int32_t sig);
WX_WASIX("proc_raise_interval")
int32_t proc_raise_interval(int32_t sig, int64_t interval_ns, int32_t repeat);
#ifndef WX_THREADS
WX_WASIX("thread_sleep")
int32_t thread_sleep(int64_t ns);
WX_WASIX("thread_id")
int32_t thread_id(uint32_t *ret_tid);
WX_WASIX("futex_wait")
int32_t futex_wait(uint32_t *addr, uint32_t expected, const void *timeout, uint8_t *ret_woken);
#endif

enum { SIG_INT = 2, SIG_USR1 = 10, SIG_USR2 = 12, SIG_ALRM = 14, SIG_TERM = 15, SIG_STKFLT = 16, SIG_CHLD = 17 };

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

static uint32_t my_tid(void) {
    uint32_t tid = 0;
    (void)thread_id(&tid);
    return tid;
}

/* ---- the handler: records what it got --------------------------------------------------------- */

static volatile uint32_t counts[32];
static volatile uint32_t last_signal, last_thread, depth, max_depth, raise_inside;

__attribute__((export_name("on_signal"))) void on_signal(int32_t sig) {
    depth++;
    if (depth > max_depth) max_depth = depth;
    if (sig >= 0 && sig < 32) counts[sig]++;
    last_signal = (uint32_t)sig;
    last_thread = my_tid();
    if (raise_inside && sig == SIG_USR1) {
        raise_inside = 0;
        (void)proc_raise_wasix(SIG_USR2); // taken once this handler returns, not inside it
    }
    depth--;
}

__attribute__((export_name("not_a_handler"))) int32_t not_a_handler(int32_t a, int32_t b) {
    return a + b;
}

static void use_handler(void) {
    callback_signal("on_signal", 9);
}

/* ---- raise ------------------------------------------------------------------------------------ */

static int raise_scenario(void) {
    int ok = 1;
    // No handler yet: CHLD and ALRM are ignored (wasmer drops every signal but INT, QUIT, KILL, ABRT, PIPE).
    say("chld before a handler", (uint32_t)proc_raise_wasix(SIG_CHLD));
    say("alrm before a handler", (uint32_t)proc_raise_wasix(SIG_ALRM));
    callback_signal("not_a_handler", 13); // wrong type: changes nothing
    callback_signal("no_such_export", 14);
    callback_signal((const char *)0xfffffff0u, 100); // outside memory: changes nothing
    say("alrm with a bad handler name", (uint32_t)proc_raise_wasix(SIG_ALRM));
    say("handled so far", counts[SIG_ALRM] + counts[SIG_CHLD]);
    use_handler();

    say("proc_raise", (uint32_t)proc_raise_wasix(SIG_USR1));
    say("handled before it returned", counts[SIG_USR1]);
    say("preview 1 proc_raise 16 is", (proc_raise_p1(SIG_STKFLT), last_signal));
    say("preview 0 proc_raise 16 is", (proc_raise_p0(16), last_signal));
    say("thread_signal to itself", (uint32_t)thread_signal(my_tid(), SIG_USR2));
    say("handled before it returned", counts[SIG_USR2]);
    say("on thread", last_thread);
    // raise(3) of wasix-libc: its main thread's tid is 0x3fffffff (__init_tp), not the host's
    say("thread_signal to wasix-libc's main tid", (uint32_t)thread_signal(0x3fffffff, SIG_USR2));
    say("handled before it returned", counts[SIG_USR2]);
    say("unknown signal", (uint32_t)proc_raise_wasix(99));
    say("unknown thread", (uint32_t)thread_signal(999, SIG_USR1));
    say("signal 0 to itself", (uint32_t)thread_signal(my_tid(), 0));
    raise_inside = 1;
    (void)proc_raise_wasix(SIG_USR1);
    say("raised inside the handler, handled", counts[SIG_USR2]);
    say("deepest nesting", max_depth);
    ok = counts[SIG_USR1] == 2 && counts[SIG_USR2] == 3 && max_depth == 1;
    return ok ? 0 : 1;
}

/* ---- waits that only a signal ends ------------------------------------------------------------- */

static int32_t listen_local(uint16_t *port) {
    int32_t fd;
    int32_t err = sock_open(WX_AF_INET4, WX_SOCK_STREAM, 0, &fd);
    if (err) fail("sock_open", err);
    wx_addr_port_t addr;
    wx_addr_ipv4_in(&addr, 127, 0, 0, 1, 0);
    if ((err = sock_bind(fd, &addr))) fail("sock_bind", err);
    if ((err = sock_listen(fd, 16))) fail("sock_listen", err);
    if ((err = sock_addr_local(fd, &addr))) fail("sock_addr_local", err);
    if (port) *port = wx_addr_port_out(&addr);
    return fd;
}

static int32_t listener = -1, pipe_read = -1, epfd = -1;
static uint32_t never_changes;

static void prepare(const char *wait) {
    int32_t err;
    if (streq(wait, "accept") || streq(wait, "epoll")) listener = listen_local(0);
    if (streq(wait, "pipe")) {
        int32_t other;
        if ((err = fd_pipe(&pipe_read, &other))) fail("fd_pipe", err);
    }
    if (streq(wait, "epoll")) {
        if ((err = epoll_create(&epfd))) fail("epoll_create", err);
        wx_epoll_event_t ev;
        memset(&ev, 0, sizeof ev);
        ev.events = WX_EPOLLIN;
        ev.fd = (uint32_t)listener;
        if ((err = epoll_ctl(epfd, WX_EPOLL_CTL_ADD, listener, &ev))) fail("epoll_ctl", err);
    }
}

/* One wait nothing but a signal (or its timeout, for sleep) ends; returns its errno (futex: 27 when woken). */
static int32_t wait_once(const char *wait, int64_t sleep_ns) {
    if (streq(wait, "accept")) {
        int32_t fd;
        wx_addr_port_t peer;
        return sock_accept_v2(listener, 0, &fd, &peer);
    }
    if (streq(wait, "poll")) { // a clock an hour away
        uint8_t sub[48], event[32];
        memset(sub, 0, sizeof sub);
        sub[8] = 0;                                // clock
        *(uint32_t *)(sub + 16) = 1;               // monotonic
        *(uint64_t *)(sub + 24) = 3600000000000ULL; // relative
        uint32_t n = 0;
        return raw_poll_oneoff(sub, event, 1, &n);
    }
    if (streq(wait, "sleep")) return thread_sleep(sleep_ns);
    if (streq(wait, "pipe")) {
        char c;
        wx_iovec_t iov = {&c, 1};
        uint32_t n = 0;
        return fd_read(pipe_read, &iov, 1, &n);
    }
    if (streq(wait, "futex")) {
        uint8_t timeout[16], woken = 0;
        memset(timeout, 0, sizeof timeout);
        int32_t err = futex_wait(&never_changes, 0, (void *)timeout, &woken);
        return err ? err : woken ? WX_EINTR : 0;
    }
    if (streq(wait, "epoll")) {
        wx_epoll_event_t out[2];
        int32_t n = 0;
        return epoll_wait(epfd, out, 2, -1, &n);
    }
    fail("unknown wait", 0);
}

static int alarm_scenario(const char *wait, uint32_t n, uint32_t ms) {
    use_handler();
    prepare(wait);
    int32_t err = proc_raise_interval(SIG_ALRM, (int64_t)ms * 1000000, 1);
    if (err) fail("proc_raise_interval", err);
    uint32_t waits = 0, eintr = 0;
    while (counts[SIG_ALRM] < n) {
        uint32_t before = counts[SIG_ALRM];
        err = wait_once(wait, 3600LL * 1000000000LL);
        waits++;
        if (err == WX_EINTR && counts[SIG_ALRM] > before) eintr++;
    }
    if ((err = proc_raise_interval(SIG_ALRM, 0, 0))) fail("cancel", err);
    uint32_t at_cancel = counts[SIG_ALRM];
    (void)thread_sleep((int64_t)ms * 4 * 1000000); // long enough for 4 more, had it not been cancelled
    say("enough alarms", at_cancel >= n);
    say("every wait ended in EINTR after the handler", eintr == waits);
    say("after the cancel", counts[SIG_ALRM] - at_cancel);
    say("on thread", last_thread);
    return at_cancel >= n && eintr == waits && counts[SIG_ALRM] == at_cancel ? 0 : 1;
}

static int once_scenario(uint32_t ms) {
    use_handler();
    int32_t err = proc_raise_interval(SIG_ALRM, (int64_t)ms * 1000000, 0);
    if (err) fail("proc_raise_interval", err);
    err = thread_sleep((int64_t)ms * 50 * 1000000);
    say("first sleep", (uint32_t)err);
    err = thread_sleep((int64_t)ms * 5 * 1000000);
    say("second sleep", (uint32_t)err);
    say("alarms", counts[SIG_ALRM]);
    return counts[SIG_ALRM] == 1 ? 0 : 1;
}

/* ---- the appliance's stop signal ---------------------------------------------------------------- */

static volatile uint32_t stop_signal;

__attribute__((export_name("on_stop"))) void on_stop(int32_t sig) {
    if (sig == SIG_TERM || sig == SIG_INT) stop_signal = (uint32_t)sig;
}

__attribute__((export_name("ignore_all"))) void ignore_all(int32_t sig) {
    (void)sig;
}

static int term_scenario(int arm_timer) {
    callback_signal("on_stop", 7);
    int32_t fd = listen_local(0);
    if (arm_timer) { // a timer that never fires while the test watches: it must cost nothing meanwhile
        int32_t err = proc_raise_interval(SIG_ALRM, 3600LL * 1000000000LL, 1);
        if (err) fail("proc_raise_interval", err);
    }
    wx_write_str(1, "ready\n");
    while (!stop_signal) {
        int32_t conn;
        wx_addr_port_t peer;
        int32_t err = sock_accept_v2(fd, 0, &conn, &peer);
        if (err == 0) (void)fd_close(conn);
        else if (err != WX_EINTR) fail("sock_accept_v2", err);
    }
    say("got signal", stop_signal);
    proc_exit(100 + (int32_t)stop_signal);
}

static int ignore_scenario(int handler) {
    if (handler) callback_signal("ignore_all", 10);
    int32_t fd = listen_local(0);
    wx_write_str(1, "ready\n");
    for (;;) {
        int32_t conn;
        wx_addr_port_t peer;
        if (sock_accept_v2(fd, 0, &conn, &peer) == 0) (void)fd_close(conn);
    }
}

static int run_signals(const char *what, char **argv, uint32_t argc) {
    if (streq(what, "raise")) return raise_scenario();
    if (streq(what, "default") && argc > 2) {
        say("raise", (uint32_t)proc_raise_wasix((int32_t)parse_u32(argv[2])));
        wx_write_str(1, "still here\n");
        return 5;
    }
    if (streq(what, "alarm") && argc > 4) return alarm_scenario(argv[2], parse_u32(argv[3]), parse_u32(argv[4]));
    if (streq(what, "once") && argc > 2) return once_scenario(parse_u32(argv[2]));
    if (streq(what, "term")) return term_scenario(0);
    if (streq(what, "idle")) return term_scenario(1);
    if (streq(what, "ignore")) return ignore_scenario(1);
    if (streq(what, "plain")) return ignore_scenario(0);
    return -1;
}

#ifndef WX_THREADS
void _start(void) {
    uint32_t argc = 0;
    char **argv = 0;
    const char *failed = 0;
    if (wx_load_args(&argc, &argv, &failed) != 0 || argc < 2) proc_exit(2);
    int status = run_signals(argv[1], argv, argc);
    proc_exit(status < 0 ? 2 : status);
}
#endif
