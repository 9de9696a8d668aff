/*
 * scenario.h - what the one-scenario-per-run test guests (threads.c, signals.c and the guests that include
 * them) share: the scenario's argument parsing and its report on stdout, one fact per line, which the tests
 * read. Include it after wasix.h.
 */
#ifndef WASIX_TEST_SCENARIO_H
#define WASIX_TEST_SCENARIO_H

#include "scenario_args.h"

/* Reports that a call failed, and ends the run with 1. */
static _Noreturn void fail(const char *what, int32_t err) {
    wx_write_str(1, "FAILED ");
    wx_write_str(1, what);
    wx_write_str(1, " errno ");
    wx_write_u32(1, (uint32_t)err);
    wx_write_str(1, "\n");
    proc_exit(1);
}

/* One fact: "LABEL VALUE", in one write, so that threads' lines do not interleave. */
static void say(const char *label, uint32_t value) {
    char line[96];
    uint32_t n = 0;
    for (const char *p = label; *p && n < 80; p++) line[n++] = *p;
    line[n++] = ' ';
    n += wx_fmt_u32(line + n, value);
    line[n++] = '\n';
    (void)wx_write_all(1, line, n);
}

#endif
