// build-guests: threads -Wl,--max-memory=67108864
/*
 * keepalive-threads.c - load guest (bench/load/threads.sh): the bundled keepalive guest's HTTP/1.1 keep-alive
 * "Hello, World!" server, on three threads sharing their fds. The main thread accepts and waits in
 * epoll_wait; two workers take the connections that are readable from a queue (a futex mutex and condition
 * variable), receive once, answer every complete request head they hold (pipelining: the responses leave in
 * one send) and re-arm the connection's one-shot epoll interest from their own thread. A connection is in at
 * most one thread's hands at a time, so its state needs no lock. Requests are GETs without a body, as wrk
 * sends them; a head longer than the buffer closes the connection.
 *
 *   PORT  environment variable, 1..65535 (default 8080)
 *   HOST  environment variable, an IPv4 dotted quad to bind (default 0.0.0.0)
 *
 * Build: scripts/build-guests.sh
 */
#define WX_MAX_THREADS 2
#include "wasix.h"
#include "wasix_threads.h"

#define WORKERS 2
#define MAX_FDS 4096
#define IN_SIZE 8192
#define OUT_SIZE 16384
#define QUEUE 4096 /* a power of two, at least MAX_FDS: each fd is queued at most once at a time */

#define BODY "Hello, World!"
static const char OK_KEEP[] =
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Length: 13\r\n"
    "\r\n" BODY;

typedef struct {
    uint32_t in_len;
    char in[IN_SIZE];
} conn_t;

static conn_t *conns[MAX_FDS];
static int32_t epfd, lfd;
static int32_t queue[QUEUE];
static uint32_t head, tail;
static wx_mutex_t queue_lock;
static wx_cond_t queue_filled;

static _Noreturn void fail(const char *call, int32_t err) {
    wx_write_str(2, "keepalive-threads: ");
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

static void drop(int32_t fd) {
    conns[fd]->in_len = 0;
    (void)fd_close(fd); // leaves the epoll set too
}

/* Sends all of buf on a non-blocking socket: a full send buffer means a short wait. */
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

/* The end of the first request head in p[0..len): the index after its blank line, or 0. */
static uint32_t head_end(const char *p, uint32_t len) {
    for (uint32_t i = 3; i < len; i++) {
        if (p[i] == '\n' && p[i - 1] == '\r' && p[i - 2] == '\n' && p[i - 3] == '\r') return i + 1;
    }
    return 0;
}

/* Receives once and answers every complete head: 0 to keep the connection (its interest is then re-armed,
 * and reports it again if more is there), else close it. As the bundled keepalive guest does per event. */
static int serve(int32_t fd, char *out) {
    conn_t *c = conns[fd];
    if (c->in_len == IN_SIZE) return 1; // a head larger than the buffer
    wx_iovec_t iov = {c->in + c->in_len, IN_SIZE - c->in_len};
    uint32_t got = 0;
    uint16_t roflags = 0;
    int32_t err = sock_recv(fd, &iov, 1, 0, &got, &roflags);
    if (err == WX_EAGAIN) return 0;
    if (err != 0 || got == 0) return 1;
    c->in_len += got;
    uint32_t out_len = 0, at = 0, end;
    while ((end = head_end(c->in + at, c->in_len - at)) != 0) {
        if (out_len + sizeof OK_KEEP - 1 > OUT_SIZE) {
            if (send_all(fd, out, out_len) != 0) return 1;
            out_len = 0;
        }
        memcpy(out + out_len, OK_KEEP, sizeof OK_KEEP - 1);
        out_len += sizeof OK_KEEP - 1;
        at += end;
    }
    if (at > 0) {
        memcpy(c->in, c->in + at, c->in_len - at);
        c->in_len -= at;
    }
    return out_len > 0 && send_all(fd, out, out_len) != 0;
}

static void worker(void *arg) {
    (void)arg;
    static char outs[WORKERS][OUT_SIZE];
    static uint32_t next;
    char *out = outs[__atomic_fetch_add(&next, 1, __ATOMIC_RELAXED) % WORKERS];
    for (;;) {
        int32_t fd = pop();
        if (serve(fd, out) == 0) {
            arm(WX_EPOLL_CTL_MOD, fd);
        } else {
            drop(fd);
        }
    }
}

void _start(void) {
    uint32_t count = 0;
    char **env = 0;
    const char *failed = 0;
    int32_t err = wx_load_environ(&count, &env, &failed);
    if (err != 0) fail(failed, err);
    uint16_t port = 8080;
    uint8_t ip[4] = {0, 0, 0, 0};
    const char *p = wx_env_find(env, count, "PORT");
    if (p != NULL && !wx_parse_port(p, &port)) fail("PORT", WX_EINVAL);
    const char *h = wx_env_find(env, count, "HOST");
    if (h != NULL && !wx_parse_ipv4(h, ip)) fail("HOST", WX_EINVAL);

    if ((err = sock_open(WX_AF_INET4, WX_SOCK_STREAM, 0, &lfd))) fail("sock_open", err);
    if ((err = sock_set_opt_flag(lfd, WX_OPT_REUSE_ADDR, 1))) fail("sock_set_opt_flag", err);
    wx_addr_port_t addr;
    wx_addr_ipv4_in(&addr, ip[0], ip[1], ip[2], ip[3], port);
    if ((err = sock_bind(lfd, &addr))) fail("sock_bind", err);
    if ((err = sock_listen(lfd, 1024))) fail("sock_listen", err);
    if ((err = fd_fdstat_set_flags(lfd, WX_FDFLAG_NONBLOCK))) fail("fd_fdstat_set_flags", err);
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
                if (c >= MAX_FDS) {
                    (void)fd_close(c);
                    continue;
                }
                if (conns[c] == NULL) { // only this thread allocates: the bump allocator has no lock
                    conns[c] = wx_alloc(sizeof(conn_t));
                    if (conns[c] == NULL) fail("wx_alloc", WX_ENOMEM);
                }
                conns[c]->in_len = 0;
                arm(WX_EPOLL_CTL_ADD, c);
            }
        }
    }
}
