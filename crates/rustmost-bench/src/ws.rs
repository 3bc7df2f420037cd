//! WebSocket scale (issue 10): the server's resident memory per idle authenticated connection,
//! and how long a `posted` event takes to reach every member of a big channel, all connected,
//! under a steady rate of posts. Prints figures; asserts nothing about speed.

use crate::server::{Backend, Rustmost, Seeder, Setup};
use anyhow::Context;
use futures_util::{SinkExt, StreamExt};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

#[derive(clap::Args)]
pub struct Args {
    /// Idle connections to hold (distinct users, one connection each).
    #[arg(long, default_value_t = 10_000)]
    conns: usize,
    /// How long to hold them before measuring, in seconds.
    #[arg(long, default_value_t = 60)]
    hold: u64,
    /// Members of the channel that receives posts (each connected once).
    #[arg(long, default_value_t = 1000)]
    members: usize,
    /// Posts per second into that channel.
    #[arg(long, default_value_t = 50)]
    rate: u64,
    /// Seconds of posting.
    #[arg(long, default_value_t = 30)]
    secs: u64,
}

/// When each post's response arrived, by post id.
type Answered = Arc<Mutex<HashMap<String, Instant>>>;
/// Receipt times per post id, across every socket.
type Received = Arc<Mutex<HashMap<String, Vec<Instant>>>>;

pub async fn run(bin: std::path::PathBuf, a: Args) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let rm = Rustmost::start(&bin, dir.path(), Backend::Sqlite).await?;
    let setup = Setup::create(&rm.base, 1).await?;
    let channel = setup.channels[0].clone();
    let seeder = Seeder::open(&dir.path().join("rustmost.db")).await?;
    let n = a.conns.max(a.members);
    println!(
        "seeding {n} users with a session each; {} join the channel",
        a.members
    );
    let users = seeder.add_users_with_sessions(n).await?;
    seeder
        .join(&setup.team_id, &channel, &users[..a.members])
        .await?;
    let ws_url = format!("{}/api/v4/websocket", rm.base.replacen("http", "ws", 1));

    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_before = rm.rss_kib();
    let received: Received = Arc::default();
    let hellos = Arc::new(AtomicUsize::new(0));
    let t0 = Instant::now();
    let mut sockets = Vec::new();
    // Connect in waves so the accept queue never overflows.
    for chunk in users.chunks(200) {
        let mut wave = Vec::new();
        for (i, (_, secret)) in chunk.iter().enumerate() {
            let (url, secret, received, hellos) = (
                ws_url.clone(),
                secret.clone(),
                received.clone(),
                hellos.clone(),
            );
            let member = sockets.len() + i < a.members;
            wave.push(tokio::spawn(async move {
                connect(&url, &secret, member, received, hellos).await
            }));
        }
        for w in wave {
            sockets.push(w.await??);
        }
    }
    let connected = Instant::now() - t0;
    while hellos.load(Ordering::SeqCst) < users.len() && t0.elapsed() < Duration::from_secs(120) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "{} connections open in {:.1} s ({} hellos); holding them {} s",
        sockets.len(),
        connected.as_secs_f64(),
        hellos.load(Ordering::SeqCst),
        a.hold
    );
    tokio::time::sleep(Duration::from_secs(a.hold)).await;
    let rss_with = rm.rss_kib();
    let per_conn = (rss_with.saturating_sub(rss_before)) as f64 * 1024.0 / sockets.len() as f64;
    println!(
        "server RSS: {:.1} MiB before, {:.1} MiB with {} idle connections: {:.1} KiB per connection",
        rss_before as f64 / 1024.0,
        rss_with as f64 / 1024.0,
        sockets.len(),
        per_conn / 1024.0
    );

    // Posting: `rate` posts a second into the channel, each answer's time noted.
    let answered: Answered = Arc::default();
    let http = reqwest::Client::new();
    let total = a.rate * a.secs;
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / a.rate.max(1)));
    let mut posts = Vec::new();
    let start = Instant::now();
    for i in 0..total {
        tick.tick().await;
        let (http, answered, base, pat, channel) = (
            http.clone(),
            answered.clone(),
            rm.base.clone(),
            setup.pat.clone(),
            channel.clone(),
        );
        posts.push(tokio::spawn(async move {
            let r = http
                .post(format!("{base}/api/v4/posts"))
                .bearer_auth(&pat)
                .json(
                    &serde_json::json!({"channel_id": channel, "message": format!("ws bench {i}")}),
                )
                .send()
                .await?;
            let at = Instant::now();
            let v: serde_json::Value = r.error_for_status()?.json().await?;
            let id = v["id"].as_str().context("post id")?.to_string();
            answered.lock().insert(id, at);
            anyhow::Ok(())
        }));
    }
    for p in posts {
        p.await??;
    }
    let posting = start.elapsed();
    // Let the last events arrive.
    let want = usize::try_from(total)? * a.members;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let got: usize = received
            .lock()
            .iter()
            .filter(|(id, _)| answered.lock().contains_key(*id))
            .map(|(_, v)| v.len())
            .sum();
        if got >= want || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let answered = answered.lock().clone();
    let received = received.lock();
    let mut lat: Vec<f64> = Vec::with_capacity(want);
    for (id, at) in &answered {
        for r in received.get(id).into_iter().flatten() {
            lat.push(r.saturating_duration_since(*at).as_secs_f64() * 1000.0);
        }
    }
    lat.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .copied()
            .unwrap_or(f64::NAN)
    };
    println!(
        "{} posts in {:.1} s into a channel of {} connected members: {} of {} deliveries ({} missing); \
         from the POST's answer to receipt: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (0 = before the answer)",
        answered.len(),
        posting.as_secs_f64(),
        a.members,
        lat.len(),
        want,
        want.saturating_sub(lat.len()),
        pct(0.5),
        pct(0.99),
        lat.last().copied().unwrap_or(f64::NAN)
    );
    println!(
        "server RSS at the end: {:.1} MiB",
        rm.rss_kib() as f64 / 1024.0
    );
    drop(sockets);
    Ok(())
}

/// Opens an authenticated socket; a `member`'s socket notes each `posted` event's post id and
/// receipt time. Returns the task reading it (dropping it closes the socket).
async fn connect(
    url: &str,
    secret: &str,
    member: bool,
    received: Received,
    hellos: Arc<AtomicUsize>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let mut req = url.into_client_request()?;
    req.headers_mut()
        .insert("Authorization", format!("Bearer {secret}").parse()?);
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await?;
    Ok(tokio::spawn(async move {
        while let Some(Ok(m)) = ws.next().await {
            let now = Instant::now();
            match m {
                Message::Text(t) => {
                    if t.contains("\"event\":\"hello\"") {
                        hellos.fetch_add(1, Ordering::SeqCst);
                    } else if member && t.contains("\"event\":\"posted\"") {
                        // The post is JSON in a string: its id follows an escaped `"id":"`.
                        if let Some(i) = t.find("\\\"id\\\":\\\"") {
                            let id = t.get(i + 9..i + 9 + 26).unwrap_or_default().to_string();
                            received.lock().entry(id).or_default().push(now);
                        }
                    }
                }
                Message::Ping(p) => {
                    let _ = ws.send(Message::Pong(p)).await;
                }
                Message::Close(_) => break,
                _ => {}
            }
        }
    }))
}
