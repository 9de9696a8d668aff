/*
 * hello.c - the appliance's bundled default guest: a single-threaded, blocking HTTP/1.1
 * "Hello, World!" server written directly against the WASIX socket imports (no libc).
 *
 *   PORT  environment variable, 1..65535 (default 8080); anything else -> one line on
 *         stderr and proc_exit(2).
 *   HOST  environment variable, an IPv4 dotted quad to bind (default 0.0.0.0), so a benchmark
 *         can keep the server on loopback; anything else -> one line on stderr and proc_exit(2).
 *   HEADER_TIMEOUT  how long a connection may wait to send the first bytes of its request, then
 *         the rest of its head, and how long it may take to take the response: "2s" by default,
 *         in nginx's spelling ("500ms", "3s", "3"); anything else -> one line on stderr and
 *         proc_exit(2).
 *
 * Every connection: read until the end of the request head ("

"), EOF, an error, a
 * full 8 KiB buffer or a timeout; answer 200 only when a complete head arrived; shut down the
 * write side; close. The server answers one connection at a time, so the timeout bounds what one
 * slow client (say, a byte a second) costs every other: at most twice HEADER_TIMEOUT, where it
 * used to hold the server until its 8 KiB were in. The timeouts are the listener's receive and
 * send timeouts, which accepted sockets inherit, so a head that arrives in one piece costs no
 * extra call; only a head that comes in pieces reads the clock, and shortens the receive timeout
 * to what is left of HEADER_TIMEOUT since its first piece. A failure on one connection closes
 * that connection only. A failure while setting up the listener prints "hello: <call> failed:
 * <errno name>" (as the host names it: EADDRINUSE) on stderr and exits 1. Otherwise the guest
 * stays silent (the host prints its own boot line).
 *
 * Build: scripts/build-guests.sh
 */
#include "wasix.h"

#define DEFAULT_PORT 8080
#define LISTEN_BACKLOG 1024
#define REQ_BUF_SIZE 8192
#define DEFAULT_HEADER_TIMEOUT_MS 2000

static const char RESPONSE[] =
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Length: 13\r\n"
    "Connection: close\r\n"
    "\r\n"
    "Hello, World!";

static char req_buf[REQ_BUF_SIZE];

static _Noreturn void fail(const char *call, int32_t err) {
    wx_write_str(2, "hello: ");
    wx_write_str(2, call);
    wx_write_str(2, " failed: ");
    wx_write_errno(2, err);
    wx_write_str(2, "\n");
    proc_exit(1);
}

static uint32_t env_count;
static char **env;

static void load_env(void) {
    const char *call = "";
    int32_t err = wx_load_environ(&env_count, &env, &call);
    if (err != 0) fail(call, err);
}

static void host_from_env(uint8_t ip[4]) {
    const char *value = wx_env_find(env, env_count, "HOST");
    if (value == NULL) return;
    if (!wx_parse_ipv4(value, ip)) {
        wx_write_str(2, "hello: invalid HOST (want an IPv4 address like 127.0.0.1)\n");
        proc_exit(2);
    }
}

static uint32_t header_timeout_ms = DEFAULT_HEADER_TIMEOUT_MS;

static void timeout_from_env(void) {
    const char *value = wx_env_find(env, env_count, "HEADER_TIMEOUT");
    if (value != NULL && !wx_parse_duration_ms(value, &header_timeout_ms)) {
        wx_write_str(2, "hello: invalid HEADER_TIMEOUT (want a duration like 2s or 500ms, at most 1 day)\n");
        proc_exit(2);
    }
}

static uint16_t port_from_env(void) {
    const char *value = wx_env_find(env, env_count, "PORT");
    if (value == NULL) return DEFAULT_PORT;

    uint16_t port = 0;
    if (!wx_parse_port(value, &port)) {
        /* One line: quote at most 32 characters, non-printables replaced by '?'. */
        char shown[32];
        uint32_t n = 0;
        for (; value[n] != '\0' && n < sizeof shown; n++) {
            char c = value[n];
            shown[n] = (c >= 0x20 && c < 0x7f) ? c : '?';
        }
        wx_write_str(2, "hello: invalid PORT \"");
        (void)wx_write_all(2, shown, n);
        wx_write_str(2, value[n] != '\0' ? "...\" (want 1-65535)\n" : "\" (want 1-65535)\n");
        proc_exit(2);
    }
    return port;
}

/* Does buf[0..len) contain "\r\n\r\n" at or after `from`? */
static int head_complete(const char *buf, uint32_t from, uint32_t len) {
    for (uint32_t i = from; i + 4 <= len; i++) {
        if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' && buf[i + 3] == '\n') {
            return 1;
        }
    }
    return 0;
}

static void serve(int32_t fd) {
    uint32_t len = 0;
    int complete = 0;
    uint64_t deadline = 0; /* set once the head turns out to come in pieces */
    while (!complete && len < REQ_BUF_SIZE) {
        if (len > 0) {
            /* Not the first read: the rest of the head has header_timeout_ms from the first
             * piece, not that much per piece. */
            uint64_t now = wx_now_ms();
            if (deadline == 0) deadline = now + header_timeout_ms;
            if (now >= deadline) return;
            if (wx_set_timeout_ms(fd, WX_OPT_RECV_TIMEOUT, (uint32_t)(deadline - now)) != 0) return;
        }
        wx_iovec_t iov = {req_buf + len, REQ_BUF_SIZE - len};
        uint32_t nread = 0;
        uint16_t roflags = 0;
        if (sock_recv(fd, &iov, 1, 0, &nread, &roflags) != 0) break; /* EAGAIN: timed out */
        if (nread == 0 || nread > REQ_BUF_SIZE - len) break; /* EOF (or nonsense) */
        uint32_t from = len >= 3 ? len - 3 : 0;               /* the marker may straddle reads */
        len += nread;
        complete = head_complete(req_buf, from, len);
    }
    if (!complete) return;

    const char *p = RESPONSE;
    uint32_t left = sizeof RESPONSE - 1;
    while (left > 0) {
        wx_ciovec_t iov = {p, left};
        uint32_t nsent = 0;
        if (sock_send(fd, &iov, 1, 0, &nsent) != 0) return;
        if (nsent == 0 || nsent > left) return; /* no progress: give up on this connection */
        p += nsent;
        left -= nsent;
    }
}

void _start(void) {
    load_env();
    uint16_t port = port_from_env();
    uint8_t ip[4] = {0, 0, 0, 0};
    host_from_env(ip);
    timeout_from_env();

    int32_t lfd = -1;
    int32_t err = sock_open(WX_AF_INET4, WX_SOCK_STREAM, WX_PROTO_DEFAULT, &lfd);
    if (err != 0) fail("sock_open", err);

    /* Best effort: a host without SO_REUSEADDR can still serve. A response leaves in one send, so Nagle
     * only delays it; accepted sockets inherit TCP_NODELAY from the listener, as on Linux. */
    (void)sock_set_opt_flag(lfd, WX_OPT_REUSE_ADDR, 1);
    (void)sock_set_opt_flag(lfd, WX_OPT_NO_DELAY, 1);
    /* Inherited by every accepted socket, as on Linux; they bound each receive and send. */
    err = wx_set_timeout_ms(lfd, WX_OPT_RECV_TIMEOUT, header_timeout_ms);
    if (err != 0) fail("sock_set_opt_time", err);
    err = wx_set_timeout_ms(lfd, WX_OPT_SEND_TIMEOUT, header_timeout_ms);
    if (err != 0) fail("sock_set_opt_time", err);

    wx_addr_port_t addr;
    wx_addr_ipv4_in(&addr, ip[0], ip[1], ip[2], ip[3], port);
    err = sock_bind(lfd, &addr);
    if (err != 0) fail("sock_bind", err);

    err = sock_listen(lfd, LISTEN_BACKLOG);
    if (err != 0) fail("sock_listen", err);

    for (;;) {
        int32_t fd = -1;
        wx_addr_port_t peer;
        err = sock_accept_v2(lfd, 0, &fd, &peer);
        if (err != 0) {
            /* These mean the listener itself is unusable: retrying would only spin. */
            if (err == WX_EBADF || err == WX_ENOTSOCK || err == WX_EINVAL) fail("sock_accept_v2", err);
            continue; /* transient (ECONNABORTED, EINTR, EMFILE, ...) */
        }
        serve(fd);
        (void)sock_shutdown(fd, WX_SHUT_WR); /* bitmask: 2 = write side */
        (void)fd_close(fd);
    }
}
