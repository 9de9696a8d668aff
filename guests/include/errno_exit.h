/*
 * errno_exit.h - how our run-once test guests (wasm-host/src/test/guests: bounded-io.c, echo-client.c,
 * send-file.c, udp-echo.c, udp-probe.c) end when a call fails where nothing expects it: "GUEST_NAME: CALL
 * errno N" on stderr and exit status 10 + min(N, 100), so that a test reads the errno from the status alone.
 *
 * Define GUEST_NAME (the guest's name, which starts the message) before including it, after wasix.h.
 * scripts/build-guests.sh puts this directory on every C guest's include path.
 */
#ifndef WASIX_GUESTS_ERRNO_EXIT_H
#define WASIX_GUESTS_ERRNO_EXIT_H

static _Noreturn void fail(const char *call, int32_t err) {
    wx_write_str(2, GUEST_NAME ": ");
    wx_write_str(2, call);
    wx_write_str(2, " errno ");
    wx_write_u32(2, (uint32_t)err);
    wx_write_str(2, "\n");
    uint32_t e = (uint32_t)err;
    proc_exit((int32_t)(10 + (e > 100 ? 100 : e)));
}

static void check(const char *call, int32_t err) {
    if (err != 0) fail(call, err);
}

#endif
