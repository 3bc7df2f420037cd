//! `rustmost post` (mmctl's `post create`) and `rustmost message` (n8n's operations: post with
//! attachments, post-ephemeral, delete).

use super::{Client, resolve_channel, user_id};
use anyhow::{Context, bail};
use clap::Subcommand;
use serde_json::Value;

#[derive(Subcommand, Debug)]
pub enum PostCmd {
    /// Posts a message to a channel (`team:channel` or id), as mmctl's `post create`.
    #[command(
        after_help = "Example:\n  rustmost post create myteam:town-square --message \"Deploy done\" --reply-to 4xp9fdt77pncbef59f4k1qe83o"
    )]
    Create {
        channel: String,
        #[arg(long)]
        message: String,
        /// The post this one replies to.
        #[arg(long)]
        reply_to: Option<String>,
        /// A JSON file (or inline JSON) holding message attachments; repeatable.
        #[arg(long)]
        attachments: Vec<String>,
    },
    /// Deletes a post.
    #[command(after_help = "Example:\n  rustmost post delete 4xp9fdt77pncbef59f4k1qe83o")]
    Delete { post_id: String },
}

pub async fn run_post(c: PostCmd, cl: &Client) -> anyhow::Result<(Value, &'static [&'static str])> {
    run(
        match c {
            PostCmd::Create {
                channel,
                message,
                reply_to,
                attachments,
            } => MessageCmd::Post {
                channel,
                message,
                attachments,
                root_id: reply_to,
            },
            PostCmd::Delete { post_id } => MessageCmd::Delete { post_id },
        },
        cl,
    )
    .await
}

#[derive(Subcommand, Debug)]
pub enum MessageCmd {
    /// Posts a message; --attachment takes a JSON file path or inline JSON (object or array),
    /// repeatable.
    #[command(
        after_help = "Example:\n  rustmost message post --channel myteam:ops --message hi --attachment card.json"
    )]
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
    #[command(
        after_help = "Example:\n  rustmost message post-ephemeral --channel myteam:ops --user alice --message \"only you\""
    )]
    PostEphemeral {
        #[arg(long)]
        channel: String,
        #[arg(long)]
        user: String,
        #[arg(long)]
        message: String,
    },
    /// Deletes a post.
    #[command(after_help = "Example:\n  rustmost message delete 4xp9fdt77pncbef59f4k1qe83o")]
    Delete { post_id: String },
}

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

const POST_COLS: &[&str] = &["id", "channel_id", "user_id", "message", "type"];

pub async fn run(c: MessageCmd, cl: &Client) -> anyhow::Result<(Value, &'static [&'static str])> {
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
