/*
 * client.c - opens N keep-alive connections to 127.0.0.1:PORT, sends one request on each and reads its
 * response, then holds them all idle until it reads a line on stdin (or stdin closes), and closes them.
 * Prints "open N" once every connection has had its response. Built by bench/idle-memory/run.sh.
 * Usage: client PORT N
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char REQUEST[] = "GET / HTTP/1.1\r\nHost: idle\r\n\r\n";

/* Reads one response: its head up to the blank line, then Content-Length bytes of body. */
static int read_response(int fd) {
    char buf[1024];
    size_t len = 0;
    for (;;) {
        ssize_t n = recv(fd, buf + len, sizeof buf - 1 - len, 0);
        if (n <= 0) return -1;
        len += (size_t)n;
        buf[len] = 0;
        char *end = strstr(buf, "\r\n\r\n");
        if (end != NULL) {
            char *cl = strstr(buf, "Content-Length: ");
            size_t body = cl != NULL ? (size_t)atoi(cl + 16) : 0;
            if (len >= (size_t)(end + 4 - buf) + body) return 0;
        }
        if (len == sizeof buf - 1) return -1;
    }
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s PORT N\n", argv[0]);
        return 2;
    }
    int n = atoi(argv[2]);
    int *fds = calloc((size_t)n, sizeof *fds);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)atoi(argv[1]));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < n; i++) {
        fds[i] = socket(AF_INET, SOCK_STREAM, 0);
        if (fds[i] < 0 || connect(fds[i], (struct sockaddr *)&a, sizeof a) != 0) {
            perror("connect");
            return 1;
        }
        if (send(fds[i], REQUEST, sizeof REQUEST - 1, 0) != (ssize_t)(sizeof REQUEST - 1) || read_response(fds[i]) != 0) {
            fprintf(stderr, "connection %d: no response\n", i);
            return 1;
        }
    }
    printf("open %d\n", n);
    fflush(stdout);
    char line[16];
    (void)fgets(line, sizeof line, stdin);
    for (int i = 0; i < n; i++) close(fds[i]);
    return 0;
}
