;; memory.wat - the guest of the JMH memory lane (bench/src/main/java/io/wasix/bench/MemoryBench.java): guest
;; code that loads and stores, with no host call, to measure what the guest memory class costs compiled code.
(module
  (memory (export "memory") 2)

  ;; n rounds over the first 64 KiB: each i32 slot is loaded, added to a running sum and stored back, so
  ;; neither the loads nor the stores can be left out. Returns the sum.
  (func (export "load_store") (param $n i32) (result i32)
    (local $i i32)
    (local $acc i32)
    (block $done
      (loop $round
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $i (i32.const 0))
        (loop $slot
          (local.set $acc (i32.add (local.get $acc) (i32.load (local.get $i))))
          (i32.store (local.get $i) (local.get $acc))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br_if $slot (i32.lt_u (local.get $i) (i32.const 65536))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $round)))
    (local.get $acc))
)
