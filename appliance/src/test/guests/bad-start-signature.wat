;; A module whose _start takes and returns an i32: not a WASI command (Chicory would call it with no
;; arguments and fail inside the compiled code). The appliance refuses it on one line.
(module
  (memory (export "memory") 1)
  (func (export "_start") (param i32) (result i32)
    local.get 0))
