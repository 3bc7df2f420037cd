//! Events in upstream's envelope (`event`, `data`, `broadcast`, `seq`) and their one-time
//! serialisation: a [`Prepared`] event is the JSON up to `"seq":`, shared by every socket, which
//! only appends its own `seq` (and, for a mentioned recipient of `posted`, its `mentions`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashSet};

/// Who may receive an event (`WebsocketBroadcast`); `omit_users` is `null` when empty, as
/// upstream's nil map.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Broadcast {
    pub omit_users: Option<BTreeMap<String, bool>>,
    pub user_id: String,
    pub channel_id: String,
    pub team_id: String,
    pub connection_id: String,
    pub omit_connection_id: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub contains_sanitized_data: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub contains_sensitive_data: bool,
}

/// An event as produced by the app and carried between nodes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Event {
    pub event: String,
    pub data: Map<String, Value>,
    pub broadcast: Broadcast,
    /// Recipients who get `mentions: "[\"<own id>\"]"` in `data` (`posted`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mentions: Vec<String>,
    /// Users whose channel or team memberships changed with this event: their cached
    /// memberships are dropped before it is delivered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub membership_of: Vec<String>,
}

impl Event {
    pub fn new(event: &str, data: Value) -> Self {
        Event {
            event: event.to_string(),
            data: match data {
                Value::Object(m) => m,
                _ => Map::new(),
            },
            broadcast: Broadcast::default(),
            mentions: Vec::new(),
            membership_of: Vec::new(),
        }
    }
    pub fn to_user(mut self, user_id: &str) -> Self {
        self.broadcast.user_id = user_id.to_string();
        self
    }
    pub fn to_channel(mut self, channel_id: &str) -> Self {
        self.broadcast.channel_id = channel_id.to_string();
        self
    }
    pub fn to_team(mut self, team_id: &str) -> Self {
        self.broadcast.team_id = team_id.to_string();
        self
    }
    pub fn omit(mut self, user_id: &str) -> Self {
        self.broadcast
            .omit_users
            .get_or_insert_with(BTreeMap::new)
            .insert(user_id.to_string(), true);
        self
    }
    pub fn changes_membership_of(mut self, user_id: &str) -> Self {
        self.membership_of.push(user_id.to_string());
        self
    }
}

/// An event serialised once for every socket.
#[derive(Debug)]
pub struct Prepared {
    pub event: String,
    pub broadcast: Broadcast,
    /// `{"event":…,"data":{…` without the closing brace of `data`.
    head: String,
    data_empty: bool,
    /// `},"broadcast":{…},"seq":`.
    tail: String,
    mentions: HashSet<String>,
    pub membership_of: Vec<String>,
}

impl Prepared {
    pub fn new(e: Event) -> Self {
        let data = serde_json::to_string(&e.data).unwrap_or_else(|_| "{}".into());
        let mut head = String::with_capacity(data.len() + e.event.len() + 24);
        head.push_str("{\"event\":");
        head.push_str(&serde_json::to_string(&e.event).unwrap_or_default());
        head.push_str(",\"data\":");
        head.push_str(&data[..data.len() - 1]);
        let mut tail = String::from("},\"broadcast\":");
        tail.push_str(&serde_json::to_string(&e.broadcast).unwrap_or_default());
        tail.push_str(",\"seq\":");
        Prepared {
            event: e.event,
            broadcast: e.broadcast,
            head,
            data_empty: e.data.is_empty(),
            tail,
            mentions: e.mentions.into_iter().collect(),
            membership_of: e.membership_of,
        }
    }

    /// The frame `user_id` receives as its event number `seq`.
    pub fn frame(&self, user_id: &str, seq: u64) -> String {
        let mut s = String::with_capacity(self.head.len() + self.tail.len() + 64);
        s.push_str(&self.head);
        if self.mentions.contains(user_id) {
            if !self.data_empty {
                s.push(',');
            }
            let list = serde_json::to_string(&[user_id]).unwrap_or_default();
            s.push_str("\"mentions\":");
            s.push_str(&serde_json::to_string(&list).unwrap_or_default());
        }
        s.push_str(&self.tail);
        s.push_str(&seq.to_string());
        s.push('}');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn frames_are_upstream_envelopes_with_their_own_seq_and_mentions() {
        let mut e = Event::new("posted", json!({"post": "{}", "channel_type": "O"}))
            .to_channel("c1")
            .omit("u9");
        e.mentions.push("u2".into());
        let p = Prepared::new(e);
        let f: Value = serde_json::from_str(&p.frame("u1", 7)).unwrap();
        assert_eq!(
            f,
            json!({"event": "posted", "data": {"post": "{}", "channel_type": "O"},
                "broadcast": {"omit_users": {"u9": true}, "user_id": "", "channel_id": "c1",
                "team_id": "", "connection_id": "", "omit_connection_id": ""}, "seq": 7})
        );
        let f: Value = serde_json::from_str(&p.frame("u2", 0)).unwrap();
        assert_eq!(f["data"]["mentions"], "[\"u2\"]");
        assert_eq!(f["seq"], 0);
        let empty = Prepared::new(Event::new("x", json!({})).to_user("u2"));
        let mut e2 = Event::new("x", json!({}));
        e2.mentions.push("u2".into());
        let f: Value = serde_json::from_str(&Prepared::new(e2).frame("u2", 1)).unwrap();
        assert_eq!(f["data"], json!({"mentions": "[\"u2\"]"}));
        let f: Value = serde_json::from_str(&empty.frame("u2", 3)).unwrap();
        assert_eq!(f["broadcast"]["omit_users"], Value::Null);
        assert_eq!(f["data"], json!({}));
    }
}
