/*
 * echo-client.c - test guest: a TCP client built on the WASIX socket imports (no libc).
 *
 *   echo-client PORT [HOST]
 *
 * Connects to HOST:PORT (127.0.0.1 without HOST), sends "ping\n", shuts down its write side (so an
 * echo server that waits for EOF also finishes), reads until EOF and writes everything it read to
 * fd 1, closes the socket and exits 0. HOST is looked up with WASIX resolve (a numeric address,
 * IPv4 or IPv6, is its own answer), and the first address it answers is used.
 * Any failing call: "echo-client: <call> errno N\n" on fd 2, exit 10 + min(N, 100).
 * Missing / invalid PORT argument: a usage line on fd 2, exit 2.
 *
 * Build: scripts/build-guests.sh
 */
#include "../../../../appliance/src/main/guests/wasix.h"

#define GUEST_NAME "echo-client"
#include "errno_exit.h"

#define BUF_SIZE 65536

static char buf[BUF_SIZE];

/* resolve's entries, as wasix-libc reads them: family u8 at 0, 0 at 1, the address from 2. */
typedef struct {
    uint8_t family;
    uint8_t pad;
    uint8_t addr[16];
} resolved_t;
_Static_assert(sizeof(resolved_t) == 18, "resolve entries are 18 bytes");

WX_WASIX("resolve")
int32_t resolve(const char *host, uint32_t host_len, int32_t port, resolved_t *addrs, uint32_t n, uint32_t *ret_n);

static void flush(uint32_t len) {
    if (len > 0) check("fd_write", wx_write_all(1, buf, len));
}

void _start(void) {
    uint32_t argc = 0;
    char **argv = NULL;
    const char *call = "";
    int32_t err = wx_load_args(&argc, &argv, &call);
    if (err != 0) fail(call, err);

    uint16_t port = 0;
    if (argc < 2 || !wx_parse_port(argv[1], &port)) {
        wx_write_str(2, "echo-client: usage: echo-client PORT (1-65535) [HOST]\n");
        proc_exit(2);
    }

    wx_addr_port_t addr;
    wx_addr_ipv4_in(&addr, 127, 0, 0, 1, port);
    if (argc >= 3) {
        resolved_t found[4];
        uint32_t n = 0;
        check("resolve", resolve(argv[2], (uint32_t)strlen(argv[2]), port, found, 4, &n));
        if (n == 0) fail("resolve", WX_EINVAL); /* an answer with no address */
        addr.family = found[0].family;
        memcpy(addr.addr, found[0].addr, 16);
    }

    int32_t fd = -1;
    check("sock_open", sock_open(addr.family, WX_SOCK_STREAM, WX_PROTO_DEFAULT, &fd));
    check("sock_connect", sock_connect(fd, &addr));

    static const char PING[] = "ping\n";
    const char *p = PING;
    uint32_t left = sizeof PING - 1;
    while (left > 0) {
        wx_ciovec_t iov = {p, left};
        uint32_t nsent = 0;
        check("sock_send", sock_send(fd, &iov, 1, 0, &nsent));
        if (nsent == 0 || nsent > left) fail("sock_send", WX_EFAULT); /* no progress */
        p += nsent;
        left -= nsent;
    }
    check("sock_shutdown", sock_shutdown(fd, WX_SHUT_WR));

    uint32_t len = 0;
    for (;;) {
        if (len == BUF_SIZE) {
            flush(len);
            len = 0;
        }
        wx_iovec_t iov = {buf + len, BUF_SIZE - len};
        uint32_t nread = 0;
        uint16_t roflags = 0;
        check("sock_recv", sock_recv(fd, &iov, 1, 0, &nread, &roflags));
        if (nread == 0) break; /* EOF */
        if (nread > BUF_SIZE - len) fail("sock_recv", WX_EFAULT);
        len += nread;
    }
    flush(len);

    check("fd_close", fd_close(fd));
    proc_exit(0);
}
