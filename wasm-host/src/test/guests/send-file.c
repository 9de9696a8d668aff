/*
 * send-file.c - test guest: sock_send_file from a file on the preopened fd 3 to a TCP and a UDP peer
 * (no libc).
 *
 *   send-file TCP_PORT UDP_PORT
 *
 * Writes "data" = the 26 letters a..z, 4000 times over (104000 bytes), into fd 3's mount. Then:
 *   - connects to 127.0.0.1:TCP_PORT and sends the file from offset 10 to its end (count past the
 *     end), prints "tcp N" (N bytes sent) and the file position after it, "pos P";
 *   - sends it again from past its end: "tcp-eof N" (0);
 *   - sends bytes 0..29 as one datagram to a UDP socket connected to 127.0.0.1:UDP_PORT: "udp N";
 *   - checks the errors: a directory as the file (EISDIR), a socket as the file (EINVAL), a file as
 *     the socket (ENOTSOCK), a bad ret pointer (EFAULT): "errors ok".
 * Exits 0. Any unexpected result: "send-file: <what> errno N\n" on fd 2, exit 10 + min(N, 100).
 *
 * Build: scripts/build-guests.sh
 */
#include "../../../../appliance/src/main/guests/wasix.h"

#define GUEST_NAME "send-file"
#include "errno_exit.h"

WX_P1("path_open")
int32_t path_open(int32_t fd, int32_t dirflags, const char *path, int32_t path_len, int32_t oflags,
                  int64_t base, int64_t inheriting, int32_t fdflags, int32_t *ret_fd);
WX_P1("fd_tell") int32_t fd_tell(int32_t fd, uint64_t *ret);
WX_WASIX("sock_send_file")
int32_t sock_send_file(int32_t out_fd, int32_t in_fd, uint64_t offset, uint64_t count, uint64_t *ret_sent);

#define LEN 104000
static char data[LEN];

static void expect(const char *what, int32_t want, int32_t got) {
    if (want != got) fail(what, got);
}

static void print(const char *label, uint64_t v) {
    wx_write_str(1, label);
    wx_write_str(1, " ");
    wx_write_u32(1, (uint32_t)v);
    wx_write_str(1, "\n");
}

static uint16_t port_arg(char **argv, uint32_t argc, uint32_t i) {
    uint16_t port = 0;
    if (argc <= i || !wx_parse_port(argv[i], &port)) {
        wx_write_str(2, "send-file: usage: send-file TCP_PORT UDP_PORT\n");
        proc_exit(2);
    }
    return port;
}

static int32_t connected(int32_t type, uint16_t port) {
    int32_t fd = -1;
    check("sock_open", sock_open(WX_AF_INET4, type, 0, &fd));
    wx_addr_port_t a;
    wx_addr_ipv4_in(&a, 127, 0, 0, 1, port);
    check("sock_connect", sock_connect(fd, &a));
    return fd;
}

void _start(void) {
    uint32_t argc = 0;
    char **argv = NULL;
    const char *call = "";
    int32_t err = wx_load_args(&argc, &argv, &call);
    if (err != 0) fail(call, err);
    uint16_t tcp_port = port_arg(argv, argc, 1);
    uint16_t udp_port = port_arg(argv, argc, 2);

    for (uint32_t i = 0; i < LEN; i++) data[i] = (char)('a' + i % 26);
    int32_t file = -1;
    /* O_CREAT | O_TRUNC, rights: read, write, tell */
    check("path_open", path_open(3, 0, "data", 4, 1 | 8, (1 << 1) | (1 << 6) | (1 << 5), 0, 0, &file));
    check("fd_write", wx_write_all(file, data, LEN));

    uint64_t sent = 0, pos = 0;
    int32_t tcp = connected(WX_SOCK_STREAM, tcp_port);
    check("sock_send_file tcp", sock_send_file(tcp, file, 10, 1000000, &sent));
    print("tcp", sent);
    check("fd_tell", fd_tell(file, &pos));
    print("pos", pos);
    check("sock_send_file tcp-eof", sock_send_file(tcp, file, LEN + 5, 100, &sent));
    print("tcp-eof", sent);

    int32_t udp = connected(WX_SOCK_DGRAM, udp_port);
    check("sock_send_file udp", sock_send_file(udp, file, 0, 30, &sent));
    print("udp", sent);

    expect("a directory as the file", 31 /* EISDIR */, sock_send_file(tcp, 3, 0, 1, &sent));
    expect("a socket as the file", WX_EINVAL, sock_send_file(tcp, udp, 0, 1, &sent));
    expect("a file as the socket", WX_ENOTSOCK, sock_send_file(file, file, 0, 1, &sent));
    expect("a bad ret pointer", WX_EFAULT, sock_send_file(tcp, file, 0, 1, (uint64_t *)0xfffffff0u));
    wx_write_str(1, "errors ok\n");

    check("sock_shutdown", sock_shutdown(tcp, WX_SHUT_WR));
    check("fd_close", fd_close(tcp));
    check("fd_close", fd_close(udp));
    check("fd_close", fd_close(file));
    proc_exit(0);
}
