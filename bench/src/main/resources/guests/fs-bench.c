/*
 * fs-bench.c - benchmark guest: one filesystem operation per exported call, through the preview1 host
 * functions, on the mount preopened at fd 3 (no libc). FsBench calls these exports; its native lanes do
 * the same operations by calling the VFS from Java.
 *
 *   fs_write_small()  create-or-truncate "small", write 4 KiB, close
 *   fs_write_big()    create-or-truncate "big", write 1 MiB, close
 *   stat_storm()      path_filestat_get("small")
 *   setup_dir()       create "dir" with 1,000 empty files (once)
 *   readdir_big()     open "dir", fd_readdir it whole, close; returns the entry count
 *   host_call()       fd_prestat_get(3): the cost of one host call doing almost nothing, the floor
 *                     under every guest lane
 * Each returns an errno (0) or, for readdir_big, the number of entries; a failure is negative.
 *
 * Build: scripts/build-guests.sh
 */
#define WASIX_NO_HELPERS
#include "../../../../appliance/src/main/guests/wasix.h"

WX_P1("path_open")
int32_t path_open(int32_t fd, int32_t dirflags, const char *path, int32_t path_len, int32_t oflags,
                  int64_t base, int64_t inheriting, int32_t fdflags, int32_t *ret_fd);
WX_P1("path_filestat_get")
int32_t path_filestat_get(int32_t fd, int32_t flags, const char *p, int32_t len, void *ret);
WX_P1("path_create_directory") int32_t path_create_directory(int32_t fd, const char *p, int32_t len);
WX_P1("fd_prestat_get") int32_t fd_prestat_get(int32_t fd, uint32_t *ret);
WX_P1("fd_readdir") int32_t fd_readdir(int32_t fd, void *buf, int32_t len, int64_t cookie, uint32_t *used);

#define RIGHTS_RW ((1ll << 1) | (1ll << 6))
#define RIGHTS_READDIR (1ll << 14)
#define S(str) str, (int32_t)(sizeof(str) - 1)

static char small[4096];
static char big[1 << 20];
static char dirbuf[32768];
static uint64_t stat_buf[8];

static int32_t write_file(const char *name, int32_t len, const char *data, uint32_t size) {
    int32_t fd;
    int32_t err = path_open(3, 0, name, len, 1 | 8 /* CREAT|TRUNC */, RIGHTS_RW, 0, 0, &fd);
    if (err) return -err;
    wx_ciovec_t v = {data, size};
    uint32_t n;
    err = fd_write(fd, &v, 1, &n);
    fd_close(fd);
    return err ? -err : 0;
}

__attribute__((export_name("fs_write_small"))) int32_t fs_write_small(void) {
    return write_file(S("small"), small, sizeof small);
}

__attribute__((export_name("fs_write_big"))) int32_t fs_write_big(void) {
    return write_file(S("big"), big, sizeof big);
}

__attribute__((export_name("stat_storm"))) int32_t stat_storm(void) {
    return -path_filestat_get(3, 0, S("small"), stat_buf);
}

__attribute__((export_name("setup_dir"))) int32_t setup_dir(void) {
    int32_t err = path_create_directory(3, S("dir"));
    if (err) return -err;
    char name[12] = {'d', 'i', 'r', '/', 'f'};
    for (int i = 0; i < 1000; i++) {
        name[5] = (char)('0' + i / 100);
        name[6] = (char)('0' + i / 10 % 10);
        name[7] = (char)('0' + i % 10);
        int32_t fd;
        err = path_open(3, 0, name, 8, 1, RIGHTS_RW, 0, 0, &fd);
        if (err) return -err;
        fd_close(fd);
    }
    return 0;
}

__attribute__((export_name("readdir_big"))) int32_t readdir_big(void) {
    int32_t fd;
    int32_t err = path_open(3, 0, S("dir"), 2 /* DIRECTORY */, RIGHTS_READDIR, 0, 0, &fd);
    if (err) return -err;
    uint64_t cookie = 0;
    int32_t count = 0;
    for (;;) {
        uint32_t used = 0;
        err = fd_readdir(fd, dirbuf, sizeof dirbuf, (int64_t)cookie, &used);
        if (err) break;
        uint32_t at = 0;
        while (at + 24 <= used) {
            uint32_t namlen = *(uint32_t *)(dirbuf + at + 16);
            if (at + 24 + namlen > used) break;
            cookie = *(uint64_t *)(dirbuf + at);
            count++;
            at += 24 + namlen;
        }
        if (used < sizeof dirbuf) break;
    }
    fd_close(fd);
    return err ? -err : count;
}

static uint32_t prestat[2];

__attribute__((export_name("host_call"))) int32_t host_call(void) {
    return -fd_prestat_get(3, prestat);
}

void _start(void) {}
