/*
 * bounded-io.c - test guest: one send or receive whose iovecs add up to ~2 GiB, on a loopback connection
 * to itself, for a host run with little heap and direct memory (image's BoundedIoIT).
 *
 *   bounded-io send   non-blocking sends of 31 overlapping 64 MiB iovecs, each answered with a partial
 *                     count, drained by the other end, until 256 MiB went through; prints "sent=N received=M"
 *   bounded-io waitall the peer sends "hi" and shuts down; a WAITALL receive into 31 overlapping 64 MiB
 *                     iovecs returns what came; prints "waitall=2"
 *
 * A host that buffers the whole send, or allocates the whole WAITALL request, runs out of memory.
 * Any failing call: "bounded-io: <call> errno N\n" on fd 2, exit 10 + min(N, 100). Bad usage: exit 2.
 *
 * Build: scripts/build-guests.sh
 */
#include "../../../../appliance/src/main/guests/wasix.h"

#define GUEST_NAME "bounded-io"
#include "errno_exit.h"

WX_WASIX("sock_addr_local") int32_t sock_addr_local(int32_t fd, wx_addr_port_t *ret);

#define VECS 31
#define PAGES 1024u /* 64 MiB */

static char drain_buf[65536];

static void say(const char *label, uint32_t v) {
    wx_write_str(1, label);
    wx_write_u32(1, v);
}

void _start(void) {
    uint32_t argc = 0;
    char **argv = NULL;
    const char *call = "";
    check(call, wx_load_args(&argc, &argv, &call));
    int send_mode = argc >= 2 && argv[1][0] == 's';
    if (argc < 2 || (!send_mode && argv[1][0] != 'w')) {
        wx_write_str(2, "bounded-io: usage: bounded-io send|waitall\n");
        proc_exit(2);
    }

    int32_t l = -1, cl = -1, sv = -1;
    wx_addr_port_t addr;
    wx_addr_ipv4_in(&addr, 127, 0, 0, 1, 0);
    check("sock_open", sock_open(WX_AF_INET4, WX_SOCK_STREAM, WX_PROTO_DEFAULT, &l));
    check("sock_bind", sock_bind(l, &addr));
    check("sock_listen", sock_listen(l, 4));
    wx_addr_port_t local;
    check("sock_addr_local", sock_addr_local(l, &local));
    wx_addr_ipv4_in(&addr, 127, 0, 0, 1, wx_addr_port_out(&local));
    check("sock_open", sock_open(WX_AF_INET4, WX_SOCK_STREAM, WX_PROTO_DEFAULT, &cl));
    check("sock_connect", sock_connect(cl, &addr));
    check("sock_accept_v2", sock_accept_v2(l, 0, &sv, &local));

    uint32_t base = (uint32_t)__builtin_wasm_memory_size(0) * 65536u;
    if (__builtin_wasm_memory_grow(0, PAGES) == (__SIZE_TYPE__)-1) fail("memory.grow", 48);
    static wx_ciovec_t vecs[VECS];
    for (int i = 0; i < VECS; i++) {
        vecs[i].buf = (const void *)base;
        vecs[i].buf_len = PAGES * 65536u - 1;
    }

    uint32_t n = 0;
    if (send_mode) {
        check("fd_fdstat_set_flags", fd_fdstat_set_flags(cl, WX_FDFLAG_NONBLOCK));
        check("fd_fdstat_set_flags", fd_fdstat_set_flags(sv, WX_FDFLAG_NONBLOCK));
        uint32_t sent = 0, received = 0;
        while (received < (256u << 20)) {
            int32_t err = sock_send(cl, vecs, VECS, 0, &n);
            if (err == 0) {
                sent += n;
            } else if (err != WX_EAGAIN) {
                fail("sock_send", err);
            }
            for (;;) {
                wx_iovec_t v = {drain_buf, sizeof drain_buf};
                uint16_t ro;
                err = sock_recv(sv, &v, 1, 0, &n, &ro);
                if (err == WX_EAGAIN) break;
                check("sock_recv", err);
                received += n;
            }
        }
        say("sent=", sent);
        say(" received=", received);
        wx_write_str(1, "\n");
    } else {
        wx_ciovec_t hi = {"hi", 2};
        check("sock_send", sock_send(cl, &hi, 1, 0, &n));
        check("sock_shutdown", sock_shutdown(cl, 2));
        uint16_t ro;
        check("sock_recv", sock_recv(sv, (const wx_iovec_t *)vecs, VECS, 2 /* WAITALL */, &n, &ro));
        say("waitall=", n);
        wx_write_str(1, "\n");
    }
    proc_exit(0);
}
