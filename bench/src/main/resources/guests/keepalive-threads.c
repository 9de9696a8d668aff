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
#define GUEST_NAME "keepalive-threads"
#define QUEUE 4096 /* a power of two, at least MAX_FDS: each fd is queued at most once at a time */
#include "threaded_server.h"

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

static void drop(int32_t fd) {
    conns[fd]->in_len = 0;
    (void)fd_close(fd); // leaves the epoll set too
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

/* A new connection: its record (made by this thread only: the bump allocator has no lock), then its interest. */
static void accepted(int32_t c) {
    if (c >= MAX_FDS) {
        (void)fd_close(c);
        return;
    }
    if (conns[c] == NULL) {
        conns[c] = wx_alloc(sizeof(conn_t));
        if (conns[c] == NULL) fail("wx_alloc", WX_ENOMEM);
    }
    conns[c]->in_len = 0;
    arm(WX_EPOLL_CTL_ADD, c);
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

    wx_addr_port_t addr;
    wx_addr_ipv4_in(&addr, ip[0], ip[1], ip[2], ip[3], port);
    int32_t lfd = listen_in_epoll(&addr);
    for (int i = 0; i < WORKERS; i++) {
        uint32_t tid;
        if ((err = wx_thread_spawn(worker, 0, &tid))) fail("thread_spawn", err);
    }

    dispatch(lfd, accepted);
}
