// build-guests: wasi-libc -Wl,--strip-debug
/*
 * fileserver.c - recipe (b) of docs/guests.md: C on wasi-libc (stdio, files, getenv), with
 * the sockets from appliance/src/main/guests/wasix.h, which wasi-libc does not have.
 *
 * An HTTP/1.1 server for the files under a directory the appliance preopens: GET /a/b.txt
 * answers the file /site/a/b.txt (argv[1] replaces /site), 404 when there is none. It listens
 * on PORT (default 8080) and prints one line per request on stdout: "GET /a/b.txt 200 12".
 *
 * Build (from the repository's top directory; needs clang, lld, wasi-libc and
 * libclang-rt-14-dev-wasm32):
 *   clang --target=wasm32-wasi --sysroot=/usr -O2 -I appliance/src/main/guests \
 *       -o fileserver.wasm docs/recipes/fileserver.c
 * Run, serving ./site:
 *   image/target/appliance/bin/appliance run --dir ./site::/site fileserver.wasm
 * Try:
 *   curl http://127.0.0.1:8080/index.html
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* wasix.h's declarations only: wasi-libc already has memcpy, strlen and the rest. */
#define WASIX_NO_HELPERS
#include "wasix.h"

static char request[8192];
static char path[4096];

/* Reads the request head (up to the blank line) into request; returns its length, or -1. */
static int read_head(int fd) {
    size_t len = 0;
    while (len < sizeof request - 1) {
        ssize_t n = read(fd, request + len, sizeof request - 1 - len); /* fd_read: a socket reads like a file */
        if (n <= 0) return -1;
        len += (size_t)n;
        request[len] = '\0';
        if (strstr(request, "\r\n\r\n") != NULL) return (int)len;
    }
    return -1;
}

static void write_all(int fd, const char *p, size_t len) {
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n <= 0) return;
        p += n;
        len -= (size_t)n;
    }
}

static void respond(int fd, int status, const char *body, size_t len) {
    char head[256];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                     status, status == 200 ? "OK" : status == 404 ? "Not Found" : "Bad Request", len);
    write_all(fd, head, (size_t)n);
    write_all(fd, body, len);
}

/* Answers one request on fd; returns the status sent. */
static int serve(int fd, const char *root, long *sent) {
    char method[8], target[2048];
    *sent = 0;
    if (read_head(fd) < 0) return 0;
    if (sscanf(request, "%7s %2047s", method, target) != 2 || strcmp(method, "GET") != 0
        || target[0] != '/' || strstr(target, "..") != NULL) {
        respond(fd, 400, "bad request\n", 12);
        return 400;
    }
    snprintf(path, sizeof path, "%s%s", root, target);
    FILE *f = fopen(path, "rb"); /* path_open under the preopened directory that holds path */
    if (f == NULL) {
        respond(fd, 404, "not found\n", 10);
        return 404;
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *body = malloc(size > 0 ? (size_t)size : 1);
    size_t got = body == NULL ? 0 : fread(body, 1, (size_t)size, f);
    fclose(f);
    respond(fd, 200, body, got);
    free(body);
    *sent = (long)got;
    return 200;
}

int main(int argc, char **argv) {
    const char *root = argc > 1 ? argv[1] : "/site";
    const char *port_text = getenv("PORT");
    int port = port_text != NULL ? atoi(port_text) : 8080;
    if (port < 1 || port > 65535) {
        fprintf(stderr, "fileserver: PORT must be a number from 1 to 65535\n");
        return 2;
    }

    int32_t listener = -1;
    int32_t err = sock_open(WX_AF_INET4, WX_SOCK_STREAM, WX_PROTO_TCP, &listener);
    if (err == 0) {
        (void)sock_set_opt_flag(listener, WX_OPT_REUSE_ADDR, 1);
        wx_addr_port_t addr = {.family = WX_AF_INET4, .port = {port & 0xff, port >> 8}}; /* 0.0.0.0, port LE */
        err = sock_bind(listener, &addr);
    }
    if (err == 0) err = sock_listen(listener, 128);
    if (err != 0) {
        /* wasix.h's calls answer WASI errnos, which wasi-libc's errno uses too */
        fprintf(stderr, "fileserver: cannot listen on port %d: %s\n", port, strerror(err));
        return 1;
    }
    printf("fileserver: serving %s on port %d\n", root, port);
    fflush(stdout);

    for (;;) {
        int32_t fd = -1;
        wx_addr_port_t peer;
        err = sock_accept_v2(listener, 0, &fd, &peer);
        if (err == WX_EBADF || err == WX_ENOTSOCK || err == WX_EINVAL) return 1;
        if (err != 0) continue;
        long sent = 0;
        int status = serve(fd, root, &sent);
        if (status != 0) {
            printf("GET %s %d %ld\n", status == 400 ? "-" : path + strlen(root), status, sent);
            fflush(stdout);
        }
        (void)sock_shutdown(fd, WX_SHUT_WR);
        close(fd);
    }
}
