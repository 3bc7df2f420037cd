//! Runs the real `rustmost` binary: it serves ping within seconds from a fresh folder, places
//! itself with MM_* variables, and exits 0 on SIGTERM.

#[path = "support/exe.rs"]
mod exe;

use exe::refused_start;
use std::process::Command;
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn http_get(port: u16, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

#[test]
fn starts_fast_serves_ping_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let started = Instant::now();
    // The server logs (to stdout) and errors (to stderr) land in one file.
    let log_file = std::fs::File::create(dir.path().join("stderr.log")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_rustmost"))
        .current_dir(dir.path())
        .env(
            "MM_SERVICESETTINGS_LISTENADDRESS",
            format!("127.0.0.1:{port}"),
        )
        .env("MM_CONFIG", dir.path().join("conf/config.json"))
        .env(
            "MM_SQLSETTINGS_DATASOURCE",
            dir.path().join("db/rustmost.db"),
        )
        .stdout(log_file.try_clone().unwrap())
        .stderr(log_file)
        .spawn()
        .unwrap();
    // Startup takes well under a second; the generous bound only absorbs a loaded CI machine.
    // Connecting only once the server says it listens avoids a TCP self-connect: a probe to a
    // port nobody has bound yet can be given that same port as its source and connect to itself,
    // which would then keep the server from binding it.
    let mut ping = None;
    while started.elapsed() < Duration::from_secs(30) {
        let log = std::fs::read_to_string(dir.path().join("stderr.log")).unwrap_or_default();
        if log.contains("rustmost is listening")
            && let Some(r) = http_get(port, "/api/v4/system/ping")
        {
            ping = Some(r);
            break;
        }
        if let Some(status) = child.try_wait().unwrap() {
            let log = std::fs::read_to_string(dir.path().join("stderr.log")).unwrap_or_default();
            panic!("server exited early with {status:?}:\n{log}");
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    let Some(ping) = ping else {
        let _ = child.kill();
        let log = std::fs::read_to_string(dir.path().join("stderr.log")).unwrap_or_default();
        panic!("no answer to ping within 30 s; server log:\n{log}");
    };
    let up = started.elapsed();
    assert!(ping.starts_with("HTTP/1.1 200"), "{ping}");
    assert!(ping.contains("\"status\":\"OK\""));
    eprintln!("first ping answered after {up:?}");
    assert!(dir.path().join("conf/config.json").exists());
    assert!(dir.path().join("db/rustmost.db").exists());
    let st = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(st.success());
    let t = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "exit status {status:?}");
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "did not exit within 10 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn refuses_an_unknown_driver_with_a_clear_error() {
    let err = refused_start(&[], &[("MM_SQLSETTINGS_DRIVERNAME", "mysql")]);
    assert!(err.contains("DriverName"), "{err}");
}

#[test]
fn refuses_postgres_without_a_postgres_data_source() {
    let err = refused_start(
        &[],
        &[
            ("MM_SQLSETTINGS_DRIVERNAME", "postgres"),
            ("MM_SQLSETTINGS_DATASOURCE", "./data/rustmost.db"),
        ],
    );
    assert!(err.contains("needs a postgres:// DataSource"), "{err}");
}
