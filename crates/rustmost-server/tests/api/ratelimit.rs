//! Rate limiting: `RateLimitSettings` (429 with AppError and the `X-RateLimit-*` headers, keys
//! by address, user and header, `TrustedProxyIPHeader`, live config), and the login limiter per
//! client address and per account. Requests come from different loopback addresses
//! (127.0.0.0/8) to be different clients. Refill is one a second at the least, so tests spend a
//! burst and then look for the 429 within a bounded number of requests instead of counting on
//! time standing still; exact header arithmetic is unit-tested with a fixed clock.

use crate::common::{Resp, TestServer};
use reqwest::Method;
use serde_json::{Value, json};
use std::net::IpAddr;

/// A client whose connections come from `ip` (a loopback address).
fn client(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(ip.parse::<IpAddr>().unwrap())
        .build()
        .unwrap()
}

async fn send(
    ts: &TestServer,
    c: &reqwest::Client,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> Resp {
    let mut rb = c.request(method, format!("{}{}", ts.url, path));
    for (k, v) in headers {
        rb = rb.header(*k, *v);
    }
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    Resp::read(rb.send().await.expect("request")).await
}

async fn ping(ts: &TestServer, c: &reqwest::Client, headers: &[(&str, &str)]) -> Resp {
    send(ts, c, Method::GET, "/api/v4/system/ping", headers, None).await
}

fn header(r: &Resp, name: &str) -> Option<String> {
    r.headers.get(name).map(|v| v.to_str().unwrap().to_string())
}

/// Sends until the first 429 (at most `max` requests): the 429 and how many passed before it.
async fn until_limited<F, Fut>(max: usize, mut f: F) -> (Resp, usize)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Resp>,
{
    for passed in 0..max {
        let r = f().await;
        if r.status == 429 {
            return (r, passed);
        }
        assert!(r.status.is_success(), "{}: {}", r.status, r.text);
    }
    panic!("no 429 after {max} requests");
}

/// Patches the config as the admin from an address of its own, so the admin's requests never
/// spend the budget under test.
async fn patch_from(ts: &TestServer, ip: &str, at: &str, patch: Value) {
    let r = send(
        ts,
        &client(ip),
        Method::PUT,
        "/api/v4/config/patch",
        &[("Authorization", &format!("Bearer {at}"))],
        Some(patch),
    )
    .await;
    assert_eq!(r.status, 200, "config patch: {}", r.text);
}

fn assert_limited(r: &Resp) {
    r.assert_err(429, "api.context.rate_limit.app_error");
    assert_eq!(header(r, "X-RateLimit-Remaining").as_deref(), Some("0"));
    assert!(header(r, "X-RateLimit-Limit").is_some(), "limit header");
    let reset: u64 = header(r, "X-RateLimit-Reset").unwrap().parse().unwrap();
    assert!(reset >= 1, "reset {reset}");
    let retry: u64 = header(r, "Retry-After").unwrap().parse().unwrap();
    assert!(retry >= 1, "retry-after {retry}");
}

#[tokio::test]
async fn a_spent_burst_answers_429_with_headers_and_the_config_is_live() {
    let (ts, _, at) = TestServer::start_with_admin().await;
    let c = client("127.0.0.2");
    // Off (the default): no headers, never limited.
    let r = ping(&ts, &c, &[]).await;
    assert_eq!(r.status, 200);
    assert!(header(&r, "X-RateLimit-Limit").is_none());
    // Turned on through the API: takes effect on the next request.
    patch_from(
        &ts,
        "127.0.0.9",
        &at,
        json!({"RateLimitSettings": {"Enable": true, "PerSec": 1, "MaxBurst": 2}}),
    )
    .await;
    let r = ping(&ts, &c, &[]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(header(&r, "X-RateLimit-Limit").as_deref(), Some("3"));
    assert_eq!(header(&r, "X-RateLimit-Remaining").as_deref(), Some("2"));
    assert_eq!(header(&r, "X-RateLimit-Reset").as_deref(), Some("1"));
    assert!(header(&r, "Retry-After").is_none());
    let (r, passed) = until_limited(50, || ping(&ts, &c, &[])).await;
    assert!(passed >= 2, "the burst passes first ({passed})");
    assert_limited(&r);
    assert_eq!(header(&r, "X-RateLimit-Limit").as_deref(), Some("3"));
    assert_eq!(r.headers["Content-Type"], "application/json");
    // Any path is limited, as upstream wraps its whole router.
    let r = send(&ts, &c, Method::GET, "/api/v4/users/me", &[], None).await;
    assert_limited(&r);
    // Another address has its own budget.
    assert_eq!(ping(&ts, &client("127.0.0.3"), &[]).await.status, 200);
    // A larger burst applies at once, without a restart.
    patch_from(
        &ts,
        "127.0.0.9",
        &at,
        json!({"RateLimitSettings": {"MaxBurst": 50}}),
    )
    .await;
    let r = ping(&ts, &c, &[]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(header(&r, "X-RateLimit-Limit").as_deref(), Some("51"));
    // Turned off again: never limited.
    patch_from(
        &ts,
        "127.0.0.9",
        &at,
        json!({"RateLimitSettings": {"Enable": false, "MaxBurst": 0}}),
    )
    .await;
    for _ in 0..20 {
        let r = ping(&ts, &c, &[]).await;
        assert_eq!(r.status, 200);
        assert!(header(&r, "X-RateLimit-Limit").is_none());
    }
}

#[tokio::test]
async fn disabled_never_limits() {
    let ts = TestServer::start_with_env(&[
        ("MM_RATELIMITSETTINGS_PERSEC", "1"),
        ("MM_RATELIMITSETTINGS_MAXBURST", "0"),
    ])
    .await;
    let c = client("127.0.0.2");
    for _ in 0..30 {
        let r = ping(&ts, &c, &[]).await;
        assert_eq!(r.status, 200);
        assert!(header(&r, "X-RateLimit-Remaining").is_none());
    }
}

#[tokio::test]
async fn vary_by_user_keys_by_the_session_user() {
    let (ts, _, at) = TestServer::start_with_admin().await;
    let (_, ann) = ts.user(&at, "ann").await;
    let (_, bob) = ts.user(&at, "bob").await;
    patch_from(
        &ts,
        "127.0.0.9",
        &at,
        json!({"RateLimitSettings": {"Enable": true, "PerSec": 1, "MaxBurst": 1,
                "VaryByUser": true, "VaryByRemoteAddr": true}}),
    )
    .await;
    let me_from = |c: reqwest::Client, token: String| {
        let ts = &ts;
        async move {
            let auth = format!("Bearer {token}");
            send(
                ts,
                &c,
                Method::GET,
                "/api/v4/users/me",
                &[("Authorization", &auth)],
                None,
            )
            .await
        }
    };
    // Ann spends her budget from another address first. A request whose session is not cached
    // yet (on PostgreSQL the cache may still be filling after the logins) is keyed by its
    // address, so this also leaves ann's session cached before the address under test is used.
    let (r, _) = until_limited(50, || me_from(client("127.0.0.7"), ann.clone())).await;
    assert_limited(&r);
    let c = client("127.0.0.2");
    let me = |token: String| me_from(c.clone(), token);
    // A fresh address does not give ann a fresh budget: she is keyed by her session's user.
    assert_limited(&me(ann.clone()).await);
    // Same address, another user: own budget; so is the address itself (no token).
    assert_eq!(me(bob.clone()).await.status, 200);
    assert_eq!(ping(&ts, &c, &[]).await.status, 200);
    // Ann is limited from any address.
    assert_limited(
        &send(
            &ts,
            &client("127.0.0.3"),
            Method::GET,
            "/api/v4/users/me",
            &[("Authorization", &format!("Bearer {ann}"))],
            None,
        )
        .await,
    );
    // An unknown token falls back to the address: a fresh address passes, then shares the
    // address's budget with its anonymous requests.
    let c4 = client("127.0.0.4");
    let bogus = [("Authorization", "Bearer abcdefghijklmnopqrstuvwxyz")];
    assert_eq!(
        ping(&ts, &c4, &bogus).await.status,
        200,
        "an invalid token does not limit by itself"
    );
    let (r, _) = until_limited(50, || ping(&ts, &c4, &[])).await;
    assert_limited(&r);
    assert_limited(&ping(&ts, &c4, &bogus).await);
}

#[tokio::test]
async fn vary_by_header_keys_by_its_value() {
    let (ts, _, at) = TestServer::start_with_admin().await;
    patch_from(
        &ts,
        "127.0.0.9",
        &at,
        json!({"RateLimitSettings": {"Enable": true, "PerSec": 1, "MaxBurst": 1,
                "VaryByRemoteAddr": false, "VaryByHeader": "X-Client"}}),
    )
    .await;
    let c2 = client("127.0.0.2");
    let (r, _) = until_limited(50, || ping(&ts, &c2, &[("X-Client", "a")])).await;
    assert_limited(&r);
    // The value counts (case-insensitively), the address does not.
    assert_limited(&ping(&ts, &client("127.0.0.3"), &[("X-Client", "A")]).await);
    assert_eq!(
        ping(&ts, &client("127.0.0.2"), &[("X-Client", "b")])
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn forwarded_addresses_count_only_from_a_trusted_header() {
    let (ts, _, at) = TestServer::start_with_admin().await;
    patch_from(
        &ts,
        "127.0.0.9",
        &at,
        json!({"RateLimitSettings": {"Enable": true, "PerSec": 1, "MaxBurst": 1}}),
    )
    .await;
    let c = client("127.0.0.2");
    // Not trusted: every forged X-Forwarded-For is the same client, the socket peer.
    let mut n = 0;
    let (r, _) = until_limited(50, || {
        n += 1;
        let xff = format!("10.0.0.{n}");
        let (ts, c) = (&ts, &c);
        async move { ping(ts, c, &[("X-Forwarded-For", &xff)]).await }
    })
    .await;
    assert_limited(&r);
    assert_limited(&ping(&ts, &c, &[("X-Real-IP", "10.9.9.9")]).await);
    // Trusted: the first forwarded address is the client.
    patch_from(
        &ts,
        "127.0.0.9",
        &at,
        json!({"ServiceSettings": {"TrustedProxyIPHeader": ["X-Forwarded-For"]}}),
    )
    .await;
    let p = client("127.0.0.3");
    let (r, _) = until_limited(50, || {
        ping(&ts, &p, &[("X-Forwarded-For", "203.0.113.7, 127.0.0.1")])
    })
    .await;
    assert_limited(&r);
    assert_eq!(
        ping(&ts, &p, &[("X-Forwarded-For", "203.0.113.8")])
            .await
            .status,
        200,
        "another forwarded client"
    );
    // A header that is not listed is still ignored (a fresh peer passes although the address
    // it names is spent), and one without a valid address falls back to the peer.
    assert_eq!(
        ping(&ts, &client("127.0.0.4"), &[("X-Real-IP", "203.0.113.7")])
            .await
            .status,
        200
    );
    assert_limited(&ping(&ts, &c, &[("X-Forwarded-For", "garbage")]).await);
}

/// A server with the login limiter at its defaults (the test harness turns it off otherwise).
async fn start_with_login_limits() -> TestServer {
    let defaults: Value =
        serde_json::from_str(include_str!("../../data/default_config.json")).unwrap();
    let per_address = defaults["RateLimitSettings"]["LoginMaxBurst"].to_string();
    let per_account = defaults["RateLimitSettings"]["LoginMaxBurstPerAccount"].to_string();
    assert_eq!((per_address.as_str(), per_account.as_str()), ("10", "5"));
    TestServer::start_with_env(&[
        ("MM_RATELIMITSETTINGS_LOGINMAXBURST", &per_address),
        ("MM_RATELIMITSETTINGS_LOGINMAXBURSTPERACCOUNT", &per_account),
    ])
    .await
}

async fn login_from(ts: &TestServer, c: &reqwest::Client, login_id: &str, password: &str) -> Resp {
    send(
        ts,
        c,
        Method::POST,
        "/api/v4/users/login",
        &[],
        Some(json!({"login_id": login_id, "password": password})),
    )
    .await
}

/// Logins are limited per client address even with `RateLimitSettings.Enable` off (the
/// default): `LoginMaxBurst` (10) at once, then one a second.
#[tokio::test]
async fn logins_are_limited_per_address() {
    let ts = start_with_login_limits().await;
    let (_, at) = ts.admin().await;
    ts.user(&at, "ann").await;
    let c = client("127.0.0.2");
    let mut n = 0;
    let mut passed = 0;
    let limited = loop {
        n += 1;
        assert!(n <= 60, "no 429 after 60 logins");
        // Distinct unknown accounts: only the address limiter can answer 429.
        let r = login_from(&ts, &c, &format!("nobody{n}"), "wrong-password").await;
        if r.status == 429 {
            break r;
        }
        assert_eq!(r.status, 401, "{}", r.text);
        passed += 1;
    };
    assert!(passed >= 10, "the burst passes first ({passed})");
    assert_limited(&limited);
    // Even the right password waits, from that address; another address logs in.
    assert_limited(&login_from(&ts, &c, "ann", "User-Passw0rd!").await);
    assert_eq!(
        login_from(&ts, &client("127.0.0.3"), "ann", "User-Passw0rd!")
            .await
            .status,
        200
    );
    // Other routes are not touched by the login limiter.
    assert_eq!(ping(&ts, &c, &[]).await.status, 200);
}

/// Logins are limited per account, whatever the address: `LoginMaxBurstPerAccount` (5) at
/// once, then one every ten seconds; `login_id` is compared case-insensitively.
#[tokio::test]
async fn logins_are_limited_per_account() {
    let ts = start_with_login_limits().await;
    let (_, at) = ts.admin().await;
    ts.create_user(Some(&at), "ann", "User-Passw0rd!").await;
    ts.create_user(Some(&at), "bob", "User-Passw0rd!").await;
    let mut n = 0;
    let mut passed = 0;
    let limited = loop {
        n += 1;
        assert!(n <= 20, "no 429 after 20 logins");
        // A new address each time: only the account limiter can answer 429.
        let c = client(&format!("127.0.1.{n}"));
        let id = if n % 2 == 0 { "ann" } else { "ANN" };
        let r = login_from(&ts, &c, id, "wrong-password").await;
        if r.status == 429 {
            break r;
        }
        assert_eq!(r.status, 401, "{}", r.text);
        passed += 1;
    };
    assert!(passed >= 5, "the burst passes first ({passed})");
    assert_limited(&limited);
    let c = client("127.0.2.1");
    assert_limited(&login_from(&ts, &c, "ann", "User-Passw0rd!").await);
    // Another account from the same address is not held back.
    assert_eq!(
        login_from(&ts, &c, "bob", "User-Passw0rd!").await.status,
        200
    );
}

/// Audits record the address the limiter keys on (one `client_ip`): a forged
/// `X-Forwarded-For` changes nothing until `TrustedProxyIPHeader` names the header, and then
/// its first address is the client's.
#[tokio::test]
async fn audits_record_the_peer_unless_a_proxy_header_is_trusted() {
    let (ts, admin, at) = TestServer::start_with_admin().await;
    ts.set_tokens_enabled(&at, true).await;
    let uid = admin["id"].as_str().unwrap().to_string();
    let c = client("127.0.0.5");
    let bearer = format!("Bearer {at}");
    let create_token = |description: &'static str| {
        let (ts, c, uid, bearer) = (&ts, &c, &uid, &bearer);
        async move {
            let r = send(
                ts,
                c,
                Method::POST,
                &format!("/api/v4/users/{uid}/tokens"),
                &[
                    ("Authorization", bearer),
                    ("X-Forwarded-For", "203.0.113.9, 127.0.0.5"),
                ],
                Some(json!({"description": description})),
            )
            .await;
            assert_eq!(r.status, 200, "{}", r.text);
        }
    };
    let newest_ip = || async {
        let r = ts.get(&format!("/api/v4/users/{uid}/audits"), &at).await;
        let list = r.assert_ok().as_array().unwrap().clone();
        let a = list
            .iter()
            .find(|a| a["action"] == format!("/api/v4/users/{uid}/tokens").as_str())
            .unwrap_or_else(|| panic!("token creation audited: {}", r.text))
            .clone();
        a["ip_address"].as_str().unwrap().to_string()
    };
    create_token("forged").await;
    assert_eq!(newest_ip().await, "127.0.0.5");
    patch_from(
        &ts,
        "127.0.0.9",
        &at,
        json!({"ServiceSettings": {"TrustedProxyIPHeader": ["X-Forwarded-For"]}}),
    )
    .await;
    create_token("through the proxy").await;
    assert_eq!(newest_ip().await, "203.0.113.9");
}
