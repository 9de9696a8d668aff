;; hostcall.wat - the guest of the JMH host-call lanes (bench/src/main/java/io/wasix/bench/HostCallBench.java).
;; Each export loops n times inside wasm, so a benchmark measures calls from wasm into the host, not the
;; cost of entering the module from Java.
;;
;; Memory:  8 ret slot, 16 one iovec {1024, 64}, 64 an input socket address (written by the benchmark),
;;          1024 the 64 bytes sent.
(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasix_32v1" "sock_open" (func $sock_open (param i32 i32 i32 i32) (result i32)))
  (import "wasix_32v1" "sock_connect" (func $sock_connect (param i32 i32) (result i32)))
  (import "wasix_32v1" "sock_send" (func $sock_send (param i32 i32 i32 i32 i32) (result i32)))

  (memory (export "memory") 1 1)
  (data (i32.const 16) "\00\04\00\00\40\00\00\00")
  (data (i32.const 1024) "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")

  ;; The same loop with no call: the wasm side of the other lanes.
  (func (export "loop_only") (param $n i32) (result i32)
    (local $acc i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (i32.load (i32.const 8))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $acc))

  ;; n calls of args_sizes_get, a host call that only writes two i32s; returns the OR of their errnos.
  (func (export "trivial") (param $n i32) (result i32)
    (local $err i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $err (i32.or (local.get $err) (call $args_sizes_get (i32.const 0) (i32.const 4))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $err))

  ;; A TCP socket connected to the address at 64; returns its fd, or -1000 - errno.
  (func (export "open_connect") (result i32)
    (local $err i32)
    (local.set $err (call $sock_open (i32.const 1) (i32.const 1) (i32.const 0) (i32.const 8)))
    (if (local.get $err) (then (return (i32.sub (i32.const -1000) (local.get $err)))))
    (local.set $err (call $sock_connect (i32.load (i32.const 8)) (i32.const 64)))
    (if (local.get $err) (then (return (i32.sub (i32.const -1000) (local.get $err)))))
    (i32.load (i32.const 8)))

  ;; n sock_send calls of the 64 bytes at 1024 on fd; returns the OR of their errnos.
  (func (export "send") (param $fd i32) (param $n i32) (result i32)
    (local $err i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $err (i32.or (local.get $err)
          (call $sock_send (local.get $fd) (i32.const 16) (i32.const 1) (i32.const 0) (i32.const 8))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $err))
)
