// build-guests: threads -Wl,--max-memory=4194304
/*
 * threads-2023.c - test guest: the scenarios of threads.c, its threads spawned through the 2023 ABI's
 * five-argument thread_spawn (entered through _start_thread) instead of thread_spawn_v2.
 */
#define WX_SPAWN_2023 1
#include "threads.c"
