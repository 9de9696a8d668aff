;; stack-exhaust.wat - test guest whose _start recurses in $descend without end, so the call stack runs out.
;; The trap line must still name the function (compiled: from the overflow's own frames; interpreted: from
;; the interpreter's record). Build: scripts/build-guests.sh (wat2wasm --debug-names)
(module
  (memory (export "memory") 1)

  (func $descend (param i32)
    (call $descend (i32.add (local.get 0) (i32.const 1))))

  (func $start (export "_start")
    (call $descend (i32.const 0)))
)
