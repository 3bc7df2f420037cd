//! `rustmost db copy`: moves a server's data between databases (SQLite up to PostgreSQL, or
//! back for backups and tests), with a progress bar on a terminal, then prints each table's row
//! counts and content checksums on both sides. Runs on the databases directly: stop the server
//! (or at least its writes) first.

use anyhow::bail;
use clap::Subcommand;
use rustmost_store_sql::copy::{self, Progress};
use serde_json::{Value, json};

#[derive(Subcommand, Debug)]
pub enum DbCmd {
    /// Copies every table into an empty database and compares the copy with its source.
    #[command(
        after_help = "Example:\n  rustmost db copy --from sqlite:./data/rustmost.db --to postgres://mmuser:pw@db/rustmost\n  rustmost db copy --from postgres://mmuser:pw@db/rustmost --to ./backup.db"
    )]
    Copy {
        /// The source: `sqlite:<file>`, `sqlite://<file>`, a bare SQLite path, or `postgres://…`.
        #[arg(long, value_name = "DATABASE")]
        from: String,
        /// The target, in the same forms; a SQLite file is created if missing.
        #[arg(long, value_name = "DATABASE")]
        to: String,
        /// Replace the target's data when it has some (refused otherwise).
        #[arg(long)]
        force: bool,
    },
}

/// Runs the command; the result is the per-table report (a non-zero exit when a table differs).
pub async fn run(c: DbCmd) -> anyhow::Result<(Value, &'static [&'static str])> {
    let DbCmd::Copy { from, to, force } = c;
    let source = copy::open(&from, false).await?;
    let target = copy::open(&to, true).await?;
    let bar = indicatif::ProgressBar::new(0);
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg:>24} [{bar:40}] {pos}/{len} rows")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let mut on_progress = |p: Progress<'_>| match p {
        Progress::Table { name, rows } => {
            bar.set_message(name.to_string());
            bar.set_length(rows);
            bar.set_position(0);
        }
        Progress::Copied(n) => bar.set_position(n),
        Progress::Verifying => bar.set_message("comparing"),
    };
    let result = copy::copy(&source, &target, force, &mut on_progress).await;
    bar.finish_and_clear();
    source.close().await;
    target.close().await;
    let report = result?;
    let rows: Vec<Value> = report
        .iter()
        .map(|r| {
            json!({
                "table": r.table,
                "source_rows": r.source_rows,
                "target_rows": r.target_rows,
                "source_checksum": r.source_checksum,
                "target_checksum": r.target_checksum,
                "ok": r.matches(),
            })
        })
        .collect();
    let bad: Vec<&str> = report
        .iter()
        .filter(|r| !r.matches())
        .map(|r| r.table.as_str())
        .collect();
    if !bad.is_empty() {
        super::print(&Value::Array(rows), super::Output::Json, &[]);
        bail!("the copy differs from its source in: {}", bad.join(", "));
    }
    Ok((
        Value::Array(rows),
        &[
            "table",
            "source_rows",
            "target_rows",
            "target_checksum",
            "ok",
        ],
    ))
}
