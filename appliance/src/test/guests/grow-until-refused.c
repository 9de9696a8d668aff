/*
 * grow-until-refused.c - test guest: grows its memory STEP pages at a time (argv[1], default 16 = 1 MiB)
 * until memory.grow answers -1, then prints "pages N" (its final size in 64 KiB pages) on stdout and
 * exits 0. Under --max-memory, or a heap too small for the limit, it must see -1, not end the appliance.
 *
 * Build: scripts/build-guests.sh
 */
#include "wasix.h"

void _start(void) {
    uint32_t argc = 0;
    char **argv = NULL;
    const char *call = "";
    if (wx_load_args(&argc, &argv, &call) != 0) proc_exit(2);
    uint32_t step = 16;
    if (argc > 1) {
        step = 0;
        for (const char *p = argv[1]; *p >= '0' && *p <= '9'; p++) step = step * 10 + (uint32_t)(*p - '0');
        if (step == 0) proc_exit(2);
    }
    while (__builtin_wasm_memory_grow(0, step) != (__SIZE_TYPE__)-1) {
    }
    // One write for the whole line: shards print to the same stdout, and three writes could interleave.
    char line[24] = "pages ";
    uint32_t n = 6 + wx_fmt_u32(line + 6, (uint32_t)__builtin_wasm_memory_size(0));
    line[n++] = '\n';
    (void)wx_write_all(1, line, n);
    proc_exit(0);
}
