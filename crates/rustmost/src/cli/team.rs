//! `rustmost team`: create, list, add-user.

use super::{Client, PER_PAGE, all_pages_of, team_id, user_id};
use clap::Subcommand;
use serde_json::Value;

#[derive(Subcommand, Debug)]
pub enum TeamCmd {
    /// Creates a team (open unless --invite-only).
    #[command(
        after_help = "Example:\n  rustmost team create --name myteam --display-name \"My team\""
    )]
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        display_name: String,
        #[arg(long)]
        invite_only: bool,
    },
    /// Lists teams (all pages).
    #[command(after_help = "Example:\n  rustmost team list")]
    List,
    /// Adds a user to a team.
    #[command(after_help = "Example:\n  rustmost team add-user myteam alice")]
    AddUser { team: String, user: String },
}

const TEAM_COLS: &[&str] = &["id", "name", "display_name", "type", "delete_at"];

pub async fn run(c: TeamCmd, cl: &Client) -> anyhow::Result<(Value, &'static [&'static str])> {
    Ok(match c {
        TeamCmd::Create {
            name,
            display_name,
            invite_only,
        } => (
            cl.create_team(&name, &display_name, !invite_only).await?,
            TEAM_COLS,
        ),
        TeamCmd::List => {
            // A bar is a comfort: a server without the count still lists.
            let total = cl.count_all_teams().await.ok().and_then(|v| v.as_u64());
            (
                all_pages_of("teams", total, |p| cl.get_all_teams(p, PER_PAGE)).await?,
                TEAM_COLS,
            )
        }
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
