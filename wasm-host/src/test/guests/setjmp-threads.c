// build-guests: threads -Wl,--max-memory=4194304 -Wl,--export=__data_end
// wasm-opt: -g --asyncify --pass-arg=asyncify-imports@wasix_32v1.stack_checkpoint,wasix_32v1.stack_restore
/*
 * setjmp-threads.c - test guest: the scenarios of setjmp.c in a module that spawns threads, run by a worker
 * thread (its stack is the one its spawn described; the asyncify data goes at its bottom) and then by the
 * main thread, one after the other: argv[1] names the scenario, as for setjmp.c. Prints the worker's lines,
 * then "worker N", then the main thread's lines.
 */
#define WX_THREADS 1
#define WX_MAX_THREADS 2
#define WX_STACK_SIZE 65536
#define SETJMP_MAIN 1
#include "wasix.h"
#include "wasix_threads.h"
#include "setjmp.c"

static const char *scenario, *scenario_arg;
static volatile int worker_status = -1;

static void worker(void *arg) {
    (void)arg;
    worker_status = run_setjmp(scenario, scenario_arg);
}

void _start(void) {
    uint32_t argc = 0;
    char **argv = 0;
    const char *failed = 0;
    if (wx_load_args(&argc, &argv, &failed) != 0 || argc < 2) proc_exit(2);
    scenario = argv[1];
    scenario_arg = argc > 2 ? argv[2] : 0;
    uint32_t tid = 0;
    if (wx_thread_spawn(worker, 0, &tid) != 0) proc_exit(3);
    (void)thread_join(tid);
    say("worker", worker_status);
    proc_exit(worker_status != 0 ? worker_status : run_setjmp(scenario, scenario_arg));
}
