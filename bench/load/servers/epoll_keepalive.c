/*
 * epoll_keepalive.c - the native peer of the appliance's keepalive guest: one thread, one
 * level-triggered epoll set, non-blocking sockets, HTTP/1.1 keep-alive with pipelining (every
 * complete request head in a read is answered, the responses leave in one send), "Connection:
 * close" honoured. Built with gcc by bench/load/run.sh. Usage: epoll_keepalive PORT [HOST]
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "serve.h"

#define MAX_FDS 65536
#define IN_SIZE 8192
#define OUT_SIZE 16384

static const char OK_KEEP[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!";

typedef struct {
    size_t in_len, out_len, out_off;
    int closing, want_out;
    char in[IN_SIZE];
    char out[OUT_SIZE];
} conn_t;

static conn_t *conns[MAX_FDS];
static int ep;

/* "Connection: close" in the head (case-insensitive), or HTTP/1.0 without keep-alive. */
static int wants_close(const char *h, size_t len) {
    int close_hdr = 0, keep_hdr = 0, http10 = 0;
    const char *eol = memmem(h, len, "\r\n", 2);
    if (eol && eol - h >= 8 && memcmp(eol - 8, "HTTP/1.0", 8) == 0) http10 = 1;
    for (const char *p = h; p && p < h + len;) {
        const char *e = memmem(p, (size_t)(h + len - p), "\r\n", 2);
        if (!e) break;
        size_t n = (size_t)(e - p);
        if (n > 11 && strncasecmp(p, "connection:", 11) == 0) {
            for (size_t i = 11; i + 5 <= n; i++) {
                if (strncasecmp(p + i, "close", 5) == 0) close_hdr = 1;
                if (i + 10 <= n && strncasecmp(p + i, "keep-alive", 10) == 0) keep_hdr = 1;
            }
        }
        p = e + 2;
    }
    return close_hdr || (http10 && !keep_hdr);
}

static void drop(int fd) {
    close(fd); /* leaves the epoll set too */
}

static int flush(int fd, conn_t *c) {
    while (c->out_off < c->out_len) {
        ssize_t n = send(fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 1;
        if (n <= 0) return -1;
        c->out_off += (size_t)n;
    }
    c->out_off = c->out_len = 0;
    return 0;
}

static void progress(int fd, conn_t *c) {
    for (;;) {
        size_t pos = 0;
        while (!c->closing && OUT_SIZE - c->out_len >= sizeof HELLO_CLOSE) {
            char *end = memmem(c->in + pos, c->in_len - pos, "\r\n\r\n", 4);
            if (!end) break;
            size_t hlen = (size_t)(end + 4 - (c->in + pos));
            int cl = wants_close(c->in + pos, hlen);
            const char *r = cl ? HELLO_CLOSE : OK_KEEP;
            size_t rn = cl ? sizeof HELLO_CLOSE - 1 : sizeof OK_KEEP - 1;
            memcpy(c->out + c->out_len, r, rn);
            c->out_len += rn;
            c->closing = cl;
            pos += hlen;
        }
        if (pos > 0) {
            memmove(c->in, c->in + pos, c->in_len - pos);
            c->in_len -= pos;
        } else if (c->in_len == IN_SIZE) {
            drop(fd);
            return;
        }
        int r = flush(fd, c);
        if (r < 0) {
            drop(fd);
            return;
        }
        if (r == 1) {
            if (!c->want_out) {
                struct epoll_event ev = {.events = EPOLLOUT, .data.fd = fd};
                epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
                c->want_out = 1;
            }
            return;
        }
        if (c->closing) {
            shutdown(fd, SHUT_WR);
            drop(fd);
            return;
        }
        if (pos == 0 || c->in_len == 0) break;
    }
    if (c->want_out) {
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
        epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
        c->want_out = 0;
    }
}

int main(int argc, char **argv) {
    int lfd = listen_from_args(argc, argv, SOCK_STREAM | SOCK_NONBLOCK);
    ep = epoll_create1(0);
    struct epoll_event lev = {.events = EPOLLIN, .data.fd = lfd};
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev);
    static struct epoll_event events[256];
    for (;;) {
        int n = epoll_wait(ep, events, 256, -1);
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            if (fd == lfd) {
                int c;
                while ((c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    if (c >= MAX_FDS) {
                        close(c);
                        continue;
                    }
                    if (!conns[c] && !(conns[c] = malloc(sizeof(conn_t)))) {
                        close(c);
                        continue;
                    }
                    conns[c]->in_len = conns[c]->out_len = conns[c]->out_off = 0;
                    conns[c]->closing = conns[c]->want_out = 0;
                    struct epoll_event ev = {.events = EPOLLIN, .data.fd = c};
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
                }
                continue;
            }
            conn_t *c = conns[fd];
            if (c->want_out) {
                progress(fd, c);
                continue;
            }
            ssize_t r = recv(fd, c->in + c->in_len, IN_SIZE - c->in_len, 0);
            if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) continue;
            if (r <= 0) {
                drop(fd);
                continue;
            }
            c->in_len += (size_t)r;
            progress(fd, c);
        }
    }
}
