/*
 * fallback-trap.c - test guest whose functions outer_too_large and inner_too_large are each too large for
 * one JVM method, so Chicory's compiler leaves them to its interpreter. _start (compiled) calls
 * outer_too_large, which calls inner_too_large in the interpreter, which divides by zero. The trap line must
 * name inner_too_large, not the outer function through which the interpreter was entered.
 * Size: 3,000 steps per function fall back with Chicory 1.7.5, 2,500 still compile (TrapSiteTest checks).
 * Build: scripts/build-guests.sh (clang, freestanding wasm32)
 */
static volatile int cell;
static volatile int zero;

/* Each step loads and stores memory: several JVM instructions per wasm instruction once compiled. */
#define STEP cell += cell ^ 3;
#define STEP10 STEP STEP STEP STEP STEP STEP STEP STEP STEP STEP
#define STEP100 STEP10 STEP10 STEP10 STEP10 STEP10 STEP10 STEP10 STEP10 STEP10 STEP10
#define STEP1000 STEP100 STEP100 STEP100 STEP100 STEP100 STEP100 STEP100 STEP100 STEP100 STEP100

__attribute__((noinline)) static int inner_too_large(int divisor) {
    STEP1000 STEP1000 STEP1000
    return cell / divisor;
}

__attribute__((noinline)) static int outer_too_large(int divisor) {
    STEP1000 STEP1000 STEP1000
    return inner_too_large(divisor) + cell;
}

void _start(void) {
    cell = outer_too_large(zero);
}
