//! The built-in slash commands that need no external service (`app/slashcommands/` upstream):
//! `/code`, `/echo`, `/me`, `/shrug`, `/join` (`/open`), `/leave`, `/header`, `/purpose`, the status
//! commands, `/invite`, `/kick` (`/remove`) and `/help`, with upstream's texts.

use super::CommandArgs;
use crate::app::{channels, posts, scoped_authz};
use crate::error::{ApiResult, StoreResultExt};
use crate::state::{AppState, Session};
use rustmost_model::Permission;
use rustmost_model::channel;
use rustmost_model::command::{self as cmdm, Command, CommandResponse};
use rustmost_model::post::Post;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};

/// trigger, display name, description, hint, listed by autocomplete.
const BUILTINS: &[(&str, &str, &str, &str, bool)] = &[
    ("away", "away", "Set your status away", "", true),
    (
        "code",
        "code",
        "Display text as a code block",
        "[text]",
        true,
    ),
    (
        "dnd",
        "dnd",
        "Do not disturb disables desktop and mobile push notifications.",
        "",
        true,
    ),
    (
        "echo",
        "echo",
        "Echo back text from your account",
        "'message' [delay in seconds]",
        false,
    ),
    (
        "header",
        "header",
        "Edit the channel header",
        "[text]",
        true,
    ),
    ("help", "help", "Show Mattermost help message", "", true),
    (
        "invite",
        "invite",
        "Invite a user to a channel",
        "@[username] ~[channel]",
        true,
    ),
    ("join", "join", "Join the open channel", "~[channel]", true),
    (
        "kick",
        "kick",
        "Remove a member from the channel",
        "@[username]",
        true,
    ),
    ("leave", "leave", "Leave the current channel", "", true),
    ("me", "me", "Do an action", "[message]", true),
    ("offline", "offline", "Set your status offline", "", true),
    ("online", "online", "Set your status online", "", true),
    ("open", "open", "Join the open channel", "~[channel]", false),
    (
        "purpose",
        "purpose",
        "Edit the channel purpose",
        "[text]",
        true,
    ),
    (
        "remove",
        "remove",
        "Remove a member from the channel",
        "@[username]",
        true,
    ),
    (
        "shrug",
        "shrug",
        "Adds ¯\\_(ツ)_/¯ to your message",
        "[message]",
        true,
    ),
];

fn to_command(b: &(&str, &str, &str, &str, bool)) -> Command {
    Command {
        trigger: b.0.into(),
        display_name: b.1.into(),
        auto_complete_desc: b.2.into(),
        auto_complete_hint: b.3.into(),
        auto_complete: b.4,
        ..Default::default()
    }
}

/// Every built-in command, as `GET /commands` lists them.
pub fn commands() -> Vec<Command> {
    BUILTINS.iter().map(to_command).collect()
}

pub fn find(trigger: &str) -> Option<Command> {
    BUILTINS.iter().find(|b| b.0 == trigger).map(to_command)
}

fn ephemeral(text: impl Into<String>) -> CommandResponse {
    CommandResponse {
        response_type: cmdm::RESPONSE_EPHEMERAL.into(),
        text: text.into(),
        ..Default::default()
    }
}

fn in_channel(text: impl Into<String>) -> CommandResponse {
    CommandResponse {
        response_type: cmdm::RESPONSE_IN_CHANNEL.into(),
        text: text.into(),
        ..Default::default()
    }
}

/// Runs the built-in `trigger`; failures are answered as ephemeral text, as upstream's are.
/// A store failure while checking a permission or a membership is an error (500), never
/// read as "not allowed" or "not a member".
pub async fn run(
    state: &AppState,
    s: &Session,
    args: &CommandArgs,
    trigger: &str,
    message: &str,
) -> ApiResult<CommandResponse> {
    Ok(match trigger {
        "me" => CommandResponse {
            post_type: "me".into(),
            ..in_channel(format!("*{message}*"))
        },
        "shrug" => {
            let shrug = "¯\\\\\\_(ツ)\\_/¯";
            in_channel(if message.is_empty() {
                shrug.to_string()
            } else {
                format!("{message} {shrug}")
            })
        }
        "code" => {
            if message.is_empty() {
                return Ok(ephemeral(
                    "A message must be provided with the /code command.",
                ));
            }
            CommandResponse {
                skip_slack_parsing: true,
                ..in_channel(format!(
                    "    {}",
                    message.split('\n').collect::<Vec<_>>().join("\n    ")
                ))
            }
        }
        "echo" => echo(state, args, message).await,
        "away" => status(state, args, cmdm::STATUS_AWAY, "You are now away").await,
        "online" => status(state, args, cmdm::STATUS_ONLINE, "You are now online").await,
        "offline" => status(state, args, cmdm::STATUS_OFFLINE, "You are now offline").await,
        "dnd" => {
            status(
                state,
                args,
                cmdm::STATUS_DND,
                "Do Not Disturb is enabled. You will not receive desktop or mobile push \
                 notifications until Do Not Disturb is turned off.",
            )
            .await
        }
        "help" => {
            let link = match state.config.get().str("/SupportSettings/HelpLink") {
                "" => "https://mattermost.com/default-help/".to_string(),
                l => l.to_string(),
            };
            ephemeral(format!(
                "Mattermost is an open source platform for secure communication, collaboration, \
                 and orchestration of work across tools and teams.\r\nMattermost contains two key \
                 tools:\r\n\r\n**Channels** - Stay connected with your team via 1:1 and group \
                 messaging.\r\n**[Playbooks](/playbooks)** - Build and configure repeatable \
                 processes to achieve specific and predictable outcomes.\r\n\r\n[View \
                 documentation and guides]({link})"
            ))
        }
        "join" | "open" => join(state, s, args, message).await?,
        "leave" => leave(state, args).await,
        "header" => header_or_purpose(state, s, args, message, true).await?,
        "purpose" => header_or_purpose(state, s, args, message, false).await?,
        "invite" => invite(state, s, args, message).await?,
        "kick" | "remove" => kick(state, s, args, message).await?,
        _ => CommandResponse::default(),
    })
}

/// Whether the user is a member of the channel; a store failure is an error, never "no".
async fn is_member(state: &AppState, channel_id: &str, user_id: &str) -> ApiResult<bool> {
    Ok(state
        .store
        .get_channel_member(channel_id, user_id)
        .await
        .optional("app.channel.get_member.app_error")?
        .is_some())
}

/// Echoes waiting or scheduled at once, upstream's bound.
static ECHOES: AtomicUsize = AtomicUsize::new(0);
const MAX_ECHOES: usize = 100;

/// `/echo message [delay]` or `/echo "message" [delay]`: the message is posted as the user,
/// after the delay (at most 10000 s); the response itself is empty.
async fn echo(state: &AppState, args: &CommandArgs, message: &str) -> CommandResponse {
    if message.is_empty() {
        return ephemeral("A message must be provided with the /echo command.");
    }
    let mut text = message.to_string();
    let mut delay: i64 = 0;
    let last_quote = message.rfind('"');
    if let Some(end) = last_quote.filter(|e| message.starts_with('"') && *e > 1) {
        if let Ok(d) = message[end..].trim_matches([' ', '"']).parse::<i64>() {
            delay = d;
        }
        text = message[1..end].to_string();
    } else if let Some(idx) = message.rfind(' ')
        && let Ok(d) = message[idx..].trim().parse::<i64>()
    {
        delay = d;
        text = message[..idx].to_string();
    }
    if delay > 10000 {
        return ephemeral("Delays must be under 10000 seconds.");
    }
    if ECHOES.fetch_add(1, Ordering::SeqCst) >= MAX_ECHOES {
        ECHOES.fetch_sub(1, Ordering::SeqCst);
        return ephemeral("High volume of echo request, cannot process request.");
    }
    let p = Post {
        channel_id: args.channel_id.clone(),
        root_id: args.root_id.clone(),
        user_id: args.user_id.clone(),
        message: text,
        ..Default::default()
    };
    let post = {
        let state = state.clone();
        async move {
            let c = state.store.get_channel(&p.channel_id).await;
            let r = match c {
                Ok(c) => posts::create_post(&state, p, &c, false).await.map(|_| ()),
                Err(e) => Err(crate::error::ApiError::internal(
                    "app.channel.get.app_error",
                    e,
                )),
            };
            if let Err(e) = r {
                tracing::warn!(id = %e.id, "echo post failed");
            }
            ECHOES.fetch_sub(1, Ordering::SeqCst);
        }
    };
    if delay > 0 {
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_secs(delay as u64)).await;
            post.await;
        });
    } else {
        // Without a delay the post exists by the time the command answers.
        post.await;
    }
    CommandResponse::default()
}

/// Sets the user's status by hand through the status service (`SetStatusAwayIfNeeded`/
/// `Online`/`Offline`/`DoNotDisturb` with `manual`).
async fn status(state: &AppState, args: &CommandArgs, st: &str, text: &str) -> CommandResponse {
    let uid = &args.user_id;
    let r = match st {
        cmdm::STATUS_AWAY => crate::app::status::set_away_if_needed(state, uid, true).await,
        cmdm::STATUS_ONLINE => crate::app::status::set_online(state, uid, true).await,
        cmdm::STATUS_OFFLINE => crate::app::status::set_offline(state, uid, true).await,
        _ => crate::app::status::set_dnd(state, uid).await,
    };
    if let Err(e) = r {
        tracing::warn!(error = ?e.detailed, "could not save status");
    }
    ephemeral(text)
}

fn goto(args: &CommandArgs, team: &str, channel: &str) -> String {
    format!(
        "{}/{team}/channels/{channel}",
        args.site_url.trim_end_matches('/')
    )
}

async fn team_name(state: &AppState, team_id: &str) -> Option<String> {
    state.store.get_team(team_id).await.ok().map(|t| t.name)
}

/// `/join ~channel`: joins an open channel (or a private one the user may read) of the team
/// and points the client at it.
async fn join(
    state: &AppState,
    s: &Session,
    args: &CommandArgs,
    message: &str,
) -> ApiResult<CommandResponse> {
    let name = match message.strip_prefix('~') {
        Some(n) => n.to_string(),
        None => message.to_lowercase(),
    };
    let fail = || Ok(ephemeral("An error occurred while joining the channel."));
    let Ok(c) = state.store.get_channel_by_name(&args.team_id, &name).await else {
        return Ok(ephemeral("An error occurred while listing channels."));
    };
    if c.name != name || c.delete_at != 0 {
        return Ok(ephemeral("Unable to find the channel."));
    }
    if c.is_open() {
        if !scoped_authz::has_channel(state, s, &c.id, Permission::JoinPublicChannels).await? {
            return fail();
        }
    } else if c.is_private() {
        if !scoped_authz::has_channel(state, s, &c.id, Permission::ReadChannel).await? {
            return Ok(ephemeral("Unable to find the channel."));
        }
    } else {
        return fail();
    }
    let Ok(u) = state.store.get_user(&args.user_id).await else {
        return fail();
    };
    if channels::add_user_to_channel(state, &c, &u, &u)
        .await
        .is_err()
    {
        return fail();
    }
    let Some(team) = team_name(state, &c.team_id).await else {
        return fail();
    };
    Ok(CommandResponse {
        goto_location: goto(args, &team, &c.name),
        ..Default::default()
    })
}

/// `/leave`: leaves the current channel (never town-square) and goes to town-square.
async fn leave(state: &AppState, args: &CommandArgs) -> CommandResponse {
    let fail = || ephemeral("An error occurred while leaving the channel.");
    let Ok(c) = state.store.get_channel(&args.channel_id).await else {
        return fail();
    };
    let Some(team) = team_name(state, &args.team_id).await else {
        return fail();
    };
    if c.name == channel::DEFAULT_CHANNEL {
        return ephemeral(format!(
            "Unable to leave the default channel {}.",
            channel::DEFAULT_CHANNEL
        ));
    }
    if !(c.is_open() || c.is_private()) {
        return fail();
    }
    let Ok(u) = state.store.get_user(&args.user_id).await else {
        return fail();
    };
    // The REST path's removal, so the channel and the user hear `user_removed` and the
    // channel gets the system message.
    if channels::remove_user_from_channel(state, &c, &u, &u.id)
        .await
        .is_err()
    {
        return fail();
    }
    CommandResponse {
        response_type: cmdm::RESPONSE_EPHEMERAL.into(),
        goto_location: goto(args, &team, channel::DEFAULT_CHANNEL),
        ..Default::default()
    }
}

/// `/header text` and `/purpose text`: `PatchChannel` with its system message.
async fn header_or_purpose(
    state: &AppState,
    s: &Session,
    args: &CommandArgs,
    message: &str,
    header: bool,
) -> ApiResult<CommandResponse> {
    let (what, max) = if header {
        ("header", 1024)
    } else {
        ("purpose", 250)
    };
    let Ok(mut c) = state.store.get_channel(&args.channel_id).await else {
        return Ok(ephemeral("Error to retrieve the current channel."));
    };
    let denied = || {
        ephemeral(format!(
            "You don't have the appropriate permissions to edit the channel {what}."
        ))
    };
    let allowed = if c.is_open() {
        scoped_authz::has_channel(state, s, &c.id, Permission::ManagePublicChannelProperties)
            .await?
    } else if c.is_private() {
        scoped_authz::has_channel(state, s, &c.id, Permission::ManagePrivateChannelProperties)
            .await?
    } else if !header {
        return Ok(ephemeral(
            "Unable to set purpose for direct message channels. Use /header to set the header \
             instead.",
        ));
    } else {
        is_member(state, &c.id, &args.user_id).await?
    };
    if !allowed {
        return Ok(denied());
    }
    if message.is_empty() {
        return Ok(ephemeral(if header {
            "Text must be provided with the /header command."
        } else {
            "A message must be provided with the /purpose command."
        }));
    }
    if message.chars().count() > max {
        return Ok(ephemeral(format!(
            "The text entered exceeds the character limit. The channel {what} is limited to \
             {max} characters."
        )));
    }
    let old = if header {
        std::mem::replace(&mut c.header, message.to_string())
    } else {
        std::mem::replace(&mut c.purpose, message.to_string())
    };
    c.update_at = state.clock.now_ms();
    if state.store.update_channel(&c).await.is_err() {
        return Ok(ephemeral(format!("Error updating the channel {what}.")));
    }
    crate::write_cache::channel_changed(state, &c.id).await;
    // Upstream's UpdateChannel: members' clients redraw the channel's header at once.
    state
        .events
        .publish(crate::realtime::events::channel_updated(&c));
    let Ok(u) = state.store.get_user(&args.user_id).await else {
        return Ok(CommandResponse::default());
    };
    let (text_id, post_type, props) = if header {
        (
            if old.is_empty() {
                "api.channel.post_update_channel_header_message_and_forget.updated_to"
            } else {
                "api.channel.post_update_channel_header_message_and_forget.updated_from"
            },
            "system_header_change",
            json!({"username": u.username, "old_header": old, "new_header": message}),
        )
    } else {
        (
            if old.is_empty() {
                "app.channel.post_update_channel_purpose_message.updated_to"
            } else {
                "app.channel.post_update_channel_purpose_message.updated_from"
            },
            "system_purpose_change",
            json!({"username": u.username, "old_purpose": old, "new_purpose": message}),
        )
    };
    let mut text = crate::error::lookup(text_id).unwrap_or_default();
    let args_in_order: Vec<&str> = if old.is_empty() {
        vec![&u.username, message]
    } else {
        vec![&u.username, &old, message]
    };
    for a in args_in_order {
        text = text.replacen("%s", a, 1);
    }
    if let Err(e) = posts::system_post(state, &c, &u.id, post_type, text, props).await {
        tracing::warn!(id = %e.id, "channel {what} change message failed");
    }
    Ok(CommandResponse::default())
}

/// `/invite @user [~channel]`: adds the user to the channel (the current one by default).
async fn invite(
    state: &AppState,
    s: &Session,
    args: &CommandArgs,
    message: &str,
) -> ApiResult<CommandResponse> {
    if message.is_empty() {
        return Ok(ephemeral("Missing Username and/or Channel."));
    }
    let mut words = message.split_whitespace();
    let username = words
        .next()
        .unwrap_or("")
        .trim_start_matches('@')
        .to_string();
    let missing = || {
        ephemeral(format!(
            "We couldn't find the user {username}. They may have been deactivated by the System \
             Administrator."
        ))
    };
    let target = match state
        .store
        .get_user_by_username(&username.to_lowercase())
        .await
    {
        Ok(u) if u.delete_at == 0 => u,
        _ => return Ok(missing()),
    };
    let c = match words.next() {
        Some(name) => {
            let name = name.trim_start_matches('~');
            match state.store.get_channel_by_name(&args.team_id, name).await {
                Ok(c) if c.delete_at == 0 => c,
                _ => {
                    return Ok(ephemeral(format!(
                        "Could not find the channel {name}. Please use the [channel \
                         handle](https://docs.mattermost.com/messaging/managing-channels.html#naming-a-channel) \
                         to identify channels."
                    )));
                }
            }
        }
        None => match state.store.get_channel(&args.channel_id).await {
            Ok(c) => c,
            Err(_) => return Ok(ephemeral("Error to retrieve the current channel.")),
        },
    };
    let denied = || {
        ephemeral(format!(
            "You don't have enough permissions to add {} in {}.",
            target.username, c.name
        ))
    };
    if c.is_open() {
        if !scoped_authz::has_channel(state, s, &c.id, Permission::ManagePublicChannelMembers)
            .await?
        {
            return Ok(denied());
        }
    } else if c.is_private() {
        if !scoped_authz::has_channel(state, s, &c.id, Permission::ManagePrivateChannelMembers)
            .await?
        {
            if is_member(state, &c.id, &args.user_id).await? {
                return Ok(denied());
            }
            return Ok(ephemeral(format!(
                "Could not find the channel {}. Please use the [channel \
                 handle](https://docs.mattermost.com/messaging/managing-channels.html#naming-a-channel) \
                 to identify channels.",
                c.name
            )));
        }
    } else {
        return Ok(ephemeral(
            "You can't add someone to a direct message channel.",
        ));
    }
    if is_member(state, &c.id, &target.id).await? {
        return Ok(ephemeral(format!(
            "{} is already in the channel.",
            target.username
        )));
    }
    let Ok(me) = state.store.get_user(&args.user_id).await else {
        return Ok(ephemeral("An error occurred while joining the channel."));
    };
    if let Err(e) = channels::add_user_to_channel(state, &c, &target, &me).await {
        return Ok(ephemeral(match e.id.as_ref() {
            "app.team.get_member.missing.app_error"
            | "api.channel.add_user.to.channel.failed.deleted.app_error" => {
                let team = state
                    .store
                    .get_team(&c.team_id)
                    .await
                    .map(|t| t.display_name)
                    .unwrap_or_default();
                format!(
                    "You can add @{} to this channel once they are members of the **{team}** team.",
                    target.username
                )
            }
            _ => "An error occurred while joining the channel.".to_string(),
        }));
    }
    if c.id != args.channel_id {
        return Ok(ephemeral(format!(
            "{} added to {} channel.",
            target.username, c.name
        )));
    }
    Ok(CommandResponse::default())
}

/// `/kick @user` (`/remove`): removes a member from the current channel.
async fn kick(
    state: &AppState,
    s: &Session,
    args: &CommandArgs,
    message: &str,
) -> ApiResult<CommandResponse> {
    let Ok(c) = state.store.get_channel(&args.channel_id).await else {
        return Ok(ephemeral("Error retrieving the current channel."));
    };
    let denied = || ephemeral("You don't have the appropriate permissions to remove the member.");
    let perm = if c.is_open() {
        Permission::ManagePublicChannelMembers
    } else if c.is_private() {
        Permission::ManagePrivateChannelMembers
    } else {
        return Ok(ephemeral(
            "You can't remove someone from a direct message channel.",
        ));
    };
    if !scoped_authz::has_channel(state, s, &c.id, perm).await? {
        return Ok(denied());
    }
    if message.is_empty() {
        return Ok(ephemeral(
            "A message must be provided with the /remove or /kick command.",
        ));
    }
    let username = message
        .split_whitespace()
        .next()
        .unwrap_or("")
        .trim_start_matches('@')
        .to_lowercase();
    let missing = || {
        ephemeral(
            "We couldn't find the user. They may have been deactivated by the System Administrator.",
        )
    };
    let target = match state.store.get_user_by_username(&username).await {
        Ok(u) if u.delete_at == 0 => u,
        _ => return Ok(missing()),
    };
    if !is_member(state, &c.id, &target.id).await? {
        return Ok(ephemeral(format!(
            "{} is not a member of this channel.",
            target.username
        )));
    }
    if c.name == channel::DEFAULT_CHANNEL {
        return Ok(ephemeral(format!(
            "Unable to remove user from the default channel {}.",
            channel::DEFAULT_CHANNEL
        )));
    }
    if channels::remove_user_from_channel(state, &c, &target, &args.user_id)
        .await
        .is_err()
    {
        return Ok(ephemeral("Can not remove user from this channel type."));
    }
    Ok(CommandResponse::default())
}
