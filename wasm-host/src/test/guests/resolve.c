/*
 * resolve.c - test guest: WASIX resolve, the lookup behind wasix-libc's getaddrinfo (no libc).
 *
 *   resolve checks      the ABI on numeric hosts, which need no lookup and no network policy: the
 *                       18-byte entry layout, the bound on entries, EFAULT and EINVAL. On the first
 *                       mismatch "resolve: line L: got X, want Y" on fd 2, exit 1; when all pass
 *                       "resolve: N checks passed\n" on fd 1, exit 0.
 *   resolve NAME...     one line per NAME on fd 1: "NAME ADDR..." (IPv4 dotted, IPv6 as eight hex
 *                       groups, as Java's getHostAddress writes them) or "NAME errno N"; exit 0.
 *
 * Build: scripts/build-guests.sh
 */
#include "../../../../appliance/src/main/guests/wasix.h"

typedef struct {
    uint8_t family;
    uint8_t pad;
    uint8_t addr[16];
} resolved_t;
_Static_assert(sizeof(resolved_t) == 18, "resolve entries are 18 bytes");

WX_WASIX("resolve")
int32_t resolve(const char *host, uint32_t host_len, int32_t port, resolved_t *addrs, uint32_t n, uint32_t *ret_n);

enum { E_FAULT = 21, E_INVAL = 28 };
#define BAD ((void *)0xfffffff0u)
#define MAX 8

static uint32_t checks;
static resolved_t found[MAX];
static char line[512];
static uint32_t at;

static _Noreturn void failed(int line_no, uint32_t got, uint32_t want) {
    wx_write_str(2, "resolve: line ");
    wx_write_u32(2, (uint32_t)line_no);
    wx_write_str(2, ": got ");
    wx_write_u32(2, got);
    wx_write_str(2, ", want ");
    wx_write_u32(2, want);
    wx_write_str(2, "\n");
    proc_exit(1);
}

#define EQ(got, want)                                                                             \
    do {                                                                                          \
        uint32_t g_ = (uint32_t)(got), w_ = (uint32_t)(want);                                     \
        if (g_ != w_) failed(__LINE__, g_, w_);                                                   \
        checks++;                                                                                 \
    } while (0)
#define S(str) str, (uint32_t)(sizeof(str) - 1)

static int32_t lookup(const char *host, uint32_t len, uint32_t n, uint32_t *ret) {
    memset(found, 0xaa, sizeof found);
    *ret = 0xdead;
    return resolve(host, len, 0, found, n, ret);
}

/* Whether entry i holds exactly family f and the first len bytes of want, zeros after them. */
static int holds(int i, uint8_t f, const uint8_t *want, int len) {
    if (found[i].family != f || found[i].pad != 0) return 0;
    for (int j = 0; j < 16; j++) {
        if (found[i].addr[j] != (j < len ? want[j] : 0)) return 0;
    }
    return 1;
}

static void checks_run(void) {
    uint32_t n;
    static const uint8_t V4[] = {10, 1, 2, 3};
    static const uint8_t V6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 9};
    static const uint8_t LO6[16] = {[15] = 1};

    EQ(lookup(S("10.1.2.3"), MAX, &n), 0);
    EQ(n, 1);
    EQ(holds(0, WX_AF_INET4, V4, 4), 1);
    EQ(found[1].family, 0xaa); /* nothing past what was answered */
    EQ(lookup(S("2001:db8::9"), MAX, &n), 0);
    EQ(n, 1);
    EQ(holds(0, WX_AF_INET6, V6, 16), 1);
    EQ(lookup(S("::1"), 1, &n), 0);
    EQ(holds(0, WX_AF_INET6, LO6, 16), 1);
    /* at most n entries, and none at all for n = 0 */
    EQ(lookup(S("10.1.2.3"), 0, &n), 0);
    EQ(n, 0);
    EQ(found[0].family, 0xaa);
    /* bad pointers: EFAULT, whatever the host */
    EQ(resolve(BAD, 4, 0, found, MAX, &n), E_FAULT);
    EQ(resolve(S("10.1.2.3"), 0, BAD, 1, &n), E_FAULT);
    EQ(resolve(S("10.1.2.3"), 0, found, 0x10000000u, &n), E_FAULT); /* the array runs past memory */
    EQ(resolve(S("10.1.2.3"), 0, found, MAX, BAD), E_FAULT);
    /* hosts that are neither an address nor a name */
    EQ(lookup("", 0, MAX, &n), E_INVAL);
    EQ(lookup(S("no such host"), MAX, &n), E_INVAL);
    EQ(lookup(S("1::2::3"), MAX, &n), E_INVAL);
    static char longname[300];
    memset(longname, 'a', sizeof longname);
    EQ(lookup(longname, sizeof longname, MAX, &n), E_INVAL);

    wx_write_str(1, "resolve: ");
    wx_write_u32(1, checks);
    wx_write_str(1, " checks passed\n");
    proc_exit(0);
}

static int memcmp_(const char *a, const char *b, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) {
        if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
    }
    return 0;
}

static void put(const char *s) {
    while (*s && at < sizeof line) line[at++] = *s++;
}

static void put_u32(uint32_t v, int hex) {
    char tmp[10];
    uint32_t n = 0;
    do {
        uint32_t d = hex ? v % 16 : v % 10;
        tmp[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
        v = hex ? v / 16 : v / 10;
    } while (v != 0);
    while (n > 0 && at < sizeof line) line[at++] = tmp[--n];
}

static void print_lookup(const char *name) {
    uint32_t n = 0;
    at = 0;
    put(name);
    int32_t err = lookup(name, (uint32_t)strlen(name), MAX, &n);
    if (err != 0) {
        put(" errno ");
        put_u32((uint32_t)err, 0);
    }
    for (uint32_t i = 0; err == 0 && i < n; i++) {
        put(" ");
        if (found[i].family == WX_AF_INET4) {
            for (int j = 0; j < 4; j++) {
                if (j) put(".");
                put_u32(found[i].addr[j], 0);
            }
        } else {
            for (int j = 0; j < 16; j += 2) {
                if (j) put(":");
                put_u32((uint32_t)found[i].addr[j] << 8 | found[i].addr[j + 1], 1);
            }
        }
    }
    put("\n");
    wx_write_all(1, line, at);
}

void _start(void) {
    uint32_t argc = 0;
    char **argv = NULL;
    const char *call = "";
    if (wx_load_args(&argc, &argv, &call) != 0 || argc < 2) {
        wx_write_str(2, "resolve: usage: resolve checks | resolve NAME...\n");
        proc_exit(2);
    }
    static const char CHECKS[] = "checks";
    if (argc == 2 && strlen(argv[1]) == sizeof CHECKS - 1 && memcmp_(argv[1], CHECKS, sizeof CHECKS - 1) == 0) {
        checks_run();
    }
    for (uint32_t i = 1; i < argc; i++) {
        print_lookup(argv[i]);
    }
    proc_exit(0);
}
