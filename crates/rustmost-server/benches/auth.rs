//! Authentication hot-path benchmark: requests per second and latency for an anonymous ping, a
//! session-authenticated `GET /users/me`, and the same with a personal access token, on an
//! in-process server over loopback. Prints figures and ratios; asserts nothing about speed.
//!
//! `cargo bench -p rustmost-server --bench auth` (set `BENCH_SECONDS`, `BENCH_CONCURRENCY`).

use serde_json::json;
use std::time::{Duration, Instant};

struct Figures {
    rps: f64,
    p50: Duration,
    p99: Duration,
}

async fn hammer(url: String, token: Option<String>, secs: u64, conc: usize) -> Figures {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(conc)
        .build()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for _ in 0..conc {
        let (client, url, token) = (client.clone(), url.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            while Instant::now() < deadline {
                let t = Instant::now();
                let mut rb = client.get(&url);
                if let Some(tok) = &token {
                    rb = rb.bearer_auth(tok);
                }
                let r = rb.send().await.unwrap();
                assert!(r.status().is_success(), "{}", r.status());
                let _ = r.bytes().await.unwrap();
                lat.push(t.elapsed());
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort();
    let n = all.len();
    Figures {
        rps: n as f64 / secs as f64,
        p50: all[n / 2],
        p99: all[(n * 99 / 100).min(n - 1)],
    }
}

fn main() {
    let secs: u64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let conc: usize = std::env::var("BENCH_CONCURRENCY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let dir = tempfile::tempdir().unwrap();
        let opts = rustmost_server::ServerOptions {
            config_path: Some(dir.path().join("config.json")),
            env: vec![
                (
                    "MM_SQLSETTINGS_DATASOURCE".into(),
                    dir.path().join("b.db").display().to_string(),
                ),
                (
                    "MM_SERVICESETTINGS_ENABLEUSERACCESSTOKENS".into(),
                    "true".into(),
                ),
            ],
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
        let pw = "Bench-Passw0rd!";
        http.post(format!("{base}/api/v4/users"))
            .json(&json!({"username":"bench","email":"bench@example.com","password":pw}))
            .send()
            .await
            .unwrap();
        let r = http
            .post(format!("{base}/api/v4/users/login"))
            .json(&json!({"login_id":"bench","password":pw}))
            .send()
            .await
            .unwrap();
        let session = r.headers()["Token"].to_str().unwrap().to_string();
        let r: serde_json::Value = http
            .post(format!("{base}/api/v4/users/me/tokens"))
            .bearer_auth(&session)
            .json(&json!({"description":"bench"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let pat = r["token"].as_str().map(str::to_string);

        println!("rustmost auth benchmark: {secs} s per case, {conc} concurrent clients");
        println!("{:<34} {:>10} {:>10} {:>10}", "case", "req/s", "p50", "p99");
        let ping = hammer(format!("{base}/api/v4/system/ping"), None, secs, conc).await;
        let me = format!("{base}/api/v4/users/me");
        let sess = hammer(me.clone(), Some(session), secs, conc).await;
        let mut rows = vec![
            ("GET /system/ping (anonymous)", &ping),
            ("GET /users/me (session)", &sess),
        ];
        let patf;
        if let Some(pat) = pat {
            patf = hammer(me, Some(pat), secs, conc).await;
            rows.push(("GET /users/me (access token)", &patf));
        } else {
            println!("(access tokens unavailable: create returned {r})");
        }
        for (name, f) in &rows {
            println!(
                "{:<34} {:>10.0} {:>10.2?} {:>10.2?}",
                name, f.rps, f.p50, f.p99
            );
        }
        for (name, f) in rows.iter().skip(1) {
            println!("ratio {name} / ping throughput: {:.2}", f.rps / ping.rps);
        }
    });
}
