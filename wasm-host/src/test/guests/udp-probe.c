/*
 * udp-probe.c - test guest: checks the host's UDP semantics from inside, with sockets of its own on
 * the loopback address, as a C program written for Linux would rely on them (no libc).
 *
 *   udp-probe FAMILY
 *
 * FAMILY is 4 (127.0.0.1) or 6 (::1). Each check prints "ok NAME\n" on fd 1, or "FAIL NAME: WHAT\n"
 * and the probe exits 1 at once. All passed: exit 0. A call that fails where no check expects it:
 * "udp-probe: <call> errno N\n" on fd 2, exit 10 + min(N, 100). Bad arguments: exit 2.
 *
 * Build: scripts/build-guests.sh
 */
#include "../../../../appliance/src/main/guests/wasix.h"

#define GUEST_NAME "udp-probe"
#include "errno_exit.h"

static char buf[70000];
static int v6;
static const uint8_t LOOPBACK6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

static _Noreturn void failed(const char *name, const char *what, uint32_t got) {
    wx_write_str(1, "FAIL ");
    wx_write_str(1, name);
    wx_write_str(1, ": ");
    wx_write_str(1, what);
    wx_write_str(1, " (got ");
    wx_write_u32(1, got);
    wx_write_str(1, ")\n");
    proc_exit(1);
}

static void expect(const char *name, const char *what, uint32_t want, uint32_t got) {
    if (want != got) failed(name, what, got);
}

static void passed(const char *name) {
    wx_write_str(1, "ok ");
    wx_write_str(1, name);
    wx_write_str(1, "\n");
}

static void loopback(wx_addr_port_t *a, uint16_t port) {
    if (v6) {
        wx_addr_ipv6_in(a, LOOPBACK6, port);
    } else {
        wx_addr_ipv4_in(a, 127, 0, 0, 1, port);
    }
}

/* A UDP socket bound to the loopback address and a kernel-chosen port; its port in *port. */
static int32_t bound(uint16_t *port) {
    int32_t fd = -1;
    check("sock_open", sock_open(v6 ? WX_AF_INET6 : WX_AF_INET4, WX_SOCK_DGRAM, 0, &fd));
    wx_addr_port_t a;
    loopback(&a, 0);
    check("sock_bind", sock_bind(fd, &a));
    wx_addr_port_t local;
    check("sock_addr_local", sock_addr_local(fd, &local));
    *port = wx_addr_port_out(&local);
    return fd;
}

static int32_t send_text(int32_t fd, const char *text, uint16_t port) {
    wx_addr_port_t to;
    loopback(&to, port);
    wx_ciovec_t iov = {text, (uint32_t)strlen(text)};
    uint32_t sent = 0;
    return sock_send_to(fd, &iov, 1, 0, &to, &sent);
}

static int32_t recv_from(int32_t fd, uint32_t len, int32_t riflags, uint32_t *n, uint16_t *roflags,
                         wx_addr_port_t *from) {
    wx_iovec_t iov = {buf, len};
    return sock_recv_from(fd, &iov, 1, riflags, n, roflags, from);
}

static int same(const char *text, uint32_t n) {
    if (strlen(text) != n) return 0;
    for (uint32_t i = 0; i < n; i++) {
        if (buf[i] != text[i]) return 0;
    }
    return 1;
}

static void set_recv_timeout(int32_t fd, uint64_t nanos) {
    wx_option_timestamp_t t;
    memset(&t, 0, sizeof t);
    t.tag = 1;
    t.nanos = nanos;
    check("sock_set_opt_time", sock_set_opt_time(fd, WX_OPT_RECV_TIMEOUT, &t));
}

/* poll_oneoff on fd, for reading, and for writing if `write`, with a clock of timeout_ns; returns the
 * events' mask: 1 readable, 2 writable, 4 the clock; *nbytes gets the read event's nbytes. */
static uint32_t poll_fd(int32_t fd, int write, uint64_t timeout_ns, uint64_t *nbytes) {
    static wx_subscription_t subs[3];
    static wx_event_t events[3];
    memset(subs, 0, sizeof subs);
    int32_t k = 0;
    subs[k].userdata = 1;
    subs[k].tag = 1;
    subs[k++].u.fd.fd = (uint32_t)fd;
    if (write) {
        subs[k].userdata = 2;
        subs[k].tag = 2;
        subs[k++].u.fd.fd = (uint32_t)fd;
    }
    subs[k].userdata = 4;
    subs[k].tag = 0;
    subs[k].u.clock.clock_id = 1;
    subs[k++].u.clock.timeout_ns = timeout_ns;
    uint32_t n = 0;
    check("poll_oneoff", poll_oneoff(subs, events, k, &n));
    uint32_t mask = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (events[i].error != 0) fail("poll_oneoff event", events[i].error);
        mask |= (uint32_t)events[i].userdata;
        if (events[i].userdata == 1) *nbytes = events[i].nbytes;
    }
    return mask;
}

void _start(void) {
    uint32_t argc = 0;
    char **argv = NULL;
    const char *call = "";
    int32_t err = wx_load_args(&argc, &argv, &call);
    if (err != 0) fail(call, err);
    if (argc < 2 || (argv[1][0] != '4' && argv[1][0] != '6') || argv[1][1] != '\0') {
        wx_write_str(2, "udp-probe: usage: udp-probe 4|6\n");
        proc_exit(2);
    }
    v6 = argv[1][0] == '6';

    uint16_t a_port = 0, b_port = 0;
    int32_t a = bound(&a_port);
    int32_t b = bound(&b_port);
    uint32_t n = 0;
    uint16_t roflags = 0;
    uint64_t nbytes = 0;
    wx_addr_port_t from;

    /* a fresh socket: writable, not readable */
    expect("fresh", "poll: writable only", 2, poll_fd(a, 1, 0, &nbytes) & 3);
    passed("fresh");

    expect("nonblocking", "DONT_WAIT with nothing queued", WX_EAGAIN, (uint32_t)recv_from(a, 100, WX_RI_DONT_WAIT, &n, &roflags, &from));
    passed("nonblocking");

    set_recv_timeout(a, 100000000ull);
    uint64_t t0 = 0, t1 = 0;
    check("clock_time_get", clock_time_get(1, 1, &t0));
    expect("timeout", "a receive past RecvTimeout", WX_EAGAIN, (uint32_t)recv_from(a, 100, 0, &n, &roflags, &from));
    check("clock_time_get", clock_time_get(1, 1, &t1));
    if (t1 - t0 < 90000000ull) failed("timeout", "waited at least the timeout (ms)", (uint32_t)((t1 - t0) / 1000000ull));
    set_recv_timeout(a, 5000000000ull);
    passed("timeout");

    /* readiness: poll and epoll see a datagram */
    check("sock_send_to", send_text(b, "0123456789", a_port));
    expect("poll", "poll: readable", 1, poll_fd(a, 0, 5000000000ull, &nbytes) & 5);
    expect("poll", "nbytes: the next datagram's size", 10, (uint32_t)nbytes);
    check("sock_recv_from", recv_from(a, 100, 0, &n, &roflags, &from));
    passed("poll");

    int32_t ep = -1;
    check("epoll_create", epoll_create(&ep));
    wx_epoll_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.events = WX_EPOLLIN;
    ev.fd = (uint32_t)a;
    check("epoll_ctl", epoll_ctl(ep, WX_EPOLL_CTL_ADD, a, &ev));
    int32_t ready = -1;
    check("epoll_wait", epoll_wait(ep, &ev, 1, 0, &ready));
    expect("epoll", "nothing queued: not ready", 0, (uint32_t)ready);
    check("sock_send_to", send_text(b, "e", a_port));
    check("epoll_wait", epoll_wait(ep, &ev, 1, 5000000000ll, &ready));
    expect("epoll", "one ready", 1, (uint32_t)ready);
    expect("epoll", "EPOLLIN", WX_EPOLLIN, ev.events);
    expect("epoll", "its fd", (uint32_t)a, ev.fd);
    check("sock_recv_from", recv_from(a, 100, 0, &n, &roflags, &from));
    check("fd_close", fd_close(ep));
    passed("epoll");

    /* truncation: what does not fit is lost, and said so */
    static char hundred[100];
    for (int i = 0; i < 100; i++) hundred[i] = (char)('a' + i % 26);
    hundred[99] = '\0';
    check("sock_send_to", send_text(b, hundred, a_port));
    check("sock_send_to", send_text(b, "after", a_port));
    check("sock_recv_from", recv_from(a, 10, 0, &n, &roflags, &from));
    expect("truncation", "bytes copied", 10, n);
    expect("truncation", "roflags", WX_RO_DATA_TRUNCATED, roflags);
    expect("truncation", "the sender's port", b_port, wx_addr_port_out(&from));
    expect("truncation", "the sender's family", v6 ? WX_AF_INET6 : WX_AF_INET4, from.family);
    check("sock_recv_from", recv_from(a, 100, 0, &n, &roflags, &from));
    if (!same("after", n)) failed("truncation", "the next datagram whole", n);
    passed("truncation");

    check("sock_send_to", send_text(b, "peekaboo", a_port));
    check("sock_recv_from", recv_from(a, 100, WX_RI_PEEK, &n, &roflags, &from));
    if (!same("peekaboo", n)) failed("peek", "peeked", n);
    check("sock_recv_from", recv_from(a, 100, 0, &n, &roflags, &from));
    if (!same("peekaboo", n)) failed("peek", "still there", n);
    expect("peek", "then gone", WX_EAGAIN, (uint32_t)recv_from(a, 100, WX_RI_DONT_WAIT, &n, &roflags, &from));
    passed("peek");

    /* connected: fd_write and fd_read, and only the peer's datagrams */
    wx_addr_port_t to_a;
    loopback(&to_a, a_port);
    check("sock_connect", sock_connect(b, &to_a));
    wx_ciovec_t hi = {"hi", 2};
    check("fd_write", fd_write(b, &hi, 1, &n));
    check("sock_recv_from", recv_from(a, 100, 0, &n, &roflags, &from));
    if (!same("hi", n)) failed("connected", "fd_write's datagram", n);
    wx_addr_port_t back;
    wx_addr_reply(&back, &from);
    wx_ciovec_t yo = {"yo", 2};
    check("sock_send_to", sock_send_to(a, &yo, 1, 0, &back, &n));
    wx_iovec_t in = {buf, 100};
    check("fd_read", fd_read(b, &in, 1, &n));
    if (!same("yo", n)) failed("connected", "fd_read", n);
    passed("connected");

    /* a datagram to a closed port: ECONNREFUSED on a connected socket's next call */
    uint16_t gone_port = 0;
    int32_t gone = bound(&gone_port);
    check("fd_close", fd_close(gone));
    int32_t c = -1;
    check("sock_open", sock_open(v6 ? WX_AF_INET6 : WX_AF_INET4, WX_SOCK_DGRAM, 0, &c));
    wx_addr_port_t dead;
    loopback(&dead, gone_port);
    check("sock_connect", sock_connect(c, &dead));
    set_recv_timeout(c, 2000000000ull);
    wx_ciovec_t knock = {"knock", 5};
    check("fd_write", fd_write(c, &knock, 1, &n));
    expect("refused", "the receive after the ICMP error", WX_ECONNREFUSED, (uint32_t)recv_from(c, 100, 0, &n, &roflags, &from));
    passed("refused");

    wx_ciovec_t huge = {buf, v6 ? 65528 : 65508};
    expect("size", "a datagram past the family's limit", WX_EMSGSIZE, (uint32_t)sock_send_to(a, &huge, 1, 0, &back, &n));
    passed("size");

    check("fd_close", fd_close(c));
    check("fd_close", fd_close(b));
    check("fd_close", fd_close(a));
    proc_exit(0);
}
