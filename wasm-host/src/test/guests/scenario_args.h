/*
 * scenario_args.h - how a one-scenario-per-run test guest reads its scenario's name and number from argv:
 * scenario.h (threads.c, signals.c) and setjmp.c, whose own report prints signed values, share it.
 */
#ifndef WASIX_TEST_SCENARIO_ARGS_H
#define WASIX_TEST_SCENARIO_ARGS_H

/* The decimal number s starts with (0 when none, or s is NULL). */
static uint32_t parse_u32(const char *s) {
    uint32_t v = 0;
    while (s && *s >= '0' && *s <= '9') v = v * 10 + (uint32_t)(*s++ - '0');
    return v;
}

static int streq(const char *a, const char *b) {
    while (*a && *a == *b) a++, b++;
    return *a == *b;
}

#endif
