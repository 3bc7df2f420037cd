//! `rustmost reaction`: create, delete, list.

use super::{Client, user_id};
use clap::Subcommand;
use serde_json::Value;

#[derive(Subcommand, Debug)]
pub enum ReactionCmd {
    /// Adds a reaction (`:thumbsup:` or `thumbsup`) as a user (default: me).
    #[command(visible_alias = "add")]
    #[command(after_help = "Example:\n  rustmost reaction add 4xp9fdt77pncbef59f4k1qe83o thumbsup")]
    Create {
        post_id: String,
        emoji: String,
        #[arg(long, default_value = "me")]
        user: String,
    },
    /// Removes a user's reaction.
    #[command(visible_alias = "remove")]
    #[command(
        after_help = "Example:\n  rustmost reaction remove 4xp9fdt77pncbef59f4k1qe83o thumbsup"
    )]
    Delete {
        post_id: String,
        emoji: String,
        #[arg(long, default_value = "me")]
        user: String,
    },
    /// A post's reactions.
    #[command(after_help = "Example:\n  rustmost reaction list 4xp9fdt77pncbef59f4k1qe83o")]
    List {
        post_id: String,
        #[arg(long)]
        limit: Option<usize>,
    },
}

const REACTION_COLS: &[&str] = &["user_id", "post_id", "emoji_name", "create_at"];

pub async fn run(c: ReactionCmd, cl: &Client) -> anyhow::Result<(Value, &'static [&'static str])> {
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
