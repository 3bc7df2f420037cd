//! Runs `wrk` (the one load generator for both servers) and reads its figures.

use anyhow::{Context, bail};
use std::process::Command;

/// One scenario's figures on one server.
#[derive(Debug, Clone, Copy, Default)]
pub struct Figures {
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Non-2xx answers and socket errors: a scenario with any is reported, never hidden.
    pub errors: u64,
}

/// What to send.
pub struct Load<'a> {
    pub base: &'a str,
    pub path: &'a str,
    pub token: &'a str,
    /// A Lua `request` function body producing the request, or `None` for a plain GET.
    pub lua_request: Option<String>,
}

/// Runs wrk for `secs` seconds with `threads` threads and `conns` connections.
pub fn run(load: &Load, secs: u64, threads: u32, conns: u32) -> anyhow::Result<Figures> {
    let dir = tempfile::tempdir()?;
    let script = dir.path().join("s.lua");
    let mut lua = format!(
        "wrk.headers[\"Authorization\"] = \"Bearer {}\"\n\
         wrk.headers[\"Content-Type\"] = \"application/json\"\n\
         local errors = 0\n\
         response = function(status, headers, body)\n\
           if status >= 300 then errors = errors + 1 end\n\
         end\n",
        load.token
    );
    if let Some(body) = &load.lua_request {
        lua.push_str(body);
        lua.push('\n');
    }
    std::fs::write(&script, lua)?;
    let out = Command::new("wrk")
        .arg(format!("-t{threads}"))
        .arg(format!("-c{conns}"))
        .arg(format!("-d{secs}s"))
        .arg("--latency")
        .arg("-s")
        .arg(&script)
        .arg(format!("{}{}", load.base, load.path))
        .output()
        .context("running wrk (is it installed? apt-get install wrk)")?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!(
            "wrk failed: {}{}",
            text,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    parse(&text).with_context(|| format!("reading wrk's output:\n{text}"))
}

/// Reads `Requests/sec`, the 50% and 99% latency lines, and the error lines.
pub fn parse(text: &str) -> anyhow::Result<Figures> {
    let mut f = Figures::default();
    let mut saw_rps = false;
    for line in text.lines() {
        let t = line.trim();
        if let Some(v) = t.strip_prefix("Requests/sec:") {
            f.rps = v.trim().parse()?;
            saw_rps = true;
        } else if let Some(v) = t.strip_prefix("50%") {
            f.p50_ms = duration_ms(v.trim())?;
        } else if let Some(v) = t.strip_prefix("99%") {
            f.p99_ms = duration_ms(v.trim())?;
        } else if let Some(v) = t.strip_prefix("Non-2xx or 3xx responses:") {
            f.errors += v.trim().parse::<u64>()?;
        } else if let Some(v) = t.strip_prefix("Socket errors:") {
            // "connect 0, read 0, write 0, timeout 0"
            for part in v.split(',') {
                if let Some(n) = part.split_whitespace().nth(1) {
                    f.errors += n.parse::<u64>().unwrap_or(0);
                }
            }
        }
    }
    if !saw_rps {
        bail!("no Requests/sec line");
    }
    Ok(f)
}

/// wrk's `1.23ms`, `456.00us`, `2.00s`, `1.50m`.
fn duration_ms(v: &str) -> anyhow::Result<f64> {
    let split = v
        .find(|c: char| c.is_ascii_alphabetic())
        .context("a unit")?;
    let (n, unit) = v.split_at(split);
    let n: f64 = n.parse()?;
    Ok(match unit {
        "us" => n / 1000.0,
        "ms" => n,
        "s" => n * 1000.0,
        "m" => n * 60_000.0,
        _ => bail!("unit {unit}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_wrks_report() {
        let out = "Running 1s test @ http://127.0.0.1:1/x\n  2 threads and 32 connections\n\
            \x20 Latency Distribution\n     50%  320.00us\n     75%  1.00ms\n     90%    2.00ms\n\
            \x20    99%    1.23s\n  100 requests in 1.00s, 1.00KB read\n\
            \x20 Socket errors: connect 0, read 2, write 0, timeout 1\n\
            \x20 Non-2xx or 3xx responses: 4\nRequests/sec:  12345.67\nTransfer/sec: 1KB\n";
        let f = parse(out).unwrap();
        assert!((f.rps - 12345.67).abs() < 1e-6);
        assert!((f.p50_ms - 0.32).abs() < 1e-9);
        assert!((f.p99_ms - 1230.0).abs() < 1e-9);
        assert_eq!(f.errors, 7);
        assert!(parse("nothing").is_err());
    }
}
