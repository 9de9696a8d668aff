/*
 * keepalive.c - a bundled guest: a single-threaded HTTP/1.1 "Hello, World!" server that keeps
 * connections open and multiplexes all of them over one epoll set (WASIX epoll_*), no libc.
 *
 *   PORT  environment variable, 1..65535 (default 8080)
 *   HOST  environment variable, an IPv4 dotted quad to bind (default 0.0.0.0)
 *   HEADER_TIMEOUT  like nginx's client_header_timeout (default 10s): a request's head and body
 *         must arrive within it of its first byte (a new connection's first request: of the
 *         accept), and a peer that takes none of its output for that long is dropped. Past it the
 *         connection is closed without an answer, as nginx does.
 *   KEEPALIVE_TIMEOUT  like nginx's keepalive_timeout (default 30s): how long a connection may
 *         sit idle between requests before the guest closes it.
 *   Both in nginx's spelling: "500ms", "10s", "10" (seconds), at most 1 day.
 *   FD_TABLE_SIZE  the fds the guest keeps connections for, 16..8192 (default 8192; stdio, the
 *         listener and the epoll set take the first few). A connection whose fd is past it gets
 *         503 and a close (a short lingering close, so the 503 is not lost to a reset).
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
 * Timeouts are timers on two lists, one per timeout: a timer is always armed at now + the list's
 * one duration, so appending keeps each list in deadline order, and expiring looks only at the
 * heads (nginx keeps a tree; constant durations make lists enough). The clock is read once per
 * epoll_wait, whose timeout is the nearest deadline. A slowloris (2,000 connections sending a
 * byte now and then) is therefore dropped after HEADER_TIMEOUT instead of held for ever. At most
 * EXPIRE_BATCH timers expire between two epoll_waits, so closing a crowd of them does not keep
 * the guest from reading the requests of others (whose own timers run meanwhile).
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
#define DEFAULT_HEADER_TIMEOUT_MS 10000
#define DEFAULT_KEEPALIVE_TIMEOUT_MS 30000
#define MIN_FD_TABLE 16
/* Rejected connections (past the fd table) waiting for their peer to close after a 503. */
#define LINGER_MAX 64
#define LINGER_MS 1000
#define EXPIRE_BATCH 64

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
static const char UNAVAILABLE[] =
    "HTTP/1.1 503 Service Unavailable\r\n"
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
    uint8_t timer;        /* the list its timer is on: TIMER_NONE, TIMER_HEADER or TIMER_IDLE */
    int32_t prev, next;   /* neighbours on that list (fds), -1 at the ends */
    uint64_t deadline;    /* ms on the monotonic clock */
    uint32_t served;      /* requests answered so far */
    char in[IN_SIZE];
    char out[OUT_SIZE];
} conn_t;

/* Indexed by fd: fds take the lowest free number, so the table stays dense. Allocated on first use
 * and reused by the next connection that gets the same fd. */
static conn_t *conns[MAX_FDS];
static int32_t epfd = -1;
static int32_t lfd = -1;
static int32_t fd_table_size = MAX_FDS;
static uint32_t header_timeout_ms = DEFAULT_HEADER_TIMEOUT_MS;
static uint32_t keepalive_timeout_ms = DEFAULT_KEEPALIVE_TIMEOUT_MS;
/* The clock as read after the last epoll_wait: timers are armed from it. */
static uint64_t now_ms;

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

/* ---- timers ------------------------------------------------------------------------------- */

enum { TIMER_NONE = 0, TIMER_HEADER = 1, TIMER_IDLE = 2 };

typedef struct {
    int32_t head, tail;
} timer_list_t;

static timer_list_t timers[3] = {{-1, -1}, {-1, -1}, {-1, -1}};

static void timer_stop(int32_t fd) {
    conn_t *c = conns[fd];
    if (c->timer == TIMER_NONE) return;
    timer_list_t *l = &timers[c->timer];
    if (c->prev >= 0) conns[c->prev]->next = c->next; else l->head = c->next;
    if (c->next >= 0) conns[c->next]->prev = c->prev; else l->tail = c->prev;
    c->timer = TIMER_NONE;
    c->prev = c->next = -1;
}

/* (Re)arms fd's timer on list `which`, at now + that list's duration: the tail keeps the order. */
static void timer_arm(int32_t fd, uint8_t which) {
    timer_stop(fd);
    conn_t *c = conns[fd];
    timer_list_t *l = &timers[which];
    c->timer = which;
    c->deadline = now_ms + (which == TIMER_HEADER ? header_timeout_ms : keepalive_timeout_ms);
    c->prev = l->tail;
    c->next = -1;
    if (l->tail >= 0) conns[l->tail]->next = fd; else l->head = fd;
    l->tail = fd;
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
    timer_stop(fd);
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
            c->served++;
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

/* After an event: which timeout now applies. A peer that takes output, or a new request, gets a fresh
 * HEADER_TIMEOUT; bytes of a request already timed do not extend it (or a byte a minute would hold the
 * connection for ever); a connection with nothing pending waits KEEPALIVE_TIMEOUT from its last answer. */
static void retime(int32_t fd, conn_t *c, uint32_t served_before, int took_output) {
    if (c->want_out) {
        if (took_output || c->timer != TIMER_HEADER) timer_arm(fd, TIMER_HEADER);
    } else if (c->in_len == 0 && c->skip == 0) {
        if (c->timer != TIMER_IDLE || c->served != served_before) timer_arm(fd, TIMER_IDLE);
    } else if (c->timer != TIMER_HEADER || c->served != served_before) {
        timer_arm(fd, TIMER_HEADER);
    }
}

/* Expires passed timers, at most EXPIRE_BATCH; returns the nanoseconds until the next deadline (0 when
 * some passed ones are left for the next round), or -1 for none. */
static int64_t expire_timers(void);

/* ---- connections past the fd table: 503, then a lingering close ------------------------------ */

/* Ring of rejected fds, oldest first; each waits (bounded) for its peer's close so that our close
 * does not reset a connection whose request arrives after the 503, which would lose the 503. */
static struct {
    int32_t fd;
    uint64_t deadline;
} lingering[LINGER_MAX];
static uint32_t linger_first, linger_count;

static void linger_close_oldest(void) {
    (void)fd_close(lingering[linger_first].fd);
    linger_first = (linger_first + 1) % LINGER_MAX;
    linger_count--;
}

/* Reads and discards what is there; returns 1 when the peer has closed (or failed). */
static int discard_input(int32_t fd) {
    static char sink[1024];
    for (;;) {
        wx_iovec_t iov = {sink, sizeof sink};
        uint32_t nread = 0;
        uint16_t roflags = 0;
        int32_t err = sock_recv(fd, &iov, 1, 0, &nread, &roflags);
        if (err == WX_EAGAIN) return 0;
        if (err != 0 || nread == 0) return 1;
    }
}

static void reject(int32_t fd) {
    (void)discard_input(fd);
    wx_ciovec_t iov = {UNAVAILABLE, sizeof UNAVAILABLE - 1};
    uint32_t nsent = 0;
    (void)sock_send(fd, &iov, 1, 0, &nsent); /* non-blocking; 80 bytes fit any fresh socket buffer */
    (void)sock_shutdown(fd, WX_SHUT_WR);
    if (linger_count == LINGER_MAX) linger_close_oldest();
    uint32_t slot = (linger_first + linger_count) % LINGER_MAX;
    lingering[slot].fd = fd;
    lingering[slot].deadline = now_ms + LINGER_MS;
    linger_count++;
    watch(fd, WX_EPOLL_CTL_ADD, WX_EPOLLIN);
}

/* An event on a rejected fd: drain it, and close it once its peer has. Returns 0 if fd is not one. */
static int on_lingering(int32_t fd) {
    for (uint32_t i = 0; i < linger_count; i++) {
        uint32_t slot = (linger_first + i) % LINGER_MAX;
        if (lingering[slot].fd != fd) continue;
        if (discard_input(fd)) {
            (void)fd_close(fd);
            /* Close the gap: shift the younger entries one slot towards the oldest. */
            for (uint32_t j = i; j + 1 < linger_count; j++) {
                lingering[(linger_first + j) % LINGER_MAX] = lingering[(linger_first + j + 1) % LINGER_MAX];
            }
            linger_count--;
        }
        return 1;
    }
    return 0;
}

static int64_t expire_timers(void) {
    int64_t next = -1;
    uint32_t budget = EXPIRE_BATCH;
    for (uint8_t which = TIMER_HEADER; which <= TIMER_IDLE; which++) {
        while (timers[which].head >= 0) {
            int32_t fd = timers[which].head;
            conn_t *c = conns[fd];
            if (c->deadline > now_ms) {
                int64_t ns = (int64_t)(c->deadline - now_ms) * 1000000;
                if (next < 0 || ns < next) next = ns;
                break;
            }
            if (budget == 0) {
                next = 0;
                break;
            }
            budget--;
            drop(fd); /* unlinks its timer; the peer sees the close */
        }
    }
    while (linger_count > 0 && lingering[linger_first].deadline <= now_ms) linger_close_oldest();
    if (linger_count > 0) {
        int64_t ns = (int64_t)(lingering[linger_first].deadline - now_ms) * 1000000;
        if (next < 0 || ns < next) next = ns;
    }
    return next;
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
        if (fd < 0) continue;
        if (fd >= fd_table_size) {
            reject(fd);
            continue;
        }
        if (conns[fd] == NULL) {
            conns[fd] = wx_alloc(sizeof(conn_t));
            if (conns[fd] == NULL) { /* out of memory: as full as a full table */
                reject(fd);
                continue;
            }
        }
        conn_t *c = conns[fd];
        c->in_len = c->out_off = c->out_len = c->skip = 0;
        c->closing = c->want_out = 0;
        c->timer = TIMER_NONE;
        c->prev = c->next = -1;
        c->served = 0;
        c->open = 1;
        timer_arm(fd, TIMER_HEADER); /* the first request's head, as nginx times it */
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
    value = wx_env_find(env, count, "HEADER_TIMEOUT");
    if (value != NULL && !wx_parse_duration_ms(value, &header_timeout_ms)) bad_env("HEADER_TIMEOUT", value, "a duration like 10s or 500ms");
    value = wx_env_find(env, count, "KEEPALIVE_TIMEOUT");
    if (value != NULL && !wx_parse_duration_ms(value, &keepalive_timeout_ms)) bad_env("KEEPALIVE_TIMEOUT", value, "a duration like 30s or 500ms");
    value = wx_env_find(env, count, "FD_TABLE_SIZE");
    if (value != NULL) {
        uint16_t n = 0; /* wx_parse_port reads 1..65535, enough for 16..8192 */
        if (!wx_parse_port(value, &n) || n < MIN_FD_TABLE || n > MAX_FDS) bad_env("FD_TABLE_SIZE", value, "16-8192");
        fd_table_size = n;
    }

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
    now_ms = wx_now_ms();
    int64_t wait_ns = -1;
    for (;;) {
        int32_t n = 0;
        err = epoll_wait(epfd, events, MAX_EVENTS, wait_ns, &n);
        if (err != 0 && err != WX_EINTR) fail("epoll_wait", err);
        now_ms = wx_now_ms();
        for (int32_t i = 0; err == 0 && i < n; i++) {
            int32_t fd = (int32_t)events[i].fd;
            if (fd == lfd) {
                accept_all();
                continue;
            }
            if (fd < 0 || fd >= fd_table_size || conns[fd] == NULL || !conns[fd]->open) {
                (void)on_lingering(fd);
                continue;
            }
            conn_t *c = conns[fd];
            uint32_t ev = events[i].events;
            uint32_t served = c->served;
            int took_output = 0;
            if (c->want_out) {
                if (ev & (WX_EPOLLOUT | WX_EPOLLERR | WX_EPOLLHUP)) {
                    took_output = 1;
                    progress(fd, c);
                }
            } else if (ev & (WX_EPOLLIN | WX_EPOLLERR | WX_EPOLLHUP | WX_EPOLLRDHUP)) {
                on_readable(fd, c);
            }
            if (c->open) retime(fd, c, served, took_output);
        }
        wait_ns = expire_timers();
    }
}
