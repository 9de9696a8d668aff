;; futex-plain.wat - test guest: the futex calls on a memory that is not shared (a module built without
;; threads that still links them), on its one thread. Exits with (sum of the three errnos) * 100
;; + woken(wait with a 10 ms timeout on an unchanged value) * 4 + woken(wait on a changed value) * 2
;; + woken(wake with nobody waiting): 2 when all is right.
;; Build: scripts/build-guests.sh (wat2wasm --debug-names)
(module
  (import "wasix_32v1" "futex_wait" (func $futex_wait (param i32 i32 i32 i32) (result i32)))
  (import "wasix_32v1" "futex_wake" (func $futex_wake (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (local $errnos i32) (local $a i32) (local $b i32) (local $c i32)
    ;; OptionTimestamp at 16: tag 1 (some), 10 ms
    (i32.store8 (i32.const 16) (i32.const 1))
    (i64.store (i32.const 24) (i64.const 10000000))
    (local.set $errnos (call $futex_wait (i32.const 64) (i32.const 0) (i32.const 16) (i32.const 48)))
    (local.set $a (i32.load8_u (i32.const 48)))
    ;; tag 0 (none): the value is not 5, so it answers at once
    (i32.store8 (i32.const 16) (i32.const 0))
    (local.set $errnos (i32.add (local.get $errnos)
      (call $futex_wait (i32.const 64) (i32.const 5) (i32.const 16) (i32.const 48))))
    (local.set $b (i32.load8_u (i32.const 48)))
    (local.set $errnos (i32.add (local.get $errnos) (call $futex_wake (i32.const 64) (i32.const 48))))
    (local.set $c (i32.load8_u (i32.const 48)))
    (call $proc_exit (i32.add (i32.mul (local.get $errnos) (i32.const 100))
      (i32.add (i32.mul (local.get $a) (i32.const 4))
        (i32.add (i32.mul (local.get $b) (i32.const 2)) (local.get $c))))))
)
