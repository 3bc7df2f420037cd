//! `rustmost user`: create, list, get, activate/deactivate, invite, roles.

use super::{
    Client, PER_PAGE, USER_COLS, all_pages_of, find_user, read_secret, resolve_channel, team_id,
    user_id,
};
use anyhow::{Context, bail};
use clap::Subcommand;
use rustmost_client::UserListQuery;
use serde_json::{Value, json};

#[derive(Subcommand, Debug)]
pub enum UserCmd {
    /// Creates a user (email auth with --email/--password, else --auth-service/--auth-data).
    #[command(
        after_help = "Example:\n  rustmost user create --username alice --email alice@example.com --password-file pw.txt"
    )]
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: Option<String>,
        /// The password (`-` reads it from stdin; --password-file keeps it out of `ps`).
        #[arg(long)]
        password: Option<String>,
        /// Reads the password from this file.
        #[arg(long, value_name = "FILE")]
        password_file: Option<std::path::PathBuf>,
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
    #[command(after_help = "Example:\n  rustmost user deactivate alice")]
    Deactivate { user: String },
    /// Reactivates a user.
    #[command(after_help = "Example:\n  rustmost user activate alice")]
    Activate { user: String },
    /// Lists users; every page with --all (the default without --per-page).
    #[command(after_help = "Example:\n  rustmost user list --in-team myteam --json")]
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
    #[command(after_help = "Example:\n  rustmost user get alice@example.com")]
    Get { user: String },
    /// Looks a user up by username or email (mmctl `user search`).
    #[command(after_help = "Example:\n  rustmost user search alice")]
    Search { term: String },
    /// `GET /users/email/{email}`.
    #[command(after_help = "Example:\n  rustmost user get-by-email alice@example.com")]
    GetByEmail { email: String },
    /// `POST /users/ids`: comma-separated ids.
    #[command(
        after_help = "Example:\n  rustmost user get-by-id 9ud5mtgz4ifjpgzmdnpbfbcd5r,4xp9fdt77pncbef59f4k1qe83o"
    )]
    GetById {
        ids: String,
        /// Only users updated after this time (ms since the epoch).
        #[arg(long)]
        since: Option<i64>,
    },
    /// Invites comma-separated emails to a team.
    #[command(
        after_help = "Example:\n  rustmost user invite --team myteam bob@example.com,carol@example.com"
    )]
    Invite {
        #[arg(long)]
        team: String,
        emails: String,
    },
    /// System roles of a user.
    #[command(subcommand)]
    #[command(after_help = "Example:\n  rustmost user roles add alice system_user_access_token")]
    Roles(RolesCmd),
}

#[derive(Subcommand, Debug)]
pub enum RolesCmd {
    /// Replaces the roles (space- or comma-separated list).
    #[command(after_help = "Example:\n  rustmost user roles set alice system_user")]
    Set { user: String, roles: Vec<String> },
    /// Adds roles, e.g. `system_user_access_token`.
    #[command(after_help = "Example:\n  rustmost user roles add alice system_user_access_token")]
    Add { user: String, roles: Vec<String> },
    /// Removes roles.
    #[command(after_help = "Example:\n  rustmost user roles remove alice system_admin")]
    Remove { user: String, roles: Vec<String> },
}

fn split_roles(parts: &[String]) -> Vec<String> {
    parts
        .iter()
        .flat_map(|p| p.split([',', ' ']))
        .filter(|r| !r.is_empty())
        .map(str::to_string)
        .collect()
}

pub async fn run(c: UserCmd, cl: &Client) -> anyhow::Result<(Value, &'static [&'static str])> {
    Ok(match c {
        UserCmd::Create {
            username,
            email,
            password,
            password_file,
            auth_service,
            auth_data,
            first_name,
            last_name,
            nickname,
            locale,
        } => {
            let mut body = json!({"auth_service": auth_service, "username": username});
            if auth_service == "email" {
                let password =
                    read_secret(password.as_deref(), password_file.as_deref(), "password")?;
                let (Some(e), Some(p)) = (email, password) else {
                    bail!(
                        "--email and --password-file (or --password) are required for email accounts"
                    );
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
                in_channel: match in_channel {
                    Some(c) => Some(resolve_channel(cl, &c).await?),
                    None => None,
                },
                not_in_channel: match not_in_channel {
                    Some(c) => Some(resolve_channel(cl, &c).await?),
                    None => None,
                },
                // Mattermost's default order is by username; n8n sends it as `sort=`.
                sort: sort.map(|s| if s == "username" { String::new() } else { s }),
                inactive,
                active,
            };
            let v = match per_page {
                Some(pp) if !all => cl.list_users(&q, page, pp).await?,
                _ => {
                    // The totals the server tells: a channel's member count, and with no filter
                    // the active users and bots (deactivated ones, listed unless `--active`,
                    // lengthen the bar as they come).
                    let unfiltered = q.in_team.is_none()
                        && q.not_in_team.is_none()
                        && q.not_in_channel.is_none();
                    let total = match (&q.in_channel, q.inactive) {
                        (Some(c), false) => cl.get_channel_stats(c).await?["member_count"].as_u64(),
                        // A bar is a comfort: a server without the count still lists.
                        (None, false) if unfiltered => cl
                            .get_total_users_stats()
                            .await
                            .ok()
                            .and_then(|v| v["total_users_count"].as_u64()),
                        _ => None,
                    };
                    all_pages_of("users", total, |p| cl.list_users(&q, p, PER_PAGE)).await?
                }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_split_on_commas_and_spaces() {
        assert_eq!(
            split_roles(&["a,b".into(), "c d".into()]),
            vec!["a", "b", "c", "d"]
        );
    }
}
