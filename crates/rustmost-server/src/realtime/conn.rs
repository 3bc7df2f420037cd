//! One WebSocket: the authentication challenge, `hello`, the client actions and their replies,
//! writing the connection's events, keepalive and deadlines (spec §1–4, §8), and closing the
//! socket once its credential stops being valid (spec §9, stricter than upstream).

use super::event::Event;
use super::hub::{Conn, Out};
use crate::app;
use crate::state::{AppState, Session};
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

/// Upstream's keepalive and limits.
pub const PING_EVERY: Duration = Duration::from_secs(60);
pub const READ_DEADLINE: Duration = Duration::from_secs(100);
pub const WRITE_DEADLINE: Duration = Duration::from_secs(30);
pub const AUTH_DEADLINE: Duration = Duration::from_secs(5);
pub const MAX_CLIENT_FRAME: usize = 8192;

/// Close code for a connection whose credential ended (policy violation).
const CLOSE_CREDENTIALS: u16 = 1008;

/// What the upgrade asked for in its query string.
pub enum ResumeRequest {
    None,
    /// `connection_id` given but `sequence_number` missing or bad: closed after the upgrade.
    Bad,
    At(String, u64),
}

type Sink = futures_util::stream::SplitSink<WebSocket, Message>;

/// Serves one upgraded socket until it closes.
pub async fn run(
    state: AppState,
    socket: WebSocket,
    auth: Option<(String, Arc<Session>)>,
    resume: ResumeRequest,
) {
    let (mut sink, mut stream) = socket.split();
    let mut challenge_reply = None;
    let (conn, mut rx, generation) = match auth {
        Some((token, s)) => match resume {
            ResumeRequest::Bad => return,
            ResumeRequest::At(id, seq) if seq > 0 => {
                match state
                    .events
                    .hub
                    .resume(&id, &s.user_id, seq, token.clone(), s.clone())
                {
                    Some(r) => r,
                    None => register(&state, token, s).await,
                }
            }
            _ => register(&state, token, s).await,
        },
        None => {
            let deadline = Instant::now() + AUTH_DEADLINE;
            loop {
                let msg = tokio::select! {
                    _ = sleep_until(deadline) => return,
                    m = stream.next() => m,
                };
                let text = match msg {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    _ => return,
                };
                let Some(req) = Request::parse(&text) else {
                    return;
                };
                // Replies on an anonymous socket are dropped, as upstream.
                if req.seq <= 0 || req.action != "authentication_challenge" {
                    continue;
                }
                let token = req.data.get("token").and_then(Value::as_str).unwrap_or("");
                let Some(s) = valid_session(&state, token).await else {
                    return;
                };
                challenge_reply = Some(req.seq);
                break register(&state, token.to_string(), s).await;
            }
        }
    };
    if let Some(seq) = challenge_reply {
        // `hello` goes before the challenge's `OK`.
        while let Ok(Out::Event(n, p)) = rx.try_recv() {
            if send(&mut sink, p.frame(&conn.user_id, n)).await.is_err() {
                conn.detach(generation);
                return;
            }
        }
        if send(&mut sink, ok_reply(seq, None)).await.is_err() {
            conn.detach(generation);
            return;
        }
    }
    app::status::connected(&state, &conn.user_id, &conn.id).await;
    let end = serve(&state, &conn, &mut sink, &mut stream, &mut rx).await;
    let replaced = matches!(end, End::Replaced);
    match end {
        End::Credentials => {
            state.events.hub.remove(&conn.id);
            let _ = sink
                .send(Message::Close(Some(CloseFrame {
                    code: CLOSE_CREDENTIALS,
                    reason: Utf8Bytes::from_static("session ended"),
                })))
                .await;
        }
        End::Replaced => {}
        End::TooBig => {
            conn.detach(generation);
            let _ = sink
                .send(Message::Close(Some(CloseFrame {
                    code: 1009,
                    reason: Utf8Bytes::from_static("message too big"),
                })))
                .await;
        }
        End::Gone => conn.detach(generation),
    }
    if !replaced {
        app::status::disconnected(&state, &conn.user_id, &conn.id).await;
    }
    let _ = sink.close().await;
}

async fn register(
    state: &AppState,
    token: String,
    s: Arc<Session>,
) -> (Arc<Conn>, mpsc::Receiver<Out>, u64) {
    let id = rustmost_model::new_id();
    let hello = Event::new(
        "hello",
        json!({"connection_id": id, "server_version": server_version(state)}),
    )
    .to_user(&s.user_id);
    state
        .events
        .hub
        .register_loaded(state, token, s, hello)
        .await
}

/// `hello.server_version`: the same four parts as `X-Version-Id`.
pub fn server_version(_state: &AppState) -> String {
    format!(
        "{}.{}.{}.false",
        crate::VERSION,
        crate::BUILD_NUMBER,
        crate::BUILD_HASH
    )
}

/// A token that authenticates a socket: a live session (login or access token) whose use is
/// allowed now (humans' access tokens stop while `EnableUserAccessTokens` is off).
pub async fn valid_session(state: &AppState, token: &str) -> Option<Arc<Session>> {
    let s = app::credentials::resolve(state, token).await.ok()?;
    allowed(state, &s).then_some(s)
}

pub fn allowed(state: &AppState, s: &Session) -> bool {
    !(s.is_access_token() && !s.is_bot && !state.config.get().enable_user_access_tokens())
}

enum End {
    Gone,
    Credentials,
    Replaced,
    TooBig,
}

/// Re-checks a distrusted session; `false` once the credential no longer holds.
async fn recheck(state: &AppState, conn: &Conn) -> bool {
    if !conn.suspect.swap(false, Ordering::SeqCst) {
        return true;
    }
    let token = conn.token();
    match valid_session(state, &token).await {
        Some(s) if s.user_id == conn.user_id => {
            conn.set_session(token, s);
            true
        }
        _ => false,
    }
}

async fn send(sink: &mut Sink, text: String) -> Result<(), ()> {
    match tokio::time::timeout(WRITE_DEADLINE, sink.send(Message::Text(text.into()))).await {
        Ok(Ok(())) => Ok(()),
        _ => Err(()),
    }
}

async fn serve(
    state: &AppState,
    conn: &Arc<Conn>,
    sink: &mut Sink,
    stream: &mut futures_util::stream::SplitStream<WebSocket>,
    rx: &mut mpsc::Receiver<Out>,
) -> End {
    let mut ping = tokio::time::interval_at(Instant::now() + PING_EVERY, PING_EVERY);
    let mut read_deadline = Instant::now() + READ_DEADLINE;
    loop {
        let expires_at = conn.session().expires_at;
        let expiry = if expires_at > 0 {
            let left = (expires_at - state.clock.now_ms()).max(0) as u64;
            Instant::now() + Duration::from_millis(left.min(86_400_000)) + Duration::from_millis(1)
        } else {
            Instant::now() + Duration::from_secs(86_400)
        };
        tokio::select! {
            biased;
            _ = conn.wake.notified() => {
                if !recheck(state, conn).await {
                    return End::Credentials;
                }
            }
            _ = sleep_until(expiry) => conn.distrust(),
            out = rx.recv() => match out {
                Some(Out::Event(seq, p)) => {
                    if !recheck(state, conn).await {
                        return End::Credentials;
                    }
                    if send(sink, p.frame(&conn.user_id, seq)).await.is_err() {
                        return End::Gone;
                    }
                }
                // Another socket resumed this connection, or the hub dropped it.
                None => return End::Replaced,
            },
            msg = stream.next() => match msg {
                Some(Ok(Message::Text(t))) => {
                    let Some(req) = Request::parse(&t) else { return End::Gone };
                    if let Some(reply) = handle(state, conn, req).await {
                        match reply {
                            Reply::Send(text) => {
                                if send(sink, text).await.is_err() {
                                    return End::Gone;
                                }
                            }
                            Reply::Refused => return End::Credentials,
                        }
                    }
                }
                Some(Ok(Message::Pong(_))) => read_deadline = Instant::now() + READ_DEADLINE,
                Some(Ok(Message::Ping(_))) => {}
                Some(Err(e)) => {
                    // tungstenite's capacity error: a frame over `MAX_CLIENT_FRAME`.
                    let big = e.to_string().contains("too long");
                    return if big { End::TooBig } else { End::Gone };
                }
                // Binary frames (MessagePack upstream) are not supported: closed like an
                // undecodable frame.
                _ => return End::Gone,
            },
            _ = ping.tick() => {
                // Also a bound on an invalidation lost between nodes: the session is read
                // again, as cached sessions are for requests.
                conn.suspect.store(true, Ordering::SeqCst);
                if !recheck(state, conn).await {
                    return End::Credentials;
                }
                if sink.send(Message::Ping(Default::default())).await.is_err() {
                    return End::Gone;
                }
            }
            _ = sleep_until(read_deadline) => return End::Gone,
        }
    }
}

/// A client request `{"seq","action","data"}`.
struct Request {
    seq: i64,
    action: String,
    data: Map<String, Value>,
}

impl Request {
    /// `None` for an undecodable frame (bad JSON, `data` not an object), which closes the
    /// socket as upstream.
    fn parse(text: &str) -> Option<Self> {
        let v: Value = serde_json::from_str(text).ok()?;
        let o = v.as_object()?;
        let data = match o.get("data") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(m)) => m.clone(),
            Some(_) => return None,
        };
        let seq = match o.get("seq") {
            None | Some(Value::Null) => 0,
            Some(v) => v.as_i64()?,
        };
        let action = match o.get("action") {
            None | Some(Value::Null) => String::new(),
            Some(v) => v.as_str()?.to_string(),
        };
        Some(Request { seq, action, data })
    }
}

enum Reply {
    Send(String),
    Refused,
}

fn ok_reply(seq: i64, data: Option<Value>) -> String {
    let mut o = Map::new();
    o.insert("status".into(), "OK".into());
    if seq != 0 {
        o.insert("seq_reply".into(), seq.into());
    }
    if let Some(d) = data {
        o.insert("data".into(), d);
    }
    Value::Object(o).to_string()
}

/// The reply to a statuses request: `{user_id: status}`, or the error.
fn statuses_reply(
    seq: i64,
    list: crate::error::ApiResult<Vec<rustmost_model::command::Status>>,
) -> String {
    match list {
        Ok(list) => {
            let m: Map<String, Value> = list
                .into_iter()
                .map(|st| (st.user_id, Value::from(st.status)))
                .collect();
            ok_reply(seq, Some(Value::Object(m)))
        }
        Err(e) => err_reply(seq, &e.id, e.status.as_u16(), &[]),
    }
}

fn err_reply(seq: i64, id: &str, status: u16, params: &[(&str, &str)]) -> String {
    let mut message = crate::error::lookup(id).unwrap_or_default();
    for (k, v) in params {
        message = message.replace(&format!("{{{{.{k}}}}}"), v);
    }
    let mut o = Map::new();
    o.insert("status".into(), "FAIL".into());
    if seq != 0 {
        o.insert("seq_reply".into(), seq.into());
    }
    o.insert(
        "error".into(),
        json!({"id": id, "message": message, "detailed_error": "", "status_code": status}),
    );
    Value::Object(o).to_string()
}

async fn handle(state: &AppState, conn: &Conn, req: Request) -> Option<Reply> {
    if req.seq <= 0 {
        return Some(Reply::Send(err_reply(
            req.seq,
            "api.web_socket_router.bad_seq.app_error",
            400,
            &[],
        )));
    }
    if req.action.is_empty() {
        return Some(Reply::Send(err_reply(
            req.seq,
            "api.web_socket_router.no_action.app_error",
            400,
            &[],
        )));
    }
    if req.action == "authentication_challenge" || req.action.starts_with("custom_") {
        return None;
    }
    // Each action re-reads the session, as upstream; a gone credential ends the socket.
    conn.suspect.store(true, Ordering::SeqCst);
    if !recheck(state, conn).await {
        return Some(Reply::Refused);
    }
    let s = conn.session();
    let seq = req.seq;
    let out = match req.action.as_str() {
        "ping" => ok_reply(
            seq,
            Some(json!({"text": "pong", "version": crate::VERSION,
                "server_time": state.clock.now_ms(), "node_id": ""})),
        ),
        "user_typing" => {
            let cid = req
                .data
                .get("channel_id")
                .and_then(Value::as_str)
                .unwrap_or("");
            let allowed = if rustmost_model::is_valid_id(cid) {
                app::scoped_authz::has_channel(
                    state,
                    &s,
                    cid,
                    rustmost_model::Permission::CreatePost,
                )
                .await
            } else {
                Ok(false)
            };
            // A store failure is answered as the failure it is, never as "not allowed".
            if let Err(e) = &allowed {
                tracing::error!(id = %e.id, detail = %e.detailed, "user_typing permission check failed");
                err_reply(seq, &e.id, e.status.as_u16(), &[])
            } else if !matches!(allowed, Ok(true)) {
                err_reply(
                    seq,
                    "api.websocket_handler.invalid_param.app_error",
                    400,
                    &[("Name", "channel_id")],
                )
            } else {
                let parent = req
                    .data
                    .get("parent_id")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                state
                    .events
                    .publish(super::events::typing(cid, &s.user_id, parent));
                ok_reply(seq, None)
            }
        }
        "get_statuses" => statuses_reply(seq, app::status::all_not_offline(state).await),
        "get_statuses_by_ids" => {
            let ids: Option<Vec<String>> = req
                .data
                .get("user_ids")
                .and_then(Value::as_array)
                .filter(|a| !a.is_empty())
                .and_then(|a| a.iter().map(|v| v.as_str().map(str::to_string)).collect());
            match ids {
                None => err_reply(
                    seq,
                    "api.websocket_handler.invalid_param.app_error",
                    400,
                    &[("Name", "user_ids")],
                ),
                Some(ids) => statuses_reply(seq, app::status::get_many(state, &ids).await),
            }
        }
        "user_update_active_status" => {
            // Upstream: active → online; inactive → away once idle long enough.
            match req.data.get("user_is_active").and_then(Value::as_bool) {
                None => err_reply(
                    seq,
                    "api.websocket_handler.invalid_param.app_error",
                    400,
                    &[("Name", "user_is_active")],
                ),
                Some(active) => {
                    let manual = req
                        .data
                        .get("manual")
                        .and_then(Value::as_bool)
                        .unwrap_or(false);
                    let r = if active {
                        app::status::set_online(state, &s.user_id, manual).await
                    } else {
                        app::status::set_away_if_needed(state, &s.user_id, manual).await
                    };
                    match r {
                        Ok(()) => ok_reply(seq, None),
                        Err(e) => err_reply(seq, &e.id, e.status.as_u16(), &[]),
                    }
                }
            }
        }
        "presence" | "posted_notify_ack" => ok_reply(seq, None),
        _ => err_reply(seq, "api.web_socket_router.bad_action.app_error", 500, &[]),
    };
    Some(Reply::Send(out))
}
