;; spin.wat - test guest: $spin loops for ever without calling the host; $yield_then_spin calls sched_yield once
;; (a host call), then spins. WasixHost.stop() must still end both, by interrupting the thread, compiled or
;; interpreted (InterruptTest); and a heartbeat must show the thread in guest code all along.
;; Build: scripts/build-guests.sh (wat2wasm)
(module
  (import "wasi_snapshot_preview1" "sched_yield" (func $sched_yield (result i32)))
  (memory (export "memory") 1)
  (func $spin (export "spin")
    (loop $again
      (br $again)))
  (func (export "yield_then_spin")
    (drop (call $sched_yield))
    (call $spin))
  (func (export "_start")
    (call $spin)))
