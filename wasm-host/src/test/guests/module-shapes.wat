;; module-shapes.wat - test guest shaped as toolchains link modules for wasmer: it imports its memory
;; (env.memory, not shared) instead of defining it, has a start section, and exports _react, _malloc and
;; _free beside _start. The start function adds 1 to a counter in memory; _start exits with the counter, so
;; the exit status says how many times the start section ran (once per instance).
;; Build: scripts/build-guests.sh (wat2wasm --debug-names)
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "env" "memory" (memory 1 4))
  (func $init
    (i32.store (i32.const 64) (i32.add (i32.load (i32.const 64)) (i32.const 1))))
  (start $init)
  (func (export "_start")
    (call $proc_exit (i32.load (i32.const 64))))
  (func (export "_react"))
  (func (export "_malloc") (param i32) (result i32) (i32.const 1024))
  (func (export "_free") (param i32))
)
