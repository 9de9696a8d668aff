// build-guests: threads -Wl,--max-memory=8388608
/*
 * threaded-echo.c - test guest: a TCP echo server on three threads sharing their fds. The main thread
 * accepts and waits in epoll_wait; two workers take the connections that are readable from a queue (a futex
 * mutex and condition variable) and do the sock_recv and sock_send. Every connection is in the epoll set
 * with EPOLLONESHOT: the main thread hands it to a worker once readable, and the worker re-arms it, from its
 * own thread, when it has echoed all there was (EAGAIN), or closes it at the end of input.
 *
 *   PORT  environment variable: the port to listen on, 127.0.0.1 (default 0: one the kernel picks)
 *
 * Prints "port N" once listening, then runs until the host stops it.
 */
#define WX_MAX_THREADS 4
#include "wasix.h"
#include "wasix_threads.h"

WX_WASIX("sock_addr_local")
int32_t sock_addr_local(int32_t fd, wx_addr_port_t *ret_addr);

#define WORKERS 2
#define QUEUE 8192 /* a power of two, more than the fds the guest can have at once */

static int32_t epfd, lfd;
static int32_t queue[QUEUE];
static uint32_t head, tail;
static wx_mutex_t queue_lock;
static wx_cond_t queue_filled;

static _Noreturn void fail(const char *call, int32_t err) {
    wx_write_str(2, "threaded-echo: ");
    wx_write_str(2, call);
    wx_write_str(2, " failed: errno ");
    wx_write_u32(2, (uint32_t)err);
    wx_write_str(2, "\n");
    proc_exit(1);
}

static void push(int32_t fd) {
    wx_mutex_lock(&queue_lock);
    queue[tail++ & (QUEUE - 1)] = fd;
    wx_cond_signal(&queue_filled);
    wx_mutex_unlock(&queue_lock);
}

static int32_t pop(void) {
    wx_mutex_lock(&queue_lock);
    while (head == tail) wx_cond_wait(&queue_filled, &queue_lock, -1);
    int32_t fd = queue[head++ & (QUEUE - 1)];
    wx_mutex_unlock(&queue_lock);
    return fd;
}

static void arm(int32_t op, int32_t fd) {
    wx_epoll_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.events = WX_EPOLLIN | WX_EPOLLRDHUP | WX_EPOLLONESHOT;
    ev.fd = (uint32_t)fd;
    int32_t err = epoll_ctl(epfd, op, fd, &ev);
    if (err != 0) fail("epoll_ctl", err);
}

/* Sends all of buf; the socket is non-blocking, so a full send buffer means a short wait. */
static int32_t send_all(int32_t fd, const char *buf, uint32_t len) {
    while (len > 0) {
        wx_ciovec_t iov = {buf, len};
        uint32_t sent = 0;
        int32_t err = sock_send(fd, &iov, 1, 0, &sent);
        if (err == WX_EAGAIN) {
            (void)thread_sleep(1000000);
            continue;
        }
        if (err != 0) return err;
        buf += sent;
        len -= sent;
    }
    return 0;
}

static void worker(void *arg) {
    (void)arg;
    char buf[16384];
    for (;;) {
        int32_t fd = pop();
        for (;;) {
            wx_iovec_t iov = {buf, sizeof buf};
            uint32_t got = 0;
            uint16_t roflags = 0;
            int32_t err = sock_recv(fd, &iov, 1, 0, &got, &roflags);
            if (err == WX_EAGAIN) {
                arm(WX_EPOLL_CTL_MOD, fd); // all echoed: the main thread may hand it out again
                break;
            }
            if (err != 0 || got == 0 || send_all(fd, buf, got) != 0) {
                (void)fd_close(fd); // leaves the epoll set too
                break;
            }
        }
    }
}

void _start(void) {
    uint32_t count = 0;
    char **env = 0;
    const char *failed = 0;
    int32_t err = wx_load_environ(&count, &env, &failed);
    if (err != 0) fail(failed, err);
    uint16_t port = 0;
    const char *p = wx_env_find(env, count, "PORT");
    if (p != NULL && !wx_parse_port(p, &port)) fail("PORT", WX_EINVAL);

    if ((err = sock_open(WX_AF_INET4, WX_SOCK_STREAM, 0, &lfd))) fail("sock_open", err);
    if ((err = sock_set_opt_flag(lfd, WX_OPT_REUSE_ADDR, 1))) fail("sock_set_opt_flag", err);
    wx_addr_port_t addr;
    wx_addr_ipv4_in(&addr, 127, 0, 0, 1, port);
    if ((err = sock_bind(lfd, &addr))) fail("sock_bind", err);
    if ((err = sock_listen(lfd, 1024))) fail("sock_listen", err);
    if ((err = fd_fdstat_set_flags(lfd, WX_FDFLAG_NONBLOCK))) fail("fd_fdstat_set_flags", err);
    if ((err = sock_addr_local(lfd, &addr))) fail("sock_addr_local", err);
    if ((err = epoll_create(&epfd))) fail("epoll_create", err);
    wx_epoll_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.events = WX_EPOLLIN;
    ev.fd = (uint32_t)lfd;
    if ((err = epoll_ctl(epfd, WX_EPOLL_CTL_ADD, lfd, &ev))) fail("epoll_ctl", err);
    for (int i = 0; i < WORKERS; i++) {
        uint32_t tid;
        if ((err = wx_thread_spawn(worker, 0, &tid))) fail("thread_spawn", err);
    }
    wx_write_str(1, "port ");
    wx_write_u32(1, wx_addr_port_out(&addr));
    wx_write_str(1, "\n");

    static wx_epoll_event_t events[256];
    for (;;) {
        int32_t n = 0;
        if ((err = epoll_wait(epfd, events, 256, -1, &n))) fail("epoll_wait", err);
        for (int32_t i = 0; i < n; i++) {
            int32_t fd = (int32_t)events[i].fd;
            if (fd != lfd) {
                push(fd);
                continue;
            }
            for (;;) { // accepted sockets inherit the listener's NONBLOCK, as on wasmer
                int32_t c;
                wx_addr_port_t peer;
                err = sock_accept_v2(lfd, WX_FDFLAG_NONBLOCK, &c, &peer);
                if (err == WX_EAGAIN) break;
                if (err != 0) fail("sock_accept_v2", err);
                arm(WX_EPOLL_CTL_ADD, c);
            }
        }
    }
}
