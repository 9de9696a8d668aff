;; handwritten.wat - a minimal HTTP server written the way people hand-write WAT against
;; wasmer's WASIX: raw imports, a hand-made 20-byte address struct (port little-endian, as
;; wasmer reads input addresses), one canned response, no request parsing. Errors are mostly
;; ignored: setup failures trap, a failed accept just loops again.
;; Build: scripts/build-guests.sh (wat2wasm --debug-names)
(module
  (import "wasix_32v1" "sock_open"
    (func $sock_open (param $af i32) (param $socktype i32) (param $proto i32) (param $ret_fd i32) (result i32)))
  (import "wasix_32v1" "sock_bind"
    (func $sock_bind (param $fd i32) (param $addr i32) (result i32)))
  (import "wasix_32v1" "sock_listen"
    (func $sock_listen (param $fd i32) (param $backlog i32) (result i32)))
  (import "wasix_32v1" "sock_accept_v2"
    (func $sock_accept_v2 (param $fd i32) (param $flags i32) (param $ret_fd i32) (param $ret_addr i32) (result i32)))
  (import "wasix_32v1" "sock_send"
    (func $sock_send (param $fd i32) (param $si_data i32) (param $si_data_len i32) (param $si_flags i32) (param $ret_data_len i32) (result i32)))
  (import "wasix_32v1" "sock_shutdown"
    (func $sock_shutdown (param $fd i32) (param $how i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close"
    (func $fd_close (param $fd i32) (result i32)))

  (memory (export "memory") 1)

  ;; scratch:  0 listen fd | 4 conn fd | 8 bytes sent | 48..68 peer address (written by accept)
  ;; 0.0.0.0:8080 -> family 1 (inet4), pad, port 8080 = 0x1f90 little-endian, ip 0.0.0.0, rest zero
  (data (i32.const 16) "\01\00\90\1f\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00")
  ;; ciovec { ptr = 128, len = 97 }
  (data (i32.const 96) "\80\00\00\00\61\00\00\00")
  (data (i32.const 128)
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Length: 13\r\n"
    "Connection: close\r\n"
    "\r\n"
    "Hello, World!")

  (func $main (export "_start")
    (local $listen_fd i32)
    (local $conn_fd i32)

    ;; socket(AF_INET, SOCK_STREAM, 0)
    (if (call $sock_open (i32.const 1) (i32.const 1) (i32.const 0) (i32.const 0))
      (then unreachable))
    (local.set $listen_fd (i32.load (i32.const 0)))

    (if (call $sock_bind (local.get $listen_fd) (i32.const 16))
      (then unreachable))
    (if (call $sock_listen (local.get $listen_fd) (i32.const 128))
      (then unreachable))

    (loop $accept_loop
      ;; on error try the next connection
      (br_if $accept_loop
        (call $sock_accept_v2 (local.get $listen_fd) (i32.const 0) (i32.const 4) (i32.const 48)))
      (local.set $conn_fd (i32.load (i32.const 4)))

      (drop (call $sock_send (local.get $conn_fd) (i32.const 96) (i32.const 1) (i32.const 0) (i32.const 8)))
      (drop (call $sock_shutdown (local.get $conn_fd) (i32.const 2)))  ;; 2 = WR in WASIX's bitmask
      (drop (call $fd_close (local.get $conn_fd)))
      (br $accept_loop)))
)
