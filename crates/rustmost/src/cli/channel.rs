//! `rustmost channel`: create, add-user, delete, members, restore, search, statistics, list.

use super::{
    CHANNEL_COLS, Client, PER_PAGE, USER_COLS, all_pages, all_pages_of, cell, resolve_channel,
    team_id, user_id,
};
use clap::Subcommand;
use serde_json::{Value, json};

#[derive(Subcommand, Debug)]
pub enum ChannelCmd {
    /// Creates a channel (public unless --private).
    #[command(
        after_help = "Example:\n  rustmost channel create --team myteam --name ops --display-name Ops"
    )]
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
    #[command(after_help = "Example:\n  rustmost channel add-user myteam:ops alice")]
    AddUser { channel_id: String, user: String },
    /// Archives a channel.
    #[command(after_help = "Example:\n  rustmost channel delete myteam:ops")]
    Delete { channel_id: String },
    /// Lists members (all pages unless --limit); --resolve returns the users instead.
    #[command(after_help = "Example:\n  rustmost channel members myteam:ops --resolve")]
    Members {
        channel_id: String,
        #[arg(long)]
        limit: Option<u32>,
        #[arg(long)]
        resolve: bool,
    },
    /// Restores an archived channel.
    #[command(after_help = "Example:\n  rustmost channel restore myteam:ops")]
    Restore { channel_id: String },
    /// Searches a team's channels by term.
    #[command(after_help = "Example:\n  rustmost channel search --team myteam ops")]
    Search {
        #[arg(long)]
        team: String,
        term: String,
        #[arg(long)]
        limit: Option<usize>,
    },
    /// Member and post counts of a channel.
    #[command(after_help = "Example:\n  rustmost channel statistics myteam:ops")]
    Statistics { channel_id: String },
    /// A team's public channels (all pages).
    #[command(after_help = "Example:\n  rustmost channel list --team myteam --json")]
    List {
        #[arg(long)]
        team: String,
    },
}

pub async fn run(c: ChannelCmd, cl: &Client) -> anyhow::Result<(Value, &'static [&'static str])> {
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
                    let total = cl.get_channel_stats(&channel_id).await?["member_count"].as_u64();
                    all_pages_of("members", total, |p| {
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
