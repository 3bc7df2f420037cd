//! Login flood measurement: an in-process server takes a bounded burst of concurrent password
//! logins (unknown and known accounts) while a probe pings it; prints the probe's latency
//! (p50/p99) and the process's memory (VmRSS, VmHWM) before and after. Asserts nothing.
//!
//! `cargo bench -p rustmost-server --bench login_flood` (set `FLOOD_LOGINS`, `FLOOD_CONCURRENCY`,
//! and any `MM_*` config override).

use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// `VmRSS` and `VmHWM` of this process in MiB (0 where /proc is unavailable).
fn memory_mib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kb| kb / 1024)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn percentile(sorted: &[Duration], p: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}

/// Pings every 20 ms until `stop` is set; returns the sorted latencies.
async fn probe(url: String, stop: Arc<std::sync::atomic::AtomicBool>) -> Vec<Duration> {
    let client = reqwest::Client::new();
    let mut lat = Vec::new();
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        let t = Instant::now();
        let r = client.get(&url).send().await.unwrap();
        let _ = r.bytes().await.unwrap();
        lat.push(t.elapsed());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    lat.sort();
    lat
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let logins = env_usize("FLOOD_LOGINS", 320);
    let conc = env_usize("FLOOD_CONCURRENCY", 64);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let dir = tempfile::tempdir().unwrap();
        let opts = rustmost_server::ServerOptions {
            config_path: Some(dir.path().join("config.json")),
            // `MM_*` from the environment apply too, e.g. `MM_RATELIMITSETTINGS_LOGINMAXBURST=0` and
            // `MM_RATELIMITSETTINGS_LOGINMAXBURSTPERACCOUNT=0` to measure the Argon2 bound alone.
            env: std::env::vars()
                .filter(|(k, _)| k.starts_with("MM_"))
                .chain([(
                    "MM_SQLSETTINGS_DATASOURCE".into(),
                    dir.path().join("flood.db").display().to_string(),
                )])
                .collect(),
        };
        let state = rustmost_server::build_state(&opts).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(rustmost_server::serve_with_listener(
            state,
            listener,
            std::future::pending(),
        ));
        let http = reqwest::Client::new();
        let pw = "Flood-Passw0rd!";
        let known = 8;
        let mut admin = None;
        for i in 0..known {
            let mut rb = http.post(format!("{base}/api/v4/users")).json(
                &json!({"username": format!("known{i}"), "email": format!("known{i}@example.com"), "password": pw}),
            );
            if let Some(t) = &admin {
                rb = rb.bearer_auth(t);
            }
            assert!(rb.send().await.unwrap().status().is_success());
            if admin.is_none() {
                let r = http
                    .post(format!("{base}/api/v4/users/login"))
                    .json(&json!({"login_id": "known0", "password": pw}))
                    .send()
                    .await
                    .unwrap();
                admin = Some(r.headers()["Token"].to_str().unwrap().to_string());
            }
        }
        let ping = format!("{base}/api/v4/system/ping");

        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let idle = tokio::spawn(probe(ping.clone(), stop.clone()));
        tokio::time::sleep(Duration::from_secs(1)).await;
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let idle = idle.await.unwrap();
        let (rss_before, hwm_before) = memory_mib();

        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let during = tokio::spawn(probe(ping.clone(), stop.clone()));
        let started = Instant::now();
        let gate = Arc::new(tokio::sync::Semaphore::new(conc));
        let mut tasks = Vec::new();
        for i in 0..logins {
            let permit = gate.clone().acquire_owned().await.unwrap();
            let (http, base) = (http.clone(), base.clone());
            // Even: an unknown account; odd: a known one with its password.
            let login_id = if i % 2 == 0 {
                format!("nobody{i}")
            } else {
                format!("known{}", i % known)
            };
            tasks.push(tokio::spawn(async move {
                let r = http
                    .post(format!("{base}/api/v4/users/login"))
                    .json(&json!({"login_id": login_id, "password": pw}))
                    .send()
                    .await
                    .unwrap();
                let status = r.status().as_u16();
                let _ = r.bytes().await;
                drop(permit);
                status
            }));
        }
        let mut statuses = BTreeMap::<u16, usize>::new();
        for t in tasks {
            *statuses.entry(t.await.unwrap()).or_default() += 1;
        }
        let took = started.elapsed();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let during = during.await.unwrap();
        let (rss_after, hwm_after) = memory_mib();

        println!("login flood: {logins} logins (half unknown accounts), {conc} at a time");
        println!("  took {took:.2?}; answers by status: {statuses:?}");
        println!(
            "  ping idle:   p50 {:>9.2?}  p99 {:>9.2?}  ({} probes)",
            percentile(&idle, 50),
            percentile(&idle, 99),
            idle.len()
        );
        println!(
            "  ping flood:  p50 {:>9.2?}  p99 {:>9.2?}  ({} probes)",
            percentile(&during, 50),
            percentile(&during, 99),
            during.len()
        );
        println!("  VmRSS before {rss_before} MiB, after {rss_after} MiB");
        println!("  VmHWM before {hwm_before} MiB, after {hwm_after} MiB");
    });
}
