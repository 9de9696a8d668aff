/*
 * threaded_server.h - what our threaded epoll servers among the test and bench guests share
 * (wasm-host/src/test/guests/threaded-echo.c, bench/src/main/resources/guests/keepalive-threads.c): the main
 * thread waits in epoll_wait (dispatch) and pushes each readable connection on a queue; worker threads pop it,
 * serve it, and re-arm its one-shot interest from their own thread. A connection is queued at most once at a
 * time (its interest is EPOLLONESHOT), so the queue needs room for as many fds as the guest can have.
 *
 * Define before including it, after wasix.h and wasix_threads.h:
 *   GUEST_NAME  the guest's name, which starts its error messages
 *   QUEUE       the queue's size, a power of two at least the guest's fds
 * The guest sets epfd (epoll_create) before the first push or arm.
 *
 * scripts/build-guests.sh puts this directory on every C guest's include path.
 */
#ifndef WASIX_GUESTS_THREADED_SERVER_H
#define WASIX_GUESTS_THREADED_SERVER_H

static int32_t epfd;
static int32_t queue[QUEUE];
static uint32_t head, tail;
static wx_mutex_t queue_lock;
static wx_cond_t queue_filled;

/* Reports on stderr that a call failed, and ends the guest with 1. */
static _Noreturn void fail(const char *call, int32_t err) {
    wx_write_str(2, GUEST_NAME ": ");
    wx_write_str(2, call);
    wx_write_str(2, " failed: errno ");
    wx_write_u32(2, (uint32_t)err);
    wx_write_str(2, "\n");
    proc_exit(1);
}

/* Hands a readable connection to a worker. */
static void push(int32_t fd) {
    wx_mutex_lock(&queue_lock);
    queue[tail++ & (QUEUE - 1)] = fd;
    wx_cond_signal(&queue_filled);
    wx_mutex_unlock(&queue_lock);
}

/* A worker's next connection, waiting for one. */
static int32_t pop(void) {
    wx_mutex_lock(&queue_lock);
    while (head == tail) wx_cond_wait(&queue_filled, &queue_lock, -1);
    int32_t fd = queue[head++ & (QUEUE - 1)];
    wx_mutex_unlock(&queue_lock);
    return fd;
}

/* Adds (WX_EPOLL_CTL_ADD) or re-arms (WX_EPOLL_CTL_MOD) the connection's one-shot interest in input. */
static void arm(int32_t op, int32_t fd) {
    wx_epoll_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.events = WX_EPOLLIN | WX_EPOLLRDHUP | WX_EPOLLONESHOT;
    ev.fd = (uint32_t)fd;
    int32_t err = epoll_ctl(epfd, op, fd, &ev);
    if (err != 0) fail("epoll_ctl", err);
}

/*
 * Opens the listening socket on addr (SO_REUSEADDR, backlog 1024, non-blocking: the sockets it accepts inherit
 * that, as on wasmer) and the epoll set, epfd, with the listener in it (EPOLLIN). Returns the listener.
 */
static int32_t listen_in_epoll(wx_addr_port_t *addr) {
    int32_t lfd, err;
    if ((err = sock_open(WX_AF_INET4, WX_SOCK_STREAM, 0, &lfd))) fail("sock_open", err);
    if ((err = sock_set_opt_flag(lfd, WX_OPT_REUSE_ADDR, 1))) fail("sock_set_opt_flag", err);
    if ((err = sock_bind(lfd, addr))) fail("sock_bind", err);
    if ((err = sock_listen(lfd, 1024))) fail("sock_listen", err);
    if ((err = fd_fdstat_set_flags(lfd, WX_FDFLAG_NONBLOCK))) fail("fd_fdstat_set_flags", err);
    if ((err = epoll_create(&epfd))) fail("epoll_create", err);
    wx_epoll_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.events = WX_EPOLLIN;
    ev.fd = (uint32_t)lfd;
    if ((err = epoll_ctl(epfd, WX_EPOLL_CTL_ADD, lfd, &ev))) fail("epoll_ctl", err);
    return lfd;
}

/*
 * The main thread's loop, for ever: each readable connection goes on the queue for a worker; each connection
 * waiting on lfd is accepted and handed to accepted(fd), which arms it (arm(WX_EPOLL_CTL_ADD, fd)) or closes it.
 */
static _Noreturn void dispatch(int32_t lfd, void (*accepted)(int32_t fd)) {
    static wx_epoll_event_t events[256];
    for (;;) {
        int32_t n = 0, err;
        if ((err = epoll_wait(epfd, events, 256, -1, &n))) fail("epoll_wait", err);
        for (int32_t i = 0; i < n; i++) {
            int32_t fd = (int32_t)events[i].fd;
            if (fd != lfd) {
                push(fd);
                continue;
            }
            for (;;) {
                int32_t c;
                wx_addr_port_t peer;
                err = sock_accept_v2(lfd, WX_FDFLAG_NONBLOCK, &c, &peer);
                if (err == WX_EAGAIN) break;
                if (err != 0) fail("sock_accept_v2", err);
                accepted(c);
            }
        }
    }
}

/* Sends all of buf on a non-blocking socket: a full send buffer means a short wait. */
static int32_t send_all(int32_t fd, const char *buf, uint32_t len) {
    while (len > 0) {
        wx_ciovec_t iov = {buf, len};
        uint32_t sent = 0;
        int32_t err = sock_send(fd, &iov, 1, 0, &sent);
        if (err == WX_EAGAIN) {
            (void)thread_sleep(1000000);
            continue;
        }
        if (err != 0) return err;
        buf += sent;
        len -= sent;
    }
    return 0;
}

#endif
