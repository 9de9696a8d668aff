/*
 * pingpong.c - the native peer of FutexPingPongBench: round trips between two pthreads over Linux futexes,
 * in the protocol of bench/src/main/resources/guests/futex-pingpong.c. Prints the nanoseconds per round trip
 * of ROUNDS round trips, after WARMUP of them.
 *
 *   gcc -O2 -pthread -o pingpong pingpong.c && ./pingpong [ROUNDS]
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define WARMUP 20000

static _Atomic uint32_t word;

static void futex_wait(_Atomic uint32_t *addr, uint32_t expected) {
    syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
}

static void futex_wake(_Atomic uint32_t *addr) {
    syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void *partner(void *arg) {
    (void)arg;
    for (;;) {
        while (atomic_load_explicit(&word, memory_order_acquire) == 0) futex_wait(&word, 0);
        atomic_store_explicit(&word, 0, memory_order_release);
        futex_wake(&word);
    }
    return NULL;
}

static void pingpong(long n) {
    for (long i = 0; i < n; i++) {
        atomic_store_explicit(&word, 1, memory_order_release);
        futex_wake(&word);
        while (atomic_load_explicit(&word, memory_order_acquire) != 0) futex_wait(&word, 1);
    }
}

int main(int argc, char **argv) {
    long rounds = argc > 1 ? atol(argv[1]) : 200000;
    pthread_t t;
    pthread_create(&t, NULL, partner, NULL);
    pingpong(WARMUP);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    pingpong(rounds);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double ns = (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec);
    printf("%.1f\n", ns / rounds);
    return 0;
}
