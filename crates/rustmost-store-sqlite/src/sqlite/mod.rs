//! The areas (src/areas/) compiled against SQLite.

type Db = crate::SqliteStore;
type DbRow = sqlx::sqlite::SqliteRow;

#[path = "../areas/access_tokens.rs"]
mod access_tokens;
#[path = "../areas/audits.rs"]
mod audits;
#[path = "../areas/bots.rs"]
mod bots;
#[path = "../areas/channels.rs"]
mod channels;
#[path = "../areas/commands.rs"]
mod commands;
#[path = "../areas/posts.rs"]
mod posts;
#[path = "../areas/roles.rs"]
mod roles;
#[path = "../areas/sessions.rs"]
mod sessions;
#[path = "../areas/teams.rs"]
mod teams;
#[path = "../areas/users.rs"]
mod users;
#[path = "../areas/webhooks.rs"]
mod webhooks;
