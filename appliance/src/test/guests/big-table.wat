;; A table of 10^8 entries, ten times what Chicory allows (WasmLimits.MAX_TABLE_ENTRIES): the load error
;; says so, instead of "minimum greater than maximum".
(module
  (memory (export "memory") 1)
  (table 100000000 funcref)
  (func (export "_start")))
