//! `rustmost auth`: saved credentials (URL + access token) and the credential test.

use super::{Conn, client, print};
use crate::credentials::{self, Credential};
use anyhow::bail;
use clap::Subcommand;
use rustmost_client::{Client, ClientOptions};
use serde_json::{Value, json};

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

pub async fn run(c: AuthCmd, conn: &Conn) -> anyhow::Result<()> {
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
