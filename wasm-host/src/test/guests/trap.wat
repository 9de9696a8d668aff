;; trap.wat - test guest whose _start calls $boom, which traps (unreachable).
;; Built with wat2wasm --debug-names so the name section carries "boom" for stack traces.
(module
  (memory (export "memory") 1)

  (func $boom
    unreachable)

  (func $start (export "_start")
    call $boom)
)
