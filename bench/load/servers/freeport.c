/*
 * freeport.c - prints a TCP port that 127.0.0.1 can bind now: the first free one in [LO, HI] when
 * given, else one the kernel picks. Lets bench/load/run.sh start each server on a fresh port.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static int try_bind(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int got = -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0) {
        socklen_t len = sizeof a;
        getsockname(fd, (struct sockaddr *)&a, &len);
        got = ntohs(a.sin_port);
    }
    close(fd);
    return got;
}

int main(int argc, char **argv) {
    if (argc == 3) {
        for (int p = atoi(argv[1]); p <= atoi(argv[2]); p++) {
            if (try_bind(p) > 0) {
                printf("%d\n", p);
                return 0;
            }
        }
        fprintf(stderr, "freeport: no free port in %s-%s\n", argv[1], argv[2]);
        return 1;
    }
    int p = try_bind(0);
    if (p <= 0) return 1;
    printf("%d\n", p);
    return 0;
}
