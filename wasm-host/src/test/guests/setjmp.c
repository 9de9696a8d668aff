// build-guests: freestanding -mmutable-globals -Wl,--export=__stack_pointer
// wasm-opt: -g --asyncify --pass-arg=asyncify-imports@wasix_32v1.stack_checkpoint,wasix_32v1.stack_restore
/*
 * setjmp.c - test guest: setjmp/longjmp as wasix-libc builds them, on stack_checkpoint/stack_restore, in a
 * module asyncified by binaryen (which is what makes them work). One scenario per run, named by argv[1];
 * each prints what it saw, one line per fact, and exits 0 when it saw what it expected (1 when not).
 *
 *   basic        setjmp answers 0 first; longjmp(b, 7) brings it back answering 7; longjmp(b, 0) answers 1
 *                (the libc's rule, applied by wx_longjmp as wasix-libc's longjmp applies it); stack_restore
 *                called with 0 itself answers 0 (the host passes the value through, as wasmer does)
 *   deep         longjmp from 200 calls down; a volatile local changed after setjmp keeps its new value
 *   nested       a setjmp in a callee inside another's: longjmp to the inner one, then, from deeper, to the
 *                outer one
 *   loop N       N setjmp/longjmp round trips into the same jmp_buf; prints the count
 *   bogus        longjmp to a jmp_buf no setjmp filled: the guest traps with the host's line
 *   signal       a signal handler (proc_raise_interval's SIGALRM, taken in a blocked thread_sleep) leaves by
 *                longjmp to a setjmp of the main code: the handler's own call is left behind
 */
#ifndef SETJMP_MAIN
#define SETJMP_MAIN _start
#include "wasix.h"
#endif
#include "scenario_args.h"

typedef struct {
    uint64_t user;
    uint8_t id[16];
} wx_jmp_buf[1];

_Static_assert(sizeof(wx_jmp_buf) == 24, "the snapshot is 24 bytes");

WX_WASIX("stack_checkpoint")
int32_t stack_checkpoint(wx_jmp_buf buf, uint64_t *ret);
WX_WASIX("stack_restore")
_Noreturn void stack_restore(wx_jmp_buf buf, int64_t value);
WX_WASIX("callback_signal")
void callback_signal(const char *name, int32_t len);
WX_WASIX("proc_raise_interval")
int32_t proc_raise_interval(int32_t sig, int64_t interval_ns, int32_t repeat);
#ifndef WX_THREADS
WX_WASIX("thread_sleep")
int32_t thread_sleep(int64_t ns);
#endif

/* wasix-libc's __wasilibc_setjmp and __wasilibc_longjmp. */
__attribute__((returns_twice, noinline)) static int wx_setjmp(wx_jmp_buf buf) {
    uint64_t ret = 0;
    if (stack_checkpoint(buf, &ret) != 0) __builtin_trap();
    return (int)ret;
}

__attribute__((noinline)) static _Noreturn void wx_longjmp(wx_jmp_buf buf, int value) {
    stack_restore(buf, value == 0 ? 1 : value);
}

static void say(const char *label, int32_t value) {
    wx_write_str(1, label);
    wx_write_str(1, " ");
    if (value < 0) {
        wx_write_str(1, "-");
        value = -value;
    }
    wx_write_u32(1, (uint32_t)value);
    wx_write_str(1, "\n");
}

static wx_jmp_buf b1, b2;
static int round; /* basic's, which longjmp brings back into more than once */

static int basic(void) {
    int r = wx_setjmp(b1);
    say("setjmp", r);
    round++;
    if (round == 1) wx_longjmp(b1, 7);
    if (round == 2) wx_longjmp(b1, 0);
    if (round == 3) stack_restore(b1, 0);
    return round == 4 && r == 0 ? 0 : 1;
}

__attribute__((noinline)) static void descend(int depth, int value) {
    if (depth == 0) wx_longjmp(b1, value);
    descend(depth - 1, value);
    say("unreachable", depth); // keeps the recursion from becoming a loop
}

static int deep(void) {
    volatile int changed = 1;
    int r = wx_setjmp(b1);
    if (r == 0) {
        changed = 2;
        descend(200, 5);
    }
    say("from 200 down", r);
    say("volatile", changed);
    return r == 5 && changed == 2 ? 0 : 1;
}

__attribute__((noinline)) static void deeper(int n) {
    if (n == 0) wx_longjmp(b1, 3);
    deeper(n - 1);
    say("unreachable", n);
}

__attribute__((noinline)) static int inner(void) {
    int r = wx_setjmp(b2);
    say("inner", r);
    if (r == 0) wx_longjmp(b2, 2);
    deeper(10); // to the outer one
    return 0;
}

static int nested(void) {
    int r = wx_setjmp(b1);
    say("outer", r);
    if (r == 0) inner();
    return r == 3 ? 0 : 1;
}

static int loop(uint32_t n) {
    volatile uint32_t count = 0;
    int r = wx_setjmp(b1);
    if (r != 0) count++;
    if (count < n) wx_longjmp(b1, (int)count + 1);
    say("round trips", (int32_t)count);
    return count == n ? 0 : 1;
}

static int bogus(void) {
    wx_jmp_buf never;
    memset(never, 0, sizeof never);
    wx_longjmp(never, 1);
}

static volatile int handled;

__attribute__((export_name("on_signal"))) void on_signal(int32_t sig) {
    handled = sig;
    wx_longjmp(b1, 9);
}

static int signal_scenario(void) {
    callback_signal("on_signal", 9);
    int r = wx_setjmp(b1);
    if (r == 0) {
        if (proc_raise_interval(14, 20 * 1000000LL, 0) != 0) return 1;
        for (;;) (void)thread_sleep(60LL * 1000000000LL);
    }
    say("left the handler by longjmp", r);
    say("signal", handled);
    return r == 9 && handled == 14 ? 0 : 1;
}

static int run_setjmp(const char *what, const char *arg) {
    round = 0;
    if (streq(what, "basic")) return basic();
    if (streq(what, "deep")) return deep();
    if (streq(what, "nested")) return nested();
    if (streq(what, "loop")) return loop(parse_u32(arg));
    if (streq(what, "bogus")) return bogus();
    if (streq(what, "signal")) return signal_scenario();
    return 2;
}

#ifndef WX_THREADS
void _start(void) {
    uint32_t argc = 0;
    char **argv = 0;
    const char *failed = 0;
    if (wx_load_args(&argc, &argv, &failed) != 0 || argc < 2) proc_exit(2);
    proc_exit(run_setjmp(argv[1], argc > 2 ? argv[2] : 0));
}
#endif
