//! `rustmost auth`: saved credentials (URL + access token) and the credential test, with
//! mmctl's spellings (`login <url> --access-token`, `current`, `switch`, `delete`).

use super::{Conn, client, print, read_secret};
use crate::credentials::{self, Credential};
use anyhow::{Context, bail};
use clap::Subcommand;
use rustmost_client::{Client, ClientOptions};
use serde_json::{Value, json};

#[derive(Subcommand, Debug)]
pub enum AuthCmd {
    /// Saves a credential (file mode 0600) and makes it the current one. The token comes from
    /// --access-token-file, --access-token - (stdin) or --access-token; or log in with
    /// --username and --password-file to save a session token.
    #[command(
        after_help = "Example:\n  rustmost auth login https://chat.example.com --name prod --access-token-file ~/.mm-token"
    )]
    Login {
        /// Server URL, as in mmctl (`--url` is accepted too).
        #[arg(value_name = "URL")]
        server: Option<String>,
        /// Log in with this username or email instead of giving a token.
        #[arg(long)]
        username: Option<String>,
        /// The password (`-` reads it from stdin).
        #[arg(long, requires = "username")]
        password: Option<String>,
        /// Reads the password from this file.
        #[arg(long, requires = "username", value_name = "FILE")]
        password_file: Option<std::path::PathBuf>,
        /// Name of this credential.
        #[arg(long, default_value = "default")]
        name: String,
    },
    /// Shows the current credential (never its token).
    #[command(after_help = "Example:\n  rustmost auth current")]
    Current,
    /// Makes a saved credential the current one.
    #[command(
        visible_alias = "switch",
        after_help = "Example:\n  rustmost auth switch prod"
    )]
    Use { name: String },
    /// Lists saved credentials (never their tokens).
    #[command(after_help = "Example:\n  rustmost auth list")]
    List,
    /// Deletes a saved credential.
    #[command(
        visible_alias = "delete",
        after_help = "Example:\n  rustmost auth delete prod"
    )]
    Remove { name: String },
    /// n8n's credential test: `GET /api/v4/users`; success or the server's message.
    #[command(after_help = "Example:\n  rustmost auth test --credential prod")]
    Test,
}

pub async fn run(c: AuthCmd, conn: &Conn) -> anyhow::Result<()> {
    match c {
        AuthCmd::Login {
            server,
            username,
            password,
            password_file,
            name,
        } => {
            let url = match (server, conn.url.clone()) {
                (Some(_), Some(_)) => bail!("give the server URL once (positional or --url)"),
                (Some(u), None) | (None, Some(u)) => u,
                (None, None) => bail!("the server URL is missing: rustmost auth login URL ..."),
            };
            let insecure = conn.insecure;
            let cl = Client::new(ClientOptions {
                url: url.clone(),
                token: None,
                insecure,
            })?;
            let token = match username {
                Some(login_id) => {
                    if conn.token.is_some() || conn.access_token_file.is_some() {
                        bail!("give either --username or an access token, not both");
                    }
                    let pw = read_secret(password.as_deref(), password_file.as_deref(), "password")?
                        .context("--username needs --password-file or --password -")?;
                    cl.login(&login_id, &pw).await?
                }
                // The token is checked by `auth test`, as mmctl saves first and tests apart.
                None => read_secret(
                    conn.token.as_deref(),
                    conn.access_token_file.as_deref(),
                    "access token",
                )?
                .context("an access token is needed: --access-token-file FILE, --access-token - (stdin), or --username with --password-file")?,
            };
            let mut s = credentials::Store::load()?;
            s.credentials.insert(
                name.clone(),
                Credential {
                    url: url.trim().trim_end_matches('/').to_string(),
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
        AuthCmd::Current => {
            let s = credentials::Store::load()?;
            let Some((n, c)) = s.get(conn.credential.as_deref())? else {
                bail!(
                    "no current credential: run `rustmost auth login URL --access-token-file FILE`"
                );
            };
            print(
                &json!({"name": n, "url": c.url, "insecure": c.insecure}),
                conn.format(),
                &["name", "url", "insecure"],
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
                conn.format(),
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
