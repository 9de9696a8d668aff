;; hello.wat - recipe (d) of docs/guests.md: an HTTP/1.1 server in WebAssembly text, every
;; import written out by hand. It listens on PORT (default 8080) on all IPv4 addresses and
;; answers each request "Hello from WAT".
;;
;; Build:  wat2wasm docs/recipes/hello.wat -o hello.wasm      (apt-get install wabt)
;; Run:    image/target/appliance/bin/appliance run hello.wasm
;; Try:    curl http://127.0.0.1:8080/
;;
;; Every call returns a WASI errno (0: success) and writes its results through pointers into
;; this module's memory, laid out as:
;;      16  the 20-byte socket address: family u8 (1 = IPv4), pad u8, port u16 LITTLE-endian
;;          (as bind and connect read it), then 16 address bytes (0.0.0.0 here)
;;      64  an iovec {ptr u32, len u32}     72  a count written back (bytes read or written)
;;      76  the listener's fd               80  an accepted connection's fd
;;      96  the peer's address (accept writes its port big-endian)
;;     128  the environment's count and size   256  the response
;;     512  messages for stderr              1024  environment pointers (at most 256)
;;    2048  the request, read in pieces   65536  the environment's strings (at most 64 KiB)
(module
  (import "wasix_32v1" "sock_open" (func $sock_open (param i32 i32 i32 i32) (result i32)))
  (import "wasix_32v1" "sock_set_opt_flag" (func $sock_set_opt_flag (param i32 i32 i32) (result i32)))
  (import "wasix_32v1" "sock_bind" (func $sock_bind (param i32 i32) (result i32)))
  (import "wasix_32v1" "sock_listen" (func $sock_listen (param i32 i32) (result i32)))
  (import "wasix_32v1" "sock_accept_v2" (func $sock_accept_v2 (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))

  (memory (export "memory") 2)

  (data (i32.const 256) "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 15\r\nConnection: close\r\n\r\nHello from WAT\n")
  (data (i32.const 512) "hello.wat: cannot listen\n")

  ;; Writes len bytes at ptr to fd, looping on short writes; 0 or the errno.
  (func $write_all (param $fd i32) (param $ptr i32) (param $len i32) (result i32)
    (local $err i32)
    (block $done
      (loop $more
        (br_if $done (i32.eqz (local.get $len)))
        (i32.store (i32.const 64) (local.get $ptr))
        (i32.store (i32.const 68) (local.get $len))
        (local.set $err (call $fd_write (local.get $fd) (i32.const 64) (i32.const 1) (i32.const 72)))
        (if (local.get $err) (then (return (local.get $err))))
        (local.set $ptr (i32.add (local.get $ptr) (i32.load (i32.const 72))))
        (local.set $len (i32.sub (local.get $len) (i32.load (i32.const 72))))
        (br $more)))
    (i32.const 0))

  ;; PORT from the environment, or 8080 when it is unset, empty, not a number or too big.
  (func $port (result i32)
    (local $i i32) (local $s i32) (local $port i32) (local $c i32)
    (if (call $environ_sizes_get (i32.const 128) (i32.const 132)) (then (return (i32.const 8080))))
    (if (i32.or (i32.gt_u (i32.load (i32.const 128)) (i32.const 256))
                (i32.gt_u (i32.load (i32.const 132)) (i32.const 65536)))
      (then (return (i32.const 8080))))
    (if (call $environ_get (i32.const 1024) (i32.const 65536)) (then (return (i32.const 8080))))
    (block $none
      (loop $next
        (br_if $none (i32.ge_u (local.get $i) (i32.load (i32.const 128))))
        (local.set $s (i32.load (i32.add (i32.const 1024) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        ;; "PORT=" is the bytes 50 4f 52 54 3d: the first four as one little-endian u32
        (br_if $next (i32.ne (i32.load (local.get $s)) (i32.const 0x54524f50)))
        (br_if $next (i32.ne (i32.load8_u offset=4 (local.get $s)) (i32.const 0x3d)))
        (local.set $s (i32.add (local.get $s) (i32.const 5)))
        (loop $digit
          (local.set $c (i32.sub (i32.load8_u (local.get $s)) (i32.const 48)))
          (if (i32.lt_u (local.get $c) (i32.const 10))
            (then
              (local.set $port (i32.add (i32.mul (local.get $port) (i32.const 10)) (local.get $c)))
              (if (i32.gt_u (local.get $port) (i32.const 65535)) (then (return (i32.const 8080))))
              (local.set $s (i32.add (local.get $s) (i32.const 1)))
              (br $digit))))
        (if (i32.and (i32.eqz (i32.load8_u (local.get $s))) (i32.ne (local.get $port) (i32.const 0)))
          (then (return (local.get $port))))
        (return (i32.const 8080))))
    (i32.const 8080))

  ;; Reads from fd until the blank line that ends a request head ("\r\n\r\n"), the end of the
  ;; stream or an error. $state counts how much of "\r\n\r\n" the last bytes matched.
  (func $read_head (param $fd i32)
    (local $state i32) (local $p i32) (local $end i32) (local $c i32)
    (loop $read
      (i32.store (i32.const 64) (i32.const 2048))
      (i32.store (i32.const 68) (i32.const 2048))
      (if (call $fd_read (local.get $fd) (i32.const 64) (i32.const 1) (i32.const 72)) (then (return)))
      (if (i32.eqz (i32.load (i32.const 72))) (then (return)))
      (local.set $p (i32.const 2048))
      (local.set $end (i32.add (i32.const 2048) (i32.load (i32.const 72))))
      (loop $byte
        (local.set $c (i32.load8_u (local.get $p)))
        (local.set $state
          (if (result i32) (i32.eq (local.get $c)
                                   (select (i32.const 13) (i32.const 10) (i32.eqz (i32.and (local.get $state) (i32.const 1)))))
            (then (i32.add (local.get $state) (i32.const 1)))
            (else (i32.eq (local.get $c) (i32.const 13)))))
        (if (i32.eq (local.get $state) (i32.const 4)) (then (return)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br_if $byte (i32.lt_u (local.get $p) (local.get $end))))
      (br $read)))

  (func (export "_start")
    (local $port i32) (local $fd i32)
    (local.set $port (call $port))
    ;; sock_open(IPv4 = 1, stream = 1, TCP = 6, -> fd)
    (if (call $sock_open (i32.const 1) (i32.const 1) (i32.const 6) (i32.const 76)) (then (call $fail)))
    ;; SO_REUSEADDR (option 2): a restart finds the port free while old connections linger
    (drop (call $sock_set_opt_flag (i32.load (i32.const 76)) (i32.const 2) (i32.const 1)))
    (i32.store8 (i32.const 16) (i32.const 1))          ;; family: IPv4; the address stays 0.0.0.0
    (i32.store16 (i32.const 18) (local.get $port))     ;; the port, little-endian as wasm stores it
    (if (call $sock_bind (i32.load (i32.const 76)) (i32.const 16)) (then (call $fail)))
    (if (call $sock_listen (i32.load (i32.const 76)) (i32.const 128)) (then (call $fail)))
    (loop $serve
      ;; a failed accept (a connection reset before it was taken) is skipped
      (if (i32.eqz (call $sock_accept_v2 (i32.load (i32.const 76)) (i32.const 0) (i32.const 80) (i32.const 96)))
        (then
          (local.set $fd (i32.load (i32.const 80)))
          (call $read_head (local.get $fd))
          (drop (call $write_all (local.get $fd) (i32.const 256) (i32.const 99)))
          (drop (call $fd_close (local.get $fd)))))
      (br $serve)))

  (func $fail
    (drop (call $write_all (i32.const 2) (i32.const 512) (i32.const 25)))
    (call $proc_exit (i32.const 1))))
