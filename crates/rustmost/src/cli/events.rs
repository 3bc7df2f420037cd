//! `rustmost events`: the WebSocket events the credential receives, one per line (JSON for
//! scripts, a readable line on a terminal), until interrupted; the scripting side of a bot.

use super::{Client, Output, cell, resolve_channel};
use clap::Args;
use rustmost_client::Notice;
use serde_json::Value;

#[derive(Args, Debug)]
pub struct EventsCmd {
    /// Only these events (repeat or separate with commas), e.g. `posted,reaction_added`.
    #[arg(long = "event", value_delimiter = ',', value_name = "EVENT")]
    events: Vec<String>,
    /// Only events of this channel (id or `team:channel`; repeat for several).
    #[arg(long = "channel", value_name = "CHANNEL")]
    channels: Vec<String>,
    /// Exit after printing this many events.
    #[arg(long)]
    count: Option<u64>,
}

/// The channel an event is about: the broadcast's, the data's, or its post's.
fn channel_of(ev: &Value) -> Option<String> {
    [&ev["broadcast"]["channel_id"], &ev["data"]["channel_id"]]
        .into_iter()
        .filter_map(Value::as_str)
        .find(|c| !c.is_empty())
        .map(str::to_string)
        .or_else(|| post_of(ev).map(|p| cell(&p["channel_id"])))
        .filter(|c| !c.is_empty())
}

/// `data.post`, which upstream sends as a JSON string.
fn post_of(ev: &Value) -> Option<Value> {
    serde_json::from_str(ev["data"]["post"].as_str()?).ok()
}

/// One line a person reads: the event name, and for posts who wrote what where.
fn readable(ev: &Value) -> String {
    let name = cell(&ev["event"]);
    let data = &ev["data"];
    match (name.as_str(), post_of(ev)) {
        ("posted" | "post_edited" | "ephemeral_message", Some(p)) => {
            let place = match data["channel_name"].as_str() {
                Some(n) if !n.is_empty() => format!("#{n}"),
                _ => cell(&p["channel_id"]),
            };
            let who = match data["sender_name"].as_str() {
                Some(s) if !s.is_empty() => s.to_string(),
                _ => cell(&p["user_id"]),
            };
            format!("{name} {place} {who}: {}", cell(&p["message"]))
        }
        _ => {
            let mut d = data.to_string();
            if d.chars().count() > 200 {
                d = d.chars().take(200).collect::<String>() + "…";
            }
            format!("{name} {d}")
        }
    }
}

pub async fn run(c: EventsCmd, cl: &Client, out: Output) -> anyhow::Result<()> {
    let mut channels = Vec::new();
    for ch in &c.channels {
        channels.push(resolve_channel(cl, ch).await?);
    }
    let mut stream = cl.events().await?;
    let mut printed = 0u64;
    loop {
        if c.count.is_some_and(|n| printed >= n) {
            return Ok(());
        }
        match stream.next().await? {
            Notice::Event(ev) => {
                let name = cell(&ev["event"]);
                if !c.events.is_empty() && !c.events.contains(&name) {
                    continue;
                }
                if !channels.is_empty() && !channel_of(&ev).is_some_and(|ch| channels.contains(&ch))
                {
                    continue;
                }
                match out {
                    Output::Json => println!("{ev}"),
                    Output::Table => println!("{}", readable(&ev)),
                }
                printed += 1;
            }
            // Connection news goes to stderr, so stdout stays one event per line.
            Notice::Connected(id) => eprintln!("listening (connection {id})"),
            Notice::Resumed(id) => eprintln!("reconnected, resuming connection {id}"),
            Notice::Restarted(id) => eprintln!(
                "reconnected as a new connection {id}: the server could not resume, so events \
                 sent while disconnected were missed"
            ),
            Notice::Disconnected { reason, retry_in } => eprintln!(
                "disconnected ({reason}); retrying in {} s",
                retry_in.as_secs()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn channel_and_readable_line_of_a_posted_event() {
        let post = json!({"channel_id": "c1", "user_id": "u1", "message": "hi there"});
        let ev = json!({"event": "posted", "seq": 3,
            "data": {"post": post.to_string(), "channel_name": "town-square", "sender_name": "@alice"},
            "broadcast": {"channel_id": "", "user_id": ""}});
        assert_eq!(channel_of(&ev).as_deref(), Some("c1"));
        assert_eq!(readable(&ev), "posted #town-square @alice: hi there");
        let typing = json!({"event": "typing", "data": {"user_id": "u1"},
            "broadcast": {"channel_id": "c2"}});
        assert_eq!(channel_of(&typing).as_deref(), Some("c2"));
        assert_eq!(readable(&typing), r#"typing {"user_id":"u1"}"#);
        let hello = json!({"event": "hello", "data": {"connection_id": "x"}, "broadcast": {}});
        assert_eq!(channel_of(&hello), None);
    }
}
