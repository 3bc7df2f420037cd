//! Users: validation, password hashing, creation (first user becomes admin), sanitizing for a
//! viewer and role changes (activation is `app::activation`).

use crate::app::{authz, scoped_authz, sessions};
use crate::cluster::Invalidation;
use crate::error::{ApiError, ApiResult, StoreResultExt};
use crate::state::{AppState, Session};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::http::StatusCode;
use rustmost_model::Permission;
use rustmost_model::new_id;
use rustmost_model::user::{self, User, UserPatch};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::{Semaphore, SemaphorePermit};

pub const MISSING_ACCOUNT: &str = "app.user.missing_account.const";

/// Mattermost's maximum password length (bcrypt's limit, kept for compatibility).
pub const PASSWORD_MAX_LENGTH: usize = 72;

/// How long a password check waits for a free hashing slot before the request is refused.
const HASH_WAIT: Duration = Duration::from_secs(10);

/// Argon2 computations allowed at once, process-wide: one per core. Each costs Argon2's memory
/// parameter (19 MiB by default) and a core for tens of milliseconds; unbounded, a burst of
/// logins multiplies both by the number of requests in flight.
fn hash_slots() -> &'static Semaphore {
    static SLOTS: OnceLock<Semaphore> = OnceLock::new();
    SLOTS.get_or_init(|| Semaphore::new(hash_slot_count()))
}

/// How many Argon2 computations may run at once: the number of cores.
pub fn hash_slot_count() -> usize {
    std::thread::available_parallelism().map_or(2, std::num::NonZero::get)
}

type HashJob = Box<dyn FnOnce() + Send>;

/// The threads Argon2 runs on: one per slot, for the life of the process. Always the same few
/// threads, so the allocator keeps Argon2's freed memory in that many arenas at most; on
/// tokio's blocking pool a burst spreads it over dozens of threads, each keeping its own.
fn hash_threads() -> &'static std::sync::mpsc::Sender<HashJob> {
    static POOL: OnceLock<std::sync::mpsc::Sender<HashJob>> = OnceLock::new();
    POOL.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<HashJob>();
        let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
        for i in 0..hash_slot_count() {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || {
                    loop {
                        let job = match rx.lock() {
                            Ok(r) => r.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                })
                .expect("spawn a password hashing thread");
        }
        tx
    })
}

/// Runs `f` on a hashing thread (the caller holds a slot, so one is free or about to be).
async fn on_hash_thread<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, &'static str> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    hash_threads()
        .send(Box::new(move || {
            // A panic drops `tx`, which the caller sees as an error; the thread lives on.
            if let Ok(v) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
                let _ = tx.send(v);
            }
        }))
        .map_err(|_| "password hashing threads are gone")?;
    rx.await.map_err(|_| "password hashing failed")
}

/// A hashing slot: while it is held, one Argon2 computation may run.
pub struct HashPermit(
    #[expect(dead_code, reason = "held only so that dropping it frees the slot")]
    SemaphorePermit<'static>,
);

/// Waits (at most [`HASH_WAIT`]) for a hashing slot; refuses with 503 when none frees up.
pub async fn hash_permit() -> ApiResult<HashPermit> {
    hash_permit_within(HASH_WAIT).await
}

/// How many requests are waiting for a hashing slot right now (tests use it to know a request
/// has read what it reads before its password check).
pub fn hash_slot_waiters() -> usize {
    HASH_WAITERS.load(std::sync::atomic::Ordering::SeqCst)
}

static HASH_WAITERS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

async fn hash_permit_within(wait: Duration) -> ApiResult<HashPermit> {
    struct Waiting;
    impl Drop for Waiting {
        fn drop(&mut self) {
            HASH_WAITERS.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        }
    }
    HASH_WAITERS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let waiting = Waiting;
    let acquired = tokio::time::timeout(wait, hash_slots().acquire()).await;
    drop(waiting);
    match acquired {
        Ok(Ok(p)) => Ok(HashPermit(p)),
        _ => Err(ApiError::new(
            "app.user.password_hash.busy.app_error",
            StatusCode::SERVICE_UNAVAILABLE,
        )
        .message("The server is busy checking passwords. Please try again in a moment.")),
    }
}

/// Hashes a password with Argon2id on a hashing thread, within a hashing slot.
pub async fn hash_password(pw: &str) -> ApiResult<String> {
    let slot = hash_permit().await?;
    hash_password_held(&slot, pw).await
}

async fn hash_password_held(_slot: &HashPermit, pw: &str) -> ApiResult<String> {
    let pw = pw.to_string();
    on_hash_thread(move || {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        Argon2::default()
            .hash_password(pw.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .map_err(|e| ApiError::internal("api.user.update_password.password_hash.app_error", e))?
    .map_err(|e| ApiError::internal("api.user.update_password.password_hash.app_error", e))
}

/// Checks a password against its stored hash, within a hashing slot; an empty or unparsable
/// hash never matches. Errs only when no slot frees up in time.
pub async fn verify_password(hash: &str, pw: &str) -> ApiResult<bool> {
    let permit = hash_permit().await?;
    Ok(verify_password_held(&permit, hash, pw).await)
}

/// [`verify_password`] for a caller that already holds a hashing slot.
pub async fn verify_password_held(_slot: &HashPermit, hash: &str, pw: &str) -> bool {
    if hash.is_empty() {
        return false;
    }
    let (hash, pw) = (hash.to_string(), pw.to_string());
    on_hash_thread(move || {
        PasswordHash::new(&hash)
            .map(|h| Argon2::default().verify_password(pw.as_bytes(), &h).is_ok())
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A real hash made with the same parameters as every stored one, computed once (under the
/// caller's slot): checking a password against it costs what checking a real account's does.
async fn dummy_hash(slot: &HashPermit) -> ApiResult<&'static str> {
    static DUMMY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    DUMMY
        .get_or_try_init(|| async { hash_password_held(slot, &rustmost_model::new_id()).await })
        .await
        .map(String::as_str)
}

/// Spends as long as a real password check, so a login for a missing account takes as long as
/// one with a wrong password.
pub async fn verify_dummy(slot: &HashPermit, pw: &str) -> ApiResult<()> {
    let hash = dummy_hash(slot).await?;
    let _ = verify_password_held(slot, hash, pw).await;
    Ok(())
}

/// Counts a wrong password in the database and returns the new count.
pub async fn add_failed_attempt(state: &AppState, user_id: &str) -> ApiResult<i64> {
    let n = state
        .store
        .add_failed_attempt(user_id)
        .await
        .or_internal("app.user.update_failed_pwd_attempts.app_error")?;
    changed(state, user_id).await;
    Ok(n)
}

fn too_many_attempts() -> ApiError {
    ApiError::unauthorized("api.user.check_user_login_attempts.too_many.app_error")
}

/// Checks `pw` for `u` under `MaximumLoginAttempts`, safe under parallel guesses: the attempt
/// is counted in the database before the hash is checked, and the count that comes back
/// decides, so N simultaneous guesses count N and at most `max` of them are ever checked.
/// A right password clears the count. `Ok(false)` is a wrong password (already counted).
pub async fn check_password_counted(state: &AppState, u: &User, pw: &str) -> ApiResult<bool> {
    let max = state
        .config
        .get()
        .i64("/ServiceSettings/MaximumLoginAttempts");
    if max > 0 && u.failed_attempts >= max {
        return Err(too_many_attempts());
    }
    // The slot first: a request refused for want of one has not used an attempt.
    let slot = hash_permit().await?;
    let n = add_failed_attempt(state, &u.id).await?;
    if max > 0 && n > max {
        return Err(too_many_attempts());
    }
    if !verify_password_held(&slot, &u.password, pw).await {
        return Ok(false);
    }
    drop(slot);
    state
        .store
        .set_failed_attempts(&u.id, 0)
        .await
        .or_internal("app.user.update_failed_pwd_attempts.app_error")?;
    changed(state, &u.id).await;
    Ok(true)
}

/// Upstream's `DoubleCheckPassword`: refuses locked accounts and counts a wrong password as a
/// failed attempt. Returns `api.user.check_user_password.invalid.app_error` (401) when wrong.
pub async fn double_check_password(state: &AppState, u: &User, pw: &str) -> ApiResult<()> {
    if !check_password_counted(state, u, pw).await? {
        return Err(ApiError::unauthorized(
            "api.user.check_user_password.invalid.app_error",
        ));
    }
    Ok(())
}

/// `PasswordSettings` rules as upstream's `IsPasswordValidWithSettings`: length first (in
/// bytes, as Go counts), then an id naming every required character class if one is missing.
pub fn validate_password(state: &AppState, pw: &str) -> ApiResult<()> {
    let cfg = state.config.get();
    let min = cfg.i64("/PasswordSettings/MinimumLength").max(0) as usize;
    if pw.len() < min {
        return Err(
            ApiError::bad_request("model.user.is_valid.pwd_min_length.app_error")
                .param("Min", min.to_string()),
        );
    }
    if pw.len() > PASSWORD_MAX_LENGTH {
        return Err(
            ApiError::bad_request("model.user.is_valid.pwd_max_length.app_error")
                .param("Max", PASSWORD_MAX_LENGTH.to_string()),
        );
    }
    let mut id = String::from("model.user.is_valid.pwd");
    let mut bad = false;
    for (key, suffix, ok) in [
        (
            "/PasswordSettings/Lowercase",
            "_lowercase",
            pw.chars().any(|c| c.is_ascii_lowercase()),
        ),
        (
            "/PasswordSettings/Uppercase",
            "_uppercase",
            pw.chars().any(|c| c.is_ascii_uppercase()),
        ),
        (
            "/PasswordSettings/Number",
            "_number",
            pw.chars().any(|c| c.is_ascii_digit()),
        ),
        (
            "/PasswordSettings/Symbol",
            "_symbol",
            pw.chars()
                .any(|c| " !\"\\#$%&'()*+,-./:;<=>?@[]^_`|~".contains(c)),
        ),
    ] {
        if cfg.bool(key) && !ok {
            id.push_str(suffix);
            bad = true;
        }
    }
    if bad {
        id.push_str(".app_error");
        return Err(ApiError::bad_request(id).param("Min", min.to_string()));
    }
    Ok(())
}

/// Mattermost's `User.IsValid` for the fields clients can set.
pub fn validate_user(u: &User) -> ApiResult<()> {
    let bad = |f: &str| {
        Err(
            ApiError::bad_request(format!("model.user.is_valid.{f}.app_error"))
                .detail(format!("user_id={}", u.id)),
        )
    };
    if !user::is_valid_username(&u.username) {
        return bad("username");
    }
    if !user::is_valid_email(&u.email) {
        return bad("email");
    }
    if u.nickname.chars().count() > 64 {
        return bad("nickname");
    }
    if u.position.chars().count() > 128 {
        return bad("position");
    }
    if u.first_name.chars().count() > 64 {
        return bad("first_name");
    }
    if u.last_name.chars().count() > 64 {
        return bad("last_name");
    }
    let auth_data = u.auth_data.as_deref().unwrap_or("");
    if !auth_data.is_empty() && !u.password.is_empty() {
        return bad("auth_data_pwd");
    }
    if !auth_data.is_empty() && u.auth_service.is_empty() {
        return bad("auth_data_type");
    }
    if auth_data.len() > 128 {
        return bad("auth_data");
    }
    Ok(())
}

/// Whether the account logs in with a password (`""` and `"email"` both mean e-mail auth).
pub fn is_password_user(u: &User) -> bool {
    u.auth_service.is_empty() || u.auth_service == "email"
}

pub async fn get_user(state: &AppState, id: &str) -> ApiResult<User> {
    state.store.get_user(id).await.or_not_found(MISSING_ACCOUNT)
}

/// The user from the cache beside the sessions (`GET /users/me` and every post's author read
/// it), else from the database. For what is shown; decisions that must see a change made a
/// moment ago on the row itself read [`get_user`].
pub async fn get_user_cached(state: &AppState, id: &str) -> ApiResult<Arc<User>> {
    if let Some(u) = state.sessions.user(id) {
        return Ok(u);
    }
    // Noted before the read: a change that lands while the row is in flight must win.
    let epoch = state.sessions.epoch();
    let u = Arc::new(get_user(state, id).await?);
    state.sessions.put_user_if_unchanged(u.clone(), epoch);
    Ok(u)
}

/// The JSON of user `id` as they see themselves ([`sanitize_self`]), made once per cached copy
/// of the user: `GET /users/me`, the most frequent authenticated request, copies bytes.
pub async fn own_view_json(state: &AppState, id: &str) -> ApiResult<axum::body::Bytes> {
    fn render(u: &User) -> axum::body::Bytes {
        serde_json::to_vec(&sanitize_self(u.clone()))
            .unwrap_or_default()
            .into()
    }
    if let Some(b) = state.sessions.own_view(id, render) {
        return Ok(b);
    }
    let u = get_user_cached(state, id).await?;
    // Not cached when the cache is suspended or an eviction raced the fill.
    Ok(state
        .sessions
        .own_view(id, render)
        .unwrap_or_else(|| render(&u)))
}

/// Drops the cached copy of a user whose row was just written, on every node. Every write to a
/// user's row calls it once committed.
pub async fn changed(state: &AppState, user_id: &str) {
    state
        .invalidate(Invalidation::User {
            user_id: user_id.to_string(),
        })
        .await;
}

/// Creates an account through sign-up on behalf of `s` (`None` when anonymous). A system admin
/// may always create users and set how an account authenticates; anyone else needs
/// `EnableSignUpWithEmail`, `EnableUserCreation` and (once the first account exists)
/// `EnableOpenServer`, and gets upstream's `SanitizeInput`.
pub async fn sign_up(state: &AppState, s: Option<&Session>, mut u: User) -> ApiResult<User> {
    u.is_bot = false;
    u.bot_description = String::new();
    u.remote_id = None;
    if !s.is_some_and(|s| authz::is_system_admin(state, s)) {
        u.auth_service = String::new();
        u.auth_data = None;
        u.email_verified = false;
        let cfg = state.config.get();
        let first = no_users_yet(state).await?;
        if !cfg.bool("/EmailSettings/EnableSignUpWithEmail")
            || !cfg.bool("/TeamSettings/EnableUserCreation")
        {
            return Err(ApiError::not_implemented(
                "api.user.create_user.signup_email_disabled.app_error",
            ));
        }
        if !first && !cfg.bool("/TeamSettings/EnableOpenServer") {
            return Err(ApiError::forbidden("api.user.create_user.no_open_server"));
        }
    }
    create_user(state, u).await
}

/// The users matching `q`, sanitized for `s`. An archived `in_channel` is refused unless
/// `ExperimentalViewArchivedChannels` is on.
pub async fn list_as(
    state: &AppState,
    s: &Session,
    q: rustmost_store::UserQuery,
) -> ApiResult<Vec<User>> {
    if let Some(c) = &q.in_channel
        && !state
            .config
            .get()
            .bool("/TeamSettings/ExperimentalViewArchivedChannels")
    {
        let ch = state
            .store
            .get_channel(c)
            .await
            .or_not_found("app.channel.get.existing.app_error")?;
        if ch.delete_at != 0 {
            return Err(ApiError::forbidden(
                "api.user.view_archived_channels.get_users_in_channel.app_error",
            )
            .message("Unable to get the users for an archived channel."));
        }
    }
    // Mattermost checks only the filter that selects its query, yet our store applies every
    // filter given: each one needs its own permission, checked in upstream's order so the
    // single-filter cases fail exactly as upstream does.
    if let Some(c) = &q.not_in_channel {
        scoped_authz::require_channel(state, s, c, Permission::ReadChannel).await?;
    }
    if let Some(t) = &q.not_in_team {
        scoped_authz::require_team(state, s, t, Permission::ViewTeam).await?;
    }
    if let Some(t) = &q.in_team {
        scoped_authz::require_team(state, s, t, Permission::ViewTeam).await?;
    }
    if let Some(c) = &q.in_channel {
        scoped_authz::require_channel(state, s, c, Permission::ReadChannel).await?;
    }
    let list = state
        .store
        .list_users(&q)
        .await
        .or_internal("app.user.get_profiles.app_error")?;
    let sanitizer = Sanitizer::new(state, Some(s));
    Ok(list.into_iter().map(|u| sanitizer.apply(u)).collect())
}

/// The user with e-mail `email`, sanitized for `s`; refused (403) when
/// `PrivacySettings.ShowEmailAddress` is off and `s` is not a system admin.
pub async fn get_by_email_as(state: &AppState, s: &Session, email: &str) -> ApiResult<User> {
    if !state.config.get().bool("/PrivacySettings/ShowEmailAddress")
        && !authz::is_system_admin(state, s)
    {
        return Err(ApiError::forbidden(
            "api.user.get_user_by_email.permissions.app_error",
        ));
    }
    let u = state
        .store
        .get_user_by_email(email)
        .await
        .or_not_found(MISSING_ACCOUNT)?;
    Ok(sanitize_for(state, Some(s), u))
}

/// Saves a new user, applying Mattermost's `PreSave` (id, times, lowercase names, defaults) and
/// making the first non-bot account a system admin. `password` is the plain text, if any.
pub async fn create_user(state: &AppState, mut u: User) -> ApiResult<User> {
    let now = state.clock.now_ms();
    u.id = new_id();
    u.create_at = now;
    u.update_at = now;
    u.delete_at = 0;
    u.username = u.username.trim().to_lowercase();
    u.email = u.email.trim().to_lowercase();
    u.failed_attempts = 0;
    u.last_login = 0;
    u.mfa_active = false;
    u.mfa_secret = String::new();
    if u.locale.is_empty() {
        u.locale = state
            .config
            .get()
            .str("/LocalizationSettings/DefaultClientLocale")
            .to_string();
        if u.locale.is_empty() {
            u.locale = "en".into();
        }
    }
    let mut notify = user::default_notify_props();
    if let Some(given) = u.notify_props.take() {
        notify.extend(given);
    }
    u.notify_props = Some(notify);
    let mut tz = user::default_timezone();
    if let Some(given) = u.timezone.take() {
        tz.extend(given);
    }
    u.timezone = Some(tz);
    if u.props.is_none() {
        u.props = Some(Default::default());
    }
    if u.auth_data.as_deref() == Some("") {
        u.auth_data = None;
    }
    let password_auth = is_password_user(&u) && u.auth_data.is_none();
    if password_auth {
        validate_password(state, &u.password)?;
    }
    validate_user(&u)?;
    if password_auth {
        u.password = hash_password(&u.password).await?;
        u.last_password_update = now;
    } else {
        u.password = String::new();
    }
    if u.is_bot {
        u.roles = "system_user".into();
    } else {
        let first = no_users_yet(state).await?;
        u.roles = if first {
            "system_admin system_user".into()
        } else {
            "system_user".into()
        };
    }
    save_new(state, &u).await?;
    state
        .events
        .publish(crate::realtime::events::new_user(&u.id));
    Ok(u)
}

/// Inserts a user row, mapping unique violations to Mattermost's ids.
pub async fn save_new(state: &AppState, u: &User) -> ApiResult<()> {
    state
        .store
        .insert_user(u)
        .await
        .on_conflict("username", "app.user.save.username_exists.app_error")
        .on_conflict("email", "app.user.save.email_exists.app_error")
        .or_internal("app.user.save.app_error")
}

/// Writes the profile fields of `u` only: a role change, deactivation or password reset that
/// commits while the caller held its copy of the row is not undone.
pub async fn save_profile(state: &AppState, u: &User) -> ApiResult<()> {
    state
        .store
        .update_user_profile(u)
        .await
        .on_conflict("username", "app.user.save.username_exists.app_error")
        .on_conflict("email", "app.user.save.email_exists.app_error")
        .or_not_found(MISSING_ACCOUNT)?;
    changed(state, &u.id).await;
    Ok(())
}

/// Sets a new password (hashed here) and clears failed attempts, touching no other column.
pub async fn set_password(state: &AppState, user_id: &str, new_password: &str) -> ApiResult<()> {
    let hash = hash_password(new_password).await?;
    state
        .store
        .set_password(user_id, &hash, state.clock.now_ms())
        .await
        .or_not_found(MISSING_ACCOUNT)?;
    changed(state, user_id).await;
    Ok(())
}

/// The user as `viewer` may see it (`Sanitize` for oneself and admins, `SanitizeProfile` plus
/// privacy settings for others).
pub fn sanitize_for(state: &AppState, viewer: Option<&Session>, u: User) -> User {
    Sanitizer::new(state, viewer).apply(u)
}

/// [`sanitize_for`] with what it asks of the viewer and the config settled once, for lists:
/// the admin check reads the role table and the privacy settings read the config, which per
/// user of a 200-user page was most of the listing's time.
pub struct Sanitizer {
    viewer_id: Option<String>,
    as_admin: bool,
    show_email: bool,
    show_full_name: bool,
}

impl Sanitizer {
    pub fn new(state: &AppState, viewer: Option<&Session>) -> Self {
        let cfg = state.config.get();
        Sanitizer {
            viewer_id: viewer.map(|v| v.user_id.clone()),
            as_admin: viewer.is_some_and(|v| authz::is_system_admin(state, v)),
            show_email: cfg.bool("/PrivacySettings/ShowEmailAddress"),
            show_full_name: cfg.bool("/PrivacySettings/ShowFullName"),
        }
    }

    pub fn apply(&self, mut u: User) -> User {
        u.password = String::new();
        u.mfa_secret = String::new();
        u.last_login = 0;
        u.auth_data = Some(String::new());
        if self.viewer_id.as_deref() == Some(u.id.as_str()) {
            return u;
        }
        u.email_verified = false;
        u.allow_marketing = false;
        u.last_password_update = 0;
        u.failed_attempts = 0;
        if !self.as_admin {
            u.notify_props = None;
            if !self.show_email {
                u.email = String::new();
            }
            u.auth_service = String::new();
            if !self.show_full_name {
                u.first_name = String::new();
                u.last_name = String::new();
            }
        }
        u
    }
}

/// Whether no account exists yet: the first one becomes a system admin and may sign up when
/// sign-up is closed.
async fn no_users_yet(state: &AppState) -> ApiResult<bool> {
    let n = state
        .store
        .count_users(false)
        .await
        .or_internal("app.user.get_total_users_count.app_error")?;
    Ok(n == 0)
}

/// The user as shown to themselves (login, create).
pub fn sanitize_self(mut u: User) -> User {
    u.password = String::new();
    u.mfa_secret = String::new();
    u.last_login = 0;
    u.auth_data = Some(String::new());
    u
}

/// `PUT /users/{id}/roles`: validates, refuses to demote the last admin, writes the user and
/// every session of theirs (live sessions see the new roles on their next request).
pub async fn update_roles(state: &AppState, user_id: &str, roles: &str) -> ApiResult<()> {
    let u = get_user(state, user_id).await.map_err(|mut e| {
        e.status = axum::http::StatusCode::BAD_REQUEST;
        e
    })?;
    crate::app::roles::check_roles_exist(state, roles)?;
    let was_admin = u.is_system_admin();
    let is_admin = rustmost_model::user::roles_include_system_admin(roles);
    if was_admin && !is_admin {
        let admins = state
            .store
            .list_users(&rustmost_store::UserQuery {
                role: Some("system_admin".into()),
                active: true,
                ..Default::default()
            })
            .await
            .or_internal("app.user.get_users.app_error")?;
        if admins.iter().filter(|a| a.id != u.id).count() == 0 {
            return Err(ApiError::bad_request("app.user.update.lastAdmin.app_error"));
        }
    }
    let roles = roles.split_whitespace().collect::<Vec<_>>().join(" ");
    state
        .store
        .set_user_roles(&u.id, &roles, state.clock.now_ms())
        .await
        .or_not_found(MISSING_ACCOUNT)?;
    changed(state, &u.id).await;
    state
        .store
        .update_session_roles_for_user(user_id, &roles)
        .await
        .or_internal("app.session.update_roles.app_error")?;
    state
        .invalidate(Invalidation::UserRoles {
            user_id: user_id.to_string(),
        })
        .await;
    state
        .events
        .publish(crate::realtime::events::user_role_updated(user_id, &roles));
    Ok(())
}

/// `patchUser`: profile fields of oneself, or of another account with `edit_other_users` (a
/// system admin's only with `manage_system`); one's own e-mail change needs the password.
/// Answers the stored row.
pub async fn patch(state: &AppState, s: &Session, id: &str, p: UserPatch) -> ApiResult<User> {
    authz::require_permission_to_user(state, s, id).await?;
    let mut u = get_user(state, id).await.map_err(|e| {
        if e.status.is_server_error() {
            e
        } else {
            ApiError::invalid_param("user_id")
        }
    })?;
    if u.is_system_admin() && s.user_id != id && !authz::is_system_admin(state, s) {
        return Err(ApiError::permission(
            &s.user_id,
            &[Permission::ManageSystem],
        ));
    }
    // Changing one's own e-mail needs the password (upstream `patchUser`).
    if let Some(new_email) = &p.email
        && !new_email.trim().eq_ignore_ascii_case(&u.email)
        && s.user_id == id
    {
        let pw = p.password.as_deref().unwrap_or("");
        if pw.is_empty() {
            return Err(ApiError::invalid_param("password"));
        }
        double_check_password(state, &u, pw).await?;
    }
    p.apply(&mut u);
    let hash = std::mem::take(&mut u.password);
    validate_user(&u)?;
    u.password = hash;
    u.update_at = state.clock.now_ms();
    save_profile(state, &u).await?;
    // The answer shows the stored row, not the copy read before the password check.
    let u = get_user(state, id).await?;
    crate::realtime::events::user_updated(state, &u);
    Ok(u)
}

/// `updatePassword`: oneself with the current password, or without it an admin holding
/// `sysconsole_write_user_management_users` (`manage_system` for a system admin's account).
pub async fn update_password(
    state: &AppState,
    s: &Session,
    id: &str,
    current: &str,
    new_password: &str,
) -> ApiResult<()> {
    let u;
    if s.user_id == id {
        if current.is_empty() {
            return Err(ApiError::invalid_param("current_password"));
        }
        u = get_user(state, id).await?;
        if !is_password_user(&u) || u.auth_data.as_deref().is_some_and(|a| !a.is_empty()) {
            return Err(ApiError::bad_request(
                "api.user.update_password.oauth.app_error",
            ));
        }
        double_check_password(state, &u, current)
            .await
            .map_err(|e| {
                if e.id == "api.user.check_user_password.invalid.app_error" {
                    ApiError::bad_request("api.user.update_password.incorrect.app_error")
                } else {
                    e
                }
            })?;
    } else if let Some(target) = state
        .store
        .get_user(id)
        .await
        .optional("app.user.get.app_error")?
        && authz::has(
            state,
            s,
            if target.is_system_admin() {
                Permission::ManageSystem
            } else {
                Permission::SysconsoleWriteUserManagementUsers
            },
        )
    {
        u = target;
    } else {
        return Err(ApiError::forbidden(
            "api.user.update_password.context.app_error",
        ));
    }
    validate_password(state, new_password)?;
    set_password(state, &u.id, new_password).await?;
    if state
        .config
        .get()
        .bool("/ServiceSettings/TerminateSessionsOnPasswordChange")
    {
        sessions::revoke_all_for_user(state, id, Some(&s.id)).await?;
    }
    Ok(())
}

/// The user's sessions (oneself, or [`authz::require_permission_to_user`]).
pub async fn sessions_of(
    state: &AppState,
    s: &Session,
    id: &str,
) -> ApiResult<Vec<rustmost_store::SessionRow>> {
    authz::require_permission_to_user(state, s, id).await?;
    let rows = state
        .store
        .list_sessions_for_user(id)
        .await
        .or_internal("app.session.get_sessions.app_error")?;
    Ok(rows)
}

/// `revokeSession`: one session of the user (oneself, or [`authz::require_permission_to_user`]).
pub async fn revoke_session_of(
    state: &AppState,
    s: &Session,
    id: &str,
    sid: &str,
) -> ApiResult<()> {
    authz::require_permission_to_user(state, s, id).await?;
    if sid.is_empty() {
        return Err(ApiError::invalid_param("session_id"));
    }
    let row = state
        .store
        .get_session(sid)
        .await
        .map_err(|_| ApiError::bad_request("app.session.get.app_error"))?;
    if row.user_id != id {
        return Err(ApiError::invalid_url_param("user_id"));
    }
    sessions::revoke_session(state, sid).await?;
    Ok(())
}

/// `revokeAllSessionsForUser` (oneself, or [`authz::require_permission_to_user`]).
pub async fn revoke_all_sessions_of(state: &AppState, s: &Session, id: &str) -> ApiResult<()> {
    authz::require_permission_to_user(state, s, id).await?;
    sessions::revoke_all_for_user(state, id, None).await
}

/// `revokeAllSessionsAllUsers`: every session on the server (`manage_system`).
pub async fn revoke_all_sessions_everyone(state: &AppState, s: &Session) -> ApiResult<()> {
    authz::require(state, s, Permission::ManageSystem)?;
    state
        .store
        .delete_all_sessions()
        .await
        .or_internal("app.session.remove.app_error")?;
    state
        .invalidate(crate::cluster::Invalidation::AllSessions)
        .await;
    Ok(())
}

/// `updateUserRoles` after the body checks: `manage_roles`, then [`update_roles`].
pub async fn update_roles_as(
    state: &AppState,
    s: &Session,
    id: &str,
    roles: &str,
) -> ApiResult<()> {
    authz::require(state, s, Permission::ManageRoles)?;
    update_roles(state, id, roles).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_password_check_waits_a_bounded_time_for_a_slot_then_gets_a_503() {
        let mut held = Vec::new();
        for _ in 0..hash_slot_count() {
            held.push(hash_permit().await.unwrap());
        }
        let e = hash_permit_within(Duration::from_millis(50))
            .await
            .err()
            .expect("no slot is free");
        assert_eq!(e.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(e.id, "app.user.password_hash.busy.app_error");
        held.pop();
        // Other tests in this process may take the freed slot first, for one hash.
        assert!(hash_permit_within(Duration::from_secs(5)).await.is_ok());
    }

    #[tokio::test]
    async fn the_dummy_hash_has_the_parameters_of_a_real_one() {
        let slot = hash_permit().await.unwrap();
        let dummy = PasswordHash::new(dummy_hash(&slot).await.unwrap()).unwrap();
        let real_s = hash_password_held(&slot, "Some-Passw0rd").await.unwrap();
        let real = PasswordHash::new(&real_s).unwrap();
        assert_eq!(dummy.algorithm, real.algorithm);
        assert_eq!(dummy.params, real.params);
    }
}
