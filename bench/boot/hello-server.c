/*
 * The native peer of the boot benchmark: a blocking HTTP/1.1 hello server, one connection at a time
 * (accept, read the request head, send, shutdown, close), answering what the appliance's hello guest
 * answers. Port from PORT (default 8080), bound on 0.0.0.0 like the guest. Our own code, built by
 * bench/boot/run.sh with gcc (also statically, as the trivial binary that times the container engine).
 */
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char RESPONSE[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n"
                               "Connection: close\r\n\r\nHello, World!";

static void stop(int sig) { (void) sig; _exit(0); }

int main(void) {
    signal(SIGTERM, stop); /* as PID 1 in a container, the default action would be ignored */
    signal(SIGINT, stop);
    signal(SIGPIPE, SIG_IGN);
    const char *p = getenv("PORT");
    int port = p ? atoi(p) : 8080;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_ANY) };
    if (bind(fd, (struct sockaddr *) &a, sizeof a) != 0 || listen(fd, 1024) != 0) return 1;
    char buf[4096];
    for (;;) {
        int c = accept(fd, NULL, NULL);
        if (c < 0) continue;
        size_t have = 0;
        while (have < sizeof buf - 1) { /* the request head, as the guest reads it */
            ssize_t n = recv(c, buf + have, sizeof buf - 1 - have, 0);
            if (n <= 0) break;
            have += (size_t) n;
            buf[have] = 0;
            if (strstr(buf, "\r\n\r\n")) break;
        }
        send(c, RESPONSE, sizeof RESPONSE - 1, MSG_NOSIGNAL);
        shutdown(c, SHUT_WR);
        close(c);
    }
}
