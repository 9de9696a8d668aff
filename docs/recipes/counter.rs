//! counter.rs - recipe (c) of docs/guests.md: Rust with Debian's rustc and its wasm32-wasi std
//! (files, environment, stderr), plus the WASIX socket calls, which std does not have, declared
//! by hand from the wasix_32v1 import module.
//!
//! An HTTP/1.1 server on PORT (default 8080): each request adds one to the number kept in
//! /data/count and answers "GREETING, visitor N" (GREETING from the environment, default
//! "Hello"). Without a mount at /data it answers 500 and says which flag gives it one.
//!
//! Build (needs rustc and libstd-rust-dev-wasm32; Debian's rustc is /usr/bin/rustc):
//!   /usr/bin/rustc --edition 2021 --target wasm32-wasi -C opt-level=2 -C strip=debuginfo -o counter.wasm docs/recipes/counter.rs
//! Run, keeping the count in ./data:
//!   image/target/appliance/bin/appliance run --dir ./data::/data --env GREETING=Hi counter.wasm
//! Try:
//!   curl http://127.0.0.1:8080/

use std::fs::File;
use std::io::{Read, Write};
use std::os::wasi::io::FromRawFd;

/// The 20-byte address WASIX calls take: family (1 = IPv4), a pad byte, the port, the address.
/// The port is little-endian going in (bind, connect) and big-endian coming out (accept).
#[repr(C)]
struct AddrPort {
    family: u8,
    pad: u8,
    port: [u8; 2],
    addr: [u8; 16],
}

const AF_INET4: i32 = 1;
const SOCK_STREAM: i32 = 1;
const PROTO_TCP: i32 = 6;
const OPT_REUSE_ADDR: i32 = 2;

// Each returns a WASI errno: 0 is success.
#[link(wasm_import_module = "wasix_32v1")]
extern "C" {
    fn sock_open(af: i32, socktype: i32, proto: i32, ret_fd: *mut i32) -> i32;
    fn sock_set_opt_flag(fd: i32, opt: i32, flag: i32) -> i32;
    fn sock_bind(fd: i32, addr: *const AddrPort) -> i32;
    fn sock_listen(fd: i32, backlog: i32) -> i32;
    fn sock_accept_v2(fd: i32, fdflags: i32, ret_fd: *mut i32, ret_addr: *mut AddrPort) -> i32;
}

fn check(call: &str, errno: i32) {
    if errno != 0 {
        eprintln!("counter: {} failed: errno {}", call, errno);
        std::process::exit(1);
    }
}

fn listen(port: u16) -> i32 {
    let mut fd = -1;
    let addr = AddrPort { family: 1, pad: 0, port: port.to_le_bytes(), addr: [0; 16] };
    unsafe {
        check("sock_open", sock_open(AF_INET4, SOCK_STREAM, PROTO_TCP, &mut fd));
        sock_set_opt_flag(fd, OPT_REUSE_ADDR, 1); // a restart finds the port free during TIME_WAIT
        check("sock_bind", sock_bind(fd, &addr));
        check("sock_listen", sock_listen(fd, 128));
    }
    fd
}

/// The next count, kept in /data/count (std::fs: the appliance serves it from the mount at /data).
fn next_visit() -> std::io::Result<u64> {
    let previous = match std::fs::read_to_string("/data/count") {
        Ok(text) => text.trim().parse().unwrap_or(0),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
        Err(e) => return Err(e),
    };
    std::fs::write("/data/count", format!("{}\n", previous + 1))?;
    Ok(previous + 1)
}

fn serve(mut conn: File, greeting: &str) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = conn.read(&mut buf)?; // fd_read: a socket reads like a file
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
    }
    let (status, body) = match next_visit() {
        Ok(n) => ("200 OK", format!("{}, visitor {}\n", greeting, n)),
        Err(e) => ("500 Internal Server Error",
                   format!("cannot keep the count in /data ({}): run with --dir DIR::/data or --tmpfs /data\n", e)),
    };
    write!(conn, "HTTP/1.1 {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}", status, body.len(), body)
}

fn main() {
    let port = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(8080u16);
    let greeting = std::env::var("GREETING").unwrap_or_else(|_| "Hello".to_string());
    let listener = listen(port);
    eprintln!("counter: listening on port {}", port);
    loop {
        let mut fd = -1;
        let mut peer = AddrPort { family: 0, pad: 0, port: [0; 2], addr: [0; 16] };
        if unsafe { sock_accept_v2(listener, 0, &mut fd, &mut peer) } != 0 {
            continue; // a connection that failed before we took it
        }
        // The File owns the fd: dropping it closes the connection.
        let conn = unsafe { File::from_raw_fd(fd) };
        if let Err(e) = serve(conn, &greeting) {
            eprintln!("counter: {}", e);
        }
    }
}
