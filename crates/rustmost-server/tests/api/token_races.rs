//! Revocation racing token use: a revoke, disable, rotate or owner deactivation that commits
//! while a token is being turned into a session, or while a session row is being cached, must
//! still end the secret. The interleavings are forced with a second connection holding SQLite's
//! write lock (PostgreSQL: a lock on the sessions table), and by calling the app functions
//! directly.

use crate::access_tokens::{id, setup};
use crate::common::TestServer;
use rustmost_server::app::{access_tokens, credentials, secrets, sessions};
use rustmost_store::{SessionRow, StoreError};
use std::collections::BTreeMap;
use std::time::Duration;

/// Makes `sql` (bound to the token id and the owner id) in a transaction on a second
/// connection, as another process would, and keeps that transaction open until `commit` fires.
/// While it is open, inserting a session waits: on SQLite because the transaction holds the
/// write lock, on PostgreSQL because it also holds an EXCLUSIVE lock on `sessions` (which lets
/// reads through, as SQLite does). Resolves once the change is made.
async fn hold_change(
    srv: &TestServer,
    sql: &'static str,
    token_id: String,
    user_id: String,
) -> (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let (commit, wait) = tokio::sync::oneshot::channel::<()>();
    let (made, is_made) = tokio::sync::oneshot::channel::<u64>();
    macro_rules! hold {
        ($pool:expr, $lock:expr) => {{
            let pool = $pool;
            tokio::spawn(async move {
                let mut tx = pool.begin().await.unwrap();
                let changed = sqlx::query(sql)
                    .bind(&token_id)
                    .bind(&user_id)
                    .execute(&mut *tx)
                    .await
                    .unwrap()
                    .rows_affected();
                if let Some(lock) = $lock {
                    sqlx::query(lock).execute(&mut *tx).await.unwrap();
                }
                let _ = made.send(changed);
                let _ = wait.await;
                tx.commit().await.unwrap();
            })
        }};
    }
    let handle = match &srv.pg_url {
        Some(url) => hold!(
            sqlx::PgPool::connect(url).await.expect("second connection"),
            Some("LOCK TABLE sessions IN EXCLUSIVE MODE")
        ),
        None => hold!(
            sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(
                    sqlx::sqlite::SqliteConnectOptions::new()
                        .filename(srv.data_dir().join("rustmost.db"))
                        .busy_timeout(Duration::from_secs(10)),
                )
                .await
                .expect("second connection"),
            None::<&str>
        ),
    };
    assert_eq!(is_made.await.unwrap(), 1, "{sql}");
    (commit, handle)
}

/// The first use of a token reads the token, then writes a session. Here the change (`sql`,
/// bound to the token id and the owner id) is made inside a transaction that keeps session
/// inserts waiting, so the lookup sees the token as it was and the session insert waits; the
/// change commits while the insert waits. The request must be refused and leave no session
/// behind.
async fn change_commits_during_first_use(sql: &'static str) {
    let (srv, _admin, alice, alice_s) = setup().await;
    let (t, secret) = srv.create_token(&alice_s, "me", "raced").await;
    let (commit, held) = hold_change(&srv, sql, id(&t).to_string(), id(&alice).to_string()).await;

    let state = srv.state.clone();
    let s2 = secret.clone();
    let first_use = tokio::spawn(async move { credentials::resolve(&state, &s2).await });
    // Long enough for the lookup to pass and the insert to start waiting on the lock.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(
        !first_use.is_finished(),
        "the first use must be waiting to write its session"
    );
    commit.send(()).unwrap();
    held.await.unwrap();

    let r = first_use.await.unwrap();
    let err = r
        .err()
        .unwrap_or_else(|| panic!("{sql}: the raced use was accepted"));
    assert_eq!(err.status.as_u16(), 401, "{sql}");
    let hash = secrets::hash_secret(&secret);
    assert!(
        matches!(
            srv.state.store.get_session_by_token_hash(&hash).await,
            Err(StoreError::NotFound)
        ),
        "{sql}: a session row survived"
    );
    assert!(srv.state.sessions.get(&hash).is_none(), "{sql}: cached");
    assert!(credentials::resolve(&srv.state, &secret).await.is_err());
    assert_eq!(
        srv.get("/api/v4/users/me", &secret).await.status.as_u16(),
        401,
        "{sql}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoke_committing_during_first_use_leaves_no_session() {
    change_commits_during_first_use(
        "DELETE FROM user_access_tokens WHERE id = $1 AND user_id = $2",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disable_committing_during_first_use_leaves_no_session() {
    change_commits_during_first_use(
        "UPDATE user_access_tokens SET is_active = FALSE WHERE id = $1 AND user_id = $2",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotate_committing_during_first_use_leaves_no_session() {
    change_commits_during_first_use(
        "UPDATE user_access_tokens SET token_hash = 'rotated' WHERE id = $1 AND user_id = $2",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deactivation_committing_during_first_use_leaves_no_session() {
    change_commits_during_first_use(
        "UPDATE users SET delete_at = 1 WHERE id = $2 AND EXISTS \
         (SELECT 1 FROM user_access_tokens WHERE id = $1)",
    )
    .await;
}

/// A session row that outlived its token (what a lost race leaves on a database with weaker
/// isolation, or a crash between two writes) is refused and deleted when it is read, not
/// cached.
#[tokio::test]
async fn a_session_row_without_its_token_is_not_honoured() {
    let (srv, _admin, alice, alice_s) = setup().await;
    let (t, secret) = srv.create_token(&alice_s, "me", "orphan").await;
    let hash = secrets::hash_secret(&secret);
    srv.state.store.delete_token(id(&t)).await.unwrap();
    srv.state.sessions.clear();
    let mut props = BTreeMap::new();
    props.insert("user_access_token_id".to_string(), id(&t).to_string());
    props.insert("type".to_string(), "UserAccessToken".to_string());
    let now = rustmost_model::now_ms();
    srv.state
        .store
        .insert_session(&SessionRow {
            id: rustmost_model::new_id(),
            token_hash: hash.clone(),
            create_at: now,
            expires_at: now + 3_600_000,
            last_activity_at: now,
            user_id: id(&alice).to_string(),
            device_id: String::new(),
            roles: "system_user".into(),
            is_oauth: false,
            props,
        })
        .await
        .unwrap();
    assert_eq!(
        srv.get("/api/v4/users/me", &secret).await.status.as_u16(),
        401
    );
    assert!(srv.state.sessions.get(&hash).is_none());
    assert!(matches!(
        srv.state.store.get_session_by_token_hash(&hash).await,
        Err(StoreError::NotFound)
    ));
}

/// The cache fill that follows a database read notes the eviction counter first: a revocation
/// that runs between the read and the fill wins. This is the sequence `get_session` performs,
/// with the revocation forced into the gap.
#[tokio::test]
async fn a_revocation_between_read_and_cache_fill_wins() {
    let (srv, _admin, _alice, alice_s) = setup().await;
    let (t, secret) = srv.create_token(&alice_s, "me", "gap").await;
    assert_eq!(
        srv.get("/api/v4/users/me", &secret).await.status.as_u16(),
        200
    );
    let hash = secrets::hash_secret(&secret);
    srv.state.sessions.clear();

    let noted = srv.state.sessions.epoch();
    let row = srv
        .state
        .store
        .get_session_by_token_hash(&hash)
        .await
        .unwrap();
    let row_t = access_tokens::get(&srv.state, id(&t)).await.unwrap();
    access_tokens::revoke(&srv.state, &row_t).await.unwrap();
    let stale = std::sync::Arc::new(sessions::from_row(row));
    assert!(!srv.state.sessions.put_if_unchanged(stale, noted));
    assert!(srv.state.sessions.get(&hash).is_none());
    assert_eq!(
        srv.get("/api/v4/users/me", &secret).await.status.as_u16(),
        401
    );
}

/// Many first uses of a token race its revocation, round after round; whatever interleaving
/// happens, once the revocation has returned and the racing requests are done, the secret is
/// refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hammering_a_token_while_it_is_revoked_never_keeps_it_alive() {
    let (srv, _admin, _alice, alice_s) = setup().await;
    for round in 0..25 {
        let (t, secret) = srv
            .create_token(&alice_s, "me", &format!("round {round}"))
            .await;
        // Half the rounds start with a session row in the database (cache-fill path), half
        // without (first-use path).
        if round % 2 == 0 {
            credentials::resolve(&srv.state, &secret).await.unwrap();
            srv.state.sessions.clear();
        }
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(9));
        let mut users = Vec::new();
        for _ in 0..8 {
            let state = srv.state.clone();
            let secret = secret.clone();
            let b = barrier.clone();
            users.push(tokio::spawn(async move {
                b.wait().await;
                let _ = credentials::resolve(&state, &secret).await;
            }));
        }
        let row = access_tokens::get(&srv.state, id(&t)).await.unwrap();
        barrier.wait().await;
        access_tokens::revoke(&srv.state, &row).await.unwrap();
        for u in users {
            u.await.unwrap();
        }
        let hash = secrets::hash_secret(&secret);
        assert!(
            credentials::resolve(&srv.state, &secret).await.is_err(),
            "round {round}: revoked token still accepted"
        );
        assert!(srv.state.sessions.get(&hash).is_none(), "round {round}");
        assert!(
            matches!(
                srv.state.store.get_session_by_token_hash(&hash).await,
                Err(StoreError::NotFound)
            ),
            "round {round}: session row left"
        );
    }
}

/// Two lifecycle requests on one token: the second acts on a row it read before the first
/// deleted it, and must answer the unknown-token 404, not a 500.
#[tokio::test]
async fn a_token_deleted_under_a_lifecycle_request_is_a_404() {
    let (srv, _admin, alice, alice_session) = setup().await;
    let (t, _secret) = srv.create_token(&alice_session, id(&alice), "race").await;
    let row = srv.state.store.get_token(id(&t)).await.unwrap();
    let r = srv.token_action(&alice_session, "revoke", id(&t)).await;
    assert_eq!(r.status, 200);
    let owner = srv.state.store.get_user(id(&alice)).await.unwrap();
    for (what, res) in [
        ("revoke", access_tokens::revoke(&srv.state, &row).await),
        ("disable", access_tokens::disable(&srv.state, &row).await),
        ("enable", access_tokens::enable(&srv.state, &row).await),
        (
            "rotate",
            access_tokens::rotate(&srv.state, &row, &owner, 0)
                .await
                .map(|_| ()),
        ),
    ] {
        let e = res.expect_err(what);
        assert_eq!(e.status.as_u16(), 404, "{what}: {e:?}");
        assert_eq!(
            e.id, "app.user_access_token.get_by_user.app_error",
            "{what}"
        );
    }
}

/// The first use of a token copies its owner's roles into the new session. A demotion that
/// commits between that read and the insert must not leave the session with the old roles:
/// the session must carry the roles the user has once the row exists.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_demotion_committing_during_first_use_is_not_outlived() {
    let (srv, _admin, alice, alice_s) = setup().await;
    let (t, secret) = srv.create_token(&alice_s, "me", "demoted").await;
    let (commit, held) = hold_change(
        &srv,
        "UPDATE users SET roles = 'system_user' WHERE id = $2 AND EXISTS \
         (SELECT 1 FROM user_access_tokens WHERE id = $1)",
        id(&t).to_string(),
        id(&alice).to_string(),
    )
    .await;
    let state = srv.state.clone();
    let s2 = secret.clone();
    let first_use = tokio::spawn(async move { credentials::resolve(&state, &s2).await });
    // Long enough for the lookup to pass and the insert to start waiting on the lock.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(
        !first_use.is_finished(),
        "the first use must be waiting to write its session"
    );
    commit.send(()).unwrap();
    held.await.unwrap();

    let s = first_use.await.unwrap().expect("the token still works");
    assert_eq!(s.roles(), "system_user", "the session kept the old roles");
    let hash = secrets::hash_secret(&secret);
    let row = srv
        .state
        .store
        .get_session_by_token_hash(&hash)
        .await
        .unwrap();
    assert_eq!(
        row.roles, "system_user",
        "the stored session kept the old roles"
    );
}

/// Two rotations of one token, the second acting on the row it read before the first: the
/// secret the first one issued (used, hence cached, in between) must stop working too. The
/// second rotation's eviction cannot rely on the hash it read, which is the original one.
#[tokio::test]
async fn a_secret_issued_between_two_rotations_is_not_left_cached() {
    let (srv, _admin, alice, alice_s) = setup().await;
    let (t, _secret) = srv.create_token(&alice_s, "me", "rotated twice").await;
    let owner = srv.state.store.get_user(id(&alice)).await.unwrap();
    let read_by_second = access_tokens::get(&srv.state, id(&t)).await.unwrap();
    let first = access_tokens::rotate(&srv.state, &read_by_second, &owner, 0)
        .await
        .unwrap();
    let between = first.token.clone();
    credentials::resolve(&srv.state, &between)
        .await
        .expect("the first rotation's secret works");
    let hash = secrets::hash_secret(&between);
    assert!(srv.state.sessions.get(&hash).is_some(), "cached by its use");
    let second = access_tokens::rotate(&srv.state, &read_by_second, &owner, 0)
        .await
        .unwrap();
    assert!(
        srv.state.sessions.get(&hash).is_none(),
        "the in-between secret is still cached"
    );
    assert!(credentials::resolve(&srv.state, &between).await.is_err());
    assert_eq!(
        srv.get("/api/v4/users/me", &between).await.status.as_u16(),
        401
    );
    assert_eq!(
        srv.get("/api/v4/users/me", &second.token)
            .await
            .status
            .as_u16(),
        200
    );
}
