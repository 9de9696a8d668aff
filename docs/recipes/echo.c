/*
 * echo.c - recipe (a) of docs/guests.md: a TCP echo server in freestanding C, no libc, every
 * import declared by appliance/src/main/guests/wasix.h.
 *
 * It listens on PORT (default 7007) on all IPv4 addresses and serves one connection at a
 * time: whatever a client sends comes back, until the client shuts its side down; then the
 * server closes the connection and takes the next one.
 *
 * Build (from the repository's top directory):
 *   clang --target=wasm32-wasi -O2 -ffreestanding -nostdlib -Wl,--no-entry -Wl,--export=_start \
 *       -I appliance/src/main/guests -o echo.wasm docs/recipes/echo.c
 * Run:
 *   image/target/appliance/bin/appliance run echo.wasm
 * Try:
 *   printf 'hello\n' | nc -q1 127.0.0.1 7007     (or: nc -N 127.0.0.1 7007)
 */
#include "wasix.h"

#define DEFAULT_PORT 7007

static char buf[16384];

/* One line on stderr, then exit 1: the appliance's exit status is the guest's. */
static _Noreturn void fail(const char *call, int32_t err) {
    wx_write_str(2, "echo: ");
    wx_write_str(2, call);
    wx_write_str(2, " failed: errno ");
    wx_write_u32(2, (uint32_t)err);
    wx_write_str(2, "\n");
    proc_exit(1);
}

static uint16_t port_from_env(void) {
    uint32_t count = 0;
    char **env = NULL;
    const char *call = "";
    int32_t err = wx_load_environ(&count, &env, &call);
    if (err != 0) fail(call, err);
    uint16_t port = DEFAULT_PORT;
    const char *value = wx_env_find(env, count, "PORT");
    if (value != NULL && !wx_parse_port(value, &port)) {
        wx_write_str(2, "echo: PORT must be a number from 1 to 65535\n");
        proc_exit(2);
    }
    return port;
}

/* Sends all of buf[0..len); returns 0 or the errno. sock_send may take less than it is given. */
static int32_t send_all(int32_t fd, const char *p, uint32_t len) {
    while (len > 0) {
        wx_ciovec_t iov = {p, len};
        uint32_t sent = 0;
        int32_t err = sock_send(fd, &iov, 1, 0, &sent);
        if (err != 0) return err;
        p += sent;
        len -= sent;
    }
    return 0;
}

static void echo(int32_t fd) {
    for (;;) {
        wx_iovec_t iov = {buf, sizeof buf};
        uint32_t got = 0;
        uint16_t flags = 0;
        if (sock_recv(fd, &iov, 1, 0, &got, &flags) != 0 || got == 0) return; /* error, or the peer is done */
        if (send_all(fd, buf, got) != 0) return;
    }
}

void _start(void) {
    uint16_t port = port_from_env();

    int32_t listener = -1;
    int32_t err = sock_open(WX_AF_INET4, WX_SOCK_STREAM, WX_PROTO_TCP, &listener);
    if (err != 0) fail("sock_open", err);
    /* Without it, a restart within a minute finds the port still taken (TIME_WAIT). */
    (void)sock_set_opt_flag(listener, WX_OPT_REUSE_ADDR, 1);

    wx_addr_port_t addr;
    wx_addr_ipv4_in(&addr, 0, 0, 0, 0, port); /* an input address: the port goes in little-endian */
    err = sock_bind(listener, &addr);
    if (err != 0) fail("sock_bind", err);
    err = sock_listen(listener, 128);
    if (err != 0) fail("sock_listen", err);

    for (;;) {
        int32_t fd = -1;
        wx_addr_port_t peer; /* an output address: its port is big-endian (wx_addr_port_out) */
        err = sock_accept_v2(listener, 0, &fd, &peer);
        if (err == WX_EBADF || err == WX_ENOTSOCK || err == WX_EINVAL) fail("sock_accept_v2", err);
        if (err != 0) continue; /* a connection that failed before we took it */
        echo(fd);
        (void)fd_close(fd);
    }
}
