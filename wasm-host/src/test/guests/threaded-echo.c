// build-guests: threads -Wl,--max-memory=8388608
/*
 * threaded-echo.c - test guest: a TCP echo server on three threads sharing their fds. The main thread
 * accepts and waits in epoll_wait; two workers take the connections that are readable from a queue (a futex
 * mutex and condition variable) and do the sock_recv and sock_send. Every connection is in the epoll set
 * with EPOLLONESHOT: the main thread hands it to a worker once readable, and the worker re-arms it, from its
 * own thread, when it has echoed all there was (EAGAIN), or closes it at the end of input.
 *
 *   PORT  environment variable: the port to listen on, 127.0.0.1 (default 0: one the kernel picks)
 *
 * Prints "port N" once listening, then runs until the host stops it.
 */
#define WX_MAX_THREADS 4
#include "wasix.h"
#include "wasix_threads.h"

WX_WASIX("sock_addr_local")
int32_t sock_addr_local(int32_t fd, wx_addr_port_t *ret_addr);

#define WORKERS 2
#define GUEST_NAME "threaded-echo"
#define QUEUE 8192 /* a power of two, more than the fds the guest can have at once */
#include "threaded_server.h"

static void worker(void *arg) {
    (void)arg;
    char buf[16384];
    for (;;) {
        int32_t fd = pop();
        for (;;) {
            wx_iovec_t iov = {buf, sizeof buf};
            uint32_t got = 0;
            uint16_t roflags = 0;
            int32_t err = sock_recv(fd, &iov, 1, 0, &got, &roflags);
            if (err == WX_EAGAIN) {
                arm(WX_EPOLL_CTL_MOD, fd); // all echoed: the main thread may hand it out again
                break;
            }
            if (err != 0 || got == 0 || send_all(fd, buf, got) != 0) {
                (void)fd_close(fd); // leaves the epoll set too
                break;
            }
        }
    }
}

/* A new connection: its one-shot interest in input. */
static void accepted(int32_t c) {
    arm(WX_EPOLL_CTL_ADD, c);
}

void _start(void) {
    uint32_t count = 0;
    char **env = 0;
    const char *failed = 0;
    int32_t err = wx_load_environ(&count, &env, &failed);
    if (err != 0) fail(failed, err);
    uint16_t port = 0;
    const char *p = wx_env_find(env, count, "PORT");
    if (p != NULL && !wx_parse_port(p, &port)) fail("PORT", WX_EINVAL);

    wx_addr_port_t addr;
    wx_addr_ipv4_in(&addr, 127, 0, 0, 1, port);
    int32_t lfd = listen_in_epoll(&addr);
    if ((err = sock_addr_local(lfd, &addr))) fail("sock_addr_local", err);
    for (int i = 0; i < WORKERS; i++) {
        uint32_t tid;
        if ((err = wx_thread_spawn(worker, 0, &tid))) fail("thread_spawn", err);
    }
    wx_write_str(1, "port ");
    wx_write_u32(1, wx_addr_port_out(&addr));
    wx_write_str(1, "\n");

    dispatch(lfd, accepted);
}
