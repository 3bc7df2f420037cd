//! The events the app publishes, with upstream's names, data and audiences (spec §6). Each
//! `publish_*`/constructor is called where its change is committed.

use super::event::Event;
use crate::state::AppState;
use rustmost_model::channel::Channel;
use rustmost_model::post::{Post, Reaction};
use rustmost_model::user::User;
use serde_json::{Value, json};

fn as_string<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// `typing`: to the channel, not to the sender.
pub fn typing(channel_id: &str, user_id: &str, parent_id: &str) -> Event {
    Event::new(
        "typing",
        json!({"parent_id": parent_id, "user_id": user_id}),
    )
    .to_channel(channel_id)
    .omit(user_id)
}

/// Publishes `posted` for a post just saved in `c` (`post` as clients see it, as a string).
pub async fn posted(state: &AppState, p: &Post, c: &Channel) {
    // The author is read on every post: from the user cache, as `/users/me` is.
    let sender = crate::app::users::get_user_cached(state, &p.user_id)
        .await
        .ok();
    let username = sender
        .as_ref()
        .map(|u| u.username.clone())
        .unwrap_or_default();
    let display_name = match c.channel_type.as_str() {
        "D" => format!("@{username}"),
        "G" => {
            let mut names: Vec<String> = match state
                .store
                .list_channel_members(
                    &c.id,
                    rustmost_store::Page {
                        page: 0,
                        per_page: 100,
                    },
                )
                .await
            {
                Ok(ms) => {
                    let ids: Vec<String> = ms.into_iter().map(|m| m.user_id).collect();
                    state
                        .store
                        .get_users_by_ids(&ids, None)
                        .await
                        .unwrap_or_default()
                        .into_iter()
                        .map(|u| u.username)
                        .collect()
                }
                Err(_) => Vec::new(),
            };
            names.sort();
            names.join(", ")
        }
        _ => c.display_name.clone(),
    };
    let prop = |k: &str| p.props.get(k).and_then(Value::as_str).unwrap_or("");
    let sender_name = if p.post_type.starts_with("system_") {
        "System".to_string()
    } else if prop("from_webhook") == "true"
        && !prop("override_username").is_empty()
        && c.channel_type != "D"
    {
        prop("override_username").to_string()
    } else {
        format!("@{username}")
    };
    let client = crate::app::posts::for_client(state, p.clone()).await;
    let mut e = Event::new(
        "posted",
        json!({
            "channel_display_name": display_name,
            "channel_name": c.name,
            "channel_type": c.channel_type,
            "post": as_string(&client),
            "sender_name": sender_name,
            "set_online": true,
            "team_id": c.team_id,
        }),
    )
    .to_channel(&c.id);
    e.mentions = mentioned(state, p, c).await;
    state.events.publish(e);
}

/// Who `@name`, `@channel`, `@all` or `@here` mentions in a post (never its author).
async fn mentioned(state: &AppState, p: &Post, c: &Channel) -> Vec<String> {
    if p.post_type.starts_with("system_") {
        return Vec::new();
    }
    let mut names: Vec<String> = Vec::new();
    let mut everyone = false;
    for word in p.message.split_whitespace() {
        let Some(name) = word.strip_prefix('@') else {
            continue;
        };
        let name = name
            .trim_end_matches(|ch: char| !(ch.is_alphanumeric() || ch == '_' || ch == '-'))
            .to_lowercase();
        match name.as_str() {
            "" => {}
            "channel" | "all" | "here" => everyone = true,
            _ if !names.contains(&name) && names.len() < 64 => names.push(name),
            _ => {}
        }
    }
    let mut ids = Vec::new();
    if everyone {
        let mut page = 0;
        while let Ok(ms) = state
            .store
            .list_channel_members(
                &c.id,
                rustmost_store::Page {
                    page,
                    per_page: 1000,
                },
            )
            .await
        {
            let n = ms.len();
            ids.extend(ms.into_iter().map(|m| m.user_id));
            if n < 1000 {
                break;
            }
            page += 1;
        }
    } else if !names.is_empty() {
        // One query for every `@name` of the post.
        match state.store.get_users_by_usernames(&names).await {
            Ok(users) => ids.extend(users.into_iter().map(|u| u.id)),
            Err(e) => tracing::warn!(error = %e, "could not look up the post's mentions"),
        }
    }
    ids.retain(|id| *id != p.user_id);
    ids
}

/// `post_edited`: to the channel.
pub async fn post_edited(state: &AppState, p: &Post) {
    let client = crate::app::posts::for_client(state, p.clone()).await;
    state.events.publish(
        Event::new("post_edited", json!({"post": as_string(&client)})).to_channel(&p.channel_id),
    );
}

/// `post_deleted` for a post just deleted (`p` as it was read before): twice, as upstream:
/// without `delete_by` for everyone but system admins, with it for them.
pub async fn post_deleted(state: &AppState, p: &Post, by: &str) {
    let mut gone = p.clone();
    if gone.delete_at == 0 {
        gone.delete_at = state.clock.now_ms();
        gone.update_at = gone.delete_at;
    }
    let client = crate::app::posts::for_client(state, gone).await;
    let post = as_string(&client);
    let mut plain = Event::new("post_deleted", json!({"post": post})).to_channel(&p.channel_id);
    plain.broadcast.contains_sanitized_data = true;
    let mut full = Event::new("post_deleted", json!({"post": post, "delete_by": by}))
        .to_channel(&p.channel_id);
    full.broadcast.contains_sensitive_data = true;
    state.events.publish(plain);
    state.events.publish(full);
}

/// `ephemeral_message`: to `user_id` only (in the post's channel); never stored.
pub async fn ephemeral(state: &AppState, user_id: &str, p: &Post) {
    let client = crate::app::posts::for_client(state, p.clone()).await;
    state.events.publish(
        Event::new("ephemeral_message", json!({"post": as_string(&client)}))
            .to_user(user_id)
            .to_channel(&p.channel_id),
    );
}

/// `reaction_added` / `reaction_removed`: to the channel.
pub fn reaction(added: bool, r: &Reaction) -> Event {
    let name = if added {
        "reaction_added"
    } else {
        "reaction_removed"
    };
    Event::new(name, json!({"reaction": as_string(r)})).to_channel(&r.channel_id)
}

/// `reaction_removed` for a reaction just deleted.
pub fn reaction_removed(
    state: &AppState,
    user_id: String,
    post_id: String,
    emoji_name: String,
    channel_id: String,
) {
    let now = state.clock.now_ms();
    let r = Reaction {
        user_id,
        post_id,
        emoji_name,
        create_at: 0,
        update_at: now,
        delete_at: now,
        remote_id: Some(String::new()),
        channel_id,
    };
    state.events.publish(reaction(false, &r));
}

/// `channel_created`: to its creator only.
pub fn channel_created(c: &Channel) -> Event {
    Event::new(
        "channel_created",
        json!({"channel_id": c.id, "team_id": c.team_id}),
    )
    .to_user(&c.creator_id)
    .changes_membership_of(&c.creator_id)
}

/// `channel_updated`: to the channel's members.
pub fn channel_updated(c: &Channel) -> Event {
    Event::new("channel_updated", json!({"channel": as_string(c)})).to_channel(&c.id)
}

/// `channel_deleted` (archived): to the whole team, even for a private channel.
pub fn channel_deleted(c: &Channel) -> Event {
    Event::new(
        "channel_deleted",
        json!({"channel_id": c.id, "delete_at": c.delete_at}),
    )
    .to_team(&c.team_id)
}

/// `channel_restored`: to the whole team.
pub fn channel_restored(c: &Channel) -> Event {
    Event::new("channel_restored", json!({"channel_id": c.id})).to_team(&c.team_id)
}

/// `user_added`: to the channel, the new member included.
pub fn user_added(c: &Channel, user_id: &str) -> Event {
    Event::new(
        "user_added",
        json!({"user_id": user_id, "team_id": c.team_id}),
    )
    .to_channel(&c.id)
    .changes_membership_of(user_id)
}

/// `user_removed`: to the remaining members, and a copy to the removed user.
pub fn user_removed(state: &AppState, channel_id: &str, user_id: &str, remover_id: &str) {
    state.events.publish(
        Event::new(
            "user_removed",
            json!({"user_id": user_id, "remover_id": remover_id}),
        )
        .to_channel(channel_id)
        .changes_membership_of(user_id),
    );
    state.events.publish(
        Event::new(
            "user_removed",
            json!({"channel_id": channel_id, "remover_id": remover_id}),
        )
        .to_user(user_id),
    );
}

/// `added_to_team`: to the added user.
pub fn added_to_team(team_id: &str, user_id: &str) -> Event {
    Event::new(
        "added_to_team",
        json!({"team_id": team_id, "user_id": user_id}),
    )
    .to_user(user_id)
    .changes_membership_of(user_id)
}

/// `leave_team`: to the team's other members, and a copy to the user who left.
pub fn leave_team(state: &AppState, team_id: &str, user_id: &str) {
    let data = json!({"user_id": user_id, "team_id": team_id});
    state.events.publish(
        Event::new("leave_team", data.clone())
            .to_team(team_id)
            .omit(user_id)
            .changes_membership_of(user_id),
    );
    state
        .events
        .publish(Event::new("leave_team", data).to_user(user_id));
}

/// `user_updated`: the profile as others may see it (sanitized for everyone but system
/// admins, who get the admin view), and the full profile to the user.
pub fn user_updated(state: &AppState, u: &User) {
    let others = crate::app::users::sanitize_for(state, None, u.clone());
    let mut admin = crate::app::users::sanitize_self(u.clone());
    admin.email_verified = false;
    admin.allow_marketing = false;
    admin.last_password_update = 0;
    admin.failed_attempts = 0;
    let mut plain = Event::new("user_updated", json!({"user": others})).omit(&u.id);
    plain.broadcast.contains_sanitized_data = true;
    let mut full = Event::new("user_updated", json!({"user": admin})).omit(&u.id);
    full.broadcast.contains_sensitive_data = true;
    state.events.publish(plain);
    state.events.publish(full);
    state.events.publish(
        Event::new(
            "user_updated",
            json!({"user": crate::app::users::sanitize_self(u.clone())}),
        )
        .to_user(&u.id),
    );
}

/// `user_role_updated`: to the user.
pub fn user_role_updated(user_id: &str, roles: &str) -> Event {
    Event::new(
        "user_role_updated",
        json!({"user_id": user_id, "roles": roles}),
    )
    .to_user(user_id)
}

/// `new_user`: to everyone.
pub fn new_user(user_id: &str) -> Event {
    Event::new("new_user", json!({"user_id": user_id}))
}

/// `config_changed`: the client config, to everyone on this node (config is per node);
/// sockets authenticated by a human's access token re-check it (tokens may just have been
/// turned off).
pub fn config_changed(state: &AppState) {
    let cfg = state.config.get();
    state.events.publish_local(Event::new(
        "config_changed",
        json!({"config": cfg.client_config(true, crate::VERSION)}),
    ));
    state
        .events
        .hub
        .distrust_all(|s| s.is_access_token() && !s.is_bot);
}

/// `direct_added`: to the new direct channel's members.
pub fn direct_added(channel_id: &str, creator_id: &str, teammate_id: &str) -> Event {
    Event::new(
        "direct_added",
        json!({"creator_id": creator_id, "teammate_id": teammate_id}),
    )
    .to_channel(channel_id)
    .changes_membership_of(creator_id)
    .changes_membership_of(teammate_id)
}

/// `group_added`: to one member of a new group channel, with every member's id (a JSON
/// string, as upstream).
pub fn group_added(channel_id: &str, user_id: &str, member_ids: &[String]) -> Event {
    Event::new(
        "group_added",
        json!({"teammate_ids": as_string(&member_ids)}),
    )
    .to_user(user_id)
    .to_channel(channel_id)
    .changes_membership_of(user_id)
}

/// `status_change`: to the user whose status changed only, as upstream.
pub fn status_change(user_id: &str, status: &str) -> Event {
    Event::new(
        "status_change",
        json!({"status": status, "user_id": user_id}),
    )
    .to_user(user_id)
}

/// `multiple_channels_viewed`: to the viewer, `{channel_id: viewed_at_ms}`.
pub fn multiple_channels_viewed(user_id: &str, times: &[(String, i64)]) -> Event {
    let m: serde_json::Map<String, Value> = times
        .iter()
        .map(|(c, t)| (c.clone(), Value::from(*t)))
        .collect();
    Event::new("multiple_channels_viewed", json!({"channel_times": m})).to_user(user_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audiences_of_events_without_a_served_producer_yet() {
        let e = direct_added("c", "u1", "u2");
        assert_eq!(e.broadcast.channel_id, "c");
        assert_eq!(e.membership_of, ["u1", "u2"]);
        let e = status_change("u1", "online");
        assert_eq!(e.broadcast.user_id, "u1");
        assert_eq!(e.data["status"], "online");
        let e = multiple_channels_viewed("u1", &[("c".into(), 5)]);
        assert_eq!(e.data["channel_times"], json!({"c": 5}));
        let c = Channel {
            id: "c".into(),
            team_id: "t".into(),
            ..Default::default()
        };
        let e = channel_updated(&c);
        assert_eq!(e.broadcast.channel_id, "c");
        let inner: Value = serde_json::from_str(e.data["channel"].as_str().unwrap()).unwrap();
        assert_eq!(inner["team_id"], "t");
    }
}
