;; atomics.wat - the guest of the JMH atomics lane (bench/src/main/java/io/wasix/bench/AtomicsBench.java): guest
;; code that runs the threads proposal's read-modify-write operations, with no host call, to measure what the
;; shared memory's atomics cost compiled code (io.wasix.host.abi.SharedMemory).
;; build-guests: --enable-threads
(module
  (memory (export "memory") 1 1 shared)

  ;; n rounds, each one operation of every shape the shared memory implements per width: an i32 add, an i64
  ;; compare-and-exchange that succeeds, a 16-bit xor and an 8-bit exchange, on four separate words.
  ;; Returns the i32 counter, so no operation can be left out.
  (func (export "rmw") (param $n i32) (result i32)
    (local $old i64)
    (block $done
      (loop $round
        (br_if $done (i32.eqz (local.get $n)))
        (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
        (local.set $old (i64.atomic.load (i32.const 8)))
        (drop (i64.atomic.rmw.cmpxchg (i32.const 8) (local.get $old)
                                      (i64.add (local.get $old) (i64.const 1))))
        (drop (i32.atomic.rmw16.xor_u (i32.const 16) (i32.const 0x5a5a)))
        (drop (i32.atomic.rmw8.xchg_u (i32.const 24) (local.get $n)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $round)))
    (i32.atomic.load (i32.const 0)))
)
