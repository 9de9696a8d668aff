/*
 * blocking.c - the native peer of the appliance's hello guest: the same single-threaded loop
 * (accept, read the request head, send, shutdown the write side, close), in plain C on Linux.
 * Built with gcc by bench/load/run.sh. Usage: blocking PORT [HOST]  (HOST default 127.0.0.1)
 */
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "serve.h"

int main(int argc, char **argv) {
    int lfd = listen_from_args(argc, argv, SOCK_STREAM);
    static char buf[8192];
    for (;;) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0) continue;
        size_t len = 0;
        int complete = 0;
        while (!complete && len < sizeof buf) {
            ssize_t n = recv(fd, buf + len, sizeof buf - len, 0);
            if (n <= 0) break;
            size_t from = len >= 3 ? len - 3 : 0; /* the marker may straddle reads */
            len += (size_t)n;
            for (size_t i = from; i + 4 <= len; i++) {
                if (memcmp(buf + i, "\r\n\r\n", 4) == 0) {
                    complete = 1;
                    break;
                }
            }
        }
        if (complete) {
            const char *p = HELLO_CLOSE;
            size_t left = sizeof HELLO_CLOSE - 1;
            while (left > 0) {
                ssize_t n = send(fd, p, left, MSG_NOSIGNAL);
                if (n <= 0) break;
                p += n;
                left -= (size_t)n;
            }
        }
        shutdown(fd, SHUT_WR);
        close(fd);
    }
}
