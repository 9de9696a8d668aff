/*
 * keepalive.c - a bundled guest: a single-threaded HTTP/1.1 "Hello, World!" server that keeps
 * connections open and multiplexes all of them over one epoll set (WASIX epoll_*), no libc.
 *
 *   PORT  environment variable, 1..65535 (default 8080)
 *   HOST  environment variable, an IPv4 dotted quad to bind (default 0.0.0.0)
 *   anything invalid -> one line on stderr and proc_exit(2).
 *
 * Every socket is non-blocking; the only call that waits is epoll_wait. Per connection the guest
 * keeps what it has received but not yet parsed (so a request may arrive in any number of pieces)
 * and what it has not yet sent. Each readable event: receive once, answer every complete request
 * head in the buffer (pipelining: their responses leave together in one sock_send), keep the
 * incomplete tail for the next read. Requests may carry a body with Content-Length, which is
 * skipped; chunked bodies get 501 and a close. "Connection: close" (or HTTP/1.0 without
 * "Connection: keep-alive") gets its response, then a write shutdown and close. A head longer than
 * the buffer gets 431 and a close. When the peer will not take all output, the guest stops parsing
 * that connection and waits for EPOLLOUT, so a slow reader cannot grow its output without bound.
 *
 * Build: scripts/build-guests.sh
 */
#include "wasix.h"

#define DEFAULT_PORT 8080
#define LISTEN_BACKLOG 1024
#define MAX_FDS 8192
#define IN_SIZE 8192
#define OUT_SIZE 16384
#define MAX_EVENTS 256

#define BODY "Hello, World!"

static const char OK_KEEP[] =
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Length: 13\r\n"
    "\r\n" BODY;
static const char OK_CLOSE[] =
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Length: 13\r\n"
    "Connection: close\r\n"
    "\r\n" BODY;
static const char TOO_LARGE[] =
    "HTTP/1.1 431 Request Header Fields Too Large\r\n"
    "Content-Length: 0\r\n"
    "Connection: close\r\n"
    "\r\n";
static const char BAD_REQUEST[] =
    "HTTP/1.1 400 Bad Request\r\n"
    "Content-Length: 0\r\n"
    "Connection: close\r\n"
    "\r\n";
static const char NOT_IMPLEMENTED[] =
    "HTTP/1.1 501 Not Implemented\r\n"
    "Content-Length: 0\r\n"
    "Connection: close\r\n"
    "\r\n";

typedef struct {
    uint32_t in_len;      /* bytes in in[] not yet parsed */
    uint32_t out_off;     /* bytes of out[] already sent */
    uint32_t out_len;     /* bytes in out[] */
    uint32_t skip;        /* request body bytes still to discard */
    uint8_t open;
    uint8_t closing;      /* close once out[] is sent; read nothing more */
    uint8_t want_out;     /* registered for EPOLLOUT */
    char in[IN_SIZE];
    char out[OUT_SIZE];
} conn_t;

/* Indexed by fd: fds take the lowest free number, so the table stays dense. Allocated on first use
 * and reused by the next connection that gets the same fd. */
static conn_t *conns[MAX_FDS];
static int32_t epfd = -1;
static int32_t lfd = -1;

static _Noreturn void fail(const char *call, int32_t err) {
    wx_write_str(2, "keepalive: ");
    wx_write_str(2, call);
    wx_write_str(2, " failed: ");
    wx_write_errno(2, err);
    wx_write_str(2, "\n");
    proc_exit(1);
}

static _Noreturn void bad_env(const char *name, const char *value, const char *want) {
    char shown[32];
    uint32_t n = 0;
    for (; value[n] != '\0' && n < sizeof shown; n++) {
        char c = value[n];
        shown[n] = (c >= 0x20 && c < 0x7f) ? c : '?';
    }
    wx_write_str(2, "keepalive: invalid ");
    wx_write_str(2, name);
    wx_write_str(2, " \"");
    (void)wx_write_all(2, shown, n);
    wx_write_str(2, value[n] != '\0' ? "...\" (want " : "\" (want ");
    wx_write_str(2, want);
    wx_write_str(2, ")\n");
    proc_exit(2);
}

/* ---- parsing ------------------------------------------------------------------------------ */

static char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

/* Case-insensitive: does p[0..len) start with the lower-case literal s? */
static int starts_with_ci(const char *p, uint32_t len, const char *s) {
    uint32_t i = 0;
    for (; s[i] != '\0'; i++) {
        if (i >= len || lower(p[i]) != s[i]) return 0;
    }
    return 1;
}

/* Case-insensitive search for the lower-case literal s in p[0..len). */
static int contains_ci(const char *p, uint32_t len, const char *s) {
    uint32_t n = (uint32_t)strlen(s);
    for (uint32_t i = 0; i + n <= len; i++) {
        if (starts_with_ci(p + i, len - i, s)) return 1;
    }
    return 0;
}

/* Offset just past "\r\n\r\n" in buf[0..len), or 0 when the head is not complete yet. */
static uint32_t head_end(const char *buf, uint32_t len) {
    for (uint32_t i = 0; i + 4 <= len; i++) {
        if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' && buf[i + 3] == '\n') return i + 4;
    }
    return 0;
}

/* What one request head asks for. */
typedef struct {
    int valid;
    int keep_alive;
    int chunked;
    uint32_t content_length;
} head_t;

static head_t parse_head(const char *h, uint32_t len) {
    head_t r = {1, 1, 0, 0};
    /* Request line: METHOD SP TARGET SP HTTP/1.x CRLF */
    uint32_t eol = 0;
    while (eol + 1 < len && !(h[eol] == '\r' && h[eol + 1] == '\n')) eol++;
    if (eol < 14 || !starts_with_ci(h + eol - 8, 8, "http/1.")) {
        r.valid = 0;
        return r;
    }
    int http10 = h[eol - 1] == '0';
    int saw_keep = 0, saw_close = 0;
    /* Header lines: "Name: value" CRLF, up to the blank line. */
    uint32_t i = eol + 2;
    while (i + 2 <= len && !(h[i] == '\r' && h[i + 1] == '\n')) {
        uint32_t end = i;
        while (end + 1 < len && !(h[end] == '\r' && h[end + 1] == '\n')) end++;
        const char *line = h + i;
        uint32_t n = end - i;
        if (starts_with_ci(line, n, "connection:")) {
            saw_close |= contains_ci(line + 11, n - 11, "close");
            saw_keep |= contains_ci(line + 11, n - 11, "keep-alive");
        } else if (starts_with_ci(line, n, "transfer-encoding:")) {
            r.chunked = 1;
        } else if (starts_with_ci(line, n, "content-length:")) {
            uint32_t j = 15, v = 0;
            while (j < n && line[j] == ' ') j++;
            if (j == n) r.valid = 0;
            for (; j < n && line[j] != ' '; j++) {
                if (line[j] < '0' || line[j] > '9' || v > 100000000u) {
                    r.valid = 0;
                    break;
                }
                v = v * 10 + (uint32_t)(line[j] - '0');
            }
            r.content_length = v;
        }
        i = end + 2;
    }
    r.keep_alive = saw_close ? 0 : (http10 ? saw_keep : 1);
    return r;
}

/* ---- connections ---------------------------------------------------------------------------- */

static void watch(int32_t fd, int op, uint32_t events) {
    wx_epoll_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.events = events;
    ev.fd = (uint32_t)fd;
    (void)epoll_ctl(epfd, op, fd, &ev);
}

static void drop(int32_t fd) {
    conns[fd]->open = 0;
    (void)fd_close(fd); /* also leaves the epoll set */
}

/* Closes after the last response: shut down the write side first, so the peer sees a clean end. */
static void finish(int32_t fd) {
    (void)sock_shutdown(fd, WX_SHUT_WR);
    drop(fd);
}

static void queue(conn_t *c, const char *p, uint32_t n) {
    memcpy(c->out + c->out_len, p, n);
    c->out_len += n;
}

/* Sends what is queued. Returns 0 when all of it left, 1 when the peer must drain first, -1 on error. */
static int flush(int32_t fd, conn_t *c) {
    while (c->out_off < c->out_len) {
        uint32_t left = c->out_len - c->out_off;
        wx_ciovec_t iov = {c->out + c->out_off, left};
        uint32_t nsent = 0;
        int32_t err = sock_send(fd, &iov, 1, 0, &nsent);
        if (err == WX_EAGAIN) return 1;
        if (err != 0 || nsent == 0 || nsent > left) return -1;
        c->out_off += nsent;
    }
    c->out_off = c->out_len = 0;
    return 0;
}

/* Answers every complete request in c->in; stops early when out[] has no room for another response.
 * Returns the number of bytes of c->in it consumed. */
static uint32_t parse_requests(conn_t *c) {
    uint32_t pos = 0;
    while (!c->closing) {
        if (c->skip > 0) { /* the body of the previous request */
            uint32_t take = c->in_len - pos < c->skip ? c->in_len - pos : c->skip;
            pos += take;
            c->skip -= take;
            if (c->skip > 0) break;
        }
        if (OUT_SIZE - c->out_len < sizeof OK_CLOSE) break; /* room for any one response */
        uint32_t end = head_end(c->in + pos, c->in_len - pos);
        if (end == 0) {
            if (pos == 0 && c->in_len == IN_SIZE) { /* a full buffer and still no end of head */
                queue(c, TOO_LARGE, sizeof TOO_LARGE - 1);
                c->closing = 1;
            }
            break;
        }
        head_t h = parse_head(c->in + pos, end);
        pos += end;
        if (!h.valid) {
            queue(c, BAD_REQUEST, sizeof BAD_REQUEST - 1);
            c->closing = 1;
        } else if (h.chunked) {
            queue(c, NOT_IMPLEMENTED, sizeof NOT_IMPLEMENTED - 1);
            c->closing = 1;
        } else if (h.keep_alive) {
            queue(c, OK_KEEP, sizeof OK_KEEP - 1);
            c->skip = h.content_length;
        } else {
            queue(c, OK_CLOSE, sizeof OK_CLOSE - 1);
            c->closing = 1;
        }
    }
    /* Keep the unparsed tail at the front of the buffer. */
    if (pos > 0) {
        uint32_t rest = c->in_len - pos;
        for (uint32_t i = 0; i < rest; i++) c->in[i] = c->in[pos + i];
        c->in_len = rest;
    }
    return pos;
}

/* Parses, answers and sends until nothing more can be done now; then waits for EPOLLIN, or for
 * EPOLLOUT when the peer has not taken everything yet. */
static void progress(int32_t fd, conn_t *c) {
    int stuck = 0;
    for (;;) {
        uint32_t consumed = parse_requests(c);
        int r = flush(fd, c);
        if (r < 0) {
            drop(fd);
            return;
        }
        if (r == 1) {
            stuck = 1;
            break;
        }
        if (c->closing) {
            finish(fd);
            return;
        }
        /* Go round again only when out[] filled up with complete requests still waiting in in[]. */
        if (consumed == 0 || c->in_len == 0) break;
    }
    if (stuck != c->want_out) {
        c->want_out = (uint8_t)stuck;
        /* While output is stuck, read nothing more: the peer has to drain what it asked for first. */
        watch(fd, WX_EPOLL_CTL_MOD, stuck ? WX_EPOLLOUT : WX_EPOLLIN);
    }
}

static void on_readable(int32_t fd, conn_t *c) {
    wx_iovec_t iov = {c->in + c->in_len, IN_SIZE - c->in_len};
    uint32_t nread = 0;
    uint16_t roflags = 0;
    int32_t err = sock_recv(fd, &iov, 1, 0, &nread, &roflags);
    if (err == WX_EAGAIN) return;
    if (err != 0 || nread == 0 || nread > IN_SIZE - c->in_len) { /* error or EOF */
        drop(fd);
        return;
    }
    c->in_len += nread;
    progress(fd, c);
}

static void accept_all(void) {
    for (;;) {
        int32_t fd = -1;
        wx_addr_port_t peer;
        int32_t err = sock_accept_v2(lfd, WX_FDFLAG_NONBLOCK, &fd, &peer);
        if (err == WX_EAGAIN) return;
        if (err != 0) {
            if (err == WX_EBADF || err == WX_ENOTSOCK || err == WX_EINVAL) fail("sock_accept_v2", err);
            return; /* transient (ECONNABORTED, EMFILE, ...): the listener stays readable if more wait */
        }
        if (fd < 0 || fd >= MAX_FDS) {
            (void)fd_close(fd);
            continue;
        }
        if (conns[fd] == NULL) {
            conns[fd] = wx_alloc(sizeof(conn_t));
            if (conns[fd] == NULL) {
                (void)fd_close(fd);
                continue;
            }
        }
        conn_t *c = conns[fd];
        c->in_len = c->out_off = c->out_len = c->skip = 0;
        c->closing = c->want_out = 0;
        c->open = 1;
        watch(fd, WX_EPOLL_CTL_ADD, WX_EPOLLIN);
    }
}

/* ---- start ---------------------------------------------------------------------------------- */

void _start(void) {
    uint32_t count = 0;
    char **env = NULL;
    const char *call = "";
    int32_t err = wx_load_environ(&count, &env, &call);
    if (err != 0) fail(call, err);

    uint16_t port = DEFAULT_PORT;
    const char *value = wx_env_find(env, count, "PORT");
    if (value != NULL && !wx_parse_port(value, &port)) bad_env("PORT", value, "1-65535");
    uint8_t ip[4] = {0, 0, 0, 0};
    value = wx_env_find(env, count, "HOST");
    if (value != NULL && !wx_parse_ipv4(value, ip)) bad_env("HOST", value, "an IPv4 address");

    err = sock_open(WX_AF_INET4, WX_SOCK_STREAM, WX_PROTO_DEFAULT, &lfd);
    if (err != 0) fail("sock_open", err);
    (void)sock_set_opt_flag(lfd, WX_OPT_REUSE_ADDR, 1);
    /* Whole responses leave in one send; with Nagle on, a response written while the previous one is
     * unacknowledged would wait for the peer's delayed ACK. Accepted sockets inherit it from the listener. */
    (void)sock_set_opt_flag(lfd, WX_OPT_NO_DELAY, 1);
    wx_addr_port_t addr;
    wx_addr_ipv4_in(&addr, ip[0], ip[1], ip[2], ip[3], port);
    if ((err = sock_bind(lfd, &addr)) != 0) fail("sock_bind", err);
    if ((err = sock_listen(lfd, LISTEN_BACKLOG)) != 0) fail("sock_listen", err);
    if ((err = fd_fdstat_set_flags(lfd, WX_FDFLAG_NONBLOCK)) != 0) fail("fd_fdstat_set_flags", err);
    if ((err = epoll_create(&epfd)) != 0) fail("epoll_create", err);
    watch(lfd, WX_EPOLL_CTL_ADD, WX_EPOLLIN);

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
                continue;
            }
            if (fd < 0 || fd >= MAX_FDS || conns[fd] == NULL || !conns[fd]->open) continue;
            conn_t *c = conns[fd];
            uint32_t ev = events[i].events;
            if (c->want_out) {
                if (ev & (WX_EPOLLOUT | WX_EPOLLERR | WX_EPOLLHUP)) progress(fd, c);
            } else if (ev & (WX_EPOLLIN | WX_EPOLLERR | WX_EPOLLHUP | WX_EPOLLRDHUP)) {
                on_readable(fd, c);
            }
        }
    }
}
