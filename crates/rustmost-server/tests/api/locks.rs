//! Shared locks after a panic: the panic layer keeps the server alive, so a panic while a cache
//! lock is held must not turn every later request into a 500.

use crate::common::TestServer;

#[tokio::test]
async fn a_panic_holding_the_session_cache_lock_does_not_break_later_requests() {
    let (srv, _admin, token) = TestServer::start_with_admin().await;
    srv.get("/api/v4/users/me", &token).await.assert_ok();
    assert!(!srv.state.sessions.is_empty(), "the session is cached");
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        srv.state
            .sessions
            .remove_where(|_| panic!("a bug while the cache's write lock is held"))
    }));
    assert!(panicked.is_err());
    // Reads the cache, then fills it: both need the lock the panic left behind.
    srv.get("/api/v4/users/me", &token).await.assert_ok();
    let (_bob, bob_token) = srv.user(&token, "bob").await;
    srv.get("/api/v4/users/me", &bob_token).await.assert_ok();
}
