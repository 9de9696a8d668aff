;; exit.wat - test guest whose _start calls proc_exit(7).
;; Build: scripts/build-guests.sh (wat2wasm --debug-names)
(module
  (import "wasi_snapshot_preview1" "proc_exit"
    (func $proc_exit (param $code i32)))

  (memory (export "memory") 1)

  (func $start (export "_start")
    (call $proc_exit (i32.const 7)))
)
