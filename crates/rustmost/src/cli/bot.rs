//! `rustmost bot`: bot accounts (create, list, disable, enable, assign).

use super::{Client, PER_PAGE, all_pages, user_id};
use clap::Subcommand;
use serde_json::{Value, json};

#[derive(Subcommand, Debug)]
pub enum BotCmd {
    /// Creates a bot owned by the caller.
    #[command(
        after_help = "Example:\n  rustmost bot create --username deploybot --display-name \"Deploy bot\""
    )]
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long)]
        description: Option<String>,
    },
    /// Lists bots (all pages).
    #[command(after_help = "Example:\n  rustmost bot list --include-deleted")]
    List {
        #[arg(long)]
        include_deleted: bool,
        #[arg(long)]
        orphaned: bool,
    },
    /// Disables a bot (id or username).
    #[command(after_help = "Example:\n  rustmost bot disable deploybot")]
    Disable { bot: String },
    /// Enables a bot.
    #[command(after_help = "Example:\n  rustmost bot enable deploybot")]
    Enable { bot: String },
    /// Gives a bot a new owner.
    #[command(after_help = "Example:\n  rustmost bot assign deploybot alice")]
    Assign { bot: String, owner: String },
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

pub async fn run(c: BotCmd, cl: &Client) -> anyhow::Result<(Value, &'static [&'static str])> {
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
