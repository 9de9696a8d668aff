;; missing-import.wat - test guest that imports functions no host provides:
;; wasix_32v1.frobnicate and env.not_there (next to a real one, wasix_32v1.sock_open).
;; Instantiation must fail with a clear "unknown import" style error naming them.
;; Build: scripts/build-guests.sh (wat2wasm --debug-names)
(module
  (import "wasix_32v1" "sock_open"
    (func $sock_open (param i32 i32 i32 i32) (result i32)))
  (import "wasix_32v1" "frobnicate"
    (func $frobnicate (param i32) (result i32)))
  (import "env" "not_there"
    (func $not_there))

  (memory (export "memory") 1)

  (func $start (export "_start")
    (drop (call $sock_open (i32.const 1) (i32.const 1) (i32.const 0) (i32.const 0)))
    (drop (call $frobnicate (i32.const 0)))
    (call $not_there))
)
