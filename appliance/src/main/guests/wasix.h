/*
 * wasix.h - freestanding declarations of the WASIX / WASI imports our guests use,
 * plus a few tiny helpers (memcpy, memset, strlen, number formatting, a bump allocator,
 * environment / argument loading, IPv4 address filling).
 *
 * No libc: guests are built with
 *   clang --target=wasm32-wasi -mcpu=mvp -ffreestanding -nostdlib -Wl,--no-entry -Wl,--export=_start
 * (see scripts/build-guests.sh). docs/guests.md ("The ABI in brief") describes the ABI:
 *   - every call returns an i32 holding a u16 errno, 0 = success;
 *   - results go through out-pointers (i32 offsets into linear memory);
 *   - all parameters are i32 except the i64 ones noted below.
 *
 * The helper section defines memcpy/memset/strlen as ordinary external functions because clang
 * may emit calls to them on its own (struct copies, large initialisers). Include this header
 * from exactly ONE .c file per guest (every guest is a single translation unit). Define
 * WASIX_NO_HELPERS before including it to get only the declarations.
 */
#ifndef WASIX_APPLIANCE_WASIX_H
#define WASIX_APPLIANCE_WASIX_H

/* ---- basic types (no <stdint.h>: nothing from a sysroot is needed) ---------------------- */
typedef __INT8_TYPE__ int8_t;
typedef __UINT8_TYPE__ uint8_t;
typedef __INT16_TYPE__ int16_t;
typedef __UINT16_TYPE__ uint16_t;
typedef __INT32_TYPE__ int32_t;
typedef __UINT32_TYPE__ uint32_t;
typedef __INT64_TYPE__ int64_t;
typedef __UINT64_TYPE__ uint64_t;
typedef __SIZE_TYPE__ size_t;

#ifndef NULL
#define NULL ((void *)0)
#endif

#define WX_IMPORT(module, name) __attribute__((import_module(module), import_name(name)))
#define WX_WASIX(name) WX_IMPORT("wasix_32v1", name)
#define WX_P1(name) WX_IMPORT("wasi_snapshot_preview1", name)

/* ---- ABI data types --------------------------------------------------------------------- */

/* iovec / ciovec: 8 bytes {u32 ptr, u32 len} (pointers are 32-bit on wasm32). */
typedef struct {
    void *buf;
    uint32_t buf_len;
} wx_iovec_t;

typedef struct {
    const void *buf;
    uint32_t buf_len;
} wx_ciovec_t;

/*
 * The 20-byte socket address wasmer reads and writes:
 *   [0] family (0 Unspec, 1 Inet4, 2 Inet6, 3 Unix), [1] padding (0), [2..3] port,
 *   [4..7] IPv4 a.b.c.d, or [4..19] IPv6 in network order.
 * Port byte order is asymmetric: INPUT addresses (bind, connect, send_to) carry the port
 * little-endian; OUTPUT addresses (accept, addr_local, addr_peer, recv_from) are big-endian.
 * Kept as bytes so there is no alignment or endianness ambiguity.
 */
typedef struct {
    uint8_t family;
    uint8_t pad;
    uint8_t port[2];
    uint8_t addr[16];
} wx_addr_port_t;

_Static_assert(sizeof(wx_addr_port_t) == 20, "wx_addr_port_t must be 20 bytes");
_Static_assert(sizeof(wx_iovec_t) == 8, "iovec must be 8 bytes");
_Static_assert(sizeof(void *) == 4, "wasm32 only");

/* epoll_event: 32 bytes. events u32 @0; data: ptr u32 @8, fd u32 @12, data1 u32 @16, data2 u64 @24. */
typedef struct {
    uint32_t events;
    uint32_t _pad0;
    uint32_t ptr;
    uint32_t fd;
    uint32_t data1;
    uint32_t _pad1;
    uint64_t data2;
} wx_epoll_event_t;

_Static_assert(sizeof(wx_epoll_event_t) == 32, "epoll_event must be 32 bytes");

/* The plain addresses the multicast calls take. IPv4: a.b.c.d. IPv6: eight 16-bit segments, each a
 * u16 in wasm's (little-endian) byte order, first segment first, as wasmer reads them: ff02::1 is
 * {0xff02, 0, 0, 0, 0, 0, 0, 0x0001}, NOT the 16 network-order bytes of a socket address. */
typedef struct {
    uint8_t octets[4];
} wx_addr_ip4_t;

typedef struct {
    uint16_t segments[8];
} wx_addr_ip6_t;

/* opt_ts for sock_set_opt_time / sock_get_opt_time: tag u8 @0 (0 None, 1 Some), u64 ns @8. */
typedef struct {
    uint8_t tag;
    uint8_t _pad[7];
    uint64_t nanos;
} wx_option_timestamp_t;

_Static_assert(sizeof(wx_option_timestamp_t) == 16, "opt_ts must be 16 bytes");

/* poll_oneoff: a 48-byte subscription and a 32-byte event. */
typedef struct {
    uint64_t userdata;
    uint8_t tag; /* 0 clock, 1 fd_read, 2 fd_write */
    uint8_t _pad[7];
    union {
        struct {
            uint32_t clock_id; /* 0 realtime, 1 monotonic */
            uint32_t _pad;
            uint64_t timeout_ns;
            uint64_t precision_ns;
            uint16_t flags; /* 1 = absolute */
            uint8_t _pad2[6];
        } clock;
        struct {
            uint32_t fd;
        } fd;
    } u;
} wx_subscription_t;

typedef struct {
    uint64_t userdata;
    uint16_t error;
    uint8_t type;
    uint8_t _pad[5];
    uint64_t nbytes; /* fd_read: bytes ready (for a UDP socket, the next datagram's size) */
    uint16_t flags;  /* 1 = hang-up */
    uint8_t _pad2[6];
} wx_event_t;

_Static_assert(sizeof(wx_subscription_t) == 48, "subscription must be 48 bytes");
_Static_assert(sizeof(wx_event_t) == 32, "event must be 32 bytes");

/* ---- constants -------------------------------------------------------------------------- */
enum {
    WX_AF_UNSPEC = 0, WX_AF_INET4 = 1, WX_AF_INET6 = 2, WX_AF_UNIX = 3,
};
enum {
    WX_SOCK_STREAM = 1, WX_SOCK_DGRAM = 2, WX_SOCK_RAW = 3, WX_SOCK_SEQPACKET = 4,
};
enum {
    WX_PROTO_DEFAULT = 0, WX_PROTO_TCP = 6, WX_PROTO_UDP = 17,
};
/* sock_shutdown takes a BITMASK: RD=1, WR=2, both=3 (POSIX's SHUT_RDWR=2 means WR here). */
enum {
    WX_SHUT_RD = 1, WX_SHUT_WR = 2, WX_SHUT_RDWR = 3,
};
/* Sockoption (subset). */
enum {
    WX_OPT_REUSE_PORT = 1, WX_OPT_REUSE_ADDR = 2, WX_OPT_NO_DELAY = 3, WX_OPT_BROADCAST = 6,
    WX_OPT_MCAST_LOOP_V4 = 7, WX_OPT_MCAST_LOOP_V6 = 8, WX_OPT_LAST_ERROR = 11, WX_OPT_KEEP_ALIVE = 12,
    WX_OPT_RECV_BUF_SIZE = 15, WX_OPT_SEND_BUF_SIZE = 16, WX_OPT_RECV_TIMEOUT = 19, WX_OPT_SEND_TIMEOUT = 20,
    WX_OPT_TTL = 23, WX_OPT_MULTICAST_TTL_V4 = 24, WX_OPT_TYPE = 25, WX_OPT_PROTO = 26,
};
/* sock_recv / sock_recv_from input flags (riflags), output flags (roflags); sock_send(_to) siflags. */
enum {
    WX_RI_PEEK = 1, WX_RI_WAITALL = 2, WX_RI_DATA_TRUNCATED = 4 /* MSG_TRUNC: return the real length */,
    WX_RI_DONT_WAIT = 8, WX_RO_DATA_TRUNCATED = 1, WX_SI_DONT_WAIT = 1,
};
/* Clocks (clock_time_get). */
enum {
    WX_CLOCK_REALTIME = 0, WX_CLOCK_MONOTONIC = 1,
};
/* fdflags. */
enum {
    WX_FDFLAG_APPEND = 1, WX_FDFLAG_NONBLOCK = 4,
};
/* epoll. */
enum {
    WX_EPOLL_CTL_ADD = 0, WX_EPOLL_CTL_MOD = 1, WX_EPOLL_CTL_DEL = 2,
    WX_EPOLLIN = 1, WX_EPOLLOUT = 2, WX_EPOLLRDHUP = 4, WX_EPOLLERR = 16, WX_EPOLLHUP = 32,
    WX_EPOLLET = 64, WX_EPOLLONESHOT = 128,
};
/* A few errno values (preview1 numbering). */
enum {
    WX_ESUCCESS = 0, WX_EACCES = 2, WX_EAGAIN = 6, WX_EBADF = 8, WX_ECONNABORTED = 13, WX_ECONNREFUSED = 14,
    WX_ECONNRESET = 15, WX_EDESTADDRREQ = 17, WX_EFAULT = 21, WX_EINTR = 27, WX_EINVAL = 28,
    WX_EMSGSIZE = 35, WX_ENOTCONN = 53, WX_ENOTSOCK = 57, WX_ENOTSUP = 58, WX_EPIPE = 64,
};

/* ---- wasix_32v1 imports ----------------------------------------------------------------- */
WX_WASIX("sock_open")
int32_t sock_open(int32_t af, int32_t socktype, int32_t proto, int32_t *ret_fd);
WX_WASIX("sock_bind")
int32_t sock_bind(int32_t fd, const wx_addr_port_t *addr);
WX_WASIX("sock_connect")
int32_t sock_connect(int32_t fd, const wx_addr_port_t *addr);
WX_WASIX("sock_listen")
int32_t sock_listen(int32_t fd, int32_t backlog);
WX_WASIX("sock_accept_v2")
int32_t sock_accept_v2(int32_t fd, int32_t fdflags, int32_t *ret_fd, wx_addr_port_t *ret_addr);
WX_WASIX("sock_recv")
int32_t sock_recv(int32_t fd, const wx_iovec_t *iovs, int32_t iovs_len, int32_t riflags,
                  uint32_t *ret_nread, uint16_t *ret_roflags);
WX_WASIX("sock_send")
int32_t sock_send(int32_t fd, const wx_ciovec_t *iovs, int32_t iovs_len, int32_t siflags,
                  uint32_t *ret_nsent);
WX_WASIX("sock_shutdown")
int32_t sock_shutdown(int32_t fd, int32_t how);
/* Datagrams. send_to's address is an INPUT address (port little-endian); recv_from writes an OUTPUT
 * address (port big-endian): turn it into an input one with wx_addr_reply before sending back to it. */
WX_WASIX("sock_send_to")
int32_t sock_send_to(int32_t fd, const wx_ciovec_t *iovs, int32_t iovs_len, int32_t siflags,
                     const wx_addr_port_t *addr, uint32_t *ret_nsent);
WX_WASIX("sock_recv_from")
int32_t sock_recv_from(int32_t fd, const wx_iovec_t *iovs, int32_t iovs_len, int32_t riflags,
                       uint32_t *ret_nread, uint16_t *ret_roflags, wx_addr_port_t *ret_addr);
WX_WASIX("sock_join_multicast_v4")
int32_t sock_join_multicast_v4(int32_t fd, const wx_addr_ip4_t *group, const wx_addr_ip4_t *iface);
WX_WASIX("sock_leave_multicast_v4")
int32_t sock_leave_multicast_v4(int32_t fd, const wx_addr_ip4_t *group, const wx_addr_ip4_t *iface);
WX_WASIX("sock_join_multicast_v6")
int32_t sock_join_multicast_v6(int32_t fd, const wx_addr_ip6_t *group, uint32_t iface_index);
WX_WASIX("sock_leave_multicast_v6")
int32_t sock_leave_multicast_v6(int32_t fd, const wx_addr_ip6_t *group, uint32_t iface_index);
WX_WASIX("sock_addr_local")
int32_t sock_addr_local(int32_t fd, wx_addr_port_t *ret_addr);
WX_WASIX("sock_addr_peer")
int32_t sock_addr_peer(int32_t fd, wx_addr_port_t *ret_addr);
WX_WASIX("sock_status")
int32_t sock_status(int32_t fd, uint8_t *ret_status);
WX_WASIX("sock_set_opt_flag")
int32_t sock_set_opt_flag(int32_t fd, int32_t opt, int32_t flag);
WX_WASIX("sock_set_opt_size")
int32_t sock_set_opt_size(int32_t fd, int32_t opt, int64_t size); /* size is i64 */
WX_WASIX("sock_get_opt_flag")
int32_t sock_get_opt_flag(int32_t fd, int32_t opt, uint8_t *ret_flag);
WX_WASIX("sock_get_opt_size")
int32_t sock_get_opt_size(int32_t fd, int32_t opt, uint64_t *ret_size);
WX_WASIX("sock_set_opt_time")
int32_t sock_set_opt_time(int32_t fd, int32_t opt, const wx_option_timestamp_t *time);
WX_WASIX("epoll_create")
int32_t epoll_create(int32_t *ret_epfd);
WX_WASIX("epoll_ctl")
int32_t epoll_ctl(int32_t epfd, int32_t op, int32_t fd, const wx_epoll_event_t *event);
WX_WASIX("epoll_wait")
int32_t epoll_wait(int32_t epfd, wx_epoll_event_t *events, int32_t maxevents,
                   int64_t timeout_ns /* i64 */, int32_t *ret_n);

/* ---- wasi_snapshot_preview1 imports ----------------------------------------------------- */
WX_P1("fd_close")
int32_t fd_close(int32_t fd);
WX_P1("fd_write")
int32_t fd_write(int32_t fd, const wx_ciovec_t *iovs, int32_t iovs_len, uint32_t *ret_nwritten);
WX_P1("fd_fdstat_set_flags")
int32_t fd_fdstat_set_flags(int32_t fd, int32_t fdflags);
WX_P1("fd_read")
int32_t fd_read(int32_t fd, const wx_iovec_t *iovs, int32_t iovs_len, uint32_t *ret_nread);
WX_P1("environ_sizes_get")
int32_t environ_sizes_get(uint32_t *ret_count, uint32_t *ret_buf_size);
WX_P1("environ_get")
int32_t environ_get(char **environ, char *environ_buf);
WX_P1("args_sizes_get")
int32_t args_sizes_get(uint32_t *ret_argc, uint32_t *ret_buf_size);
WX_P1("args_get")
int32_t args_get(char **argv, char *argv_buf);
WX_P1("proc_exit")
_Noreturn void proc_exit(int32_t code);
WX_P1("clock_time_get")
int32_t clock_time_get(int32_t clock_id, int64_t precision /* i64 */, uint64_t *ret_time);
WX_P1("poll_oneoff")
int32_t poll_oneoff(const wx_subscription_t *in, wx_event_t *out, int32_t nsubscriptions, uint32_t *ret_nevents);

#ifndef WASIX_NO_HELPERS
/* ===================================================================================== */
/* Helpers                                                                               */
/* ===================================================================================== */

/* External on purpose: the compiler may emit calls to these. Plain byte loops; the build uses
 * -ffreestanding (=> -fno-builtin) so the loops are not turned back into calls to themselves. */
void *memcpy(void *restrict dst, const void *restrict src, size_t n) {
    unsigned char *d = dst;
    const unsigned char *s = src;
    while (n--) *d++ = *s++;
    return dst;
}

void *memset(void *dst, int c, size_t n) {
    unsigned char *d = dst;
    while (n--) *d++ = (unsigned char)c;
    return dst;
}

size_t strlen(const char *s) {
    const char *p = s;
    while (*p) p++;
    return (size_t)(p - s);
}

/* Fill an INPUT address (for bind / connect): IPv4 a.b.c.d, port little-endian. */
static inline void wx_addr_ipv4_in(wx_addr_port_t *out, uint8_t a, uint8_t b, uint8_t c, uint8_t d,
                                   uint16_t port) {
    memset(out, 0, sizeof *out);
    out->family = WX_AF_INET4;
    out->port[0] = (uint8_t)(port & 0xff);
    out->port[1] = (uint8_t)(port >> 8);
    out->addr[0] = a;
    out->addr[1] = b;
    out->addr[2] = c;
    out->addr[3] = d;
}

/* Fill an INPUT address for IPv6 (16 bytes, network order), port little-endian. */
static inline void wx_addr_ipv6_in(wx_addr_port_t *out, const uint8_t addr[16], uint16_t port) {
    memset(out, 0, sizeof *out);
    out->family = WX_AF_INET6;
    out->port[0] = (uint8_t)(port & 0xff);
    out->port[1] = (uint8_t)(port >> 8);
    memcpy(out->addr, addr, 16);
}

/* Read the port of an OUTPUT address (from accept / addr_local / addr_peer / recv_from): big-endian. */
static inline uint16_t wx_addr_port_out(const wx_addr_port_t *addr) {
    return (uint16_t)(((uint16_t)addr->port[0] << 8) | addr->port[1]);
}

/* Turn an OUTPUT address (recv_from's sender, port big-endian) into an INPUT one (port little-endian),
 * to send_to or connect to it: the port's two bytes change places, nothing else does. */
static inline void wx_addr_reply(wx_addr_port_t *in, const wx_addr_port_t *out) {
    memcpy(in, out, sizeof *in);
    in->port[0] = out->port[1];
    in->port[1] = out->port[0];
}

/* Format v in decimal into out (at least 10 bytes); returns the number of characters. */
static inline uint32_t wx_fmt_u32(char *out, uint32_t v) {
    char tmp[10];
    uint32_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    for (uint32_t i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
    return n;
}

/* Parse a TCP port: decimal digits only, 1..65535. Returns 1 on success, 0 otherwise. */
static inline int wx_parse_port(const char *s, uint16_t *out) {
    uint32_t v = 0;
    if (s == NULL || *s == '\0') return 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return 0;
        v = v * 10 + (uint32_t)(*s - '0');
        if (v > 65535) return 0;
    }
    if (v == 0) return 0;
    *out = (uint16_t)v;
    return 1;
}

/* Parse a duration the way nginx spells one: digits, then "ms" or "s" (or nothing: seconds), into
 * milliseconds, 1 ms .. 1 day. Returns 1 on success, 0 otherwise. */
static inline int wx_parse_duration_ms(const char *s, uint32_t *out) {
    uint64_t v = 0;
    if (s == NULL || *s < '0' || *s > '9') return 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        v = v * 10 + (uint64_t)(*s - '0');
        if (v > 86400000u) return 0;
    }
    if (s[0] == 'm' && s[1] == 's' && s[2] == '\0') {
        /* already milliseconds */
    } else if ((s[0] == 's' && s[1] == '\0') || s[0] == '\0') {
        v *= 1000;
    } else {
        return 0;
    }
    if (v == 0 || v > 86400000u) return 0;
    *out = (uint32_t)v;
    return 1;
}

/* Milliseconds on the monotonic clock (0 if the clock cannot be read: deadlines then never pass early). */
static inline uint64_t wx_now_ms(void) {
    uint64_t ns = 0;
    if (clock_time_get(WX_CLOCK_MONOTONIC, 1000000, &ns) != 0) return 0;
    return ns / 1000000u;
}

/* Sets a socket's receive or send timeout (opt WX_OPT_RECV_TIMEOUT / WX_OPT_SEND_TIMEOUT), in ms. */
static inline int32_t wx_set_timeout_ms(int32_t fd, int32_t opt, uint32_t ms) {
    wx_option_timestamp_t t;
    memset(&t, 0, sizeof t);
    t.tag = 1;
    t.nanos = (uint64_t)ms * 1000000u;
    return sock_set_opt_time(fd, opt, &t);
}

/* Parse a dotted-quad IPv4 address into a[4]. Returns 1 on success, 0 otherwise. */
static inline int wx_parse_ipv4(const char *s, uint8_t a[4]) {
    for (int part = 0; part < 4; part++) {
        uint32_t v = 0, digits = 0;
        for (; *s >= '0' && *s <= '9'; s++) {
            v = v * 10 + (uint32_t)(*s - '0');
            if (++digits > 3 || v > 255) return 0;
        }
        if (digits == 0) return 0;
        a[part] = (uint8_t)v;
        if (part < 3 && *s++ != '.') return 0;
    }
    return *s == '\0';
}

/* Write all of buf to fd, looping on partial writes. Returns 0 or the errno. */
static inline int32_t wx_write_all(int32_t fd, const void *buf, uint32_t len) {
    const char *p = buf;
    while (len > 0) {
        wx_ciovec_t iov = {p, len};
        uint32_t n = 0;
        int32_t err = fd_write(fd, &iov, 1, &n);
        if (err != 0) return err;
        if (n == 0 || n > len) return WX_EFAULT; /* no progress: give up rather than spin */
        p += n;
        len -= n;
    }
    return 0;
}

static inline void wx_write_str(int32_t fd, const char *s) {
    (void)wx_write_all(fd, s, (uint32_t)strlen(s));
}

static inline void wx_write_u32(int32_t fd, uint32_t v) {
    char buf[10];
    (void)wx_write_all(fd, buf, wx_fmt_u32(buf, v));
}

/* The name of a WASI errno as the host's --stats and --trace print it ("EADDRINUSE"), or NULL past
 * the table. WASI numbers errnos its own way (3 is EADDRINUSE here, ESRCH to a Linux reader), so a
 * guest that prints a number misleads; ErrnoNamesTest checks this table against the host's Errno. */
static const char *const WX_ERRNO_NAMES[] = {
    /*  0 */ "SUCCESS", "ETOOBIG", "EACCES", "EADDRINUSE", "EADDRNOTAVAIL", "EAFNOSUPPORT",
    /*  6 */ "EAGAIN", "EALREADY", "EBADF", "EBADMSG", "EBUSY", "ECANCELED",
    /* 12 */ "ECHILD", "ECONNABORTED", "ECONNREFUSED", "ECONNRESET", "EDEADLK", "EDESTADDRREQ",
    /* 18 */ "EDOM", "EDQUOT", "EEXIST", "EFAULT", "EFBIG", "EHOSTUNREACH",
    /* 24 */ "EIDRM", "EILSEQ", "EINPROGRESS", "EINTR", "EINVAL", "EIO",
    /* 30 */ "EISCONN", "EISDIR", "ELOOP", "EMFILE", "EMLINK", "EMSGSIZE",
    /* 36 */ "EMULTIHOP", "ENAMETOOLONG", "ENETDOWN", "ENETRESET", "ENETUNREACH", "ENFILE",
    /* 42 */ "ENOBUFS", "ENODEV", "ENOENT", "ENOEXEC", "ENOLCK", "ENOLINK",
    /* 48 */ "ENOMEM", "ENOMSG", "ENOPROTOOPT", "ENOSPC", "ENOSYS", "ENOTCONN",
    /* 54 */ "ENOTDIR", "ENOTEMPTY", "ENOTRECOVERABLE", "ENOTSOCK", "ENOTSUP", "ENOTTY",
    /* 60 */ "ENXIO", "EOVERFLOW", "EOWNERDEAD", "EPERM", "EPIPE", "EPROTO",
    /* 66 */ "EPROTONOSUPPORT", "EPROTOTYPE", "ERANGE", "EROFS", "ESPIPE", "ESRCH",
    /* 72 */ "ESTALE", "ETIMEDOUT", "ETXTBSY", "EXDEV", "ENOTCAPABLE", "ESHUTDOWN",
    /* 78 */ "EMEMVIOLATION", "EUNKNOWN", "EPENDING",
};

static inline const char *wx_errno_name(int32_t err) {
    if (err < 0 || (uint32_t)err >= sizeof WX_ERRNO_NAMES / sizeof WX_ERRNO_NAMES[0]) return NULL;
    return WX_ERRNO_NAMES[err];
}

/* Write the errno's name ("EADDRINUSE"), or "errno N" for a number the table does not know. */
static inline void wx_write_errno(int32_t fd, int32_t err) {
    const char *name = wx_errno_name(err);
    if (name != NULL) {
        wx_write_str(fd, name);
    } else {
        wx_write_str(fd, "errno ");
        wx_write_u32(fd, (uint32_t)err);
    }
}

/* Bump allocator on top of __heap_base (provided by wasm-ld), growing memory as needed.
 * Nothing is ever freed. Returns NULL when memory cannot grow. */
extern unsigned char __heap_base;
static uint32_t wx_heap_top;

static inline void *wx_alloc(uint32_t n) {
    if (wx_heap_top == 0) wx_heap_top = (uint32_t)&__heap_base;
    uint32_t start = (wx_heap_top + 7u) & ~7u;
    if (n > 0xffffffffu - start) return NULL;
    uint32_t end = start + n;
    uint32_t have = (uint32_t)__builtin_wasm_memory_size(0) * 65536u;
    if (end > have) {
        uint32_t pages = (end - have + 65535u) / 65536u;
        if (__builtin_wasm_memory_grow(0, pages) == (__SIZE_TYPE__)-1) return NULL;
    }
    wx_heap_top = end;
    return (void *)start;
}

#define WX_ENOMEM 48

/* Load the environment ("NAME=value" strings). Returns 0 or the errno of the failing call;
 * *failed_call names that call. */
static inline int32_t wx_load_environ(uint32_t *ret_count, char ***ret_env, const char **failed_call) {
    uint32_t count = 0, size = 0;
    int32_t err = environ_sizes_get(&count, &size);
    if (err != 0) { *failed_call = "environ_sizes_get"; return err; }
    char **env = wx_alloc((count + 1) * 4u);
    char *buf = wx_alloc(size + 1);
    if (env == NULL || buf == NULL) { *failed_call = "environ_get"; return WX_ENOMEM; }
    err = environ_get(env, buf);
    if (err != 0) { *failed_call = "environ_get"; return err; }
    env[count] = NULL;
    *ret_count = count;
    *ret_env = env;
    return 0;
}

/* Look NAME up in a loaded environment; returns the value or NULL. */
static inline const char *wx_env_find(char **env, uint32_t count, const char *name) {
    uint32_t nlen = (uint32_t)strlen(name);
    for (uint32_t i = 0; i < count; i++) {
        const char *e = env[i];
        uint32_t j = 0;
        while (j < nlen && e[j] == name[j]) j++;
        if (j == nlen && e[j] == '=') return e + nlen + 1;
    }
    return NULL;
}

/* Load argv. Returns 0 or the errno of the failing call; *failed_call names that call. */
static inline int32_t wx_load_args(uint32_t *ret_argc, char ***ret_argv, const char **failed_call) {
    uint32_t argc = 0, size = 0;
    int32_t err = args_sizes_get(&argc, &size);
    if (err != 0) { *failed_call = "args_sizes_get"; return err; }
    char **argv = wx_alloc((argc + 1) * 4u);
    char *buf = wx_alloc(size + 1);
    if (argv == NULL || buf == NULL) { *failed_call = "args_get"; return WX_ENOMEM; }
    err = args_get(argv, buf);
    if (err != 0) { *failed_call = "args_get"; return err; }
    argv[argc] = NULL;
    *ret_argc = argc;
    *ret_argv = argv;
    return 0;
}

#endif /* WASIX_NO_HELPERS */
#endif /* WASIX_APPLIANCE_WASIX_H */
