//! `rustmost config`: get, set, patch the server configuration.

use super::Client;
use anyhow::{Context, bail};
use clap::Subcommand;
use serde_json::{Value, json};

#[derive(Subcommand, Debug)]
pub enum ConfigCmd {
    /// The whole config, or one setting by path (`ServiceSettings.EnableUserAccessTokens`).
    #[command(
        after_help = "Example:\n  rustmost config get ServiceSettings.EnableUserAccessTokens"
    )]
    Get { key: Option<String> },
    /// Sets one setting; the value is parsed as JSON unless the setting is a string.
    #[command(
        after_help = "Example:\n  rustmost config set ServiceSettings.EnableUserAccessTokens true"
    )]
    Set { key: String, value: String },
    /// Merges a JSON patch from a file (or `-` for stdin).
    #[command(after_help = "Example:\n  rustmost config patch changes.json")]
    Patch { file: String },
    /// Copies the stored configuration from a `config.json` into a database (`MM_CONFIG` may
    /// then name that database on every node) or back; works on the files and databases
    /// directly, as `mmctl config migrate`.
    #[command(
        after_help = "Example:\n  rustmost config migrate ./data/config.json postgres://mmuser:pw@db/rustmost"
    )]
    Migrate {
        /// A `config.json` path or a database URL (`postgres://…`, `sqlite:…`).
        from: String,
        /// Where to store it, in the same forms.
        to: String,
    },
}

/// `config migrate`: no server involved.
pub async fn migrate(from: &str, to: &str) -> anyhow::Result<Value> {
    rustmost_server::config::migrate(from, to)
        .await
        .map_err(|e| anyhow::anyhow!("config migrate: {e:?}"))?;
    Ok(json!({"status": "OK", "from": redact(from), "to": redact(to)}))
}

/// A database URL without its password, for output.
fn redact(s: &str) -> String {
    match (s.find("://"), s.rfind('@')) {
        (Some(i), Some(at)) if at > i => format!("{}://…{}", &s[..i], &s[at..]),
        _ => s.to_string(),
    }
}

fn key_path(key: &str) -> Vec<&str> {
    key.split(['.', '/']).filter(|s| !s.is_empty()).collect()
}

pub async fn run(c: ConfigCmd, cl: &Client) -> anyhow::Result<Value> {
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
        ConfigCmd::Migrate { from, to } => migrate(&from, &to).await?,
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
