/*
 * idle.c - the guest of the idle-connection figure (bench/supervision/run.sh idle): an HTTP server over one
 * epoll set that keeps no state per connection, so that what an idle connection costs is the host's alone.
 * A read that holds the end of a request head ("\r\n\r\n") is answered "ok" (requests must come in one
 * read); EOF or an error closes the connection. PORT as the bundled guests take it (default 8080).
 *
 * Build: scripts/build-guests.sh
 */
#include "wasix.h"

#define MAX_EVENTS 256

static const char OK[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
static char buf[16384];
static int32_t epfd = -1, lfd = -1;

static _Noreturn void fail(const char *call, int32_t err) {
    wx_write_str(2, "idle: ");
    wx_write_str(2, call);
    wx_write_str(2, " failed: errno ");
    wx_write_u32(2, (uint32_t)err);
    wx_write_str(2, "\n");
    proc_exit(1);
}

static void watch(int32_t fd) {
    wx_epoll_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.events = WX_EPOLLIN;
    ev.fd = (uint32_t)fd;
    (void)epoll_ctl(epfd, WX_EPOLL_CTL_ADD, fd, &ev);
}

static void readable(int32_t fd) {
    wx_iovec_t iov = {buf, sizeof buf};
    uint32_t n = 0;
    uint16_t flags = 0;
    int32_t err = sock_recv(fd, &iov, 1, 0, &n, &flags);
    if (err == WX_EAGAIN) return;
    if (err != 0 || n == 0) {
        (void)fd_close(fd);
        return;
    }
    for (uint32_t i = 0; i + 4 <= n; i++) {
        if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' && buf[i + 3] == '\n') {
            (void)wx_write_all(fd, OK, sizeof OK - 1);
            return;
        }
    }
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
    if ((err = sock_open(WX_AF_INET4, WX_SOCK_STREAM, WX_PROTO_DEFAULT, &lfd)) != 0) fail("sock_open", err);
    (void)sock_set_opt_flag(lfd, WX_OPT_REUSE_ADDR, 1);
    wx_addr_port_t addr;
    wx_addr_ipv4_in(&addr, 0, 0, 0, 0, port);
    if ((err = sock_bind(lfd, &addr)) != 0) fail("sock_bind", err);
    if ((err = sock_listen(lfd, 1024)) != 0) fail("sock_listen", err);
    if ((err = fd_fdstat_set_flags(lfd, WX_FDFLAG_NONBLOCK)) != 0) fail("fd_fdstat_set_flags", err);
    if ((err = epoll_create(&epfd)) != 0) fail("epoll_create", err);
    watch(lfd);
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
            if (fd != lfd) {
                readable(fd);
                continue;
            }
            for (;;) {
                int32_t c = -1;
                wx_addr_port_t peer;
                if (sock_accept_v2(lfd, WX_FDFLAG_NONBLOCK, &c, &peer) != 0) break;
                watch(c);
            }
        }
    }
}
