//! `rustmost command`: custom slash commands with mmctl's spellings (create, list, show, modify,
//! move, delete/archive), and `execute` to run any command as the credential's user.

use super::{Client, resolve_channel, team_id, team_ids, user_id};
use anyhow::bail;
use clap::{Args, Subcommand};
use serde_json::{Value, json};

/// The fields mmctl's `command create` and `command modify` share.
#[derive(Args, Debug, Default)]
pub struct CommandFields {
    /// The command's title (display name).
    #[arg(long)]
    title: Option<String>,
    #[arg(long)]
    description: Option<String>,
    /// The trigger, without the leading `/`.
    #[arg(long)]
    trigger_word: Option<String>,
    /// The URL the server calls when the command runs (mmctl's `--url`, see `rustmost command`).
    #[arg(long)]
    callback_url: Option<String>,
    /// The command's creator (id, username or email).
    #[arg(long)]
    creator: Option<String>,
    /// The username the answers are posted as (when overrides are allowed).
    #[arg(long)]
    response_username: Option<String>,
    /// Icon URL of the answers (when overrides are allowed).
    #[arg(long)]
    icon: Option<String>,
    /// Lists the command in autocomplete (`--autocomplete=false` to stop).
    #[arg(long, num_args = 0..=1, default_missing_value = "true", require_equals = true)]
    autocomplete: Option<bool>,
    /// Short description shown in autocomplete.
    #[arg(long = "autocompleteDesc", visible_alias = "autocomplete-desc")]
    autocomplete_desc: Option<String>,
    /// Arguments hint shown in autocomplete.
    #[arg(long = "autocompleteHint", visible_alias = "autocomplete-hint")]
    autocomplete_hint: Option<String>,
    /// Calls the URL with POST (the default is GET, as in mmctl; `--post=false` for GET).
    #[arg(long, num_args = 0..=1, default_missing_value = "true", require_equals = true)]
    post: Option<bool>,
}

#[derive(Subcommand, Debug)]
pub enum CommandCmd {
    /// Creates a custom slash command in a team.
    #[command(
        after_help = "Example:\n  rustmost command create myteam --title Deploy --trigger-word deploy --url https://ci.example.com/slash --post --autocomplete"
    )]
    Create {
        team: String,
        #[command(flatten)]
        fields: CommandFields,
    },
    /// Lists the custom slash commands of these teams (default: every team).
    #[command(after_help = "Example:\n  rustmost command list myteam")]
    List { teams: Vec<String> },
    /// Shows a custom slash command, with its token.
    #[command(after_help = "Example:\n  rustmost command show 9ud5mtgz4ifjpgzmdnpbfbcd5r")]
    Show { command_id: String },
    /// Changes a custom slash command; flags left out keep their value.
    #[command(
        after_help = "Example:\n  rustmost command modify 9ud5mtgz4ifjpgzmdnpbfbcd5r --url https://ci.example.com/v2 --post=false"
    )]
    Modify {
        command_id: String,
        #[command(flatten)]
        fields: CommandFields,
    },
    /// Moves a custom slash command to another team.
    #[command(
        after_help = "Example:\n  rustmost command move otherteam 9ud5mtgz4ifjpgzmdnpbfbcd5r"
    )]
    Move { team: String, command_id: String },
    /// Deletes a custom slash command.
    #[command(
        visible_alias = "archive",
        after_help = "Example:\n  rustmost command delete 9ud5mtgz4ifjpgzmdnpbfbcd5r"
    )]
    Delete { command_id: String },
    /// Runs a command line (`/echo hi`) in a channel as the credential's user; prints the answer.
    #[command(
        after_help = "Example:\n  rustmost command execute myteam:town-square \"/shrug done\""
    )]
    Execute { channel: String, command: String },
}

pub const COMMAND_COLS: &[&str] = &["id", "trigger", "display_name", "team_id", "method", "url"];

fn check_trigger(t: &str) -> anyhow::Result<()> {
    if t.starts_with('/') {
        bail!("a trigger word cannot begin with a /");
    }
    if t.contains(char::is_whitespace) {
        bail!("a trigger word must not contain spaces");
    }
    Ok(())
}

/// Writes the given flags into a command body, leaving the others as they are.
async fn apply(cl: &Client, c: &mut Value, f: CommandFields) -> anyhow::Result<()> {
    if let Some(t) = &f.trigger_word {
        check_trigger(t)?;
    }
    if let Some(u) = &f.creator {
        c["creator_id"] = json!(user_id(cl, u).await?);
    }
    for (key, v) in [
        ("display_name", f.title),
        ("description", f.description),
        ("trigger", f.trigger_word),
        ("url", f.callback_url),
        ("username", f.response_username),
        ("icon_url", f.icon),
        ("auto_complete_desc", f.autocomplete_desc),
        ("auto_complete_hint", f.autocomplete_hint),
    ] {
        if let Some(v) = v {
            c[key] = json!(v);
        }
    }
    if let Some(a) = f.autocomplete {
        c["auto_complete"] = json!(a);
    }
    if let Some(p) = f.post {
        c["method"] = json!(if p { "P" } else { "G" });
    }
    Ok(())
}

pub async fn run(c: CommandCmd, cl: &Client) -> anyhow::Result<(Value, &'static [&'static str])> {
    Ok(match c {
        CommandCmd::Create { team, fields } => {
            if fields.trigger_word.is_none() || fields.callback_url.is_none() {
                bail!("`command create` needs --trigger-word and --url");
            }
            let mut body = json!({
                "team_id": team_id(cl, &team).await?,
                "method": "G",
                "auto_complete": false,
            });
            apply(cl, &mut body, fields).await?;
            (cl.create_command(&body).await?, COMMAND_COLS)
        }
        CommandCmd::List { teams } => {
            let ids = team_ids(cl, &teams).await?;
            let mut all = Vec::new();
            for t in &ids {
                let v = cl.list_commands(t, true).await?;
                all.extend(v.as_array().cloned().unwrap_or_default());
            }
            (Value::Array(all), COMMAND_COLS)
        }
        CommandCmd::Show { command_id } => (cl.get_command(&command_id).await?, COMMAND_COLS),
        CommandCmd::Modify { command_id, fields } => {
            let mut cmd = cl.get_command(&command_id).await?;
            apply(cl, &mut cmd, fields).await?;
            (cl.update_command(&command_id, &cmd).await?, COMMAND_COLS)
        }
        CommandCmd::Move { team, command_id } => {
            let t = team_id(cl, &team).await?;
            (cl.move_command(&command_id, &t).await?, &["status"])
        }
        CommandCmd::Delete { command_id } => (cl.delete_command(&command_id).await?, &["status"]),
        CommandCmd::Execute { channel, command } => {
            let ch = resolve_channel(cl, &channel).await?;
            (
                cl.execute_command(&ch, &command).await?,
                &["response_type", "text", "goto_location"],
            )
        }
    })
}
