// build-guests: threads -Wl,--max-memory=4194304
/*
 * threads-wasi.c - test guest: the scenarios of threads.c, its threads spawned through the wasi-threads
 * proposal's wasi.thread-spawn(start) -> tid (entered through wasi_thread_start), the import wasix-libc's
 * pthread_create has used since 2023, instead of thread_spawn_v2.
 */
#define WX_SPAWN_WASI 1
#include "threads.c"
