//! `rustmost token`: personal access tokens (create, list, revoke, disable, enable, rotate).

use super::{Client, PER_PAGE, all_pages, user_id};
use anyhow::{Context, bail};
use clap::Subcommand;
use rustmost_client::TokenAction;
use serde_json::Value;

#[derive(Subcommand, Debug)]
pub enum TokenCmd {
    /// Creates a personal access token (default for me); prints it with its secret.
    #[command(
        after_help = "Example:\n  rustmost token create alice --description n8n --expires-in 90d"
    )]
    Create {
        /// The token's user (id, username or email), as in mmctl; `--user` works too.
        #[arg(value_name = "USER", conflicts_with = "user")]
        for_user: Option<String>,
        #[arg(long)]
        user: Option<String>,
        #[arg(long)]
        description: String,
        /// Lifetime like 90d, 12h, 30m or 2w (default: never expires).
        #[arg(long)]
        expires_in: Option<String>,
    },
    /// mmctl's `token generate <user> <description>`: the same as `create`.
    #[command(after_help = "Example:\n  rustmost token generate alice n8n")]
    Generate {
        user: String,
        description: String,
        /// Lifetime like 90d, 12h, 30m or 2w (default: never expires).
        #[arg(long)]
        expires_in: Option<String>,
    },
    /// Lists a user's tokens (positional or --user) or every token on the server.
    #[command(after_help = "Example:\n  rustmost token list alice")]
    List {
        #[arg(value_name = "USER", conflicts_with = "user")]
        for_user: Option<String>,
        #[arg(long)]
        user: Option<String>,
    },
    /// Deletes a token and its sessions.
    #[command(after_help = "Example:\n  rustmost token revoke 9ud5mtgz4ifjpgzmdnpbfbcd5r")]
    Revoke { token_id: String },
    /// Disables a token.
    #[command(after_help = "Example:\n  rustmost token disable 9ud5mtgz4ifjpgzmdnpbfbcd5r")]
    Disable { token_id: String },
    /// Enables a disabled token.
    #[command(after_help = "Example:\n  rustmost token enable 9ud5mtgz4ifjpgzmdnpbfbcd5r")]
    Enable { token_id: String },
    /// Issues a new secret for a token; the old one stops working.
    #[command(
        after_help = "Example:\n  rustmost token rotate 9ud5mtgz4ifjpgzmdnpbfbcd5r --expires-in 30d"
    )]
    Rotate {
        token_id: String,
        #[arg(long)]
        expires_in: Option<String>,
    },
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

pub async fn run(c: TokenCmd, cl: &Client) -> anyhow::Result<(Value, &'static [&'static str])> {
    Ok(match c {
        TokenCmd::Create {
            for_user,
            user,
            description,
            expires_in,
        } => {
            let u = user_id(cl, for_user.or(user).as_deref().unwrap_or("me")).await?;
            let exp = expires_at(expires_in.as_deref())?;
            (
                cl.create_user_access_token(&u, &description, exp).await?,
                &["id", "token", "user_id", "description", "expires_at"],
            )
        }
        TokenCmd::Generate {
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
        TokenCmd::List { for_user, user } => {
            let v = match for_user.or(user) {
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
}
