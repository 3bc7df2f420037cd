//! Request rate limiting: Mattermost's `RateLimitSettings` (a GCRA limiter keyed by client
//! address, user and/or a header, answering 429 with the `X-RateLimit-*` headers), Rustmost's
//! login limiter per client address and per account, and the hourly invitation quota.
//!
//! The GCRA arithmetic and the header values follow the `throttled` library upstream uses: a
//! quota of `MaxBurst` allows `MaxBurst + 1` requests at once, then one per `1 / PerSec`. Keys
//! live in an LRU of `MemoryStoreSize` entries, as throttled's memstore.

use crate::config::Config;
use crate::error::ApiError;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hashlink::LruCache;
use parking_lot::Mutex;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The id of the 429 answer. Upstream answers plain text `limit exceeded` without an id; this
/// one is Rustmost's.
pub const RATE_LIMIT_ERROR_ID: &str = "api.context.rate_limit.app_error";

/// Login attempts per client address refill at one a second.
const LOGIN_ADDRESS_EVERY: Duration = Duration::from_secs(1);
/// Login attempts per account refill at one every ten seconds.
const LOGIN_ACCOUNT_EVERY: Duration = Duration::from_secs(10);
/// Keys the login limiters remember (addresses and accounts each).
const LOGIN_STORE_SIZE: usize = 65536;
/// A login body larger than this is refused before it is parsed.
const LOGIN_BODY_LIMIT: usize = 64 * 1024;

/// Upstream's invitation quota: 20 an hour per sender, with a burst of 20.
const INVITES_PER_HOUR: u32 = 20;
const INVITES_MAX_BURST: u32 = 20;
const INVITES_STORE_SIZE: usize = 65536;

/// A GCRA quota: one request per `every`, `max_burst` more at once, over `store_size` keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub every: Duration,
    pub max_burst: u32,
    pub store_size: usize,
}

/// What one check decided, with throttled's `RateLimitResult` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub limited: bool,
    pub limit: u32,
    pub remaining: u32,
    pub reset_after: Duration,
    /// Set only when limited and the request could ever pass.
    pub retry_after: Option<Duration>,
}

impl Decision {
    /// `X-RateLimit-Limit`, `-Remaining`, `-Reset` (seconds, rounded up) and `Retry-After`.
    pub fn write_headers(&self, h: &mut HeaderMap) {
        let secs = |d: Duration| d.as_nanos().div_ceil(1_000_000_000).to_string();
        let mut put = |name: &'static str, v: String| {
            if let Ok(v) = HeaderValue::from_str(&v) {
                h.insert(name, v);
            }
        };
        put("X-RateLimit-Limit", self.limit.to_string());
        put("X-RateLimit-Remaining", self.remaining.to_string());
        put("X-RateLimit-Reset", secs(self.reset_after));
        if let Some(r) = self.retry_after {
            put("Retry-After", secs(r));
        }
    }
}

/// A keyed GCRA limiter: for each key, the theoretical arrival time of its next request.
pub struct Gcra {
    quota: Quota,
    tolerance: Duration,
    store: Mutex<LruCache<String, Instant>>,
}

impl Gcra {
    pub fn new(quota: Quota) -> Self {
        Gcra {
            quota,
            tolerance: quota
                .every
                .saturating_mul(quota.max_burst.saturating_add(1)),
            store: Mutex::new(LruCache::new(quota.store_size.max(1))),
        }
    }

    /// Spends `quantity` for `key` at `now`, unless that would go over the quota.
    pub fn check(&self, key: &str, quantity: u32, now: Instant) -> Decision {
        let every = self.quota.every;
        let increment = every.saturating_mul(quantity);
        let mut store = self.store.lock();
        // How far ahead of now the key's theoretical arrival time is (zero once it passed).
        let ahead = store
            .get(key)
            .map(|tat| tat.saturating_duration_since(now))
            .unwrap_or_default();
        let next = ahead.saturating_add(increment);
        let (limited, ttl, retry_after) = if next > self.tolerance {
            let retry = (increment <= self.tolerance).then(|| next - self.tolerance);
            (true, ahead, retry)
        } else {
            store.insert(key.to_string(), now + next);
            (false, next, None)
        };
        let remaining = if every.is_zero() {
            0
        } else {
            (self.tolerance.saturating_sub(ttl).as_nanos() / every.as_nanos()) as u32
        };
        Decision {
            limited,
            limit: self.quota.max_burst.saturating_add(1),
            remaining,
            reset_after: ttl,
            retry_after,
        }
    }

    pub fn len(&self) -> usize {
        self.store.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A limiter rebuilt (with an empty store) whenever its quota changes, so config changes take
/// effect without a restart.
#[derive(Default)]
struct LiveLimiter {
    current: Mutex<Option<Arc<Gcra>>>,
}

impl LiveLimiter {
    fn get(&self, quota: Quota) -> Arc<Gcra> {
        let mut cur = self.current.lock();
        match &*cur {
            Some(g) if g.quota == quota => g.clone(),
            _ => {
                let g = Arc::new(Gcra::new(quota));
                *cur = Some(g.clone());
                g
            }
        }
    }
}

/// The server's limiters; one per router, reachable from handlers as a request extension.
pub struct Limiters {
    general: LiveLimiter,
    login_address: LiveLimiter,
    login_account: LiveLimiter,
    invites: Gcra,
}

impl Default for Limiters {
    fn default() -> Self {
        Limiters {
            general: LiveLimiter::default(),
            login_address: LiveLimiter::default(),
            login_account: LiveLimiter::default(),
            invites: Gcra::new(Quota {
                every: Duration::from_secs(3600) / INVITES_PER_HOUR,
                max_burst: INVITES_MAX_BURST,
                store_size: INVITES_STORE_SIZE,
            }),
        }
    }
}

impl Limiters {
    /// Spends one invitation per address for `user_id` (upstream's `PerHourEmailRateLimiter`):
    /// refused with 413 `app.email.rate_limit_exceeded.app_error`. A single request of more
    /// addresses than the burst allows is always refused.
    pub fn spend_invites(&self, user_id: &str, count: usize) -> Result<(), ApiError> {
        let n = u32::try_from(count).unwrap_or(u32::MAX);
        let d = self.invites.check(user_id, n, Instant::now());
        if !d.limited {
            return Ok(());
        }
        let retry = d
            .retry_after
            .map_or_else(|| "-1".to_string(), |r| r.as_secs().to_string());
        Err(ApiError::new(
            "app.email.rate_limit_exceeded.app_error",
            StatusCode::PAYLOAD_TOO_LARGE,
        )
        .param("ResetAfter", d.reset_after.as_secs().to_string())
        .param("RetryAfter", retry)
        .detail(format!("user_id={user_id}, count={count}")))
    }
}

/// The quota of `RateLimitSettings`; `None` when it is off or cannot work (`PerSec` not
/// positive, which upstream refuses at start).
fn general_quota(cfg: &Config) -> Option<Quota> {
    if !cfg.bool("/RateLimitSettings/Enable") {
        return None;
    }
    let per_sec = cfg.i64("/RateLimitSettings/PerSec");
    if per_sec <= 0 {
        return None;
    }
    Some(Quota {
        every: Duration::from_secs(1) / u32::try_from(per_sec).unwrap_or(u32::MAX),
        max_burst: u32::try_from(cfg.i64("/RateLimitSettings/MaxBurst").max(0)).unwrap_or(0),
        store_size: usize::try_from(cfg.i64("/RateLimitSettings/MemoryStoreSize"))
            .ok()
            .filter(|n| *n > 0)
            .unwrap_or(10000),
    })
}

/// A login quota of `burst` attempts at once (0 = off), refilled one per `every`.
fn login_quota(cfg: &Config, key: &str, every: Duration) -> Option<Quota> {
    let burst = cfg.i64(&format!("/RateLimitSettings/{key}"));
    (burst > 0).then(|| Quota {
        every,
        max_burst: u32::try_from(burst - 1).unwrap_or(u32::MAX),
        store_size: LOGIN_STORE_SIZE,
    })
}

/// The key of upstream's `GenerateKey`, except that `VaryByUser` keys by the user of a known
/// session rather than the raw token: an unknown or invalid token falls back to the address.
fn general_key(req: &Request, cfg: &Config, state: &AppState, ip: Option<IpAddr>) -> String {
    let by_ip = cfg.bool("/RateLimitSettings/VaryByRemoteAddr");
    let addr = || ip.map(|i| format!("a:{i}")).unwrap_or_default();
    let mut key = String::new();
    if cfg.bool("/RateLimitSettings/VaryByUser") {
        match session_user(req, state) {
            Some(uid) => key = format!("u:{uid}"),
            None if by_ip => key = addr(),
            None => {}
        }
    } else if by_ip {
        key = addr();
    }
    let header = cfg.str("/RateLimitSettings/VaryByHeader");
    if !header.is_empty() {
        let v = req
            .headers()
            .get(header)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).to_lowercase())
            .unwrap_or_default();
        key.push_str("|h:");
        key.push_str(&v);
    }
    key
}

/// The user of the request's token when its session is in the cache and unexpired: a hash and a
/// map look-up, no database read before the limiter has spoken.
fn session_user(req: &Request, state: &AppState) -> Option<String> {
    let (token, _) = crate::auth::parse_auth_token_in(req.headers(), req.uri())?;
    if token.is_empty() || token.len() > 256 {
        return None;
    }
    let s = state
        .sessions
        .get(&crate::app::secrets::hash_secret(&token))?;
    (s.expires_at <= 0 || s.expires_at > state.clock.now_ms()).then(|| s.user_id.clone())
}

fn is_login(req: &Request) -> bool {
    req.method() == Method::POST
        && matches!(
            req.uri().path().trim_end_matches('/'),
            "/api/v4/users/login" | "/api/v4/users/login/switch"
        )
}

/// The 429 answer, rendered as AppError JSON by the pipeline, with the limiter's headers.
fn too_many(d: &Decision, what: &str) -> Response {
    tracing::debug!(limiter = what, "denied due to throttling settings code=429");
    let mut res = ApiError::new(RATE_LIMIT_ERROR_ID, StatusCode::TOO_MANY_REQUESTS)
        .message("Too many requests. Please try again later.")
        .into_response();
    d.write_headers(res.headers_mut());
    res
}

/// The middleware: the login limiter on the login routes (always), then `RateLimitSettings`
/// (when enabled) on every request, as upstream wraps its whole router.
pub async fn limit(
    State((state, limiters)): State<(AppState, Arc<Limiters>)>,
    mut req: Request,
    next: Next,
) -> Response {
    req.extensions_mut().insert(limiters.clone());
    let cfg = state.config.get();
    let ip = crate::auth::client_ip(req.headers(), req.extensions(), &cfg);
    let mut shown = None;
    if let Some(quota) = general_quota(&cfg) {
        let key = general_key(&req, &cfg, &state, ip);
        let d = limiters.general.get(quota).check(&key, 1, Instant::now());
        if d.limited {
            return too_many(&d, "general");
        }
        shown = Some(d);
    }
    if is_login(&req) {
        match login_check(&limiters, &cfg, ip, req).await {
            Ok(r) => req = r,
            Err(res) => return res,
        }
    }
    let mut res = next.run(req).await;
    if let Some(d) = shown {
        d.write_headers(res.headers_mut());
    }
    res
}

/// Spends one login attempt for the client address and one for the account named by the
/// body's `login_id` (the body is read, capped, and put back for the handler).
async fn login_check(
    limiters: &Limiters,
    cfg: &Config,
    ip: Option<IpAddr>,
    req: Request,
) -> Result<Request, Response> {
    let now = Instant::now();
    if let Some(q) = login_quota(cfg, "LoginMaxBurst", LOGIN_ADDRESS_EVERY) {
        let key = ip.map(|i| i.to_string()).unwrap_or_default();
        let d = limiters.login_address.get(q).check(&key, 1, now);
        if d.limited {
            return Err(too_many(&d, "login address"));
        }
    }
    let Some(q) = login_quota(cfg, "LoginMaxBurstPerAccount", LOGIN_ACCOUNT_EVERY) else {
        return Ok(req);
    };
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, LOGIN_BODY_LIMIT).await {
        Ok(b) => b,
        Err(_) => {
            return Err(ApiError::new(
                "api.context.body_too_large.app_error",
                StatusCode::PAYLOAD_TOO_LARGE,
            )
            .into_response());
        }
    };
    let login_id = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v.get("login_id")?.as_str().map(|s| s.trim().to_lowercase()))
        .filter(|s| !s.is_empty());
    if let Some(id) = login_id {
        let d = limiters.login_account.get(q).check(&id, 1, now);
        if d.limited {
            return Err(too_many(&d, "login account"));
        }
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quota(every_ms: u64, max_burst: u32, store_size: usize) -> Quota {
        Quota {
            every: Duration::from_millis(every_ms),
            max_burst,
            store_size,
        }
    }

    #[test]
    fn gcra_allows_burst_plus_one_then_refills_one_per_interval() {
        let g = Gcra::new(quota(1000, 2, 10));
        let t0 = Instant::now();
        let d = g.check("k", 1, t0);
        assert_eq!((d.limited, d.limit, d.remaining), (false, 3, 2));
        assert_eq!(d.reset_after, Duration::from_secs(1));
        assert!(!g.check("k", 1, t0).limited);
        let d = g.check("k", 1, t0);
        assert_eq!((d.limited, d.remaining), (false, 0));
        assert_eq!(d.reset_after, Duration::from_secs(3));
        let d = g.check("k", 1, t0);
        assert!(d.limited);
        assert_eq!(d.remaining, 0);
        assert_eq!(d.retry_after, Some(Duration::from_secs(1)));
        assert_eq!(d.reset_after, Duration::from_secs(3));
        // Another key has its own budget; time gives one back.
        assert!(!g.check("other", 1, t0).limited);
        let d = g.check("k", 1, t0 + Duration::from_millis(1000));
        assert!(!d.limited);
        assert!(g.check("k", 1, t0 + Duration::from_millis(1000)).limited);
    }

    #[test]
    fn gcra_quantity_over_the_burst_never_passes() {
        let g = Gcra::new(quota(180_000, 20, 10));
        let t0 = Instant::now();
        let d = g.check("u", 22, t0);
        assert!(d.limited);
        assert_eq!(d.retry_after, None);
        assert!(!g.check("u", 21, t0).limited);
        assert!(g.check("u", 1, t0).limited);
    }

    #[test]
    fn gcra_store_is_bounded() {
        let g = Gcra::new(quota(1000, 0, 3));
        let t0 = Instant::now();
        for i in 0..100 {
            g.check(&format!("k{i}"), 1, t0);
        }
        assert_eq!(g.len(), 3);
    }
}
