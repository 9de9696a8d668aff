;; noread.wat - the load benchmark's hand-written guest (bench/load/run.sh, row appliance-noread): the
;; smallest connection-per-request server, written directly in WAT against the WASIX socket imports.
;; For every connection: accept (no peer address asked), send one fixed HTTP response, shut the write
;; side down, close. It never reads the request. Its native peer is bench/load/servers/noread.c.
;;
;;   PORT  environment variable, decimal (default 8080). It always binds 127.0.0.1: a benchmark guest.
;;
;; Memory:  0 ret slots (listener fd, accepted fd, count), 16 the bind address (20 bytes), 48 one ciovec,
;;          64 environ_sizes_get results, 128 the response, 1024 environ pointers, 4096 environ strings.
(module
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (import "wasix_32v1" "sock_open" (func $sock_open (param i32 i32 i32 i32) (result i32)))
  (import "wasix_32v1" "sock_set_opt_flag" (func $sock_set_opt_flag (param i32 i32 i32) (result i32)))
  (import "wasix_32v1" "sock_bind" (func $sock_bind (param i32 i32) (result i32)))
  (import "wasix_32v1" "sock_listen" (func $sock_listen (param i32 i32) (result i32)))
  (import "wasix_32v1" "sock_accept_v2" (func $sock_accept_v2 (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_send" (func $sock_send (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_shutdown" (func $sock_shutdown (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))

  (memory (export "memory") 1)
  (data (i32.const 128)
    "HTTP/1.1 200 OK\0d\0aContent-Type: text/plain\0d\0aContent-Length: 13\0d\0aConnection: close\0d\0a\0d\0aHello, World!")
  (global $response_len i32 (i32.const 97))

  ;; The PORT variable's value as a number, or 8080: environ strings are "NAME=value\0" from 4096 on.
  (func $port (result i32)
    (local $count i32) (local $i i32) (local $p i32) (local $c i32) (local $n i32)
    (if (call $environ_sizes_get (i32.const 64) (i32.const 68)) (then (return (i32.const 8080))))
    (local.set $count (i32.load (i32.const 64)))
    (if (i32.gt_u (local.get $count) (i32.const 256)) (then (return (i32.const 8080))))
    (if (i32.gt_u (i32.load (i32.const 68)) (i32.const 60000)) (then (return (i32.const 8080))))
    (if (call $environ_get (i32.const 1024) (i32.const 4096)) (then (return (i32.const 8080))))
    (block $none
      (loop $next
        (br_if $none (i32.ge_u (local.get $i) (local.get $count)))
        (local.set $p (i32.load (i32.add (i32.const 1024) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        ;; "PORT=" little-endian: 'P' 'O' 'R' 'T' then '='
        (br_if $next (i32.ne (i32.load (local.get $p)) (i32.const 0x54524f50)))
        (br_if $next (i32.ne (i32.load8_u (i32.add (local.get $p) (i32.const 4))) (i32.const 61)))
        (local.set $p (i32.add (local.get $p) (i32.const 5)))
        (block $end
          (loop $digit
            (local.set $c (i32.sub (i32.load8_u (local.get $p)) (i32.const 48)))
            (br_if $end (i32.gt_u (local.get $c) (i32.const 9)))
            (local.set $n (i32.add (i32.mul (local.get $n) (i32.const 10)) (local.get $c)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $digit)))
        (return (local.get $n))))
    (i32.const 8080))

  (func $check (param $err i32)
    (if (local.get $err) (then (call $proc_exit (i32.const 1)))))

  (func (export "_start")
    (local $port i32) (local $fd i32)
    (local.set $port (call $port))
    ;; listener: IPv4 stream socket, SO_REUSEADDR, bound to 127.0.0.1:PORT (port little-endian on input)
    (call $check (call $sock_open (i32.const 1) (i32.const 1) (i32.const 0) (i32.const 0)))
    (drop (call $sock_set_opt_flag (i32.load (i32.const 0)) (i32.const 2) (i32.const 1)))
    (i32.store8 (i32.const 16) (i32.const 1))
    (i32.store16 (i32.const 18) (local.get $port))
    (i32.store (i32.const 20) (i32.const 0x0100007f))
    (call $check (call $sock_bind (i32.load (i32.const 0)) (i32.const 16)))
    (call $check (call $sock_listen (i32.load (i32.const 0)) (i32.const 1024)))
    (i32.store (i32.const 48) (i32.const 128))
    (i32.store (i32.const 52) (global.get $response_len))
    (loop $serve
      (if (i32.eqz (call $sock_accept_v2 (i32.load (i32.const 0)) (i32.const 0) (i32.const 4) (i32.const 0)))
        (then
          (local.set $fd (i32.load (i32.const 4)))
          (drop (call $sock_send (local.get $fd) (i32.const 48) (i32.const 1) (i32.const 0) (i32.const 8)))
          (drop (call $sock_shutdown (local.get $fd) (i32.const 2)))
          (drop (call $fd_close (local.get $fd)))))
      (br $serve)))
)
