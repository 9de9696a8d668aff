/*
 * preview0.c - test guest: a program built for WASI preview 0 (`wasi_unstable`), as older toolchains built
 * cowsay and QuickJS. It imports only from wasi_unstable, declared here by hand (no libc), and checks every
 * place where preview 0 differs from preview 1:
 *   - fd_seek's whence values (CUR 0, END 1, SET 2; preview 1 has SET 0, CUR 1, END 2)
 *   - the 56-byte filestat of fd_filestat_get and path_filestat_get (nlink is a u32 at 20)
 *   - poll_oneoff's 56-byte subscription (the clock has a u64 identifier at 16), with a clock and an fd
 *   - fd_renumber moves the fd, as WASI's renumber does (only a WASIX module gets wasix-libc's dup2)
 * and that output reaches fd 1. Expects fd 3 to be a writable preopened directory. On the first mismatch it
 * writes "preview0: line L: got X, want Y" to fd 2 and exits 1; else "preview0: N checks passed" to fd 1, 0.
 *
 * Build: scripts/build-guests.sh
 */
#include <stddef.h>
#include <stdint.h>

#define P0(name) __attribute__((import_module("wasi_unstable"), import_name(name)))

typedef struct { const void *buf; uint32_t len; } ciovec_t;
typedef struct { void *buf; uint32_t len; } iovec_t;

/* preview 0's filestat: 56 bytes */
typedef struct {
    uint64_t dev, ino;
    uint8_t filetype;
    uint8_t pad[3];
    uint32_t nlink;
    uint64_t size, atim, mtim, ctim;
} filestat0_t;
_Static_assert(sizeof(filestat0_t) == 56, "preview 0's filestat is 56 bytes");
_Static_assert(offsetof(filestat0_t, nlink) == 20, "nlink is a u32 at 20");
_Static_assert(offsetof(filestat0_t, size) == 24, "size at 24");

/* preview 0's subscription: 56 bytes */
typedef struct {
    uint64_t userdata;
    uint8_t tag;
    uint8_t pad[7];
    union {
        struct { uint64_t identifier; uint32_t clock_id; uint32_t pad; uint64_t timeout, precision;
                 uint16_t flags; uint8_t pad2[6]; } clock;
        struct { uint32_t fd; } fd;
    } u;
} subscription0_t;
_Static_assert(sizeof(subscription0_t) == 56, "preview 0's subscription is 56 bytes");
_Static_assert(offsetof(subscription0_t, u.clock.clock_id) == 24, "clock id at 24");
_Static_assert(offsetof(subscription0_t, u.clock.timeout) == 32, "timeout at 32");
_Static_assert(offsetof(subscription0_t, u.fd.fd) == 16, "fd at 16");

typedef struct {
    uint64_t userdata;
    uint16_t error;
    uint8_t type;
    uint8_t pad[5];
    uint64_t nbytes;
    uint16_t flags;
    uint8_t pad2[6];
} event_t;
_Static_assert(sizeof(event_t) == 32, "an event is 32 bytes");

P0("fd_write") int32_t fd_write(int32_t fd, const ciovec_t *iovs, int32_t n, uint32_t *ret);
P0("fd_read") int32_t fd_read(int32_t fd, const iovec_t *iovs, int32_t n, uint32_t *ret);
P0("fd_close") int32_t fd_close(int32_t fd);
P0("fd_seek") int32_t fd_seek(int32_t fd, int64_t off, int32_t whence, uint64_t *ret);
P0("fd_tell") int32_t fd_tell(int32_t fd, uint64_t *ret);
P0("fd_filestat_get") int32_t fd_filestat_get(int32_t fd, filestat0_t *ret);
P0("fd_renumber") int32_t fd_renumber(int32_t from, int32_t to);
P0("path_open")
int32_t path_open(int32_t fd, int32_t dirflags, const char *path, int32_t path_len, int32_t oflags,
                  int64_t base, int64_t inheriting, int32_t fdflags, int32_t *ret_fd);
P0("path_filestat_get")
int32_t path_filestat_get(int32_t fd, int32_t flags, const char *p, int32_t len, filestat0_t *ret);
P0("path_unlink_file") int32_t path_unlink_file(int32_t fd, const char *p, int32_t len);
P0("poll_oneoff") int32_t poll_oneoff(const subscription0_t *in, event_t *out, int32_t n, uint32_t *ret);
P0("proc_raise") int32_t proc_raise(int32_t sig);
P0("proc_exit") _Noreturn void proc_exit(int32_t code);

enum { WHENCE_CUR = 0, WHENCE_END = 1, WHENCE_SET = 2 };
enum { CLOCK = 0, FD_READ = 1, MONOTONIC = 1, REGULAR_FILE = 4 };
enum { E_BADF = 8, E_INVAL = 28, E_NOTSUP = 58 };
#define R_ALL 0x1FFFFFFFull

static uint32_t checks;

static void put(int32_t fd, const char *s) {
    uint32_t len = 0, n;
    while (s[len]) len++;
    ciovec_t v = {s, len};
    fd_write(fd, &v, 1, &n);
}

static void put_u32(int32_t fd, uint32_t v) {
    char buf[10];
    int i = 10;
    do { buf[--i] = (char)('0' + v % 10); v /= 10; } while (v);
    uint32_t n;
    ciovec_t c = {buf + i, (uint32_t)(10 - i)};
    fd_write(fd, &c, 1, &n);
}

static _Noreturn void failed(int line, uint64_t got, uint64_t want) {
    put(2, "preview0: line ");
    put_u32(2, (uint32_t)line);
    put(2, ": got ");
    put_u32(2, (uint32_t)got);
    put(2, ", want ");
    put_u32(2, (uint32_t)want);
    put(2, "\n");
    proc_exit(1);
}

#define EQ(got, want)                                                                             \
    do {                                                                                          \
        uint64_t g_ = (uint64_t)(got), w_ = (uint64_t)(want);                                     \
        if (g_ != w_) failed(__LINE__, g_, w_);                                                   \
        checks++;                                                                                 \
    } while (0)
#define OK(call) EQ(call, 0)
#define S(str) str, (int32_t)(sizeof(str) - 1)

static void fill(void *p, uint8_t v, uint32_t n) {
    volatile uint8_t *b = p;
    for (uint32_t i = 0; i < n; i++) b[i] = v;
}

void _start(void) {
    int32_t fd, fd2;
    uint64_t off;
    uint32_t n;

    /* a file of 14 bytes */
    OK(path_open(3, 0, S("p0.txt"), 1 /* CREAT */, (int64_t)R_ALL, 0, 0, &fd));
    ciovec_t text = {"hello preview0", 14};
    OK(fd_write(fd, &text, 1, &n));
    EQ(n, 14);

    /* whence: SET is 2, END is 1, CUR is 0 */
    OK(fd_seek(fd, 0, WHENCE_SET, &off));
    EQ(off, 0);
    OK(fd_seek(fd, -3, WHENCE_END, &off));
    EQ(off, 11);
    OK(fd_seek(fd, 2, WHENCE_CUR, &off));
    EQ(off, 13);
    OK(fd_tell(fd, &off));
    EQ(off, 13);
    EQ(fd_seek(fd, 0, 3, &off), E_INVAL);
    OK(fd_seek(fd, 6, WHENCE_SET, &off));
    char word[8];
    iovec_t r = {word, 8};
    OK(fd_read(fd, &r, 1, &n));
    EQ(n, 8);
    EQ(word[0] == 'p' && word[7] == '0', 1);

    /* the 56-byte filestat: nothing written past it */
    struct { filestat0_t st; uint8_t guard[8]; } s;
    fill(&s, 0xEE, sizeof s);
    OK(fd_filestat_get(fd, &s.st));
    EQ(s.st.filetype, REGULAR_FILE);
    EQ(s.st.nlink, 1);
    EQ(s.st.size, 14);
    EQ(s.st.pad[0] | s.st.pad[1] | s.st.pad[2], 0);
    EQ(s.guard[0] == 0xEE && s.guard[7] == 0xEE, 1);
    fill(&s, 0xEE, sizeof s);
    OK(path_filestat_get(3, 0, S("p0.txt"), &s.st));
    EQ(s.st.filetype, REGULAR_FILE);
    EQ(s.st.nlink, 1);
    EQ(s.st.size, 14);
    EQ(s.guard[0] == 0xEE && s.guard[7] == 0xEE, 1);
    fill(&s, 0xEE, sizeof s);
    OK(fd_filestat_get(1, &s.st)); /* stdout: all zero but its type (character device) */
    EQ(s.st.filetype, 2);
    EQ(s.st.size, 0);
    EQ(s.guard[0], 0xEE);

    /* poll_oneoff: 56-byte subscriptions. A clock alone sleeps for it... */
    subscription0_t sub[2];
    event_t ev[2];
    fill(sub, 0, sizeof sub);
    fill(ev, 0xEE, sizeof ev);
    sub[0].userdata = 0xC10C;
    sub[0].tag = CLOCK;
    sub[0].u.clock.identifier = 0xFFFFFFFFFFFFFFFFull; /* where preview 1 would read the clock id: junk */
    sub[0].u.clock.clock_id = MONOTONIC;
    sub[0].u.clock.timeout = 1000000; /* 1 ms */
    OK(poll_oneoff(sub, ev, 1, &n));
    EQ(n, 1);
    EQ(ev[0].userdata, 0xC10C);
    EQ(ev[0].error, 0);
    EQ(ev[0].type, CLOCK);

    /* ...and with a regular file, which is always ready, it returns at once, the clock not fired */
    sub[0].u.clock.timeout = 60000000000ull; /* a minute */
    sub[1].userdata = 0xF11E;
    sub[1].tag = FD_READ;
    sub[1].u.fd.fd = (uint32_t)fd;
    OK(fd_seek(fd, 4, WHENCE_SET, &off));
    fill(ev, 0xEE, sizeof ev);
    OK(poll_oneoff(sub, ev, 2, &n));
    EQ(n, 1);
    EQ(ev[0].userdata, 0xF11E);
    EQ(ev[0].error, 0);
    EQ(ev[0].type, FD_READ);
    EQ(ev[0].nbytes, 10); /* what is left to read */

    /* renumber moves the fd in a module that is not WASIX */
    OK(path_open(3, 0, S("p0.txt"), 0, (int64_t)R_ALL, 0, 0, &fd2));
    OK(fd_renumber(fd, fd2));
    EQ(fd_tell(fd, &off), E_BADF);
    OK(fd_tell(fd2, &off));
    EQ(off, 4);

    /* no signal handler: SIGUSR1 is dropped, as wasmer drops it; an unknown signal is EINVAL */
    EQ(proc_raise(10), 0);
    EQ(proc_raise(31), E_INVAL);

    OK(fd_close(fd2));
    OK(path_unlink_file(3, S("p0.txt")));
    put(1, "preview0: ");
    put_u32(1, checks);
    put(1, " checks passed\n");
    proc_exit(0);
}
