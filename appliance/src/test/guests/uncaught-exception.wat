;; build-guests: --enable-exceptions
;; A guest whose _start throws a wasm exception (exception-handling proposal) that nothing catches: the
;; appliance ends it as a trap (134), naming the tag, as it would any other trap.
(module
  (memory (export "memory") 1)
  (tag $oops (param i32))
  (func $_start (export "_start")
    i32.const 7
    throw $oops))
