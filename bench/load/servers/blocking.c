/*
 * blocking.c - the native peer of the appliance's hello guest: the same single-threaded loop
 * (accept, read the request head, send, shutdown the write side, close), in plain C on Linux.
 * Built with gcc by bench/load/run.sh. Usage: blocking PORT [HOST]  (HOST default 127.0.0.1)
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char RESPONSE[] =
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Length: 13\r\n"
    "Connection: close\r\n"
    "\r\n"
    "Hello, World!";

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s PORT [HOST]\n", argv[0]);
        return 2;
    }
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)atoi(argv[1]));
    if (inet_pton(AF_INET, argc > 2 ? argv[2] : "127.0.0.1", &a.sin_addr) != 1) return 2;
    if (bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(lfd, 1024) != 0) {
        perror("bind/listen");
        return 1;
    }
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
            const char *p = RESPONSE;
            size_t left = sizeof RESPONSE - 1;
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
