//! A typed client for the Mattermost API v4 as Rustmost serves it: one method per request the
//! command-line client (and n8n's Mattermost node) sends. Failures keep the server's AppError
//! (`id`, `message`, `status_code`) so callers can show exactly what the server said.

mod events;

pub use events::{EventStream, Notice};
use reqwest::Method;
use rustmost_model::AppErrorBody;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// What can go wrong talking to the server.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server answered with a non-2xx status; `body` is its AppError (or a synthesised one
    /// when the body was not Mattermost's error JSON).
    #[error("{}", api_error_text(*status, body))]
    Api { status: u16, body: AppErrorBody },
    /// The request never got an answer (DNS, refused connection, timeout).
    #[error("cannot reach the server")]
    Transport(#[source] reqwest::Error),
    /// The server's TLS certificate was not trusted (self-signed, unknown issuer, wrong name).
    #[error(
        "the server's TLS certificate is not trusted (self-signed, unknown issuer or wrong host \
         name); pass --insecure or save the credential with --insecure to accept it anyway"
    )]
    Certificate(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A 2xx answer whose body was not the JSON expected.
    #[error("unexpected response: {0}")]
    Decode(String),
    /// The WebSocket upgrade or connection failed.
    #[error("event stream: {0}")]
    WebSocket(String),
    /// The base URL cannot be used.
    #[error("invalid server URL {0:?}")]
    BadUrl(String),
    /// `--local`: nothing serves the local-mode socket.
    #[error(
        "local mode is not available: no server answers on {0} (the server needs \
         ServiceSettings.EnableLocalMode = true, and this user must be able to open the socket)"
    )]
    LocalModeOff(String),
}

impl Error {
    /// The HTTP status for API errors.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } => Some(*status),
            _ => None,
        }
    }
    /// The server's AppError id for API errors.
    pub fn id(&self) -> Option<&str> {
        match self {
            Error::Api { body, .. } => Some(&body.id),
            _ => None,
        }
    }
}

/// A failed send: certificate problems get their own error, found in the source chain since
/// reqwest wraps rustls' error in hyper's.
fn transport(e: reqwest::Error) -> Error {
    let mut src: Option<&dyn std::error::Error> = Some(&e);
    // Some layers box the rustls error away from `downcast_ref`; its text says the same.
    let bad_cert = |s: &(dyn std::error::Error + 'static)| {
        s.downcast_ref::<rustls::Error>()
            .is_some_and(|r| matches!(r, rustls::Error::InvalidCertificate(_)))
            || s.to_string().starts_with("invalid peer certificate")
    };
    while let Some(s) = src {
        // An io::Error's `source()` skips the error it wraps, so that one is looked at here.
        let wrapped = s
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .is_some_and(|inner| bad_cert(inner));
        if bad_cert(s) || wrapped {
            return Error::Certificate(Box::new(e));
        }
        src = s.source();
    }
    Error::Transport(e)
}

/// A non-2xx answer as the server's AppError, or one made up when the body was not one.
fn api_error(status: reqwest::StatusCode, bytes: &[u8]) -> Error {
    let body = serde_json::from_slice::<AppErrorBody>(bytes).unwrap_or_else(|_| AppErrorBody {
        id: String::new(),
        message: status
            .canonical_reason()
            .unwrap_or("request failed")
            .to_string(),
        detailed_error: String::from_utf8_lossy(bytes).chars().take(200).collect(),
        request_id: String::new(),
        status_code: status.as_u16(),
    });
    Error::Api {
        status: status.as_u16(),
        body,
    }
}

fn api_error_text(status: u16, body: &AppErrorBody) -> String {
    if body.id.is_empty() {
        format!("{} (HTTP {status})", body.message)
    } else {
        format!("{} ({}, HTTP {status})", body.message, body.id)
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// How to reach a server: the same three fields as n8n's Mattermost credential.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Base URL, e.g. `https://chat.example.com`; a trailing `/` is ignored.
    pub url: String,
    /// Personal access token (or session token) sent as `Authorization: Bearer`.
    pub token: Option<String>,
    /// "Ignore SSL Issues": accept invalid TLS certificates.
    pub insecure: bool,
}

/// An API v4 client bound to one server and token.
#[derive(Clone)]
pub struct Client {
    api: String,
    token: Option<String>,
    http: reqwest::Client,
    /// The local-mode socket, when talking over one.
    socket: Option<std::path::PathBuf>,
    /// "Ignore SSL Issues", kept for the event stream's own TLS connection.
    insecure: bool,
}

impl std::fmt::Debug for Client {
    // Hand-written so the token never reaches a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("api", &self.api)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("socket", &self.socket)
            .finish()
    }
}

/// Filters of `GET /api/v4/users` (n8n's user.getAll).
#[derive(Debug, Clone, Default)]
pub struct UserListQuery {
    pub in_team: Option<String>,
    pub not_in_team: Option<String>,
    pub in_channel: Option<String>,
    pub not_in_channel: Option<String>,
    pub sort: Option<String>,
    pub inactive: bool,
    pub active: bool,
}

impl Client {
    pub fn new(opts: ClientOptions) -> Result<Self> {
        let base = opts.url.trim().trim_end_matches('/');
        if !(base.starts_with("http://") || base.starts_with("https://"))
            || reqwest::Url::parse(base).is_err()
        {
            return Err(Error::BadUrl(opts.url.clone()));
        }
        let http = reqwest::Client::builder()
            .danger_accept_invalid_certs(opts.insecure)
            .user_agent(concat!("rustmost-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(Error::Transport)?;
        Ok(Client {
            api: format!("{base}/api/v4"),
            token: opts.token.filter(|t| !t.is_empty()),
            http,
            socket: None,
            insecure: opts.insecure,
        })
    }

    /// mmctl's `--local`: the API over the server's local-mode unix socket, with no token (the
    /// server trusts whoever can open the socket).
    #[cfg(unix)]
    pub fn local(socket: &std::path::Path) -> Result<Self> {
        use std::os::unix::fs::FileTypeExt;
        let shown = socket.display().to_string();
        if !std::fs::metadata(socket).is_ok_and(|m| m.file_type().is_socket()) {
            return Err(Error::LocalModeOff(shown));
        }
        let http = reqwest::Client::builder()
            .unix_socket(socket)
            .user_agent(concat!("rustmost-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(Error::Transport)?;
        Ok(Client {
            api: "http://localhost/api/v4".into(),
            token: None,
            http,
            socket: Some(socket.to_path_buf()),
            insecure: false,
        })
    }

    fn transport(&self, e: reqwest::Error) -> Error {
        match &self.socket {
            Some(p) if e.is_connect() => Error::LocalModeOff(p.display().to_string()),
            _ => transport(e),
        }
    }

    /// Any API v4 request; `path` is relative to `/api/v4` and starts with `/`. Returns the
    /// JSON body (`Value::Null` for an empty one).
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Value> {
        let mut rb = self.http.request(method, format!("{}{}", self.api, path));
        if !query.is_empty() {
            rb = rb.query(query);
        }
        if let Some(t) = &self.token {
            rb = rb.bearer_auth(t);
        }
        if let Some(b) = body {
            rb = rb.json(b);
        }
        let resp = rb.send().await.map_err(|e| self.transport(e))?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(Error::Transport)?;
        if !status.is_success() {
            return Err(api_error(status, &bytes));
        }
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&bytes).map_err(|e| Error::Decode(e.to_string()))
    }

    /// `POST /users/login`: the session token from the `Token` header.
    pub async fn login(&self, login_id: &str, password: &str) -> Result<String> {
        let resp = self
            .http
            .post(format!("{}/users/login", self.api))
            .json(&json!({"login_id": login_id, "password": password}))
            .send()
            .await
            .map_err(|e| self.transport(e))?;
        let status = resp.status();
        let token = resp
            .headers()
            .get("Token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let bytes = resp.bytes().await.map_err(Error::Transport)?;
        if !status.is_success() {
            return Err(api_error(status, &bytes));
        }
        token.ok_or_else(|| Error::Decode("the login answer has no Token header".into()))
    }

    async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Value> {
        self.request(Method::GET, path, query, None).await
    }
    async fn post(&self, path: &str, body: &Value) -> Result<Value> {
        self.request(Method::POST, path, &[], Some(body)).await
    }
    async fn put(&self, path: &str, body: &Value) -> Result<Value> {
        self.request(Method::PUT, path, &[], Some(body)).await
    }
    async fn delete(&self, path: &str) -> Result<Value> {
        self.request(Method::DELETE, path, &[], None).await
    }

    /// Decodes a JSON value into a model type.
    pub fn decode<T: DeserializeOwned>(v: Value) -> Result<T> {
        serde_json::from_value(v).map_err(|e| Error::Decode(e.to_string()))
    }

    // ---- credential test, system ----

    /// n8n's credential test: `GET /api/v4/users` with no query; any 2xx is success.
    pub async fn credential_test(&self) -> Result<()> {
        self.get("/users", &[]).await.map(|_| ())
    }

    /// `GET /api/v4/system/ping`.
    pub async fn ping(&self) -> Result<Value> {
        self.get("/system/ping", &[]).await
    }

    // ---- users ----

    /// `GET /api/v4/users/me`-style lookups: `GET /api/v4/users/{id}` (`me` allowed).
    pub async fn get_user(&self, user_id: &str) -> Result<rustmost_model::user::User> {
        Self::decode(self.get(&format!("/users/{user_id}"), &[]).await?)
    }
    /// `GET /api/v4/users/username/{username}`.
    pub async fn get_user_by_username(&self, username: &str) -> Result<rustmost_model::user::User> {
        Self::decode(
            self.get(&format!("/users/username/{username}"), &[])
                .await?,
        )
    }
    /// `GET /api/v4/users/email/{email}` (the email goes raw in the path, as n8n sends it).
    pub async fn get_user_by_email(&self, email: &str) -> Result<rustmost_model::user::User> {
        Self::decode(self.get(&format!("/users/email/{email}"), &[]).await?)
    }
    /// `POST /api/v4/users/ids[?since=ms]` with a bare array of ids.
    pub async fn get_users_by_ids(&self, ids: &[String], since: Option<i64>) -> Result<Value> {
        let q: Vec<(&str, String)> = since
            .map(|s| ("since", s.to_string()))
            .into_iter()
            .collect();
        self.request(Method::POST, "/users/ids", &q, Some(&json!(ids)))
            .await
    }
    /// `POST /api/v4/users` with any user body (n8n's user.create).
    pub async fn create_user(&self, body: &Value) -> Result<Value> {
        self.post("/users", body).await
    }
    /// `DELETE /api/v4/users/{id}`: deactivates the account.
    pub async fn deactivate_user(&self, user_id: &str) -> Result<Value> {
        self.delete(&format!("/users/{user_id}")).await
    }
    /// `PUT /api/v4/users/{id}/active` `{"active"}`.
    pub async fn update_user_active(&self, user_id: &str, active: bool) -> Result<Value> {
        self.put(
            &format!("/users/{user_id}/active"),
            &json!({"active": active}),
        )
        .await
    }
    /// `PUT /api/v4/users/{id}/roles` `{"roles"}` (space-separated role names).
    pub async fn update_user_roles(&self, user_id: &str, roles: &str) -> Result<Value> {
        self.put(&format!("/users/{user_id}/roles"), &json!({"roles": roles}))
            .await
    }
    /// `GET /api/v4/users/stats`: `{"total_users_count": N}` (active users and bots).
    pub async fn get_total_users_stats(&self) -> Result<Value> {
        self.get("/users/stats", &[]).await
    }
    /// One page of `GET /api/v4/users` with filters.
    pub async fn list_users(&self, q: &UserListQuery, page: u32, per_page: u32) -> Result<Value> {
        let mut query: Vec<(&str, String)> = Vec::new();
        for (k, v) in [
            ("in_team", &q.in_team),
            ("not_in_team", &q.not_in_team),
            ("in_channel", &q.in_channel),
            ("not_in_channel", &q.not_in_channel),
            ("sort", &q.sort),
        ] {
            if let Some(v) = v {
                query.push((k, v.clone()));
            }
        }
        if q.inactive {
            query.push(("inactive", "true".into()));
        }
        if q.active {
            query.push(("active", "true".into()));
        }
        query.push(("page", page.to_string()));
        query.push(("per_page", per_page.to_string()));
        self.get("/users", &query).await
    }
    /// `POST /api/v4/teams/{id}/invite/email` with a bare array of emails.
    pub async fn invite_users_to_team(&self, team_id: &str, emails: &[String]) -> Result<Value> {
        self.post(&format!("/teams/{team_id}/invite/email"), &json!(emails))
            .await
    }

    // ---- config ----

    /// `GET /api/v4/config`.
    pub async fn get_config(&self) -> Result<Value> {
        self.get("/config", &[]).await
    }
    /// `PUT /api/v4/config/patch`: merges `patch` into the config, returns the new config.
    pub async fn patch_config(&self, patch: &Value) -> Result<Value> {
        self.put("/config/patch", patch).await
    }

    // ---- personal access tokens ----

    /// `POST /api/v4/users/{id}/tokens` `{"description","expires_at"?}`; the answer holds the
    /// secret (the only time it is shown).
    pub async fn create_user_access_token(
        &self,
        user_id: &str,
        description: &str,
        expires_at: Option<i64>,
    ) -> Result<Value> {
        let mut body = json!({"description": description});
        if let Some(e) = expires_at {
            body["expires_at"] = json!(e);
        }
        self.post(&format!("/users/{user_id}/tokens"), &body).await
    }
    /// `GET /api/v4/users/{id}/tokens` (one page).
    pub async fn get_user_access_tokens_for_user(
        &self,
        user_id: &str,
        page: u32,
        per_page: u32,
    ) -> Result<Value> {
        self.get(
            &format!("/users/{user_id}/tokens"),
            &[
                ("page", page.to_string()),
                ("per_page", per_page.to_string()),
            ],
        )
        .await
    }
    /// `GET /api/v4/users/tokens` (every token; `manage_system`; one page).
    pub async fn get_user_access_tokens(&self, page: u32, per_page: u32) -> Result<Value> {
        self.get(
            "/users/tokens",
            &[
                ("page", page.to_string()),
                ("per_page", per_page.to_string()),
            ],
        )
        .await
    }
    /// `POST /api/v4/users/tokens/{revoke|disable|enable}` `{"token_id"}`.
    pub async fn token_action(&self, action: TokenAction, token_id: &str) -> Result<Value> {
        let a = match action {
            TokenAction::Revoke => "revoke",
            TokenAction::Disable => "disable",
            TokenAction::Enable => "enable",
        };
        self.post(
            &format!("/users/tokens/{a}"),
            &json!({"token_id": token_id}),
        )
        .await
    }
    /// `POST /api/v4/users/tokens/rotate` `{"token_id","expires_at"?}`: a new secret.
    pub async fn rotate_user_access_token(
        &self,
        token_id: &str,
        expires_at: Option<i64>,
    ) -> Result<Value> {
        let mut body = json!({"token_id": token_id});
        if let Some(e) = expires_at {
            body["expires_at"] = json!(e);
        }
        self.post("/users/tokens/rotate", &body).await
    }

    // ---- bots ----

    /// `POST /api/v4/bots` `{"username","display_name","description"}`.
    pub async fn create_bot(&self, body: &Value) -> Result<Value> {
        self.post("/bots", body).await
    }
    /// `GET /api/v4/bots` (one page).
    pub async fn get_bots(
        &self,
        page: u32,
        per_page: u32,
        include_deleted: bool,
        only_orphaned: bool,
    ) -> Result<Value> {
        let mut q = vec![
            ("page", page.to_string()),
            ("per_page", per_page.to_string()),
        ];
        if include_deleted {
            q.push(("include_deleted", "true".into()));
        }
        if only_orphaned {
            q.push(("only_orphaned", "true".into()));
        }
        self.get("/bots", &q).await
    }
    /// `POST /api/v4/bots/{id}/disable` or `/enable`.
    pub async fn set_bot_active(&self, bot_user_id: &str, active: bool) -> Result<Value> {
        let a = if active { "enable" } else { "disable" };
        self.post(&format!("/bots/{bot_user_id}/{a}"), &json!({}))
            .await
    }
    /// `POST /api/v4/bots/{id}/assign/{user_id}`: a new owner.
    pub async fn assign_bot(&self, bot_user_id: &str, user_id: &str) -> Result<Value> {
        self.post(&format!("/bots/{bot_user_id}/assign/{user_id}"), &json!({}))
            .await
    }

    // ---- teams ----

    /// `POST /api/v4/teams` `{"name","display_name","type"}`.
    pub async fn create_team(&self, name: &str, display_name: &str, open: bool) -> Result<Value> {
        self.post(
            "/teams",
            &json!({"name": name, "display_name": display_name, "type": if open {"O"} else {"I"}}),
        )
        .await
    }
    /// `GET /api/v4/teams` (one page).
    pub async fn get_all_teams(&self, page: u32, per_page: u32) -> Result<Value> {
        self.get(
            "/teams",
            &[
                ("page", page.to_string()),
                ("per_page", per_page.to_string()),
            ],
        )
        .await
    }
    /// How many teams `GET /api/v4/teams` lists for this session over all pages
    /// (`include_total_count`; one team fetched beside it).
    pub async fn count_all_teams(&self) -> Result<Value> {
        let v = self
            .get(
                "/teams",
                &[
                    ("include_total_count", "true".to_string()),
                    ("page", "0".to_string()),
                    ("per_page", "1".to_string()),
                ],
            )
            .await?;
        Ok(v["total_count"].clone())
    }
    /// `GET /api/v4/teams/name/{name}`.
    pub async fn get_team_by_name(&self, name: &str) -> Result<Value> {
        self.get(&format!("/teams/name/{name}"), &[]).await
    }
    /// `POST /api/v4/teams/{id}/members` `{"team_id","user_id"}`.
    pub async fn add_team_member(&self, team_id: &str, user_id: &str) -> Result<Value> {
        self.post(
            &format!("/teams/{team_id}/members"),
            &json!({"team_id": team_id, "user_id": user_id}),
        )
        .await
    }

    // ---- channels (n8n channel.*) ----

    /// `POST /api/v4/channels` `{"team_id","display_name","name","type"}`.
    pub async fn create_channel(
        &self,
        team_id: &str,
        name: &str,
        display_name: &str,
        private: bool,
    ) -> Result<Value> {
        self.post(
            "/channels",
            &json!({"team_id": team_id, "display_name": display_name, "name": name,
                    "type": if private {"P"} else {"O"}}),
        )
        .await
    }
    /// `GET /api/v4/teams/{team_id}/channels/name/{name}?include_deleted=true`.
    pub async fn get_channel_by_name(&self, team_id: &str, name: &str) -> Result<Value> {
        self.get(
            &format!("/teams/{team_id}/channels/name/{name}"),
            &[("include_deleted", "true".into())],
        )
        .await
    }
    /// `POST /api/v4/channels/{id}/members` `{"user_id"}`.
    pub async fn add_channel_member(&self, channel_id: &str, user_id: &str) -> Result<Value> {
        self.post(
            &format!("/channels/{channel_id}/members"),
            &json!({"user_id": user_id}),
        )
        .await
    }
    /// `DELETE /api/v4/channels/{id}` (archives).
    pub async fn delete_channel(&self, channel_id: &str) -> Result<Value> {
        self.delete(&format!("/channels/{channel_id}")).await
    }
    /// One page of `GET /api/v4/channels/{id}/members`.
    pub async fn get_channel_members(
        &self,
        channel_id: &str,
        page: u32,
        per_page: u32,
    ) -> Result<Value> {
        self.get(
            &format!("/channels/{channel_id}/members"),
            &[
                ("page", page.to_string()),
                ("per_page", per_page.to_string()),
            ],
        )
        .await
    }
    /// `POST /api/v4/channels/{id}/restore` (empty body, as n8n sends it).
    pub async fn restore_channel(&self, channel_id: &str) -> Result<Value> {
        self.request(
            Method::POST,
            &format!("/channels/{channel_id}/restore"),
            &[],
            None,
        )
        .await
    }
    /// `POST /api/v4/teams/{id}/channels/search` `{"term"}`.
    pub async fn search_channels(&self, team_id: &str, term: &str) -> Result<Value> {
        self.post(
            &format!("/teams/{team_id}/channels/search"),
            &json!({"term": term}),
        )
        .await
    }
    /// `GET /api/v4/channels/{id}/stats`.
    pub async fn get_channel_stats(&self, channel_id: &str) -> Result<Value> {
        self.get(&format!("/channels/{channel_id}/stats"), &[])
            .await
    }
    /// One page of `GET /api/v4/teams/{id}/channels` (public channels).
    pub async fn get_public_channels(
        &self,
        team_id: &str,
        page: u32,
        per_page: u32,
    ) -> Result<Value> {
        self.get(
            &format!("/teams/{team_id}/channels"),
            &[
                ("page", page.to_string()),
                ("per_page", per_page.to_string()),
            ],
        )
        .await
    }

    // ---- posts and reactions (n8n message.* and reaction.*) ----

    /// `POST /api/v4/posts` `{"channel_id","message","props":{"attachments"},"root_id"?}`.
    pub async fn create_post(
        &self,
        channel_id: &str,
        message: &str,
        attachments: Vec<Value>,
        root_id: Option<&str>,
    ) -> Result<Value> {
        let mut body = json!({"channel_id": channel_id, "message": message,
                              "props": {"attachments": attachments}});
        if let Some(r) = root_id {
            body["root_id"] = json!(r);
        }
        self.post("/posts", &body).await
    }
    /// `POST /api/v4/posts/ephemeral` `{"user_id","post":{"channel_id","message"}}`.
    pub async fn create_ephemeral_post(
        &self,
        user_id: &str,
        channel_id: &str,
        message: &str,
    ) -> Result<Value> {
        self.post(
            "/posts/ephemeral",
            &json!({"user_id": user_id, "post": {"channel_id": channel_id, "message": message}}),
        )
        .await
    }
    /// `GET /api/v4/posts/{id}`.
    pub async fn get_post(&self, post_id: &str) -> Result<Value> {
        self.get(&format!("/posts/{post_id}"), &[]).await
    }
    /// `DELETE /api/v4/posts/{id}`.
    pub async fn delete_post(&self, post_id: &str) -> Result<Value> {
        self.delete(&format!("/posts/{post_id}")).await
    }
    /// `POST /api/v4/reactions` `{"user_id","post_id","emoji_name","create_at"}`; colons are
    /// stripped from the emoji name as n8n does (":thumbsup:" → "thumbsup").
    pub async fn save_reaction(&self, user_id: &str, post_id: &str, emoji: &str) -> Result<Value> {
        self.post(
            "/reactions",
            &json!({"user_id": user_id, "post_id": post_id, "emoji_name": emoji.replace(':', ""),
                    "create_at": rustmost_model::now_ms()}),
        )
        .await
    }
    /// `DELETE /api/v4/users/{uid}/posts/{pid}/reactions/{name}`.
    pub async fn delete_reaction(
        &self,
        user_id: &str,
        post_id: &str,
        emoji: &str,
    ) -> Result<Value> {
        self.delete(&format!(
            "/users/{user_id}/posts/{post_id}/reactions/{}",
            emoji.replace(':', "")
        ))
        .await
    }
    /// `GET /api/v4/posts/{id}/reactions` (`null` becomes `[]`).
    pub async fn get_reactions(&self, post_id: &str) -> Result<Value> {
        let v = self
            .get(&format!("/posts/{post_id}/reactions"), &[])
            .await?;
        Ok(if v.is_null() { json!([]) } else { v })
    }

    // ---- incoming and outgoing webhooks ----

    /// `POST /api/v4/hooks/{kind}` with a webhook body of that kind.
    pub async fn create_webhook(&self, kind: HookKind, body: &Value) -> Result<Value> {
        self.post(kind.path(), body).await
    }
    /// One page of `GET /api/v4/hooks/{kind}?team_id=`.
    pub async fn get_webhooks_for_team(
        &self,
        kind: HookKind,
        team_id: &str,
        page: u32,
        per_page: u32,
    ) -> Result<Value> {
        self.get(
            kind.path(),
            &paged(Some(("team_id", team_id)), page, per_page),
        )
        .await
    }
    /// `total_count` of `GET /api/v4/hooks/incoming?team_id=&include_total_count=true` (the
    /// outgoing list has no count).
    pub async fn count_incoming_webhooks_for_team(&self, team_id: &str) -> Result<u64> {
        let mut q = paged(Some(("team_id", team_id)), 0, 1);
        q.push(("include_total_count", "true".into()));
        let v = self.get(HookKind::Incoming.path(), &q).await?;
        v["total_count"]
            .as_u64()
            .ok_or_else(|| Error::Decode("no total_count in the answer".into()))
    }
    /// `GET /api/v4/hooks/{kind}/{id}`.
    pub async fn get_webhook(&self, kind: HookKind, hook_id: &str) -> Result<Value> {
        self.get(&format!("{}/{hook_id}", kind.path()), &[]).await
    }
    /// `PUT /api/v4/hooks/{kind}/{id}` with the whole hook (its `id` included).
    pub async fn update_webhook(
        &self,
        kind: HookKind,
        hook_id: &str,
        hook: &Value,
    ) -> Result<Value> {
        self.put(&format!("{}/{hook_id}", kind.path()), hook).await
    }
    /// `DELETE /api/v4/hooks/{kind}/{id}`.
    pub async fn delete_webhook(&self, kind: HookKind, hook_id: &str) -> Result<Value> {
        self.delete(&format!("{}/{hook_id}", kind.path())).await
    }

    // ---- slash commands ----

    /// `POST /api/v4/commands` with a command body.
    pub async fn create_command(&self, body: &Value) -> Result<Value> {
        self.post("/commands", body).await
    }
    /// `GET /api/v4/commands?team_id=&custom_only=`.
    pub async fn list_commands(&self, team_id: &str, custom_only: bool) -> Result<Value> {
        self.get(
            "/commands",
            &[
                ("team_id", team_id.to_string()),
                ("custom_only", custom_only.to_string()),
            ],
        )
        .await
    }
    /// `GET /api/v4/commands/{id}`.
    pub async fn get_command(&self, command_id: &str) -> Result<Value> {
        self.get(&format!("/commands/{command_id}"), &[]).await
    }
    /// `PUT /api/v4/commands/{id}` with the whole command (its `id` and `team_id` included).
    pub async fn update_command(&self, command_id: &str, command: &Value) -> Result<Value> {
        self.put(&format!("/commands/{command_id}"), command).await
    }
    /// `PUT /api/v4/commands/{id}/move` `{"team_id"}`.
    pub async fn move_command(&self, command_id: &str, team_id: &str) -> Result<Value> {
        self.put(
            &format!("/commands/{command_id}/move"),
            &json!({"team_id": team_id}),
        )
        .await
    }
    /// `DELETE /api/v4/commands/{id}`.
    pub async fn delete_command(&self, command_id: &str) -> Result<Value> {
        self.delete(&format!("/commands/{command_id}")).await
    }
    /// `POST /api/v4/commands/execute` `{"channel_id","command"}`: the CommandResponse.
    pub async fn execute_command(&self, channel_id: &str, command: &str) -> Result<Value> {
        self.post(
            "/commands/execute",
            &json!({"channel_id": channel_id, "command": command}),
        )
        .await
    }
}

/// `page`/`per_page` and one optional filter, as the paged list endpoints take them.
fn paged(
    filter: Option<(&'static str, &str)>,
    page: u32,
    per_page: u32,
) -> Vec<(&'static str, String)> {
    let mut q: Vec<(&'static str, String)> = filter
        .map(|(k, v)| (k, v.to_string()))
        .into_iter()
        .collect();
    q.push(("page", page.to_string()));
    q.push(("per_page", per_page.to_string()));
    q
}

/// The two webhook kinds, which share their REST routes but for the segment under `/hooks`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookKind {
    Incoming,
    Outgoing,
}

impl HookKind {
    /// `incoming` or `outgoing`.
    pub fn as_str(self) -> &'static str {
        match self {
            HookKind::Incoming => "incoming",
            HookKind::Outgoing => "outgoing",
        }
    }

    fn path(self) -> &'static str {
        match self {
            HookKind::Incoming => "/hooks/incoming",
            HookKind::Outgoing => "/hooks/outgoing",
        }
    }
}

/// The token state changes that share one body shape.
#[derive(Debug, Clone, Copy)]
pub enum TokenAction {
    Revoke,
    Disable,
    Enable,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_urls_without_http_scheme() {
        for bad in ["localhost:8065", "ftp://x", "", "http://"] {
            let r = Client::new(ClientOptions {
                url: bad.into(),
                token: None,
                insecure: false,
            });
            assert!(matches!(r, Err(Error::BadUrl(_))), "{bad}");
        }
        let c = Client::new(ClientOptions {
            url: "https://chat.example.com/".into(),
            token: Some("secret-value".into()),
            insecure: true,
        })
        .unwrap();
        assert_eq!(c.api, "https://chat.example.com/api/v4");
        assert!(!format!("{c:?}").contains("secret-value"));
    }

    #[test]
    fn api_errors_show_message_id_and_status() {
        let mut body = AppErrorBody {
            id: "api.context.session_expired.app_error".into(),
            message: "Invalid or expired session, please login again.".into(),
            detailed_error: String::new(),
            request_id: String::new(),
            status_code: 401,
        };
        let e = Error::Api {
            status: 401,
            body: body.clone(),
        };
        assert_eq!(
            e.to_string(),
            "Invalid or expired session, please login again. \
             (api.context.session_expired.app_error, HTTP 401)"
        );
        assert_eq!(e.status(), Some(401));
        body.id.clear();
        let e = Error::Api { status: 502, body };
        assert!(e.to_string().ends_with("(HTTP 502)"));
        assert_eq!(e.id(), Some(""));
    }
}
