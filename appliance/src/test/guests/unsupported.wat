;; unsupported.wat - test guest: calls process functions this host links but does not implement yet.
;; proc_fork, proc_signal and proc_spawn must each answer ENOTSUP (58), and proc_join ECHILD (12): with no way
;; to make a child there is none to join; if one does not, the guest exits 1. Then it calls proc_exec, which must not return (wasix-libc declares it _Noreturn): the host ends
;; the guest with a trap line that names it (status 134). Run with --stats, every call shows up, ENOTSUP.
;; Build: scripts/build-guests.sh (wat2wasm --debug-names)
(module
  (import "wasix_32v1" "proc_fork"   (func $proc_fork   (param i32 i32) (result i32)))
  (import "wasix_32v1" "proc_join"   (func $proc_join   (param i32 i32 i32) (result i32)))
  (import "wasix_32v1" "proc_signal" (func $proc_signal (param i32 i32) (result i32)))
  (import "wasix_32v1" "proc_spawn"
    (func $proc_spawn (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasix_32v1" "proc_exec"   (func $proc_exec   (param i32 i32 i32 i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))

  (memory (export "memory") 1)

  (func $expect_enotsup (param $errno i32)
    (if (i32.ne (local.get $errno) (i32.const 58))
      (then (call $proc_exit (i32.const 1)))))

  (func $expect_echild (param $errno i32)
    (if (i32.ne (local.get $errno) (i32.const 12))
      (then (call $proc_exit (i32.const 1)))))

  (func $run_exec (param $path i32)
    (call $proc_exec (local.get $path) (i32.const 2) (i32.const 0) (i32.const 0))
    unreachable)

  (func (export "_start")
    (call $expect_enotsup (call $proc_fork (i32.const 0) (i32.const 16)))
    (call $expect_echild (call $proc_join (i32.const 16) (i32.const 0) (i32.const 20)))
    (call $expect_enotsup (call $proc_signal (i32.const 2) (i32.const 15)))
    (call $expect_enotsup (call $proc_spawn (i32.const 0) (i32.const 2) (i32.const 0) (i32.const 0)
        (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
        (i32.const 0) (i32.const 0) (i32.const 32)))
    (call $run_exec (i32.const 48)))
)
