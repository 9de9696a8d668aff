/*
 * serve.h - what bench/load's native servers share: the response the appliance's hello guest sends
 * ("Connection: close"), and the listening socket every one of them opens the same way (SO_REUSEADDR,
 * backlog 1024, on PORT [HOST]) so that no server's set-up differs from another's but for its loop.
 */
#ifndef SERVE_H
#define SERVE_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

static const char HELLO_CLOSE[] =
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Length: 13\r\n"
    "Connection: close\r\n"
    "\r\n"
    "Hello, World!";

/*
 * The listening socket for "PROG PORT [HOST]" (HOST default 127.0.0.1), of the given socket(2) type (with
 * SOCK_NONBLOCK for a server that polls). Exits with 2 on a usage error and 1 when bind or listen fails.
 */
static int listen_from_args(int argc, char **argv, int type) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s PORT [HOST]\n", argv[0]);
        exit(2);
    }
    int lfd = socket(AF_INET, type, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)atoi(argv[1]));
    if (inet_pton(AF_INET, argc > 2 ? argv[2] : "127.0.0.1", &a.sin_addr) != 1) exit(2);
    if (bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(lfd, 1024) != 0) {
        perror("bind/listen");
        exit(1);
    }
    return lfd;
}

#endif
