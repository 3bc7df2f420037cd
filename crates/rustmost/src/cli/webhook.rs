//! `rustmost webhook`: incoming and outgoing webhooks with mmctl's spellings (create-incoming,
//! create-outgoing, list, show, modify-incoming, modify-outgoing, delete).

use super::{
    Client, PER_PAGE, all_pages, all_pages_of, resolve_channel, team_id, team_ids, user_id,
};
use anyhow::bail;
use clap::{Args, Subcommand, ValueEnum};
use rustmost_client::HookKind::{self, Incoming, Outgoing};
use serde_json::{Value, json};

#[derive(Subcommand, Debug)]
pub enum WebhookCmd {
    /// Creates an incoming webhook; its URL is `<server>/hooks/<id>`.
    #[command(
        after_help = "Example:\n  rustmost webhook create-incoming --channel myteam:town-square --user alice --display-name CI --lock-to-channel"
    )]
    CreateIncoming {
        /// The channel (id or `team:channel`).
        #[arg(long)]
        channel: String,
        /// The hook's owner (id, username or email; default: me).
        #[arg(long)]
        user: Option<String>,
        #[command(flatten)]
        looks: IncomingLooks,
        /// Only ever post to this channel, whatever the payload's `channel` says.
        #[arg(long)]
        lock_to_channel: bool,
    },
    /// Changes an incoming webhook; flags left out keep their value.
    #[command(
        after_help = "Example:\n  rustmost webhook modify-incoming 9ud5mtgz4ifjpgzmdnpbfbcd5r --display-name Deploys --lock-to-channel=false"
    )]
    ModifyIncoming {
        hook_id: String,
        #[arg(long)]
        channel: Option<String>,
        #[command(flatten)]
        looks: IncomingLooks,
        /// `--lock-to-channel` locks, `--lock-to-channel=false` unlocks, absent keeps.
        #[arg(long, num_args = 0..=1, default_missing_value = "true", require_equals = true)]
        lock_to_channel: Option<bool>,
    },
    /// Creates an outgoing webhook, called when a post starts with a trigger word.
    #[command(
        after_help = "Example:\n  rustmost webhook create-outgoing --team myteam --display-name build --trigger-word build --url https://ci.example.com/hook"
    )]
    CreateOutgoing {
        /// The team (name or id).
        #[arg(long)]
        team: String,
        /// Only posts in this channel (id or `team:channel`) trigger it.
        #[arg(long)]
        channel: Option<String>,
        /// The hook's creator (id, username or email; default: me).
        #[arg(long)]
        user: Option<String>,
        /// The hook's name in lists.
        #[arg(long)]
        display_name: String,
        #[arg(long)]
        description: Option<String>,
        /// A trigger word (repeat for several).
        #[arg(long = "trigger-word")]
        trigger_words: Vec<String>,
        /// `exact`: the first word is a trigger word; `start`: it starts with one.
        #[arg(long, value_enum, default_value = "exact")]
        trigger_when: TriggerWhen,
        /// A callback URL (repeat for several); mmctl's `--url`, see `rustmost webhook`.
        #[arg(long = "callback-url", required = true)]
        urls: Vec<String>,
        #[arg(long)]
        icon: Option<String>,
        /// `application/json` for a JSON request, else a form.
        #[arg(long)]
        content_type: Option<String>,
        /// Username the replies are posted as (when the server allows username overrides).
        #[arg(long)]
        username: Option<String>,
    },
    /// Changes an outgoing webhook; flags left out keep their value.
    #[command(
        after_help = "Example:\n  rustmost webhook modify-outgoing 9ud5mtgz4ifjpgzmdnpbfbcd5r --trigger-word deploy --trigger-when start"
    )]
    ModifyOutgoing {
        hook_id: String,
        #[arg(long)]
        channel: Option<String>,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long)]
        description: Option<String>,
        /// Replaces the trigger words (repeat for several).
        #[arg(long = "trigger-word")]
        trigger_words: Vec<String>,
        #[arg(long, value_enum)]
        trigger_when: Option<TriggerWhen>,
        /// Replaces the callback URLs (repeat for several); mmctl's `--url`.
        #[arg(long = "callback-url")]
        urls: Vec<String>,
        #[arg(long)]
        icon: Option<String>,
        #[arg(long)]
        content_type: Option<String>,
    },
    /// Lists the incoming and outgoing webhooks of these teams (default: every team).
    #[command(after_help = "Example:\n  rustmost webhook list myteam --json")]
    List { teams: Vec<String> },
    /// Shows one webhook, incoming or outgoing.
    #[command(after_help = "Example:\n  rustmost webhook show 9ud5mtgz4ifjpgzmdnpbfbcd5r")]
    Show { hook_id: String },
    /// Deletes one webhook, incoming or outgoing.
    #[command(after_help = "Example:\n  rustmost webhook delete 9ud5mtgz4ifjpgzmdnpbfbcd5r")]
    Delete { hook_id: String },
}

/// What an incoming hook looks like in posts, which create and modify both take.
#[derive(Args, Debug)]
pub struct IncomingLooks {
    #[arg(long)]
    display_name: Option<String>,
    #[arg(long)]
    description: Option<String>,
    /// Icon URL (used when the server allows icon overrides).
    #[arg(long)]
    icon: Option<String>,
    /// Username the hook posts as (used when the server allows username overrides).
    #[arg(long)]
    username: Option<String>,
}

impl IncomingLooks {
    /// The fields, under their JSON names.
    fn fields(self) -> [(&'static str, Option<String>); 4] {
        [
            ("display_name", self.display_name),
            ("description", self.description),
            ("icon_url", self.icon),
            ("username", self.username),
        ]
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum TriggerWhen {
    Exact,
    Start,
}

impl TriggerWhen {
    fn code(self) -> i64 {
        match self {
            TriggerWhen::Exact => 0,
            TriggerWhen::Start => 1,
        }
    }
}

/// Table columns; `kind` is added by this module so one table can hold both sorts.
pub const HOOK_COLS: &[&str] = &["kind", "id", "display_name", "team_id", "channel_id"];

/// What a webhook command prints: the server's JSON, and the rows of its table.
pub struct Shown {
    pub json: Value,
    pub rows: Value,
}

fn tagged(kind: &str, hook: &Value) -> Value {
    let mut row = hook.clone();
    row["kind"] = json!(kind);
    row
}

fn one(kind: &str, hook: Value) -> Shown {
    Shown {
        rows: tagged(kind, &hook),
        json: hook,
    }
}

/// Incoming first, then outgoing, as mmctl looks a bare webhook id up.
async fn find(cl: &Client, id: &str) -> anyhow::Result<(HookKind, Value)> {
    if let Ok(h) = cl.get_webhook(Incoming, id).await {
        return Ok((Incoming, h));
    }
    match cl.get_webhook(Outgoing, id).await {
        Ok(h) => Ok((Outgoing, h)),
        Err(rustmost_client::Error::Api { status: 404, .. }) => {
            bail!("no webhook with id {id:?} (neither incoming nor outgoing)")
        }
        Err(e) => Err(e.into()),
    }
}

/// Sets each of `fields` that was given.
fn set(v: &mut Value, fields: [(&str, Option<String>); 4]) {
    for (key, new) in fields {
        if let Some(n) = new {
            v[key] = json!(n);
        }
    }
}

/// Sets the hook's channel when one was given.
async fn set_channel(cl: &Client, v: &mut Value, channel: Option<String>) -> anyhow::Result<()> {
    if let Some(ch) = channel {
        v["channel_id"] = json!(resolve_channel(cl, &ch).await?);
    }
    Ok(())
}

/// Sets the hook's owner (`key`) when one was given.
async fn set_user(
    cl: &Client,
    v: &mut Value,
    key: &str,
    user: Option<String>,
) -> anyhow::Result<()> {
    if let Some(u) = user {
        v[key] = json!(user_id(cl, &u).await?);
    }
    Ok(())
}

pub async fn run(c: WebhookCmd, cl: &Client) -> anyhow::Result<Shown> {
    Ok(match c {
        WebhookCmd::CreateIncoming {
            channel,
            user,
            looks,
            lock_to_channel,
        } => {
            let mut body = json!({
                "channel_id": resolve_channel(cl, &channel).await?,
                "channel_locked": lock_to_channel,
            });
            set_user(cl, &mut body, "user_id", user).await?;
            set(&mut body, looks.fields());
            one("incoming", cl.create_webhook(Incoming, &body).await?)
        }
        WebhookCmd::ModifyIncoming {
            hook_id,
            channel,
            looks,
            lock_to_channel,
        } => {
            let mut h = cl.get_webhook(Incoming, &hook_id).await?;
            set_channel(cl, &mut h, channel).await?;
            set(&mut h, looks.fields());
            if let Some(l) = lock_to_channel {
                h["channel_locked"] = json!(l);
            }
            one("incoming", cl.update_webhook(Incoming, &hook_id, &h).await?)
        }
        WebhookCmd::CreateOutgoing {
            team,
            channel,
            user,
            display_name,
            description,
            trigger_words,
            trigger_when,
            urls,
            icon,
            content_type,
            username,
        } => {
            let mut body = json!({
                "team_id": team_id(cl, &team).await?,
                "display_name": display_name,
                "trigger_words": trigger_words,
                "trigger_when": trigger_when.code(),
                "callback_urls": urls,
            });
            set_channel(cl, &mut body, channel).await?;
            set_user(cl, &mut body, "creator_id", user).await?;
            let fields = [
                ("description", description),
                ("icon_url", icon),
                ("content_type", content_type),
                ("username", username),
            ];
            set(&mut body, fields);
            one("outgoing", cl.create_webhook(Outgoing, &body).await?)
        }
        WebhookCmd::ModifyOutgoing {
            hook_id,
            channel,
            display_name,
            description,
            trigger_words,
            trigger_when,
            urls,
            icon,
            content_type,
        } => {
            let mut h = cl.get_webhook(Outgoing, &hook_id).await?;
            set_channel(cl, &mut h, channel).await?;
            let fields = [
                ("display_name", display_name),
                ("description", description),
                ("icon_url", icon),
                ("content_type", content_type),
            ];
            set(&mut h, fields);
            if !trigger_words.is_empty() {
                h["trigger_words"] = json!(trigger_words);
            }
            if let Some(w) = trigger_when {
                h["trigger_when"] = json!(w.code());
            }
            if !urls.is_empty() {
                h["callback_urls"] = json!(urls);
            }
            one("outgoing", cl.update_webhook(Outgoing, &hook_id, &h).await?)
        }
        WebhookCmd::List { teams } => {
            let ids = team_ids(cl, &teams).await?;
            let (mut incoming, mut outgoing) = (Vec::new(), Vec::new());
            for t in &ids {
                let total = cl.count_incoming_webhooks_for_team(t).await?;
                let inc = all_pages_of("incoming webhooks", Some(total), |p| {
                    cl.get_webhooks_for_team(Incoming, t, p, PER_PAGE)
                })
                .await?;
                incoming.extend(inc.as_array().cloned().unwrap_or_default());
                let out = all_pages("outgoing webhooks", |p| {
                    cl.get_webhooks_for_team(Outgoing, t, p, PER_PAGE)
                })
                .await?;
                outgoing.extend(out.as_array().cloned().unwrap_or_default());
            }
            let rows = incoming
                .iter()
                .map(|h| tagged("incoming", h))
                .chain(outgoing.iter().map(|h| tagged("outgoing", h)))
                .collect();
            Shown {
                json: json!({"incoming_webhooks": incoming, "outgoing_webhooks": outgoing}),
                rows: Value::Array(rows),
            }
        }
        WebhookCmd::Show { hook_id } => {
            let (kind, h) = find(cl, &hook_id).await?;
            one(kind.as_str(), h)
        }
        WebhookCmd::Delete { hook_id } => {
            let (kind, h) = find(cl, &hook_id).await?;
            cl.delete_webhook(kind, &hook_id).await?;
            one(kind.as_str(), h)
        }
    })
}
