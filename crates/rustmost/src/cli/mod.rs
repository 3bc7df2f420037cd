//! The command-line client: n8n Mattermost node operations (channel, message, reaction, user)
//! and mmctl-style administration (user roles, config, token, bot, team), over the typed
//! `rustmost-client`. Output is a table on a terminal and pretty JSON for scripts (or `--json`).

mod auth;
mod bot;
mod channel;
mod command;
mod config;
mod db;
mod events;
mod post;
mod reaction;
mod team;
mod token;
mod user;
mod webhook;

use crate::credentials;
use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};
use rustmost_client::{Client, ClientOptions};
use serde_json::Value;

pub use auth::AuthCmd;
pub use bot::BotCmd;
pub use channel::ChannelCmd;
pub use command::CommandCmd;
pub use config::ConfigCmd;
pub use events::EventsCmd;
pub use post::{MessageCmd, PostCmd};
pub use reaction::ReactionCmd;
pub use team::TeamCmd;
pub use token::TokenCmd;
pub use user::UserCmd;
pub use webhook::WebhookCmd;

/// Connection flags shared by every client command; they beat the saved credential.
#[derive(Args, Debug, Clone)]
pub struct Conn {
    /// Server base URL (default: the saved credential's). After `webhook` and `command`,
    /// `--url` is mmctl's callback URL instead: put this one before those nouns.
    #[arg(long, env = "RUSTMOST_URL", global = true)]
    pub url: Option<String>,
    /// Access token (default: the saved credential's); `-` reads it from stdin.
    #[arg(
        long,
        visible_alias = "access-token",
        env = "RUSTMOST_TOKEN",
        hide_env_values = true,
        global = true
    )]
    pub token: Option<String>,
    /// Reads the access token from this file (keeps it out of the process list and history).
    #[arg(long, visible_alias = "token-file", global = true, value_name = "FILE")]
    pub access_token_file: Option<std::path::PathBuf>,
    /// Accept invalid TLS certificates ("Ignore SSL Issues").
    #[arg(long, global = true)]
    pub insecure: bool,
    /// Use this saved credential instead of the current one.
    #[arg(long = "credential", global = true, value_name = "NAME")]
    pub credential: Option<String>,
    /// mmctl's --local: talk to the server on this machine over its local-mode socket, as a
    /// system admin with no token (needs ServiceSettings.EnableLocalMode).
    #[arg(long, global = true)]
    pub local: bool,
    /// The local-mode socket (ServiceSettings.LocalModeSocketLocation).
    #[arg(
        long,
        global = true,
        env = "MMCTL_LOCAL_SOCKET_PATH",
        default_value = "/var/tmp/mattermost_local.socket",
        value_name = "PATH"
    )]
    pub local_socket: std::path::PathBuf,
    /// Output format (default: a table on a terminal, JSON otherwise).
    #[arg(long, short = 'o', value_enum, global = true)]
    pub output: Option<Output>,
    /// The same as `-o json`.
    #[arg(long, global = true, conflicts_with = "output")]
    pub json: bool,
}

impl Conn {
    /// `--json` or `-o`, else a table for a person at a terminal and JSON for a pipe.
    pub fn format(&self) -> Output {
        if self.json {
            return Output::Json;
        }
        self.output.unwrap_or_else(|| {
            if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
                Output::Table
            } else {
                Output::Json
            }
        })
    }
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum Output {
    Json,
    Table,
}

/// A secret given as a value, `-` for stdin, or a file: the first line, trimmed, never empty.
pub fn read_secret(
    value: Option<&str>,
    file: Option<&std::path::Path>,
    what: &str,
) -> anyhow::Result<Option<String>> {
    let raw = match (value, file) {
        (Some(_), Some(_)) => bail!("give the {what} either directly or from a file, not both"),
        (Some("-"), None) => {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
                .with_context(|| format!("reading the {what} from stdin"))?;
            s
        }
        (Some(v), None) => return Ok(Some(v.to_string())),
        (None, Some(f)) => std::fs::read_to_string(f)
            .with_context(|| format!("reading the {what} from {}", f.display()))?,
        (None, None) => return Ok(None),
    };
    let line = raw.lines().next().unwrap_or("").trim().to_string();
    if line.is_empty() {
        bail!("the {what} read is empty");
    }
    Ok(Some(line))
}

/// The flags before a noun that take a value (so the noun is found past their values).
const VALUE_FLAGS: &[&str] = &[
    "--config",
    "--url",
    "--token",
    "--access-token",
    "--access-token-file",
    "--token-file",
    "--credential",
    "--local-socket",
    "--output",
    "-o",
];

/// mmctl's `webhook` and `command` call the callback URL `--url`, which is this client's
/// global server-URL flag: after those nouns, `--url` is rewritten to `--callback-url`, so
/// commands copied from mmctl's documentation work. Before the noun, `--url` stays the server.
pub fn mmctl_args(args: impl IntoIterator<Item = std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let mut out: Vec<std::ffi::OsString> = Vec::new();
    let mut noun: Option<bool> = None;
    let mut skip_value = false;
    for (i, a) in args.into_iter().enumerate() {
        let s = a.to_str().unwrap_or("");
        match noun {
            _ if i == 0 => {}
            None if skip_value => skip_value = false,
            None if s.starts_with('-') => skip_value = VALUE_FLAGS.contains(&s),
            None => noun = Some(s == "webhook" || s == "command"),
            Some(true) if s == "--" => noun = Some(false),
            Some(true) if s == "--url" => {
                out.push("--callback-url".into());
                continue;
            }
            Some(true) if s.starts_with("--url=") => {
                out.push(format!("--callback-url={}", &s["--url=".len()..]).into());
                continue;
            }
            Some(_) => {}
        }
        out.push(a);
    }
    out
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Saved credentials (URL + access token) and the credential test.
    #[command(
        subcommand,
        after_help = "Example:\n  rustmost auth login https://chat.example.com --access-token-file ~/.mm-token"
    )]
    Auth(AuthCmd),
    /// Channels: create, add-user, delete, members, restore, search, statistics, list.
    #[command(
        subcommand,
        after_help = "Example:\n  rustmost channel list --team myteam"
    )]
    Channel(ChannelCmd),
    /// Posts: post (with attachments), post-ephemeral, delete.
    #[command(
        subcommand,
        after_help = "Example:\n  rustmost message post --channel myteam:town-square --message hi"
    )]
    Message(MessageCmd),
    /// Posts, as mmctl: create (to `team:channel` or an id), delete.
    #[command(
        subcommand,
        after_help = "Example:\n  rustmost post create myteam:town-square --message hi"
    )]
    Post(PostCmd),
    /// Reactions: create, delete, list.
    #[command(
        subcommand,
        after_help = "Example:\n  rustmost reaction list 4xp9fdt77pncbef59f4k1qe83o"
    )]
    Reaction(ReactionCmd),
    /// Users: create, list, get, activate/deactivate, invite, roles.
    #[command(subcommand, after_help = "Example:\n  rustmost user list --json")]
    User(UserCmd),
    /// Server configuration: get, set, patch.
    #[command(
        subcommand,
        after_help = "Example:\n  rustmost config get ServiceSettings.SiteURL"
    )]
    Config(ConfigCmd),
    /// Databases: copy everything from one to another (SQLite up to PostgreSQL, and back).
    #[command(
        subcommand,
        after_help = "Example:\n  rustmost db copy --from sqlite:./data/rustmost.db --to postgres://mmuser:pw@db/rustmost"
    )]
    Db(db::DbCmd),
    /// Personal access tokens: create, list, revoke, disable, enable, rotate.
    #[command(
        subcommand,
        after_help = "Example:\n  rustmost token generate alice n8n"
    )]
    Token(TokenCmd),
    /// Bot accounts: create, list, disable, enable, assign.
    #[command(subcommand, after_help = "Example:\n  rustmost bot list")]
    Bot(BotCmd),
    /// Teams: create, list, add-user.
    #[command(subcommand, after_help = "Example:\n  rustmost team list -o table")]
    Team(TeamCmd),
    /// Incoming and outgoing webhooks, as mmctl: create-incoming, create-outgoing, list, show,
    /// modify-incoming, modify-outgoing, delete. After `webhook`, `--url` is the callback URL
    /// (mmctl's spelling of `--callback-url`); give the server before it or from a credential.
    #[command(
        subcommand,
        after_help = "Example:\n  rustmost webhook create-incoming --channel myteam:town-square --display-name CI"
    )]
    Webhook(WebhookCmd),
    /// Custom slash commands, as mmctl: create, list, show, modify, move, delete (archive);
    /// and execute. After `command`, `--url` is the callback URL (mmctl's spelling of
    /// `--callback-url`); give the server before it or from a credential.
    #[command(
        name = "command",
        subcommand,
        after_help = "Example:\n  rustmost command list myteam"
    )]
    Slash(CommandCmd),
    /// Prints the real-time events this credential receives (WebSocket), one per line, until
    /// interrupted; reconnects and resumes after a drop.
    #[command(
        visible_alias = "listen",
        after_help = "Example:\n  rustmost events --event posted --channel myteam:town-square --json"
    )]
    Events(EventsCmd),
}

/// Runs one client command and prints its result.
pub async fn run(cmd: Command, conn: Conn) -> anyhow::Result<()> {
    let out = conn.format();
    SHOW_PROGRESS.store(
        progress_visible(out, std::io::IsTerminal::is_terminal(&std::io::stderr())),
        std::sync::atomic::Ordering::Relaxed,
    );
    let (v, cols): (Value, &[&str]) = match cmd {
        Command::Auth(c) => return auth::run(c, &conn).await,
        Command::Events(c) => return events::run(c, &client(&conn)?, out).await,
        Command::Channel(c) => channel::run(c, &client(&conn)?).await?,
        Command::Message(c) => post::run(c, &client(&conn)?).await?,
        Command::Post(c) => post::run_post(c, &client(&conn)?).await?,
        Command::Reaction(c) => reaction::run(c, &client(&conn)?).await?,
        Command::User(c) => user::run(c, &client(&conn)?).await?,
        Command::Config(config::ConfigCmd::Migrate { from, to }) => {
            (config::migrate(&from, &to).await?, &[])
        }
        Command::Config(c) => (config::run(c, &client(&conn)?).await?, &[]),
        Command::Db(c) => db::run(c).await?,
        Command::Token(c) => token::run(c, &client(&conn)?).await?,
        Command::Bot(c) => bot::run(c, &client(&conn)?).await?,
        Command::Team(c) => team::run(c, &client(&conn)?).await?,
        Command::Slash(c) => command::run(c, &client(&conn)?).await?,
        Command::Webhook(c) => {
            let shown = webhook::run(c, &client(&conn)?).await?;
            match out {
                Output::Table => print(&shown.rows, out, webhook::HOOK_COLS),
                Output::Json => print(&shown.json, out, &[]),
            }
            return Ok(());
        }
    };
    print(&v, out, cols);
    Ok(())
}

fn print(v: &Value, out: Output, cols: &[&str]) {
    if out == Output::Table && !cols.is_empty() {
        print_table(v, cols);
    } else {
        println!(
            "{}",
            serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
        );
    }
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn print_table(v: &Value, cols: &[&str]) {
    let rows: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| cols.iter().map(|c| cell(&r[*c])).collect())
        .collect();
    let widths: Vec<usize> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| {
            cells
                .iter()
                .map(|r| r[i].chars().count())
                .chain([c.len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |vals: Vec<String>| {
        let s: Vec<String> = vals
            .iter()
            .zip(&widths)
            .map(|(v, w)| format!("{v:<w$}"))
            .collect();
        println!("{}", s.join("  ").trim_end());
    };
    line(cols.iter().map(|c| c.to_uppercase()).collect());
    for r in cells {
        line(r);
    }
}

/// The client from flags/env, falling back to the saved credential field by field.
fn client(conn: &Conn) -> anyhow::Result<Client> {
    if conn.local {
        #[cfg(unix)]
        return Ok(Client::local(&conn.local_socket)?);
        #[cfg(not(unix))]
        bail!("--local needs a unix socket, which this system does not have");
    }
    let store = credentials::Store::load()?;
    let saved = store
        .get(conn.credential.as_deref())?
        .map(|(_, c)| c.clone());
    let url = conn
        .url
        .clone()
        .or_else(|| saved.as_ref().map(|c| c.url.clone()))
        .context("no server URL: run `rustmost auth login URL --access-token-file FILE`, or pass --url / RUSTMOST_URL")?;
    let token = read_secret(
        conn.token.as_deref(),
        conn.access_token_file.as_deref(),
        "access token",
    )?
    .or_else(|| saved.as_ref().map(|c| c.token.clone()))
        .context("no access token: run `rustmost auth login`, or pass --access-token-file / --access-token - / RUSTMOST_TOKEN")?;
    let insecure = conn.insecure || saved.is_some_and(|c| c.insecure);
    Ok(Client::new(ClientOptions {
        url,
        token: Some(token),
        insecure,
    })?)
}

/// `me`, a 26-char id, an email (contains `@`) or a username → the user JSON.
async fn find_user(cl: &Client, spec: &str) -> anyhow::Result<rustmost_model::user::User> {
    let s = spec.trim_start_matches('@');
    Ok(if s == "me" || rustmost_model::is_valid_id(s) {
        cl.get_user(s).await?
    } else if s.contains('@') {
        cl.get_user_by_email(s).await?
    } else {
        cl.get_user_by_username(s).await?
    })
}

async fn user_id(cl: &Client, spec: &str) -> anyhow::Result<String> {
    if spec == "me" || rustmost_model::is_valid_id(spec) {
        return Ok(spec.to_string());
    }
    Ok(find_user(cl, spec).await?.id)
}

async fn team_id(cl: &Client, spec: &str) -> anyhow::Result<String> {
    if rustmost_model::is_valid_id(spec) {
        return Ok(spec.to_string());
    }
    Ok(cell(&cl.get_team_by_name(spec).await?["id"]))
}

/// A channel id, or `team:channel` by names (mmctl's form) → the channel id.
/// The ids of `teams` (ids or names), or of every team when none are named.
async fn team_ids(cl: &Client, teams: &[String]) -> anyhow::Result<Vec<String>> {
    if teams.is_empty() {
        let all = all_pages("teams", |p| cl.get_all_teams(p, PER_PAGE)).await?;
        return Ok(all
            .as_array()
            .map(|a| a.iter().map(|t| cell(&t["id"])).collect())
            .unwrap_or_default());
    }
    let mut ids = Vec::new();
    for t in teams {
        ids.push(team_id(cl, t).await?);
    }
    Ok(ids)
}

async fn resolve_channel(cl: &Client, spec: &str) -> anyhow::Result<String> {
    match spec.split_once(':') {
        Some((team, name)) if !rustmost_model::is_valid_id(spec) => {
            let t = team_id(cl, team).await?;
            Ok(cell(&cl.get_channel_by_name(&t, name).await?["id"]))
        }
        _ => Ok(spec.to_string()),
    }
}

/// Whether progress may be drawn: set once per run, from the output mode.
static SHOW_PROGRESS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Progress is for a person: drawn on stderr only when it is a terminal, and never when the
/// output is JSON (a script reading JSON wants nothing else on either stream).
fn progress_visible(out: Output, stderr_is_terminal: bool) -> bool {
    out != Output::Json && stderr_is_terminal
}

/// A bar when the total is known, else a spinner with the count so far.
fn progress(what: &str, total: Option<u64>) -> indicatif::ProgressBar {
    // The target is chosen before anything is set: setting the message already draws.
    let target = if SHOW_PROGRESS.load(std::sync::atomic::Ordering::Relaxed) {
        indicatif::ProgressDrawTarget::stderr()
    } else {
        indicatif::ProgressDrawTarget::hidden()
    };
    let bar = indicatif::ProgressBar::with_draw_target(total, target);
    bar.set_style(match total {
        Some(_) => indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {msg} ({eta})")
            .expect("a valid template")
            .progress_chars("=> "),
        None => indicatif::ProgressStyle::default_spinner(),
    });
    bar.set_message(what.to_string());
    bar
}

/// Pages until an empty page (as n8n's `apiRequestAllItems`), with a spinner on a terminal.
/// For the listings whose total Mattermost does not tell (a team's channels, tokens, bots).
async fn all_pages<F, Fut>(what: &str, page_fn: F) -> anyhow::Result<Value>
where
    F: FnMut(u32) -> Fut,
    Fut: std::future::Future<Output = rustmost_client::Result<Value>>,
{
    all_pages_of(what, None, page_fn).await
}

/// As [`all_pages`], with a progress bar when the server told the total beforehand.
async fn all_pages_of<F, Fut>(
    what: &str,
    total: Option<u64>,
    mut page_fn: F,
) -> anyhow::Result<Value>
where
    F: FnMut(u32) -> Fut,
    Fut: std::future::Future<Output = rustmost_client::Result<Value>>,
{
    let bar = progress(what, total);
    let mut all = Vec::new();
    for page in 0.. {
        let v = page_fn(page).await?;
        let Value::Array(items) = v else {
            bail!("the server answered page {page} with something other than a list");
        };
        if items.is_empty() {
            break;
        }
        all.extend(items);
        let n = all.len() as u64;
        // Items added while paging can outgrow the total read first.
        if total.is_some_and(|t| n > t) {
            bar.set_length(n);
        }
        bar.set_position(n);
        if total.is_none() {
            bar.set_message(format!("{n} {what}"));
        }
    }
    bar.finish_and_clear();
    Ok(Value::Array(all))
}

const PER_PAGE: u32 = 100;
const USER_COLS: &[&str] = &["id", "username", "email", "roles", "delete_at"];
const CHANNEL_COLS: &[&str] = &["id", "name", "display_name", "type", "team_id", "delete_at"];

#[cfg(test)]
mod tests {
    use super::{Output, mmctl_args, progress_visible};

    #[test]
    fn progress_only_for_a_person_at_a_terminal() {
        assert!(progress_visible(Output::Table, true));
        assert!(!progress_visible(Output::Table, false));
        assert!(!progress_visible(Output::Json, true));
        assert!(!progress_visible(Output::Json, false));
    }

    fn rewrite(args: &[&str]) -> Vec<String> {
        mmctl_args(args.iter().map(|a| a.into()))
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect()
    }

    #[test]
    fn url_after_webhook_and_command_is_the_callback() {
        assert_eq!(
            rewrite(&[
                "rustmost",
                "--url",
                "http://srv",
                "webhook",
                "create-outgoing",
                "--url",
                "http://cb",
                "--url=http://cb2"
            ]),
            [
                "rustmost",
                "--url",
                "http://srv",
                "webhook",
                "create-outgoing",
                "--callback-url",
                "http://cb",
                "--callback-url=http://cb2"
            ]
        );
        assert_eq!(
            rewrite(&[
                "rustmost",
                "-o",
                "json",
                "command",
                "create",
                "t",
                "--url",
                "http://cb"
            ]),
            [
                "rustmost",
                "-o",
                "json",
                "command",
                "create",
                "t",
                "--callback-url",
                "http://cb"
            ]
        );
        // Other nouns keep `--url` as the server, and a value that looks like a noun is a value.
        for keep in [
            &["rustmost", "user", "list", "--url", "http://srv"][..],
            &[
                "rustmost",
                "--credential",
                "webhook",
                "user",
                "list",
                "--url",
                "http://srv",
            ][..],
            &["rustmost", "command", "execute", "--", "--url"][..],
        ] {
            assert_eq!(rewrite(keep), keep);
        }
    }
}
