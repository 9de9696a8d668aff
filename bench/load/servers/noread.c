/*
 * noread.c - the native peer of the benchmark's hand-written WAT guest (bench/src/main/resources/guests/
 * noread.wat): for every connection, accept (no peer address), send one fixed response, shut the write side
 * down, close; the request is never read. Built with gcc by bench/load/run.sh.
 * Usage: noread PORT [HOST]  (HOST default 127.0.0.1)
 */
#include <sys/socket.h>
#include <unistd.h>

#include "serve.h"

int main(int argc, char **argv) {
    int lfd = listen_from_args(argc, argv, SOCK_STREAM);
    for (;;) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0) continue;
        (void)send(fd, HELLO_CLOSE, sizeof HELLO_CLOSE - 1, MSG_NOSIGNAL);
        shutdown(fd, SHUT_WR);
        close(fd);
    }
}
