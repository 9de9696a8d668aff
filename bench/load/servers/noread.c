/*
 * noread.c - the native peer of the benchmark's hand-written WAT guest (bench/src/main/resources/guests/
 * noread.wat): for every connection, accept (no peer address), send one fixed response, shut the write side
 * down, close; the request is never read. Built with gcc by bench/load/run.sh.
 * Usage: noread PORT [HOST]  (HOST default 127.0.0.1)
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
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
    for (;;) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0) continue;
        (void)send(fd, RESPONSE, sizeof RESPONSE - 1, MSG_NOSIGNAL);
        shutdown(fd, SHUT_WR);
        close(fd);
    }
}
