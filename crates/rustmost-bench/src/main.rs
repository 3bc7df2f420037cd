//! The performance harness (issue 12): builds the release server, starts it beside a minimal
//! axum server of this crate, loads both with the same `wrk` in the same run, and prints req/s,
//! p50, p99 and the ratio per scenario, plus RSS; `ws` measures WebSocket scale (issue 10).
//! Figures only: nothing here asserts a speed.
//!
//! `cargo run --release -p rustmost-bench -- --help`

mod chart;
mod minimal;
mod server;
mod wrk;
mod ws;

use anyhow::Context;
use clap::{Parser, Subcommand};
use serde_json::{Value, json};
use server::{Backend, Rustmost, Setup};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser)]
#[command(about = "Rustmost against a minimal server, same run, same load generator (wrk)")]
struct Cli {
    #[command(subcommand)]
    cmd: Option<Cmd>,
    /// A smoke run (1 s per scenario, small sizes): checks the harness works, says nothing
    /// about speed.
    #[arg(long)]
    quick: bool,
    /// Seconds of load per scenario and server.
    #[arg(long, default_value_t = 10)]
    secs: u64,
    /// wrk connections (and 2 threads).
    #[arg(long, default_value_t = 32)]
    conns: u32,
    /// Listing sizes (users and posts) to measure, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1000,10000,100000")]
    sizes: Vec<usize>,
    /// Also run the write scenarios on PostgreSQL: `auto` starts a throwaway cluster (as
    /// `.ci/postgres-tests` does), or a `postgres://` URL of a server where databases may be
    /// created.
    #[arg(long)]
    postgres: Option<String>,
    /// Do not run `cargo build --release -p rustmost` first (use the binary beside this one).
    #[arg(long)]
    no_build: bool,
    /// Saves the figures as `<results>/<label>.json`.
    #[arg(long)]
    label: Option<String>,
    /// Where results and the chart go.
    #[arg(long, default_value = "bench/results")]
    results: PathBuf,
    /// Draws `<results>/ratios.svg` from these saved labels (e.g. `before,after`), after the
    /// run (with `--draw-only`, instead of it).
    #[arg(long, value_delimiter = ',')]
    chart: Vec<String>,
    #[arg(long)]
    draw_only: bool,
    /// Runs only the scenarios whose name contains one of these (comma-separated), e.g.
    /// `POST` for the write path.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
}

impl Cli {
    /// Whether `--only` lets the scenario named `name` run.
    fn wanted(&self, name: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|o| name.contains(o.as_str()))
    }
}

#[derive(Subcommand)]
enum Cmd {
    /// (internal) Runs the minimal reference server.
    Minimal {
        #[arg(long)]
        listen: String,
        #[arg(long)]
        database: String,
    },
    /// WebSocket scale: idle connections' memory, and delivery latency in a big channel.
    Ws(ws::Args),
}

/// One scenario's result.
#[derive(Clone)]
struct Row {
    scenario: String,
    minimal: Option<wrk::Figures>,
    rustmost: wrk::Figures,
}

impl Row {
    fn ratio(&self) -> Option<f64> {
        self.minimal.map(|m| self.rustmost.rps / m.rps)
    }
}

fn main() -> anyhow::Result<()> {
    let mut cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match cli.cmd.take() {
        Some(Cmd::Minimal { listen, database }) => rt.block_on(async {
            let l = tokio::net::TcpListener::bind(&listen).await?;
            minimal::serve(l, &database).await
        }),
        Some(Cmd::Ws(args)) => {
            let bin = server::binary(cli.no_build)?;
            rt.block_on(ws::run(bin, args))
        }
        None => {
            if cli.quick {
                cli.secs = 1;
                cli.sizes = vec![100, 1000];
            }
            if cli.draw_only {
                return draw(&cli);
            }
            let bin = server::binary(cli.no_build)?;
            rt.block_on(run(&cli, bin))?;
            if !cli.chart.is_empty() {
                draw(&cli)?;
            }
            Ok(())
        }
    }
}

fn load_avg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

async fn run(cli: &Cli, bin: PathBuf) -> anyhow::Result<()> {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "rustmost-bench: wrk -t2 -c{} -d{}s per scenario and server; {} cores; load average at start {}",
        cli.conns,
        cli.secs,
        cores,
        load_avg()
    );
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    let dir = tempfile::tempdir()?;

    // SQLite: every scenario, then the listing sizes.
    {
        let rm = Rustmost::start(&bin, dir.path(), Backend::Sqlite).await?;
        let mini =
            server::Minimal::start(&dir.path().join("minimal.db").display().to_string()).await?;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let idle = (rm.rss_kib(), mini.rss_kib());
        notes.push(format!(
            "idle RSS: rustmost {:.1} MiB, minimal {:.1} MiB",
            idle.0 as f64 / 1024.0,
            idle.1 as f64 / 1024.0
        ));
        println!("{}", notes.last().unwrap());
        let setup = Setup::create(&rm.base, 1000).await?;
        setup.seed_minimal(&rm.base, &mini.base).await?;
        rows.extend(scenarios(cli, &rm, &mini, &setup, "SQLite").await?);
        rows.extend(sizes(cli, &rm, &mini, &setup, dir.path()).await?);
        notes.push(format!(
            "RSS after the SQLite runs: rustmost {:.1} MiB, minimal {:.1} MiB",
            rm.rss_kib() as f64 / 1024.0,
            mini.rss_kib() as f64 / 1024.0
        ));
        println!("{}", notes.last().unwrap());
    }

    if let Some(pg) = &cli.postgres {
        let cluster = server::PgCluster::get(pg)?;
        let rm_url = cluster.create_database("rustmost_bench").await?;
        let mini_url = cluster.create_database("minimal_bench").await?;
        let rm = Rustmost::start(&bin, dir.path(), Backend::Postgres(rm_url)).await?;
        let mini = server::Minimal::start(&mini_url).await?;
        let setup = Setup::create(&rm.base, 1000).await?;
        setup.seed_minimal(&rm.base, &mini.base).await?;
        rows.extend(scenarios(cli, &rm, &mini, &setup, "PostgreSQL").await?);
    }

    println!();
    println!("load average at the end {}", load_avg());
    print_table(&rows);
    for n in &notes {
        println!("{n}");
    }
    if let Some(label) = &cli.label {
        std::fs::create_dir_all(&cli.results)?;
        let out = json!({
            "label": label,
            "secs": cli.secs,
            "conns": cli.conns,
            "cores": cores,
            "load_average_end": load_avg(),
            "notes": notes,
            "rows": rows.iter().map(|r| json!({
                "scenario": r.scenario,
                "minimal": r.minimal.map(fig_json),
                "rustmost": fig_json(r.rustmost),
                "ratio": r.ratio(),
            })).collect::<Vec<_>>(),
        });
        let path = cli.results.join(format!("{label}.json"));
        std::fs::write(&path, serde_json::to_string_pretty(&out)?)?;
        println!("saved {}", path.display());
    }
    Ok(())
}

fn fig_json(f: wrk::Figures) -> Value {
    json!({"rps": f.rps, "p50_ms": f.p50_ms, "p99_ms": f.p99_ms, "errors": f.errors})
}

fn print_table(rows: &[Row]) {
    println!(
        "| {:<44} | {:>22} | {:>22} | {:>5} |",
        "scenario", "minimal req/s p50 p99", "rustmost req/s p50 p99", "ratio"
    );
    println!("|{:-<46}|{:->24}|{:->24}|{:->7}|", "", "", "", "");
    let cell = |f: &wrk::Figures| {
        let err = if f.errors > 0 {
            format!(" ({} errors)", f.errors)
        } else {
            String::new()
        };
        format!("{:.0} {:.2} {:.2}{err}", f.rps, f.p50_ms, f.p99_ms)
    };
    for r in rows {
        println!(
            "| {:<44} | {:>22} | {:>22} | {:>5} |",
            r.scenario,
            r.minimal.as_ref().map(cell).unwrap_or_default(),
            cell(&r.rustmost),
            r.ratio().map(|x| format!("{x:.2}")).unwrap_or_default()
        );
    }
    println!("(latencies in ms)");
}

/// Runs one scenario on the minimal server, then on Rustmost.
async fn pair(
    cli: &Cli,
    name: String,
    mini: &server::Minimal,
    rm: &Rustmost,
    path: &str,
    tokens: (&str, &str),
    lua: Option<String>,
) -> anyhow::Result<Option<Row>> {
    if !cli.wanted(&name) {
        return Ok(None);
    }
    let conns = cli.conns;
    let run = |base: String, token: String, lua: Option<String>, path: String, secs: u64| {
        tokio::task::spawn_blocking(move || {
            wrk::run(
                &wrk::Load {
                    base: &base,
                    path: &path,
                    token: &token,
                    lua_request: lua,
                },
                secs,
                2,
                conns,
            )
        })
    };
    // Each server gets a second of the same load first, not counted, so that neither is
    // measured while still settling (the first scenario follows the setup's writes).
    let warm = if cli.quick { 0 } else { 1 };
    let measured = |base: &str, token: &str| {
        let (base, token, lua, path) = (
            base.to_string(),
            token.to_string(),
            lua.clone(),
            path.to_string(),
        );
        async move {
            if warm > 0 {
                run(base.clone(), token.clone(), lua.clone(), path.clone(), warm).await??;
            }
            run(base, token, lua, path, cli.secs).await?
        }
    };
    let m = measured(&mini.base, tokens.0).await?;
    let r = measured(&rm.base, tokens.1).await?;
    let row = Row {
        scenario: name,
        minimal: Some(m),
        rustmost: r,
    };
    println!(
        "{:<46} minimal {:>8.0}/s p99 {:>7.2} ms | rustmost {:>8.0}/s p99 {:>7.2} ms | ratio {:.2}{}",
        row.scenario,
        m.rps,
        m.p99_ms,
        r.rps,
        r.p99_ms,
        row.ratio().unwrap_or(0.0),
        if m.errors + r.errors > 0 {
            format!(" (errors: minimal {}, rustmost {})", m.errors, r.errors)
        } else {
            String::new()
        }
    );
    Ok(Some(row))
}

fn lua_posts(channels: &[String]) -> String {
    let list = channels
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(",");
    format!(
        "wrk.method = \"POST\"\nlocal chans = {{{list}}}\nlocal n = 0\n\
         request = function()\n  n = n + 1\n  local c = chans[math.random(#chans)]\n  \
         return wrk.format(nil, nil, nil, '{{\"channel_id\":\"' .. c .. '\",\"message\":\"bench post ' .. n .. ' with a few words in it\"}}')\nend"
    )
}

fn lua_reactions(user_id: &str, posts: &[String]) -> String {
    let list = posts
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(",");
    format!(
        "wrk.method = \"POST\"\nlocal posts = {{{list}}}\n\
         local emojis = {{\"smile\",\"+1\",\"heart\",\"tada\",\"rocket\",\"eyes\",\"fire\",\"wave\"}}\n\
         request = function()\n  local p = posts[math.random(#posts)]\n  \
         local e = emojis[math.random(#emojis)]\n  \
         return wrk.format(nil, nil, nil, '{{\"user_id\":\"{user_id}\",\"post_id\":\"' .. p .. '\",\"emoji_name\":\"' .. e .. '\"}}')\nend"
    )
}

async fn scenarios(
    cli: &Cli,
    rm: &Rustmost,
    mini: &server::Minimal,
    s: &Setup,
    db: &str,
) -> anyhow::Result<Vec<Row>> {
    let mut rows = Vec::new();
    let both = |t: &str| (t.to_string(), t.to_string());
    let (pat, session) = (both(&s.pat), both(&s.session));
    let tok = |t: &(String, String)| (t.0.clone(), t.1.clone());
    let main = s.channels[0].clone();
    let mut add = |r: Option<Row>| rows.extend(r);
    if db == "SQLite" {
        let t = tok(&pat);
        add(pair(
            cli,
            "GET /users/me (access token)".into(),
            mini,
            rm,
            "/api/v4/users/me",
            (&t.0, &t.1),
            None,
        )
        .await?);
        let t = tok(&session);
        add(pair(
            cli,
            "GET /users/me (session)".into(),
            mini,
            rm,
            "/api/v4/users/me",
            (&t.0, &t.1),
            None,
        )
        .await?);
        add(pair(
            cli,
            "GET /users?page=0&per_page=200".into(),
            mini,
            rm,
            "/api/v4/users?page=0&per_page=200",
            (&pat.0, &pat.1),
            None,
        )
        .await?);
        add(pair(
            cli,
            "GET /channels/{id}/posts".into(),
            mini,
            rm,
            &format!("/api/v4/channels/{main}/posts"),
            (&pat.0, &pat.1),
            None,
        )
        .await?);
    }
    add(pair(
        cli,
        format!("POST /posts, one channel ({db})"),
        mini,
        rm,
        "/api/v4/posts",
        (&pat.0, &pat.1),
        Some(lua_posts(&s.channels[..1])),
    )
    .await?);
    add(pair(
        cli,
        format!("POST /posts, {} channels ({db})", s.channels.len()),
        mini,
        rm,
        "/api/v4/posts",
        (&pat.0, &pat.1),
        Some(lua_posts(&s.channels)),
    )
    .await?);
    add(pair(
        cli,
        format!("POST /reactions ({db})"),
        mini,
        rm,
        "/api/v4/reactions",
        (&pat.0, &pat.1),
        Some(lua_reactions(&s.user_id, &s.posts)),
    )
    .await?);
    Ok(rows)
}

/// `/users` and a channel's posts with the database holding `n` users and a channel of `n`
/// posts, for each size.
async fn sizes(
    cli: &Cli,
    rm: &Rustmost,
    mini: &server::Minimal,
    s: &Setup,
    dir: &std::path::Path,
) -> anyhow::Result<Vec<Row>> {
    let mut rows = Vec::new();
    let seeder = server::Seeder::open(&dir.join("rustmost.db")).await?;
    let mut have_users = seeder.count_users().await?;
    for &n in &cli.sizes {
        let names = [
            format!("GET /users?per_page=200 at {n} users"),
            format!("GET /channels/{{id}}/posts at {n} posts"),
        ];
        if !names.iter().any(|name| cli.wanted(name)) {
            continue;
        }
        let t0 = std::time::Instant::now();
        seeder.add_users(n.saturating_sub(have_users)).await?;
        have_users = have_users.max(n);
        let channel = s.channel_with_posts(&rm.base, n, &seeder).await?;
        println!(
            "seeded {n} users and a channel of {n} posts in {:.1} s",
            t0.elapsed().as_secs_f64()
        );
        s.seed_minimal_listing(&rm.base, &mini.base, &channel)
            .await?;
        let [users_name, posts_name] = names;
        rows.extend(
            pair(
                cli,
                users_name,
                mini,
                rm,
                "/api/v4/users?page=0&per_page=200",
                (&s.pat, &s.pat),
                None,
            )
            .await?,
        );
        rows.extend(
            pair(
                cli,
                posts_name,
                mini,
                rm,
                &format!("/api/v4/channels/{channel}/posts"),
                (&s.pat, &s.pat),
                None,
            )
            .await?,
        );
    }
    Ok(rows)
}

/// Draws the ratio chart from saved results.
fn draw(cli: &Cli) -> anyhow::Result<()> {
    let mut runs: Vec<(String, Value)> = Vec::new();
    for label in &cli.chart {
        let path = cli.results.join(format!("{label}.json"));
        let v: Value = serde_json::from_str(
            &std::fs::read_to_string(&path).with_context(|| path.display().to_string())?,
        )?;
        runs.push((label.clone(), v));
    }
    let mut scenarios: Vec<String> = Vec::new();
    for (_, v) in &runs {
        for r in v["rows"].as_array().into_iter().flatten() {
            let s = r["scenario"].as_str().unwrap_or_default().to_string();
            if !scenarios.contains(&s) {
                scenarios.push(s);
            }
        }
    }
    let bars: Vec<chart::Bar> = scenarios
        .iter()
        .map(|s| chart::Bar {
            scenario: s.clone(),
            ratios: runs
                .iter()
                .map(|(_, v)| {
                    v["rows"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .find(|r| r["scenario"] == s.as_str())
                        .and_then(|r| r["ratio"].as_f64())
                        .unwrap_or(0.0)
                })
                .collect(),
        })
        .collect();
    let names: Vec<&str> = runs.iter().map(|(l, _)| l.as_str()).collect();
    let path = cli.results.join("ratios.svg");
    chart::draw(
        &path,
        "Rustmost req/s ÷ minimal server req/s (same run, wrk -t2 -c32)",
        &names,
        &bars,
    )?;
    println!("drew {}", path.display());
    Ok(())
}
