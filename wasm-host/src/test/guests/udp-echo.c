/*
 * udp-echo.c - test guest: a UDP echo server built on the WASIX socket imports (no libc).
 *
 *   udp-echo FAMILY COUNT [connected]
 *
 * FAMILY is 4 (binds 127.0.0.1) or 6 (binds ::1), on a port the kernel picks, which it prints as
 * "port N\n" on fd 1 so a test knows where to send. It then echoes COUNT datagrams, each back to
 * its sender with sock_recv_from / sock_send_to, and prints "echoed N bytes\n" for each.
 * With "connected", it answers only the first datagram that way: then it connects to that sender
 * and echoes the rest with fd_read / fd_write, which a connected UDP socket takes.
 * It closes the socket and exits 0. Any failing call: "udp-echo: <call> errno N\n" on fd 2, exit
 * 10 + min(N, 100). Bad arguments: a usage line on fd 2, exit 2.
 *
 * Build: scripts/build-guests.sh
 */
#include "../../../../appliance/src/main/guests/wasix.h"

#define GUEST_NAME "udp-echo"
#include "errno_exit.h"

#define BUF_SIZE 65536

static char buf[BUF_SIZE];

static _Noreturn void usage(void) {
    wx_write_str(2, "udp-echo: usage: udp-echo 4|6 COUNT [connected]\n");
    proc_exit(2);
}

static uint32_t parse_count(const char *s) {
    uint32_t v = 0;
    if (s == NULL || *s == '\0') usage();
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > 100000) usage();
        v = v * 10 + (uint32_t)(*s - '0');
    }
    return v;
}

static void echoed(uint32_t n) {
    wx_write_str(1, "echoed ");
    wx_write_u32(1, n);
    wx_write_str(1, " bytes\n");
}

void _start(void) {
    uint32_t argc = 0;
    char **argv = NULL;
    const char *call = "";
    int32_t err = wx_load_args(&argc, &argv, &call);
    if (err != 0) fail(call, err);
    if (argc < 3 || argv[1][1] != '\0' || (argv[1][0] != '4' && argv[1][0] != '6')) usage();
    int v6 = argv[1][0] == '6';
    uint32_t count = parse_count(argv[2]);
    int connected = argc > 3 && argv[3][0] == 'c';

    int32_t fd = -1;
    check("sock_open", sock_open(v6 ? WX_AF_INET6 : WX_AF_INET4, WX_SOCK_DGRAM, WX_PROTO_UDP, &fd));
    wx_addr_port_t addr;
    if (v6) {
        static const uint8_t LOOPBACK6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
        wx_addr_ipv6_in(&addr, LOOPBACK6, 0);
    } else {
        wx_addr_ipv4_in(&addr, 127, 0, 0, 1, 0);
    }
    check("sock_bind", sock_bind(fd, &addr));
    wx_addr_port_t local;
    check("sock_addr_local", sock_addr_local(fd, &local));
    wx_write_str(1, "port ");
    wx_write_u32(1, wx_addr_port_out(&local));
    wx_write_str(1, "\n");

    for (uint32_t i = 0; i < count; i++) {
        uint32_t n = 0;
        if (connected && i > 0) {
            wx_iovec_t in = {buf, BUF_SIZE};
            check("fd_read", fd_read(fd, &in, 1, &n));
            wx_ciovec_t out = {buf, n};
            uint32_t sent = 0;
            check("fd_write", fd_write(fd, &out, 1, &sent));
            if (sent != n) fail("fd_write", WX_EMSGSIZE); /* a datagram is all or nothing */
        } else {
            wx_iovec_t in = {buf, BUF_SIZE};
            uint16_t roflags = 0;
            wx_addr_port_t from;
            check("sock_recv_from", sock_recv_from(fd, &in, 1, 0, &n, &roflags, &from));
            if (roflags & WX_RO_DATA_TRUNCATED) fail("sock_recv_from", WX_EMSGSIZE); /* 64 KiB holds any */
            wx_addr_port_t to;
            wx_addr_reply(&to, &from);
            /* connected: before the answer, so whatever the peer sends once it has it finds us connected */
            if (connected) check("sock_connect", sock_connect(fd, &to));
            wx_ciovec_t out = {buf, n};
            uint32_t sent = 0;
            check("sock_send_to", sock_send_to(fd, &out, 1, 0, &to, &sent));
            if (sent != n) fail("sock_send_to", WX_EMSGSIZE);
        }
        echoed(n);
    }
    check("fd_close", fd_close(fd));
    proc_exit(0);
}
