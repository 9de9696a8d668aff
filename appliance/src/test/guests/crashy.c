/*
 * crashy.c - test guest: a keep-alive HTTP/1.1 server over one epoll set (no libc) that fails on demand,
 * for the supervision tests and the lost-requests benchmark.
 *
 *   PORT  environment variable (default 8080); binds 127.0.0.1
 *
 * Each complete request head ("\r\n\r\n") gets "HTTP/1.1 200 OK" with the body "<id>\n", where <id> is eight
 * hex digits of the monotonic clock when this instance started: a client tells instances (shards, and one
 * shard's runs before and after a restart) apart by it. A request whose first byte is
 *   'X'  traps in handle() (unreachable)
 *   'S'  spins in spin() for ever without calling the host (for the watchdog)
 *   'E'  exits with status 3
 * The listener does NOT set SO_REUSEADDR, as a hand-written guest might not: a restarted instance binds its
 * port while its previous run's connections are in TIME_WAIT.
 *
 * Build: scripts/build-guests.sh
 */
#include "wasix.h"

#define MAX_FDS 1024
#define IN_SIZE 1024
#define MAX_EVENTS 64

typedef struct {
    uint32_t in_len;
    uint8_t open;
    char in[IN_SIZE];
} conn_t;

static conn_t conns[MAX_FDS];
static int32_t epfd = -1;
static int32_t lfd = -1;
static char response[64];
static uint32_t response_len;

static _Noreturn void fail(const char *call, int32_t err) {
    wx_write_str(2, "crashy: ");
    wx_write_str(2, call);
    wx_write_str(2, " failed: errno ");
    wx_write_u32(2, (uint32_t)err);
    wx_write_str(2, "\n");
    proc_exit(1);
}

static void watch(int32_t fd, int op) {
    wx_epoll_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.events = WX_EPOLLIN;
    ev.fd = (uint32_t)fd;
    (void)epoll_ctl(epfd, op, fd, &ev);
}

static void drop(int32_t fd) {
    conns[fd].open = 0;
    (void)fd_close(fd);
}

/* Never returns and never calls the host: only the watchdog (or a stop) ends it. */
__attribute__((noinline)) static void spin(void) {
    volatile uint32_t n = 0;
    for (;;) n++;
}

/* Answers every complete request head in c->in; fails as the first byte of a request asks. */
__attribute__((noinline)) static void handle(int32_t fd, conn_t *c) {
    for (;;) {
        if (c->in_len > 0) {
            switch (c->in[0]) {
                case 'X': __builtin_trap();
                case 'S': spin(); break;
                case 'E': proc_exit(3);
                default: break;
            }
        }
        uint32_t end = 0;
        for (uint32_t i = 0; i + 4 <= c->in_len; i++) {
            if (c->in[i] == '\r' && c->in[i + 1] == '\n' && c->in[i + 2] == '\r' && c->in[i + 3] == '\n') {
                end = i + 4;
                break;
            }
        }
        if (end == 0) {
            if (c->in_len == IN_SIZE) drop(fd); /* a head too long for us */
            return;
        }
        if (wx_write_all(fd, response, response_len) != 0) {
            drop(fd);
            return;
        }
        memcpy(c->in, c->in + end, c->in_len - end);
        c->in_len -= end;
    }
}

static void on_readable(int32_t fd, conn_t *c) {
    wx_iovec_t iov = {c->in + c->in_len, IN_SIZE - c->in_len};
    uint32_t nread = 0;
    uint16_t roflags = 0;
    int32_t err = sock_recv(fd, &iov, 1, 0, &nread, &roflags);
    if (err == WX_EAGAIN) return;
    if (err != 0 || nread == 0) {
        drop(fd);
        return;
    }
    c->in_len += nread;
    handle(fd, c);
}

static void accept_all(void) {
    for (;;) {
        int32_t fd = -1;
        wx_addr_port_t peer;
        int32_t err = sock_accept_v2(lfd, WX_FDFLAG_NONBLOCK, &fd, &peer);
        if (err != 0) return;
        if (fd < 0 || fd >= MAX_FDS) {
            (void)fd_close(fd);
            continue;
        }
        conns[fd].in_len = 0;
        conns[fd].open = 1;
        watch(fd, WX_EPOLL_CTL_ADD);
    }
}

static uint32_t hex(char *out, uint32_t v) {
    for (int i = 7; i >= 0; i--) {
        uint32_t d = v & 15u;
        out[i] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
        v >>= 4;
    }
    return 8;
}

void _start(void) {
    uint32_t count = 0;
    char **env = NULL;
    const char *call = "";
    int32_t err = wx_load_environ(&count, &env, &call);
    if (err != 0) fail(call, err);
    uint16_t port = 8080;
    const char *value = wx_env_find(env, count, "PORT");
    if (value != NULL && !wx_parse_port(value, &port)) fail("PORT", WX_EINVAL);

    uint64_t now = 0;
    (void)clock_time_get(1, 1, &now);
    static const char head[] = "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n";
    memcpy(response, head, sizeof head - 1);
    response_len = sizeof head - 1;
    response_len += hex(response + response_len, (uint32_t)(now ^ (now >> 32)));
    response[response_len++] = '\n';

    if ((err = sock_open(WX_AF_INET4, WX_SOCK_STREAM, WX_PROTO_DEFAULT, &lfd)) != 0) fail("sock_open", err);
    wx_addr_port_t addr;
    wx_addr_ipv4_in(&addr, 127, 0, 0, 1, port);
    if ((err = sock_bind(lfd, &addr)) != 0) fail("sock_bind", err);
    if ((err = sock_listen(lfd, 1024)) != 0) fail("sock_listen", err);
    if ((err = fd_fdstat_set_flags(lfd, WX_FDFLAG_NONBLOCK)) != 0) fail("fd_fdstat_set_flags", err);
    if ((err = epoll_create(&epfd)) != 0) fail("epoll_create", err);
    watch(lfd, WX_EPOLL_CTL_ADD);

    static wx_epoll_event_t events[MAX_EVENTS];
    for (;;) {
        int32_t n = 0;
        err = epoll_wait(epfd, events, MAX_EVENTS, -1, &n);
        if (err != 0) {
            if (err == WX_EINTR) continue;
            fail("epoll_wait", err);
        }
        for (int32_t i = 0; i < n; i++) {
            int32_t fd = (int32_t)events[i].fd;
            if (fd == lfd) {
                accept_all();
            } else if (fd >= 0 && fd < MAX_FDS && conns[fd].open) {
                on_readable(fd, &conns[fd]);
            }
        }
    }
}
