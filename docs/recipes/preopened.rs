//! preopened.rs - a WASI preview 1 server in Rust std alone, run as wasmtime runs it: the appliance
//! opens the listening socket (--tcplisten) and hands it over as fd 3; std accepts on it with
//! preview 1's sock_accept. Nothing here is WASIX: the same module runs under
//! `wasmtime run -S tcplisten=127.0.0.1:8080`.
//!
//! Each connection gets one HTTP/1.1 answer, "GREETING from Rust std, request N", where GREETING
//! comes from the environment (default "Hello"; --env GREETING passes the host's own).
//!
//! Build (needs rustc and libstd-rust-dev-wasm32; Debian's rustc is /usr/bin/rustc):
//!   /usr/bin/rustc --edition 2021 --target wasm32-wasi -C opt-level=2 -C strip=debuginfo -o preopened.wasm docs/recipes/preopened.rs
//! Run:
//!   image/target/appliance/bin/appliance run --tcplisten 127.0.0.1:8080 preopened.wasm
//! Try:
//!   curl http://127.0.0.1:8080/

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::wasi::io::FromRawFd;

fn serve(mut conn: TcpStream, greeting: &str, n: u64) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let got = conn.read(&mut buf)?;
        if got == 0 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..got]);
    }
    let body = format!("{} from Rust std, request {}\n", greeting, n);
    write!(conn, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}", body.len(), body)
}

fn main() {
    let greeting = std::env::var("GREETING").unwrap_or_else(|_| "Hello".to_string());
    // fd 3: the first preopened listener when no directory is preopened (mounts come first).
    let listener = unsafe { TcpListener::from_raw_fd(3) };
    let mut served = 0u64;
    for conn in listener.incoming() {
        match conn {
            Ok(conn) => {
                served += 1;
                if let Err(e) = serve(conn, &greeting, served) {
                    eprintln!("preopened: {}", e);
                }
            }
            Err(e) => {
                eprintln!("preopened: accept failed: {}", e);
                std::process::exit(1);
            }
        }
    }
}
