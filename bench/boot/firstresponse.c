/*
 * Times exec -> first HTTP response of a server, then its RSS after boot and under load.
 *
 *   firstresponse PORT LOAD_SECONDS -- COMMAND [ARGS...]
 *
 * PORT 0 picks a free port. COMMAND gets it as $PORT, and "{port}" in any argument is replaced by it
 * (for `podman run -p 127.0.0.1:{port}:8080`): a fresh port per run, as a server that closes first leaves
 * TIME_WAIT behind on its port.
 * Forks, takes the clock, execs COMMAND (its stdout and stderr both go to our stderr, so that our stdout
 * carries nothing but the result line), and tries to connect to 127.0.0.1:PORT every 200 us, sending
 * "GET /" until a whole response status line and headers come back.
 * Then it reads VmRSS of the started pid (after boot), runs LOAD_SECONDS of close-per-request load from
 * 4 client processes while sampling the pid's VmRSS (peak under load), sends SIGTERM to that pid and
 * reaps it. One line on stdout: "first_response_ms=... cpu_boot_ms=... rss_boot_kb=... rss_load_kb=...
 * requests=...", where cpu_boot_ms is the user + system CPU the started pid had used at its first response
 * (10 ms ticks): on a busy machine, a steadier measure of what boot costs than the wall time; cpu_ms is the
 * CPU time it used from exec to its exit (for a container row, the engine client's, not the server's).
 * Single-threaded; our own code, built by bench/boot/run.sh with gcc.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char REQUEST[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* One request on a fresh connection: 1 when a response header block arrived, 0 when refused, -1 on a bad answer. */
static int one_request(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *) &a, sizeof a) != 0) {
        close(fd);
        return 0;
    }
    struct timeval tv = { .tv_sec = 5 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (send(fd, REQUEST, sizeof REQUEST - 1, MSG_NOSIGNAL) != (ssize_t) (sizeof REQUEST - 1)) {
        close(fd);
        return 0; /* a listener being set up can reset us: try again */
    }
    char buf[4096];
    size_t have = 0;
    int ok = 0;
    for (;;) {
        ssize_t n = recv(fd, buf + have, sizeof buf - 1 - have, 0);
        if (n <= 0) break;
        have += (size_t) n;
        buf[have] = 0;
        if (strstr(buf, "\r\n\r\n")) { ok = strncmp(buf, "HTTP/1.", 7) == 0 ? 1 : -1; break; }
        if (have == sizeof buf - 1) break;
    }
    close(fd);
    return ok == 0 && have == 0 ? 0 : ok;
}

static long rss_kb(pid_t pid) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int) pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    long kb = -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "VmRSS:", 6) == 0) { kb = strtol(line + 6, NULL, 10); break; }
    }
    fclose(f);
    return kb;
}

/* User + system CPU time of pid so far, in ms (fields 14 and 15 of /proc/PID/stat, counted after the
 * command name, which is in parentheses and may hold spaces); -1 when it cannot be read. */
static double cpu_ms(pid_t pid) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    unsigned long utime, stime;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2) return -1;
    return (utime + stime) * 1000.0 / sysconf(_SC_CLK_TCK);
}

static int free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET };
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *) &a, sizeof a) != 0 || getsockname(fd, (struct sockaddr *) &a, &len) != 0) {
        perror("firstresponse: free port");
        exit(2);
    }
    close(fd);
    return ntohs(a.sin_port);
}

/* argv with every "{port}" replaced by the port. */
static char **with_port(char **args, int port) {
    int n = 0;
    while (args[n]) n++;
    char **out = calloc((size_t) n + 1, sizeof *out);
    for (int i = 0; i < n; i++) {
        const char *at = strstr(args[i], "{port}");
        if (!at) { out[i] = args[i]; continue; }
        size_t len = strlen(args[i]) + 16;
        out[i] = malloc(len);
        snprintf(out[i], len, "%.*s%d%s", (int) (at - args[i]), args[i], port, at + 6);
    }
    return out;
}

int main(int argc, char **argv) {
    if (argc < 5 || strcmp(argv[3], "--") != 0) {
        fprintf(stderr, "usage: firstresponse PORT LOAD_SECONDS -- COMMAND [ARGS...]\n");
        return 2;
    }
    int port = atoi(argv[1]);
    if (port == 0) port = free_port();
    double load_s = atof(argv[2]);
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", port);
    setenv("PORT", portstr, 1);
    char **cmd = with_port(argv + 4, port);
    if (one_request(port) != 0) {
        fprintf(stderr, "firstresponse: something already answers on port %d\n", port);
        return 2;
    }
    double t0 = now_ms();
    pid_t pid = fork();
    if (pid == 0) {
        dup2(STDERR_FILENO, STDOUT_FILENO); /* our stdout carries the result line alone */
        execvp(cmd[0], cmd);
        perror("firstresponse: exec");
        _exit(127);
    }
    double first = -1;
    int status;
    while (now_ms() - t0 < 20000) {
        int r = one_request(port);
        if (r != 0) {
            if (r > 0) first = now_ms() - t0;
            break;
        }
        if (waitpid(pid, &status, WNOHANG) == pid) {
            fprintf(stderr, "firstresponse: %s exited before answering\n", argv[4]);
            return 1;
        }
        usleep(200);
    }
    if (first < 0) {
        fprintf(stderr, "firstresponse: no HTTP response from port %d\n", port);
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        return 1;
    }
    double boot_cpu = cpu_ms(pid); /* the CPU the boot cost, whatever else ran on the machine meanwhile */
    usleep(100 * 1000); /* let the boot settle: RSS "after boot" is read once the server is idle */
    long boot_rss = rss_kb(pid), load_rss = boot_rss;
    long requests = 0;
    if (load_s > 0) {
        enum { CLIENTS = 4 };
        int pipes[CLIENTS][2];
        pid_t kids[CLIENTS];
        for (int i = 0; i < CLIENTS; i++) {
            if (pipe(pipes[i]) != 0) return 1;
            kids[i] = fork();
            if (kids[i] == 0) {
                long n = 0;
                double end = now_ms() + load_s * 1000;
                while (now_ms() < end) if (one_request(port) > 0) n++;
                if (write(pipes[i][1], &n, sizeof n) != sizeof n) _exit(1);
                _exit(0);
            }
            close(pipes[i][1]);
        }
        double end = now_ms() + load_s * 1000;
        while (now_ms() < end) {
            long r = rss_kb(pid);
            if (r > load_rss) load_rss = r;
            usleep(50 * 1000);
        }
        for (int i = 0; i < CLIENTS; i++) {
            long n = 0;
            if (read(pipes[i][0], &n, sizeof n) == sizeof n) requests += n;
            waitpid(kids[i], &status, 0);
        }
    }
    kill(pid, SIGTERM);
    struct rusage ru = {0};
    int reaped = 0;
    for (int i = 0; i < 300 && !(reaped = wait4(pid, &status, WNOHANG, &ru) == pid); i++) usleep(10 * 1000);
    if (!reaped) { kill(pid, SIGKILL); wait4(pid, &status, 0, &ru); }
    double cpu = ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3 + ru.ru_stime.tv_sec * 1e3 + ru.ru_stime.tv_usec / 1e3;
    printf("port=%d first_response_ms=%.1f cpu_boot_ms=%.0f rss_boot_kb=%ld rss_load_kb=%ld requests=%ld cpu_ms=%.1f\n", port,
           first, boot_cpu, boot_rss, load_rss, requests, cpu);
    return 0;
}
