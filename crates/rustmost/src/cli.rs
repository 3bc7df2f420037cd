//! The command-line client: n8n Mattermost node operations (channel, message, reaction, user)
//! and mmctl-style administration (user roles, config, token, bot, team), over the typed
//! `rustmost-client`. Output is pretty JSON by default so scripts can consume it.

use crate::credentials::{self, Credential};
use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};
use rustmost_client::{Client, ClientOptions, TokenAction, UserListQuery};
use serde_json::{Value, json};

/// Connection flags shared by every client command; they beat the saved credential.
#[derive(Args, Debug, Clone)]
pub struct Conn {
    /// Server base URL (default: the saved credential's).
    #[arg(long, env = "RUSTMOST_URL", global = true)]
    pub url: Option<String>,
    /// Access token (default: the saved credential's).
    #[arg(long, env = "RUSTMOST_TOKEN", hide_env_values = true, global = true)]
    pub token: Option<String>,
    /// Accept invalid TLS certificates ("Ignore SSL Issues").
    #[arg(long, global = true)]
    pub insecure: bool,
    /// Use this saved credential instead of the current one.
    #[arg(long = "credential", global = true, value_name = "NAME")]
    pub credential: Option<String>,
    /// Output format.
    #[arg(long, short = 'o', value_enum, default_value_t = Output::Json, global = true)]
    pub output: Output,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum Output {
    Json,
    Table,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Saved credentials (URL + access token) and the credential test.
    #[command(subcommand)]
    Auth(AuthCmd),
    /// Channels: create, add-user, delete, members, restore, search, statistics, list.
    #[command(subcommand)]
    Channel(ChannelCmd),
    /// Posts: post (with attachments), post-ephemeral, delete.
    #[command(subcommand)]
    Message(MessageCmd),
    /// Reactions: create, delete, list.
    #[command(subcommand)]
    Reaction(ReactionCmd),
    /// Users: create, list, get, activate/deactivate, invite, roles.
    #[command(subcommand)]
    User(UserCmd),
    /// Server configuration: get, set, patch.
    #[command(subcommand)]
    Config(ConfigCmd),
    /// Personal access tokens: create, list, revoke, disable, enable, rotate.
    #[command(subcommand)]
    Token(TokenCmd),
    /// Bot accounts: create, list, disable, enable, assign.
    #[command(subcommand)]
    Bot(BotCmd),
    /// Teams: create, list, add-user.
    #[command(subcommand)]
    Team(TeamCmd),
}

#[derive(Subcommand, Debug)]
pub enum AuthCmd {
    /// Saves a credential (file mode 0600) and makes it the current one.
    Login {
        #[arg(long)]
        url: String,
        #[arg(long)]
        token: String,
        /// "Ignore SSL Issues": accept invalid TLS certificates.
        #[arg(long)]
        insecure: bool,
        /// Name of this credential.
        #[arg(long, default_value = "default")]
        name: String,
    },
    /// Makes a saved credential the current one.
    Use { name: String },
    /// Lists saved credentials (never their tokens).
    List,
    /// Deletes a saved credential.
    Remove { name: String },
    /// n8n's credential test: `GET /api/v4/users`; success or the server's message.
    Test,
}

#[derive(Subcommand, Debug)]
pub enum ChannelCmd {
    /// Creates a channel (public unless --private).
    Create {
        #[arg(long)]
        team: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        display_name: String,
        #[arg(long)]
        private: bool,
    },
    /// Adds a user (id, username or email) to a channel (id or `team:channel`).
    AddUser { channel_id: String, user: String },
    /// Archives a channel.
    Delete { channel_id: String },
    /// Lists members (all pages unless --limit); --resolve returns the users instead.
    Members {
        channel_id: String,
        #[arg(long)]
        limit: Option<u32>,
        #[arg(long)]
        resolve: bool,
    },
    /// Restores an archived channel.
    Restore { channel_id: String },
    /// Searches a team's channels by term.
    Search {
        #[arg(long)]
        team: String,
        term: String,
        #[arg(long)]
        limit: Option<usize>,
    },
    /// Member and post counts of a channel.
    Statistics { channel_id: String },
    /// A team's public channels (all pages).
    List {
        #[arg(long)]
        team: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum MessageCmd {
    /// Posts a message; --attachment takes a JSON file path or inline JSON (object or array),
    /// repeatable.
    Post {
        #[arg(long)]
        channel: String,
        #[arg(long)]
        message: String,
        #[arg(long = "attachment")]
        attachments: Vec<String>,
        #[arg(long)]
        root_id: Option<String>,
    },
    /// Posts a message only one user sees.
    PostEphemeral {
        #[arg(long)]
        channel: String,
        #[arg(long)]
        user: String,
        #[arg(long)]
        message: String,
    },
    /// Deletes a post.
    Delete { post_id: String },
}

#[derive(Subcommand, Debug)]
pub enum ReactionCmd {
    /// Adds a reaction (`:thumbsup:` or `thumbsup`) as a user (default: me).
    Create {
        post_id: String,
        emoji: String,
        #[arg(long, default_value = "me")]
        user: String,
    },
    /// Removes a user's reaction.
    Delete {
        post_id: String,
        emoji: String,
        #[arg(long, default_value = "me")]
        user: String,
    },
    /// A post's reactions.
    List {
        post_id: String,
        #[arg(long)]
        limit: Option<usize>,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserCmd {
    /// Creates a user (email auth with --email/--password, else --auth-service/--auth-data).
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        password: Option<String>,
        #[arg(long, default_value = "email")]
        auth_service: String,
        #[arg(long)]
        auth_data: Option<String>,
        #[arg(long)]
        first_name: Option<String>,
        #[arg(long)]
        last_name: Option<String>,
        #[arg(long)]
        nickname: Option<String>,
        #[arg(long)]
        locale: Option<String>,
    },
    /// Deactivates a user (id, username or email).
    Deactivate { user: String },
    /// Reactivates a user.
    Activate { user: String },
    /// Lists users; every page with --all (the default without --per-page).
    List {
        #[arg(long)]
        in_team: Option<String>,
        #[arg(long)]
        not_in_team: Option<String>,
        #[arg(long)]
        in_channel: Option<String>,
        #[arg(long)]
        not_in_channel: Option<String>,
        /// created_at, last_activity_at, status or username (needs --in-team or --in-channel).
        #[arg(long)]
        sort: Option<String>,
        #[arg(long)]
        inactive: bool,
        #[arg(long)]
        active: bool,
        /// Page number (with --per-page).
        #[arg(long, default_value_t = 0, requires = "per_page")]
        page: u32,
        #[arg(long)]
        per_page: Option<u32>,
        #[arg(long)]
        all: bool,
    },
    /// Looks a user up by id, username or email.
    Get { user: String },
    /// Looks a user up by username or email (mmctl `user search`).
    Search { term: String },
    /// `GET /users/email/{email}`.
    GetByEmail { email: String },
    /// `POST /users/ids`: comma-separated ids.
    GetById {
        ids: String,
        /// Only users updated after this time (ms since the epoch).
        #[arg(long)]
        since: Option<i64>,
    },
    /// Invites comma-separated emails to a team.
    Invite {
        #[arg(long)]
        team: String,
        emails: String,
    },
    /// System roles of a user.
    #[command(subcommand)]
    Roles(RolesCmd),
}

#[derive(Subcommand, Debug)]
pub enum RolesCmd {
    /// Replaces the roles (space- or comma-separated list).
    Set { user: String, roles: Vec<String> },
    /// Adds roles, e.g. `system_user_access_token`.
    Add { user: String, roles: Vec<String> },
    /// Removes roles.
    Remove { user: String, roles: Vec<String> },
}

#[derive(Subcommand, Debug)]
pub enum ConfigCmd {
    /// The whole config, or one setting by path (`ServiceSettings.EnableUserAccessTokens`).
    Get { key: Option<String> },
    /// Sets one setting; the value is parsed as JSON unless the setting is a string.
    Set { key: String, value: String },
    /// Merges a JSON patch from a file (or `-` for stdin).
    Patch { file: String },
}

#[derive(Subcommand, Debug)]
pub enum TokenCmd {
    /// Creates a personal access token (default for me); prints it with its secret.
    Create {
        #[arg(long, default_value = "me")]
        user: String,
        #[arg(long)]
        description: String,
        /// Lifetime like 90d, 12h, 30m or 2w (default: never expires).
        #[arg(long)]
        expires_in: Option<String>,
    },
    /// Lists a user's tokens (--user) or every token on the server.
    List {
        #[arg(long)]
        user: Option<String>,
    },
    /// Deletes a token and its sessions.
    Revoke { token_id: String },
    /// Disables a token.
    Disable { token_id: String },
    /// Enables a disabled token.
    Enable { token_id: String },
    /// Issues a new secret for a token; the old one stops working.
    Rotate {
        token_id: String,
        #[arg(long)]
        expires_in: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum BotCmd {
    /// Creates a bot owned by the caller.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long)]
        description: Option<String>,
    },
    /// Lists bots (all pages).
    List {
        #[arg(long)]
        include_deleted: bool,
        #[arg(long)]
        orphaned: bool,
    },
    /// Disables a bot (id or username).
    Disable { bot: String },
    /// Enables a bot.
    Enable { bot: String },
    /// Gives a bot a new owner.
    Assign { bot: String, owner: String },
}

#[derive(Subcommand, Debug)]
pub enum TeamCmd {
    /// Creates a team (open unless --invite-only).
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        display_name: String,
        #[arg(long)]
        invite_only: bool,
    },
    /// Lists teams (all pages).
    List,
    /// Adds a user to a team.
    AddUser { team: String, user: String },
}

/// Runs one client command and prints its result.
pub async fn run(cmd: Command, conn: Conn) -> anyhow::Result<()> {
    let out = conn.output;
    let (v, cols): (Value, &[&str]) = match cmd {
        Command::Auth(c) => return auth(c, &conn).await,
        Command::Channel(c) => channel(c, &client(&conn)?).await?,
        Command::Message(c) => message(c, &client(&conn)?).await?,
        Command::Reaction(c) => reaction(c, &client(&conn)?).await?,
        Command::User(c) => user(c, &client(&conn)?).await?,
        Command::Config(c) => (config(c, &client(&conn)?).await?, &[]),
        Command::Token(c) => token(c, &client(&conn)?).await?,
        Command::Bot(c) => bot(c, &client(&conn)?).await?,
        Command::Team(c) => team(c, &client(&conn)?).await?,
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
    let store = credentials::Store::load()?;
    let saved = store
        .get(conn.credential.as_deref())?
        .map(|(_, c)| c.clone());
    let url = conn
        .url
        .clone()
        .or_else(|| saved.as_ref().map(|c| c.url.clone()))
        .context("no server URL: run `rustmost auth login --url URL --token TOKEN`, or pass --url / RUSTMOST_URL")?;
    let token = conn
        .token
        .clone()
        .or_else(|| saved.as_ref().map(|c| c.token.clone()))
        .context("no access token: run `rustmost auth login`, or pass --token / RUSTMOST_TOKEN")?;
    let insecure = conn.insecure || saved.is_some_and(|c| c.insecure);
    Ok(Client::new(ClientOptions {
        url,
        token: Some(token),
        insecure,
    })?)
}

async fn auth(c: AuthCmd, conn: &Conn) -> anyhow::Result<()> {
    match c {
        AuthCmd::Login {
            url,
            token,
            insecure,
            name,
        } => {
            // Validates the URL shape before saving; the token is checked by `auth test`.
            Client::new(ClientOptions {
                url: url.clone(),
                token: None,
                insecure,
            })?;
            let mut s = credentials::Store::load()?;
            s.credentials.insert(
                name.clone(),
                Credential {
                    url: url.trim_end_matches('/').to_string(),
                    token,
                    insecure,
                },
            );
            s.current = Some(name.clone());
            s.save()?;
            eprintln!(
                "Saved credential {name:?} in {}",
                credentials::path()?.display()
            );
        }
        AuthCmd::Use { name } => {
            let mut s = credentials::Store::load()?;
            if !s.credentials.contains_key(&name) {
                bail!("no saved credential named {name:?}");
            }
            s.current = Some(name);
            s.save()?;
        }
        AuthCmd::List => {
            let s = credentials::Store::load()?;
            let list: Vec<Value> = s
                .credentials
                .iter()
                .map(|(n, c)| {
                    json!({"name": n, "url": c.url, "insecure": c.insecure,
                           "current": s.current.as_deref() == Some(n.as_str())})
                })
                .collect();
            print(
                &Value::Array(list),
                conn.output,
                &["name", "url", "insecure", "current"],
            );
        }
        AuthCmd::Remove { name } => {
            let mut s = credentials::Store::load()?;
            if s.credentials.remove(&name).is_none() {
                bail!("no saved credential named {name:?}");
            }
            if s.current.as_deref() == Some(name.as_str()) {
                s.current = None;
            }
            s.save()?;
        }
        AuthCmd::Test => {
            let cl = client(conn)?;
            cl.credential_test().await?;
            println!("Connection successful!");
        }
    }
    Ok(())
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
async fn resolve_channel(cl: &Client, spec: &str) -> anyhow::Result<String> {
    match spec.split_once(':') {
        Some((team, name)) if !rustmost_model::is_valid_id(spec) => {
            let t = team_id(cl, team).await?;
            Ok(cell(&cl.get_channel_by_name(&t, name).await?["id"]))
        }
        _ => Ok(spec.to_string()),
    }
}

/// Pages until an empty page (as n8n's `apiRequestAllItems`), with a spinner on a terminal.
async fn all_pages<F, Fut>(what: &str, mut page_fn: F) -> anyhow::Result<Value>
where
    F: FnMut(u32) -> Fut,
    Fut: std::future::Future<Output = rustmost_client::Result<Value>>,
{
    let bar = indicatif::ProgressBar::new_spinner();
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
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
        bar.set_message(format!("{} {what}", all.len()));
        bar.tick();
    }
    bar.finish_and_clear();
    Ok(Value::Array(all))
}

const PER_PAGE: u32 = 100;
const USER_COLS: &[&str] = &["id", "username", "email", "roles", "delete_at"];
const CHANNEL_COLS: &[&str] = &["id", "name", "display_name", "type", "team_id", "delete_at"];

/// An attachment argument: a path to a JSON file, else inline JSON; an array adds several.
fn read_attachments(args: &[String]) -> anyhow::Result<Vec<Value>> {
    let mut out = Vec::new();
    for a in args {
        let text = if a.trim_start().starts_with(['{', '[']) {
            a.clone()
        } else {
            std::fs::read_to_string(a).with_context(|| format!("reading attachment file {a}"))?
        };
        match serde_json::from_str::<Value>(&text).with_context(|| format!("attachment {a}"))? {
            Value::Array(v) if v.iter().all(Value::is_object) => out.extend(v),
            v @ Value::Object(_) => out.push(v),
            _ => bail!("attachment {a}: expected a JSON object or an array of objects"),
        }
    }
    Ok(out)
}

async fn channel(c: ChannelCmd, cl: &Client) -> anyhow::Result<(Value, &'static [&'static str])> {
    Ok(match c {
        ChannelCmd::Create {
            team,
            name,
            display_name,
            private,
        } => {
            let t = team_id(cl, &team).await?;
            (
                cl.create_channel(&t, &name, &display_name, private).await?,
                CHANNEL_COLS,
            )
        }
        ChannelCmd::AddUser { channel_id, user } => {
            let channel_id = resolve_channel(cl, &channel_id).await?;
            let u = user_id(cl, &user).await?;
            (
                cl.add_channel_member(&channel_id, &u).await?,
                &["channel_id", "user_id", "roles"],
            )
        }
        ChannelCmd::Delete { channel_id: c } => (
            cl.delete_channel(&resolve_channel(cl, &c).await?).await?,
            &[],
        ),
        ChannelCmd::Members {
            channel_id,
            limit,
            resolve,
        } => {
            let channel_id = resolve_channel(cl, &channel_id).await?;
            let members = match limit {
                Some(l) => {
                    let v = cl.get_channel_members(&channel_id, 0, l).await?;
                    Value::Array(v.as_array().cloned().unwrap_or_default())
                }
                None => {
                    all_pages("members", |p| {
                        cl.get_channel_members(&channel_id, p, PER_PAGE)
                    })
                    .await?
                }
            };
            if resolve {
                let ids: Vec<String> = members
                    .as_array()
                    .map(|a| a.iter().map(|m| cell(&m["user_id"])).collect())
                    .unwrap_or_default();
                if ids.is_empty() {
                    (json!([]), USER_COLS)
                } else {
                    (cl.get_users_by_ids(&ids, None).await?, USER_COLS)
                }
            } else {
                (members, &["channel_id", "user_id", "roles"])
            }
        }
        ChannelCmd::Restore { channel_id: c } => (
            cl.restore_channel(&resolve_channel(cl, &c).await?).await?,
            CHANNEL_COLS,
        ),
        ChannelCmd::Search { team, term, limit } => {
            let t = team_id(cl, &team).await?;
            let mut v = cl.search_channels(&t, &term).await?;
            if let (Some(l), Value::Array(a)) = (limit, &mut v) {
                a.truncate(l);
            }
            (v, CHANNEL_COLS)
        }
        ChannelCmd::Statistics { channel_id: c } => (
            cl.get_channel_stats(&resolve_channel(cl, &c).await?)
                .await?,
            &[
                "channel_id",
                "member_count",
                "guest_count",
                "pinnedpost_count",
            ],
        ),
        ChannelCmd::List { team } => {
            let t = team_id(cl, &team).await?;
            (
                all_pages("channels", |p| cl.get_public_channels(&t, p, PER_PAGE)).await?,
                CHANNEL_COLS,
            )
        }
    })
}

const POST_COLS: &[&str] = &["id", "channel_id", "user_id", "message", "type"];

async fn message(c: MessageCmd, cl: &Client) -> anyhow::Result<(Value, &'static [&'static str])> {
    Ok(match c {
        MessageCmd::Post {
            channel,
            message,
            attachments,
            root_id,
        } => {
            let att = read_attachments(&attachments)?;
            let channel = resolve_channel(cl, &channel).await?;
            (
                cl.create_post(&channel, &message, att, root_id.as_deref())
                    .await?,
                POST_COLS,
            )
        }
        MessageCmd::PostEphemeral {
            channel,
            user,
            message,
        } => {
            let u = user_id(cl, &user).await?;
            let channel = resolve_channel(cl, &channel).await?;
            (
                cl.create_ephemeral_post(&u, &channel, &message).await?,
                POST_COLS,
            )
        }
        MessageCmd::Delete { post_id } => (cl.delete_post(&post_id).await?, &[]),
    })
}

const REACTION_COLS: &[&str] = &["user_id", "post_id", "emoji_name", "create_at"];

async fn reaction(c: ReactionCmd, cl: &Client) -> anyhow::Result<(Value, &'static [&'static str])> {
    Ok(match c {
        ReactionCmd::Create {
            post_id,
            emoji,
            user,
        } => {
            // The reaction body needs a real id, so `me` is resolved first.
            let u = if user == "me" {
                cl.get_user("me").await?.id
            } else {
                user_id(cl, &user).await?
            };
            (cl.save_reaction(&u, &post_id, &emoji).await?, REACTION_COLS)
        }
        ReactionCmd::Delete {
            post_id,
            emoji,
            user,
        } => {
            let u = user_id(cl, &user).await?;
            (cl.delete_reaction(&u, &post_id, &emoji).await?, &[])
        }
        ReactionCmd::List { post_id, limit } => {
            let mut v = cl.get_reactions(&post_id).await?;
            if let (Some(l), Value::Array(a)) = (limit, &mut v) {
                a.truncate(l);
            }
            (v, REACTION_COLS)
        }
    })
}

fn split_roles(parts: &[String]) -> Vec<String> {
    parts
        .iter()
        .flat_map(|p| p.split([',', ' ']))
        .filter(|r| !r.is_empty())
        .map(str::to_string)
        .collect()
}

async fn user(c: UserCmd, cl: &Client) -> anyhow::Result<(Value, &'static [&'static str])> {
    Ok(match c {
        UserCmd::Create {
            username,
            email,
            password,
            auth_service,
            auth_data,
            first_name,
            last_name,
            nickname,
            locale,
        } => {
            let mut body = json!({"auth_service": auth_service, "username": username});
            if auth_service == "email" {
                let (Some(e), Some(p)) = (email, password) else {
                    bail!("--email and --password are required for email accounts");
                };
                body["email"] = json!(e);
                body["password"] = json!(p);
            } else {
                body["auth_data"] =
                    json!(auth_data.context("--auth-data is required with --auth-service")?);
                if let Some(e) = email {
                    body["email"] = json!(e);
                }
            }
            for (k, v) in [
                ("first_name", first_name),
                ("last_name", last_name),
                ("nickname", nickname),
                ("locale", locale),
            ] {
                if let Some(v) = v {
                    body[k] = json!(v);
                }
            }
            (cl.create_user(&body).await?, USER_COLS)
        }
        UserCmd::Deactivate { user } => {
            let id = user_id(cl, &user).await?;
            (cl.deactivate_user(&id).await?, &[])
        }
        UserCmd::Activate { user } => {
            let id = user_id(cl, &user).await?;
            (cl.update_user_active(&id, true).await?, &[])
        }
        UserCmd::List {
            in_team,
            not_in_team,
            in_channel,
            not_in_channel,
            sort,
            inactive,
            active,
            page,
            per_page,
            all,
        } => {
            // The same combination rules n8n's node enforces before sending.
            if let Some(s) = &sort {
                if in_team.is_some() {
                    if !["last_activity_at", "created_at", "username", ""].contains(&s.as_str()) {
                        bail!("with --in-team, --sort is last_activity_at, created_at or username");
                    }
                } else if in_channel.is_some() {
                    if !["status", "username", ""].contains(&s.as_str()) {
                        bail!("with --in-channel, --sort is status or username");
                    }
                } else {
                    bail!("--sort needs --in-team or --in-channel");
                }
            }
            let q = UserListQuery {
                in_team: match in_team {
                    Some(t) => Some(team_id(cl, &t).await?),
                    None => None,
                },
                not_in_team: match not_in_team {
                    Some(t) => Some(team_id(cl, &t).await?),
                    None => None,
                },
                in_channel,
                not_in_channel,
                // Mattermost's default order is by username; n8n sends it as `sort=`.
                sort: sort.map(|s| if s == "username" { String::new() } else { s }),
                inactive,
                active,
            };
            let v = match per_page {
                Some(pp) if !all => cl.list_users(&q, page, pp).await?,
                _ => all_pages("users", |p| cl.list_users(&q, p, PER_PAGE)).await?,
            };
            (v, USER_COLS)
        }
        UserCmd::Get { user } | UserCmd::Search { term: user } => (
            serde_json::to_value(find_user(cl, &user).await?)?,
            USER_COLS,
        ),
        UserCmd::GetByEmail { email } => (
            serde_json::to_value(cl.get_user_by_email(&email).await?)?,
            USER_COLS,
        ),
        UserCmd::GetById { ids, since } => {
            let ids: Vec<String> = ids.split(',').map(|s| s.trim().to_string()).collect();
            (cl.get_users_by_ids(&ids, since).await?, USER_COLS)
        }
        UserCmd::Invite { team, emails } => {
            let t = team_id(cl, &team).await?;
            let list: Vec<String> = emails.split(',').map(|s| s.trim().to_string()).collect();
            (cl.invite_users_to_team(&t, &list).await?, &[])
        }
        UserCmd::Roles(r) => {
            let (spec, roles, op) = match r {
                RolesCmd::Set { user, roles } => (user, roles, 0),
                RolesCmd::Add { user, roles } => (user, roles, 1),
                RolesCmd::Remove { user, roles } => (user, roles, 2),
            };
            let u = find_user(cl, &spec).await?;
            let given = split_roles(&roles);
            let mut cur: Vec<String> = u.roles.split_whitespace().map(str::to_string).collect();
            match op {
                0 => cur = given,
                1 => {
                    for g in given {
                        if !cur.contains(&g) {
                            cur.push(g);
                        }
                    }
                }
                _ => cur.retain(|r| !given.contains(r)),
            }
            let roles = cur.join(" ");
            cl.update_user_roles(&u.id, &roles).await?;
            (
                json!({"user_id": u.id, "username": u.username, "roles": roles}),
                &["user_id", "username", "roles"],
            )
        }
    })
}

fn key_path(key: &str) -> Vec<&str> {
    key.split(['.', '/']).filter(|s| !s.is_empty()).collect()
}

async fn config(c: ConfigCmd, cl: &Client) -> anyhow::Result<Value> {
    Ok(match c {
        ConfigCmd::Get { key } => {
            let cfg = cl.get_config().await?;
            match key {
                None => cfg,
                Some(k) => {
                    let mut v = &cfg;
                    for part in key_path(&k) {
                        v = v
                            .get(part)
                            .with_context(|| format!("no setting {k:?} in the config"))?;
                    }
                    v.clone()
                }
            }
        }
        ConfigCmd::Set { key, value } => {
            let cfg = cl.get_config().await?;
            let parts = key_path(&key);
            if parts.is_empty() {
                bail!("empty setting path");
            }
            let mut cur = &cfg;
            for p in &parts {
                cur = cur
                    .get(*p)
                    .with_context(|| format!("no setting {key:?} in the config"))?;
            }
            // A string setting keeps "8065" a string; others take JSON (true, 5, ["a"]).
            let new = if cur.is_string() {
                json!(value)
            } else {
                serde_json::from_str(&value)
                    .with_context(|| format!("{key} needs a JSON value, got {value:?}"))?
            };
            let mut patch = new;
            for p in parts.iter().rev() {
                patch = json!({ *p: patch });
            }
            let out = cl.patch_config(&patch).await?;
            let mut v = &out;
            for p in &parts {
                v = &v[*p];
            }
            v.clone()
        }
        ConfigCmd::Patch { file } => {
            let text = if file == "-" {
                let mut s = String::new();
                std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)?;
                s
            } else {
                std::fs::read_to_string(&file).with_context(|| format!("reading {file}"))?
            };
            let patch: Value = serde_json::from_str(&text).context("the patch is not JSON")?;
            if !patch.is_object() {
                bail!("the patch must be a JSON object");
            }
            cl.patch_config(&patch).await?
        }
    })
}

/// `90d`, `12h`, `30m`, `2w`, `45s` → milliseconds.
pub fn parse_duration_ms(s: &str) -> anyhow::Result<i64> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: i64 = num.parse().with_context(|| format!("bad duration {s:?}"))?;
    let mult = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" | "" => 86_400_000,
        "w" => 7 * 86_400_000,
        _ => bail!("bad duration {s:?}: use a number with s, m, h, d or w"),
    };
    if n <= 0 {
        bail!("duration {s:?} must be positive");
    }
    n.checked_mul(mult).context("duration too long")
}

fn expires_at(expires_in: Option<&str>) -> anyhow::Result<Option<i64>> {
    expires_in
        .map(|e| Ok(rustmost_model::now_ms() + parse_duration_ms(e)?))
        .transpose()
}

const TOKEN_COLS: &[&str] = &["id", "user_id", "description", "is_active", "expires_at"];

async fn token(c: TokenCmd, cl: &Client) -> anyhow::Result<(Value, &'static [&'static str])> {
    Ok(match c {
        TokenCmd::Create {
            user,
            description,
            expires_in,
        } => {
            let u = user_id(cl, &user).await?;
            let exp = expires_at(expires_in.as_deref())?;
            (
                cl.create_user_access_token(&u, &description, exp).await?,
                &["id", "token", "user_id", "description", "expires_at"],
            )
        }
        TokenCmd::List { user } => {
            let v = match user {
                Some(spec) => {
                    let u = user_id(cl, &spec).await?;
                    all_pages("tokens", |p| {
                        cl.get_user_access_tokens_for_user(&u, p, PER_PAGE)
                    })
                    .await?
                }
                None => all_pages("tokens", |p| cl.get_user_access_tokens(p, PER_PAGE)).await?,
            };
            (v, TOKEN_COLS)
        }
        TokenCmd::Revoke { token_id } => {
            (cl.token_action(TokenAction::Revoke, &token_id).await?, &[])
        }
        TokenCmd::Disable { token_id } => {
            (cl.token_action(TokenAction::Disable, &token_id).await?, &[])
        }
        TokenCmd::Enable { token_id } => {
            (cl.token_action(TokenAction::Enable, &token_id).await?, &[])
        }
        TokenCmd::Rotate {
            token_id,
            expires_in,
        } => {
            let exp = expires_at(expires_in.as_deref())?;
            (
                cl.rotate_user_access_token(&token_id, exp).await?,
                &["id", "token", "user_id", "description", "expires_at"],
            )
        }
    })
}

const BOT_COLS: &[&str] = &[
    "user_id",
    "username",
    "display_name",
    "owner_id",
    "delete_at",
];

async fn bot_id(cl: &Client, spec: &str) -> anyhow::Result<String> {
    user_id(cl, spec).await
}

async fn bot(c: BotCmd, cl: &Client) -> anyhow::Result<(Value, &'static [&'static str])> {
    Ok(match c {
        BotCmd::Create {
            username,
            display_name,
            description,
        } => {
            let mut body = json!({"username": username});
            if let Some(d) = display_name {
                body["display_name"] = json!(d);
            }
            if let Some(d) = description {
                body["description"] = json!(d);
            }
            (cl.create_bot(&body).await?, BOT_COLS)
        }
        BotCmd::List {
            include_deleted,
            orphaned,
        } => (
            all_pages("bots", |p| {
                cl.get_bots(p, PER_PAGE, include_deleted, orphaned)
            })
            .await?,
            BOT_COLS,
        ),
        BotCmd::Disable { bot } => {
            let id = bot_id(cl, &bot).await?;
            (cl.set_bot_active(&id, false).await?, BOT_COLS)
        }
        BotCmd::Enable { bot } => {
            let id = bot_id(cl, &bot).await?;
            (cl.set_bot_active(&id, true).await?, BOT_COLS)
        }
        BotCmd::Assign { bot, owner } => {
            let id = bot_id(cl, &bot).await?;
            let o = user_id(cl, &owner).await?;
            (cl.assign_bot(&id, &o).await?, BOT_COLS)
        }
    })
}

const TEAM_COLS: &[&str] = &["id", "name", "display_name", "type", "delete_at"];

async fn team(c: TeamCmd, cl: &Client) -> anyhow::Result<(Value, &'static [&'static str])> {
    Ok(match c {
        TeamCmd::Create {
            name,
            display_name,
            invite_only,
        } => (
            cl.create_team(&name, &display_name, !invite_only).await?,
            TEAM_COLS,
        ),
        TeamCmd::List => (
            all_pages("teams", |p| cl.get_all_teams(p, PER_PAGE)).await?,
            TEAM_COLS,
        ),
        TeamCmd::AddUser { team, user } => {
            let t = team_id(cl, &team).await?;
            let u = user_id(cl, &user).await?;
            (
                cl.add_team_member(&t, &u).await?,
                &["team_id", "user_id", "roles"],
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration_ms("90d").unwrap(), 90 * 86_400_000);
        assert_eq!(parse_duration_ms("12h").unwrap(), 12 * 3_600_000);
        assert_eq!(parse_duration_ms("2w").unwrap(), 14 * 86_400_000);
        assert!(parse_duration_ms("0d").is_err());
        assert!(parse_duration_ms("d").is_err());
        assert!(parse_duration_ms("5y").is_err());
    }

    #[test]
    fn roles_split_on_commas_and_spaces() {
        assert_eq!(
            split_roles(&["a,b".into(), "c d".into()]),
            vec!["a", "b", "c", "d"]
        );
    }
}
