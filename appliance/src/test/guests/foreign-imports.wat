;; foreign-imports.wat - test guest built for another runtime: it imports its memory under a name the host
;; does not create (env.mem; env.memory would be created) and a function no host of ours has
;; (wasix_32v1.frobnicate), so it exports no memory either. The one-line error must list the missing imports
;; first, then the missing memory export.
;; Build: scripts/build-guests.sh (wat2wasm --debug-names)
(module
  (import "wasix_32v1" "frobnicate" (func $frobnicate (param i32) (result i32)))
  (import "env" "mem" (memory 1))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (func $start (export "_start")
    (drop (call $frobnicate (i32.const 0))))
)
