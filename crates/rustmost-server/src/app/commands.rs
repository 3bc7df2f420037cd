//! Slash commands: validation and storage of custom commands, `ExecuteCommand` (custom command
//! first, then built-in), the request to a command's URL behind the outgoing-request guard,
//! the response's posts (`in_channel`, ephemeral, `extra_responses`), and `response_url`.

mod builtin;

use crate::app::integration_posts::{self, IntegrationPost, Origin};
use crate::app::outgoing::integration_client;
use crate::app::{actions, authz, posts, scoped_authz, signing, users};
use crate::error::{ApiError, ApiResult, StoreResultExt};
use crate::state::{AppState, Session};
use reqwest::StatusCode;
use rustmost_model::Permission;
use rustmost_model::channel::{CHANNEL_DIRECT, CHANNEL_GROUP};
use rustmost_model::command::{
    self as cmdm, COMMAND_WEBHOOK_MAX_USES, COMMAND_WEBHOOK_TTL_MS, Command, CommandResponse,
    CommandWebhook,
};
use rustmost_model::post::Post;
use rustmost_model::{is_valid_id, new_id};
use rustmost_store::StoreError;
use serde_json::Value;

pub const DISABLED: &str = "api.command.disabled.app_error";
/// Every failure of `GET /commands/{id}` and its siblings answers this 404.
pub const NOT_FOUND: &str = "store.sql_command.save.get.app_error";
const FAILED: &str = "api.command.execute_command.failed.app_error";
/// Upstream's `MaxIntegrationResponseSize`.
const MAX_RESPONSE: usize = 1024 * 1024;

pub fn not_found() -> ApiError {
    ApiError::not_found(NOT_FOUND)
}

/// `ServiceSettings.EnableCommands`, else 501 `api.command.disabled.app_error`.
pub fn require_enabled(state: &AppState) -> ApiResult<()> {
    if state.config.get().bool("/ServiceSettings/EnableCommands") {
        Ok(())
    } else {
        Err(ApiError::not_implemented(DISABLED))
    }
}

fn invalid(field: &'static str) -> ApiError {
    ApiError::bad_request(field).detail(String::new())
}

/// `Command.IsValid`.
pub fn validate(c: &Command) -> ApiResult<()> {
    if !is_valid_id(&c.id) {
        return Err(invalid("model.command.is_valid.id.app_error"));
    }
    if c.token.len() != 26 {
        return Err(invalid("model.command.is_valid.token.app_error"));
    }
    if c.create_at == 0 {
        return Err(invalid("model.command.is_valid.create_at.app_error"));
    }
    if c.update_at == 0 {
        return Err(invalid("model.command.is_valid.update_at.app_error"));
    }
    if !is_valid_id(&c.creator_id) {
        return Err(invalid("model.command.is_valid.user_id.app_error"));
    }
    if !is_valid_id(&c.team_id) {
        return Err(invalid("model.command.is_valid.team_id.app_error"));
    }
    if c.trigger.is_empty()
        || c.trigger.len() > cmdm::TRIGGER_MAX_LEN
        || c.trigger.starts_with('/')
        || c.trigger.contains(' ')
    {
        return Err(invalid("model.command.is_valid.trigger.app_error"));
    }
    let url_ok = !c.url.is_empty()
        && c.url.len() <= cmdm::URL_MAX_LEN
        && reqwest::Url::parse(&c.url)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
    if c.plugin_id.is_empty() && !url_ok {
        return Err(invalid("model.command.is_valid.url.app_error"));
    }
    if c.method != cmdm::METHOD_GET && c.method != cmdm::METHOD_POST {
        return Err(invalid("model.command.is_valid.method.app_error"));
    }
    if c.display_name.chars().count() > cmdm::DISPLAY_NAME_MAX_RUNES {
        return Err(invalid("model.command.is_valid.display_name.app_error"));
    }
    if c.description.chars().count() > cmdm::DESCRIPTION_MAX_RUNES {
        return Err(invalid("model.command.is_valid.description.app_error"));
    }
    Ok(())
}

fn duplicate() -> ApiError {
    ApiError::bad_request("api.command.duplicate_trigger.app_error")
}

/// `CreateCommand`: the trigger lowercased and unique among the team's and the built-in
/// commands; a fresh id and token.
async fn create_command(state: &AppState, mut c: Command) -> ApiResult<Command> {
    require_enabled(state)?;
    c.trigger = c.trigger.to_lowercase();
    let team_cmds = state
        .store
        .list_team_commands(&c.team_id)
        .await
        .or_internal("app.command.createcommand.internal_error")?;
    if team_cmds.iter().any(|t| t.trigger == c.trigger) || builtin::find(&c.trigger).is_some() {
        return Err(duplicate());
    }
    c.id = new_id();
    c.token = new_id();
    c.create_at = state.clock.now_ms();
    c.update_at = c.create_at;
    c.delete_at = 0;
    c.last_used_at = 0;
    validate(&c)?;
    state
        .store
        .insert_command(&c)
        .await
        .or_internal("app.command.createcommand.internal_error")?;
    Ok(c)
}

/// `GetCommand`: a live command; 501 while commands are off, else 404.
pub async fn get_command(state: &AppState, id: &str) -> ApiResult<Command> {
    require_enabled(state)?;
    match state.store.get_command(id).await {
        Ok(c) if c.delete_at == 0 => Ok(c),
        Ok(_) | Err(StoreError::NotFound) => Err(not_found()),
        Err(e) => Err(ApiError::internal(
            "app.command.getcommand.internal_error",
            e,
        )),
    }
}

async fn store_update(state: &AppState, c: &Command) -> ApiResult<()> {
    match state.store.update_command(c).await {
        Ok(()) => Ok(()),
        Err(StoreError::NotFound) => Err(not_found()),
        Err(e) => Err(ApiError::internal(
            "app.command.updatecommand.internal_error",
            e,
        )),
    }
}

/// `UpdateCommand`: what identifies the command (id, token, creator, team, times) stays.
async fn update_command(state: &AppState, old: &Command, mut c: Command) -> ApiResult<Command> {
    require_enabled(state)?;
    c.trigger = c.trigger.to_lowercase();
    c.id = old.id.clone();
    c.token = old.token.clone();
    c.create_at = old.create_at;
    c.update_at = state.clock.now_ms();
    c.delete_at = old.delete_at;
    c.creator_id = old.creator_id.clone();
    c.plugin_id = old.plugin_id.clone();
    c.team_id = old.team_id.clone();
    c.last_used_at = old.last_used_at;
    validate(&c)?;
    store_update(state, &c).await?;
    Ok(c)
}

/// `MoveCommand`.
async fn move_command(state: &AppState, mut c: Command, team_id: &str) -> ApiResult<()> {
    c.team_id = team_id.to_string();
    c.update_at = state.clock.now_ms();
    store_update(state, &c).await
}

/// `RegenCommandToken`.
pub async fn regen_token(state: &AppState, mut c: Command) -> ApiResult<Command> {
    require_enabled(state)?;
    c.token = new_id();
    c.update_at = state.clock.now_ms();
    store_update(state, &c).await?;
    Ok(c)
}

pub async fn delete_command(state: &AppState, id: &str) -> ApiResult<()> {
    require_enabled(state)?;
    state
        .store
        .delete_command(id, state.clock.now_ms())
        .await
        .or_internal("app.command.deletecommand.internal_error")
}

/// `ListTeamCommands`: the team's custom commands, unsanitized.
async fn list_team_commands(state: &AppState, team_id: &str) -> ApiResult<Vec<Command>> {
    require_enabled(state)?;
    state
        .store
        .list_team_commands(team_id)
        .await
        .or_internal("app.command.listallcommands.internal_error")
}

/// `ListAutocompleteCommands` (`autocomplete_only`) or `ListAllCommands`: the built-ins, then
/// the team's commands (while commands are on), sanitized, each trigger once.
async fn list_commands(
    state: &AppState,
    team_id: &str,
    autocomplete_only: bool,
) -> ApiResult<Vec<Command>> {
    let mut out: Vec<Command> = builtin::commands()
        .into_iter()
        .filter(|c| c.auto_complete)
        .collect();
    if state.config.get().bool("/ServiceSettings/EnableCommands") {
        let team = state
            .store
            .list_team_commands(team_id)
            .await
            .or_internal("app.command.listautocompletecommands.internal_error")?;
        for mut c in team {
            if (autocomplete_only && !c.auto_complete) || out.iter().any(|o| o.trigger == c.trigger)
            {
                continue;
            }
            c.sanitize();
            out.push(c);
        }
    }
    Ok(out)
}

// ---- What the command endpoints do for a caller: permission first, then the work ----

const OWN: Permission = Permission::ManageOwnSlashCommands;
/// The older name of [`OWN`], still granted by roles made before the split.
const OWN_OLD: Permission = Permission::ManageSlashCommands;
const OTHERS: Permission = Permission::ManageOthersSlashCommands;

async fn has_own(state: &AppState, s: &Session, team_id: &str) -> ApiResult<bool> {
    Ok(scoped_authz::has_team(state, s, team_id, OWN).await?
        || scoped_authz::has_team(state, s, team_id, OWN_OLD).await?)
}

async fn require_own(state: &AppState, s: &Session, team_id: &str) -> ApiResult<()> {
    if has_own(state, s, team_id).await? {
        Ok(())
    } else {
        Err(ApiError::permission(&s.user_id, &[OWN]))
    }
}

/// `manage_own` on the command's team, and `manage_others` unless the caller created it.
async fn require_manage(state: &AppState, s: &Session, c: &Command) -> ApiResult<()> {
    require_own(state, s, &c.team_id).await?;
    if s.user_id != c.creator_id && !scoped_authz::has_team(state, s, &c.team_id, OTHERS).await? {
        return Err(ApiError::permission(&s.user_id, &[OTHERS]));
    }
    Ok(())
}

/// A live command by id, where every failure to find it is the 404 upstream answers.
async fn find_command(state: &AppState, id: &str) -> ApiResult<Command> {
    get_command(state, id).await.map_err(|_| not_found())
}

/// A command the session may manage (`manage_own`, and `manage_others` for someone else's).
pub async fn command_for(state: &AppState, s: &Session, id: &str) -> ApiResult<Command> {
    let c = find_command(state, id).await?;
    require_manage(state, s, &c).await?;
    Ok(c)
}

/// `POST /commands` for the session: `manage_own_slash_commands` (or the older name) in the
/// team; the caller is the creator.
pub async fn create_command_for(
    state: &AppState,
    s: &Session,
    mut c: Command,
) -> ApiResult<Command> {
    require_own(state, s, &c.team_id).await?;
    c.creator_id = s.user_id.clone();
    create_command(state, c).await
}

/// `GET /commands/{id}` for the session: `view_team` and the manage permissions, any
/// refusal answered as the 404 of a missing command (a store failure stays a 500).
pub async fn view_command(state: &AppState, s: &Session, id: &str) -> ApiResult<Command> {
    let c = find_command(state, id).await?;
    if !scoped_authz::has_team(state, s, &c.team_id, Permission::ViewTeam).await? {
        return Err(not_found());
    }
    match require_manage(state, s, &c).await {
        Ok(()) => Ok(c),
        Err(e) if e.status == StatusCode::FORBIDDEN => Err(not_found()),
        Err(e) => Err(e),
    }
}

/// `GET /commands?team_id&custom_only` for the session (`view_team`): the team's commands
/// with tokens (`manage_own`; others' only with `manage_others`), or the built-in and team
/// commands, sanitized (only the autocomplete ones without `manage_own`).
pub async fn list_commands_for(
    state: &AppState,
    s: &Session,
    team_id: &str,
    custom_only: bool,
) -> ApiResult<Vec<Command>> {
    scoped_authz::require_team(state, s, team_id, Permission::ViewTeam).await?;
    if custom_only {
        require_own(state, s, team_id).await?;
        let mut list = list_team_commands(state, team_id).await?;
        if !scoped_authz::has_team(state, s, team_id, OTHERS).await? {
            list.retain(|c| c.creator_id == s.user_id);
        }
        return Ok(list);
    }
    let autocomplete_only = !has_own(state, s, team_id).await?;
    list_commands(state, team_id, autocomplete_only).await
}

/// The commands the message box offers in a team (`view_team`).
pub async fn autocomplete_commands(
    state: &AppState,
    s: &Session,
    team_id: &str,
) -> ApiResult<Vec<Command>> {
    scoped_authz::require_team(state, s, team_id, Permission::ViewTeam).await?;
    list_commands(state, team_id, true).await
}

/// `PUT /commands/{id}`: the body's `id` must be the path's, its `team_id` the stored one
/// (400 `api.command.team_mismatch.app_error`), then the manage permissions.
pub async fn update_command_for(
    state: &AppState,
    s: &Session,
    id: &str,
    c: Command,
) -> ApiResult<Command> {
    if c.id != id {
        return Err(ApiError::invalid_param("command"));
    }
    let old = find_command(state, id).await?;
    if c.team_id != old.team_id {
        return Err(ApiError::bad_request("api.command.team_mismatch.app_error"));
    }
    require_manage(state, s, &old).await?;
    update_command(state, &old, c).await
}

/// Whether a user (not the caller) holds `manage_own_slash_commands` in the team; a user
/// that cannot be read holds nothing.
async fn user_may_manage(state: &AppState, user_id: &str, team_id: &str) -> ApiResult<bool> {
    let Some(u) = state
        .store
        .get_user(user_id)
        .await
        .optional("app.user.get.app_error")?
    else {
        return Ok(false);
    };
    let mut roles = u.roles.clone();
    if let Some(r) = scoped_authz::team_roles(state, team_id, user_id).await? {
        roles.push(' ');
        roles.push_str(&r);
    }
    Ok(state.roles.grants(&roles, OWN.as_str()) || state.roles.grants(&roles, OWN_OLD.as_str()))
}

/// `PUT /commands/{id}/move`: `manage_own` in both teams (and `manage_others` for someone
/// else's command); the creator must also be allowed to manage commands in the new team.
pub async fn move_command_for(
    state: &AppState,
    s: &Session,
    id: &str,
    team_id: &str,
) -> ApiResult<()> {
    let team = crate::app::teams::get_team(state, team_id).await?;
    require_own(state, s, &team.id).await?;
    let c = command_for(state, s, id).await?;
    if !user_may_manage(state, &c.creator_id, &team.id).await? {
        return Err(ApiError::bad_request(
            "api.command.move_command.creator_no_permission.app_error",
        ));
    }
    move_command(state, c, &team.id).await
}

/// `POST /commands/execute` for the session: a command in a channel the caller may post to,
/// run against the channel's team (a direct or group channel takes the team the caller
/// names, which they must belong to).
pub async fn execute_for(
    state: &AppState,
    s: &Session,
    mut args: CommandArgs,
) -> ApiResult<CommandResponse> {
    if args.command.chars().count() <= 1
        || !args.command.starts_with('/')
        || !is_valid_id(&args.channel_id)
    {
        return Err(ApiError::bad_request(
            "api.command.execute_command.start.app_error",
        ));
    }
    if !scoped_authz::has_channel(state, s, &args.channel_id, Permission::CreatePost).await? {
        return Err(ApiError::permission(&s.user_id, &[Permission::CreatePost]));
    }
    let c = crate::app::channels::get_channel(state, &args.channel_id).await?;
    if c.delete_at != 0 {
        return Err(ApiError::bad_request(
            "api.command.execute_command.deleted.error",
        ));
    }
    if c.channel_type != CHANNEL_DIRECT && c.channel_type != CHANNEL_GROUP {
        // Commands run against the channel's team, never one named by the caller.
        args.team_id = c.team_id.clone();
    } else if scoped_authz::team_roles(state, &args.team_id, &s.user_id)
        .await?
        .is_none()
        && !authz::has(state, s, Permission::CreatePost)
    {
        return Err(ApiError::permission(&s.user_id, &[Permission::CreatePost]));
    }
    args.user_id = s.user_id.clone();
    args.channel_id = c.id;
    execute(state, s, &args).await
}

/// `model.CommandArgs`: who runs what, where.
#[derive(Debug, Clone, Default)]
pub struct CommandArgs {
    pub user_id: String,
    pub channel_id: String,
    pub team_id: String,
    pub root_id: String,
    pub command: String,
    /// The configured `SiteURL`, for `response_url` and `goto_location`.
    pub site_url: String,
}

/// The trigger (lowercased, with its `/`) and the message: split at the first whitespace,
/// the message is everything after that one character.
pub fn split_command(command: &str) -> (String, String) {
    match command.char_indices().find(|(_, c)| c.is_whitespace()) {
        Some((i, c)) => (
            command[..i].to_lowercase(),
            command[i + c.len_utf8()..].to_string(),
        ),
        None => (command.to_lowercase(), String::new()),
    }
}

/// `ExecuteCommand`: a team command with the trigger, else a built-in one, else 404.
async fn execute(state: &AppState, s: &Session, args: &CommandArgs) -> ApiResult<CommandResponse> {
    let (trigger, message) = split_command(&args.command);
    let Some(trigger) = trigger.strip_prefix('/').map(str::to_string) else {
        return Err(
            ApiError::bad_request("api.command.execute_command.format.app_error")
                .param("Trigger", trigger),
        );
    };
    // Upstream checks the switch on the way to custom commands, which come before the
    // built-ins: with commands off, nothing runs.
    require_enabled(state)?;
    let team_cmds = state
        .store
        .list_team_commands(&args.team_id)
        .await
        .or_internal("app.command.tryexecutecustomcommand.internal_error")?;
    if let Some(cmd) = team_cmds.into_iter().find(|c| c.trigger == trigger) {
        let (client_trigger, trigger_id) =
            actions::trigger_ids(&args.user_id, state.clock.now_ms());
        let mut resp = call_integration(state, &cmd, args, &trigger, &message, &trigger_id).await?;
        resp.trigger_id = client_trigger;
        return handle_response(state, &cmd, args, resp, false).await;
    }
    if let Some(cmd) = builtin::find(&trigger) {
        let resp = builtin::run(state, s, args, &trigger, &message).await?;
        return handle_response(state, &cmd, args, resp, true).await;
    }
    Err(
        ApiError::not_found("api.command.execute_command.not_found.app_error")
            .param("Trigger", trigger),
    )
}

fn failed(trigger: &str) -> ApiError {
    ApiError::new(FAILED, StatusCode::INTERNAL_SERVER_ERROR).param("Trigger", trigger.to_string())
}

/// The `@user` words of the message naming members of the team, and the `~channel` words
/// naming its public channels, as upstream's `MentionsToTeamMembers`/`...ToPublicChannels`.
async fn mentions(
    state: &AppState,
    team_id: &str,
    message: &str,
) -> (Vec<(String, String)>, Vec<(String, String)>) {
    let mut users: Vec<(String, String)> = Vec::new();
    let mut channels: Vec<(String, String)> = Vec::new();
    let word_chars = |c: char| c.is_alphanumeric() || matches!(c, '.' | '-' | '_');
    for word in message.split_whitespace() {
        if let Some(rest) = word.strip_prefix('@') {
            let name: String = rest.chars().take_while(|c| word_chars(*c)).collect();
            let name = name.trim_end_matches(['.', '-', '_']).to_lowercase();
            if name.is_empty() || users.iter().any(|(n, _)| *n == name) {
                continue;
            }
            if let Ok(u) = state.store.get_user_by_username(&name).await
                && matches!(state.store.get_team_member(team_id, &u.id).await, Ok(m) if m.delete_at == 0)
            {
                users.push((name, u.id));
            }
        } else if let Some(rest) = word.strip_prefix('~') {
            let name: String = rest.chars().take_while(|c| word_chars(*c)).collect();
            if name.is_empty() || channels.iter().any(|(n, _)| *n == name) {
                continue;
            }
            if let Ok(c) = state.store.get_channel_by_name(team_id, &name).await
                && c.is_open()
                && c.delete_at == 0
            {
                channels.push((name, c.id));
            }
        }
    }
    (users, channels)
}

/// `tryExecuteCustomCommand` + `DoCommandRequest`: the command's URL gets upstream's fields
/// (form body for `P`, query string for `G`), `Authorization: Token`, and Rustmost's
/// signature headers over the encoded fields.
async fn call_integration(
    state: &AppState,
    cmd: &Command,
    args: &CommandArgs,
    trigger: &str,
    message: &str,
    trigger_id: &str,
) -> ApiResult<CommandResponse> {
    if args.site_url.is_empty() {
        return Err(ApiError::bad_request(
            "api.command.execute_command.site_url_required.app_error",
        ));
    }
    let team = state
        .store
        .get_team(&cmd.team_id)
        .await
        .or_not_found("app.team.get.find.app_error")?;
    let user = state
        .store
        .get_user(&args.user_id)
        .await
        .or_not_found("app.user.get.app_error")?;
    let channel = state
        .store
        .get_channel(&args.channel_id)
        .await
        .or_not_found("app.channel.get.existing.app_error")?;
    let hook = CommandWebhook {
        id: new_id(),
        create_at: state.clock.now_ms(),
        command_id: cmd.id.clone(),
        user_id: args.user_id.clone(),
        channel_id: args.channel_id.clone(),
        root_id: args.root_id.clone(),
        use_count: 0,
    };
    state
        .store
        .insert_command_webhook(&hook)
        .await
        .map_err(|e| failed(trigger).detail(e.to_string()))?;
    let mut fields: Vec<(String, String)> = vec![
        ("token".into(), cmd.token.clone()),
        ("team_id".into(), cmd.team_id.clone()),
        ("team_domain".into(), team.name.clone()),
        ("channel_id".into(), args.channel_id.clone()),
        ("channel_name".into(), channel.name.clone()),
        ("user_id".into(), args.user_id.clone()),
        ("user_name".into(), user.username.clone()),
        ("command".into(), format!("/{trigger}")),
        ("text".into(), message.to_string()),
        ("trigger_id".into(), trigger_id.to_string()),
        ("root_id".into(), args.root_id.clone()),
        (
            "response_url".into(),
            format!(
                "{}/hooks/commands/{}",
                args.site_url.trim_end_matches('/'),
                hook.id
            ),
        ),
    ];
    let (users, channels) = mentions(state, &cmd.team_id, message).await;
    for (name, id) in &users {
        fields.push(("user_mentions".into(), name.clone()));
        fields.push(("user_mentions_ids".into(), id.clone()));
    }
    for (name, id) in &channels {
        fields.push(("channel_mentions".into(), name.clone()));
        fields.push(("channel_mentions_ids".into(), id.clone()));
    }
    let mut encoder = reqwest::Url::parse("http://form.invalid/").expect("static URL");
    encoder.query_pairs_mut().extend_pairs(&fields);
    let encoded = encoder.query().unwrap_or_default().to_string();

    let mut url =
        reqwest::Url::parse(&cmd.url).map_err(|e| failed(trigger).detail(e.to_string()))?;
    let client =
        integration_client(&state.config.get(), &url).map_err(|e| failed(trigger).detail(e))?;
    let get = cmd.method == cmdm::METHOD_GET;
    if get {
        let q = match url.query() {
            Some(q) if !q.is_empty() => format!("{q}&{encoded}"),
            _ => encoded.clone(),
        };
        url.set_query(Some(&q));
    }
    let mut rb = if get {
        client.get(url.clone())
    } else {
        client
            .post(url.clone())
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(encoded.clone())
    };
    rb = rb
        .header("Accept", "application/json")
        .header("Authorization", format!("Token {}", cmd.token));
    for (k, v) in signing::headers(&cmd.token, state.clock.now_ms(), encoded.as_bytes()) {
        rb = rb.header(k, v);
    }
    tracing::info!(command_id = %cmd.id, user_id = %args.user_id, host = url.host_str().unwrap_or(""), "slash command request");
    if let Err(e) = state
        .store
        .touch_command(&cmd.id, state.clock.now_ms())
        .await
    {
        tracing::warn!(command_id = %cmd.id, error = %e, "could not record the command's last use");
    }
    let resp = rb
        .send()
        .await
        // Without the URL: a `G` command's query string carries the token.
        .map_err(|e| failed(trigger).detail(format!("{:?}", e.without_url())))?;
    let status = resp.status();
    let content_type = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = read_truncated(resp, MAX_RESPONSE).await;
    if status != StatusCode::OK {
        let status_text = format!(
            "{} {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        );
        return Err(ApiError::new(
            "api.command.execute_command.failed_resp.app_error",
            StatusCode::INTERNAL_SERVER_ERROR,
        )
        .param("Trigger", trigger.to_string())
        .param("Status", status_text.trim_end().to_string())
        .detail(String::from_utf8_lossy(&body).into_owned()));
    }
    response_from_body(&content_type, &body).map_err(|e| failed(trigger).detail(e))
}

/// At most `cap` bytes of the body; the rest is never read (upstream's `io.LimitReader`).
async fn read_truncated(mut resp: reqwest::Response, cap: usize) -> Vec<u8> {
    let mut out = Vec::new();
    while let Ok(Some(chunk)) = resp.chunk().await {
        let room = cap - out.len();
        if chunk.len() >= room {
            out.extend_from_slice(&chunk[..room]);
            break;
        }
        out.extend_from_slice(&chunk);
    }
    out
}

/// `CommandResponseFromHTTPBody`: JSON when typed `application/json`, else the whole body is
/// the text.
pub fn response_from_body(content_type: &str, body: &[u8]) -> Result<CommandResponse, String> {
    let media = content_type.split(';').next().unwrap_or("").trim();
    if media.eq_ignore_ascii_case("application/json") {
        rustmost_model::json::from_slice(body).map_err(|e| e.to_string())
    } else {
        Ok(CommandResponse {
            text: String::from_utf8_lossy(body).into_owned(),
            ..Default::default()
        })
    }
}

/// `HandleCommandResponse`: the response and each of its `extra_responses` become posts; any
/// failure is 500 `create_post_failed` after all were tried.
pub async fn handle_response(
    state: &AppState,
    cmd: &Command,
    args: &CommandArgs,
    resp: CommandResponse,
    builtin: bool,
) -> ApiResult<CommandResponse> {
    let (trigger, _) = split_command(&args.command);
    let trigger = trigger.trim_start_matches('/').to_string();
    let mut last_err = None;
    if let Err(e) = response_post(state, cmd, args, &resp, builtin).await {
        tracing::debug!(id = %e.id, "command response post failed");
        last_err = Some(e);
    }
    for extra in resp.extra_responses.iter().flatten() {
        if let Err(e) = response_post(state, cmd, args, extra, builtin).await {
            tracing::debug!(id = %e.id, "command extra response post failed");
            last_err = Some(e);
        }
    }
    if let Some(e) = last_err {
        return Err(ApiError::new(
            "api.command.execute_command.create_post_failed.app_error",
            StatusCode::INTERNAL_SERVER_ERROR,
        )
        .param("Trigger", trigger)
        .detail(e.id.to_string()));
    }
    Ok(resp)
}

/// `HandleCommandResponsePost`: an `in_channel` response is posted by the caller (marked
/// `from_webhook` for a custom command, with the overrides the switches allow: the command's
/// own username and icon first, then the response's); an ephemeral one with text or
/// attachments reaches only the caller.
async fn response_post(
    state: &AppState,
    cmd: &Command,
    args: &CommandArgs,
    resp: &CommandResponse,
    builtin: bool,
) -> ApiResult<()> {
    let mut channel_id = args.channel_id.clone();
    if !resp.channel_id.is_empty() {
        if state
            .store
            .get_channel_member(&resp.channel_id, &args.user_id)
            .await
            .optional("app.channel.get_member.app_error")?
            .is_none()
        {
            return Err(ApiError::forbidden(
                "api.command.command_post.forbidden.app_error",
            ));
        }
        channel_id = resp.channel_id.clone();
    }
    let first = |a: &str, b: &str| if a.is_empty() { b } else { a }.to_string();
    let w = IntegrationPost {
        text: resp.text.clone(),
        post_type: resp.post_type.clone(),
        props: resp.props.clone(),
        attachments: resp.attachments.clone().map(Value::Array),
        root_id: args.root_id.clone(),
        username: first(&cmd.username, &resp.username),
        icon_url: first(&cmd.icon_url, &resp.icon_url),
        skip_slack_parsing: resp.skip_slack_parsing,
        ..Default::default()
    };
    let origin = if builtin {
        Origin::BuiltinCommand
    } else {
        Origin::CustomCommand
    };
    let author = users::get_user(state, &args.user_id).await?;
    if resp.response_type == cmdm::RESPONSE_IN_CHANNEL {
        let c = state
            .store
            .get_channel(&channel_id)
            .await
            .or_not_found("app.channel.get.existing.app_error")?;
        integration_posts::create(state, &author, &c, w, origin).await?;
        return Ok(());
    }
    if (resp.response_type.is_empty() || resp.response_type == cmdm::RESPONSE_EPHEMERAL)
        && (!resp.text.is_empty() || resp.attachments.is_some())
    {
        let mut parts = integration_posts::shape(state, &author, &channel_id, w, origin).await?;
        if let Some(p) = parts.pop() {
            deliver_ephemeral(state, &args.user_id, p).await;
        }
    }
    Ok(())
}

/// Sends an ephemeral post to one user's clients (upstream's `SendEphemeralPost`): a WebSocket
/// `ephemeral_message`, never stored.
pub async fn deliver_ephemeral(state: &AppState, user_id: &str, mut p: Post) -> Post {
    p.user_id = user_id.to_string();
    let p = posts::ephemeral_post(p, state.clock.now_ms());
    crate::realtime::events::ephemeral(state, user_id, &p).await;
    p
}

/// `POST /hooks/commands/{id}`: a later answer through the `response_url`, at most
/// [`COMMAND_WEBHOOK_MAX_USES`] times within [`COMMAND_WEBHOOK_TTL_MS`].
pub async fn handle_command_webhook(
    state: &AppState,
    hook_id: &str,
    resp: CommandResponse,
) -> ApiResult<()> {
    let hook = match state
        .store
        .get_command_webhook(hook_id, state.clock.now_ms() - COMMAND_WEBHOOK_TTL_MS)
        .await
    {
        Ok(h) => h,
        Err(StoreError::NotFound) => {
            return Err(ApiError::not_found("app.command_webhook.get.missing"));
        }
        Err(e) => {
            return Err(ApiError::internal(
                "app.command_webhook.get.internal_error",
                e,
            ));
        }
    };
    let cmd = match state.store.get_command(&hook.command_id).await {
        Ok(c) if c.delete_at == 0 => c,
        _ => {
            return Err(
                ApiError::bad_request("web.command_webhook.command.app_error")
                    .param("command_id", hook.command_id.clone()),
            );
        }
    };
    if !state
        .store
        .try_use_command_webhook(&hook.id, COMMAND_WEBHOOK_MAX_USES)
        .await
        .or_internal("app.command_webhook.try_use.internal_error")?
    {
        return Err(ApiError::bad_request("app.command_webhook.try_use.invalid"));
    }
    let args = CommandArgs {
        user_id: hook.user_id,
        channel_id: hook.channel_id,
        team_id: cmd.team_id.clone(),
        root_id: hook.root_id,
        command: format!("/{}", cmd.trigger),
        site_url: String::new(),
    };
    handle_response(state, &cmd, &args, resp, false).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_as_upstream() {
        assert_eq!(
            split_command("/Echo hi  there"),
            ("/echo".into(), "hi  there".into())
        );
        assert_eq!(split_command("/away"), ("/away".into(), String::new()));
        assert_eq!(split_command("/me\thello"), ("/me".into(), "hello".into()));
    }

    #[test]
    fn body_is_json_only_when_typed_so() {
        let r = response_from_body("application/json; charset=utf-8", br#"{"text":"hi"}"#).unwrap();
        assert_eq!(r.text, "hi");
        let r = response_from_body("text/plain", br#"{"text":"hi"}"#).unwrap();
        assert_eq!(r.text, r#"{"text":"hi"}"#);
        assert!(response_from_body("application/json", b"").is_err());
    }
}
