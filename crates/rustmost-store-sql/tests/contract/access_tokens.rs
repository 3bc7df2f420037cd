//! TokenStore: round trips, listing and search, and the operations that also remove the
//! sessions minted from a token (delete, disable, rotate, expiry sweep) in one transaction.

use crate::common::*;
use rustmost_store::AccessTokenRow;

fn token(user_id: &str, create_at: i64, expires_at: i64) -> AccessTokenRow {
    AccessTokenRow {
        id: rustmost_model::new_id(),
        token_hash: rustmost_model::new_id(),
        user_id: user_id.to_string(),
        description: "ci token ✓".into(),
        is_active: true,
        expires_at,
        create_at,
        last_used_at: 0,
        last_used_ip: String::new(),
    }
}

/// A session minted from `t` (it carries the token's hash).
async fn token_session(
    s: &dyn rustmost_store::Store,
    t: &AccessTokenRow,
) -> rustmost_store::SessionRow {
    let mut x = session(&t.user_id, T0);
    x.token_hash = t.token_hash.clone();
    s.insert_session(&x).await.unwrap();
    x
}

#[tokio::test]
async fn token_round_trip_and_lookups() {
    on_each_backend(async |s| {
        let u = add_user(s, "alice").await;
        let mut t = token(&u.id, T0, i64::MAX);
        t.is_active = false;
        t.last_used_at = T0 + 7;
        t.last_used_ip = "10.0.0.1".into();
        s.insert_token(&t).await.unwrap();
        assert_eq!(s.get_token(&t.id).await.unwrap(), t);
        assert_eq!(s.get_token_by_hash(&t.token_hash).await.unwrap(), t);
        assert_not_found(s.get_token("nope").await);
        assert_not_found(s.get_token_by_hash("nope").await);
    })
    .await;
}

#[tokio::test]
async fn token_unique_violations_are_named() {
    on_each_backend(async |s| {
        let t = token("u", T0, 0);
        s.insert_token(&t).await.unwrap();
        let mut same_id = token("u", T0, 0);
        same_id.id = t.id.clone();
        assert_conflict(s.insert_token(&same_id).await, "user_access_tokens_id");
        let mut same_hash = token("u", T0, 0);
        same_hash.token_hash = t.token_hash.clone();
        assert_conflict(
            s.insert_token(&same_hash).await,
            "user_access_tokens_token_hash",
        );
    })
    .await;
}

#[tokio::test]
async fn tokens_list_oldest_first_with_paging() {
    on_each_backend(async |s| {
        let a = add_user(s, "alice").await;
        let b = add_user(s, "bob").await;
        let t1 = token(&a.id, T0 + 2, 0);
        let t2 = token(&b.id, T0 + 1, 0);
        let t3 = token(&a.id, T0 + 3, 0);
        for t in [&t1, &t2, &t3] {
            s.insert_token(t).await.unwrap();
        }
        assert_eq!(
            s.list_tokens(page(0, 10)).await.unwrap(),
            vec![t2.clone(), t1.clone(), t3.clone()]
        );
        assert_eq!(s.list_tokens(page(1, 2)).await.unwrap(), vec![t3.clone()]);
        assert_eq!(
            s.list_tokens_for_user(&a.id, page(0, 10)).await.unwrap(),
            vec![t1.clone(), t3.clone()]
        );
        assert_eq!(
            s.list_tokens_for_user(&a.id, page(1, 1)).await.unwrap(),
            vec![t3.clone()]
        );
        assert_empty(s.list_tokens_for_user(&a.id, page(2, 1)).await);
        assert_empty(s.list_tokens_for_user("nobody", page(0, 10)).await);
    })
    .await;
}

#[tokio::test]
async fn search_tokens_matches_id_user_id_or_username_exactly() {
    on_each_backend(async |s| {
        let a = add_user(s, "alice").await;
        let b = add_user(s, "bob").await;
        let t1 = token(&a.id, T0 + 1, 0);
        let t2 = token(&a.id, T0 + 2, 0);
        let t3 = token(&b.id, T0 + 3, 0);
        for t in [&t1, &t2, &t3] {
            s.insert_token(t).await.unwrap();
        }
        assert_eq!(
            s.search_tokens("alice").await.unwrap(),
            vec![t1.clone(), t2.clone()]
        );
        assert_eq!(
            s.search_tokens(&a.id).await.unwrap(),
            vec![t1.clone(), t2.clone()]
        );
        assert_eq!(s.search_tokens(&t3.id).await.unwrap(), vec![t3.clone()]);
        // No wildcards, no prefixes, no case folding.
        for term in ["ali", "ALICE", "%", "_lice", "", &t3.token_hash] {
            assert!(s.search_tokens(term).await.unwrap().is_empty(), "{term:?}");
        }
    })
    .await;
}

#[tokio::test]
async fn delete_token_removes_its_sessions_only() {
    on_each_backend(async |s| {
        let t = token("u", T0, 0);
        let keep = token("u", T0, 0);
        s.insert_token(&t).await.unwrap();
        s.insert_token(&keep).await.unwrap();
        let minted = token_session(s, &t).await;
        let other_minted = token_session(s, &keep).await;
        let login = add_session(s, "u", T0).await;

        s.delete_token(&t.id).await.unwrap();
        assert_not_found(s.get_token(&t.id).await);
        assert_not_found(s.get_session(&minted.id).await);
        assert_eq!(s.get_session(&other_minted.id).await.unwrap(), other_minted);
        assert_eq!(s.get_session(&login.id).await.unwrap(), login);
        assert_eq!(s.get_token(&keep.id).await.unwrap(), keep);
        assert_not_found(s.delete_token(&t.id).await);
    })
    .await;
}

#[tokio::test]
async fn disabling_a_token_removes_its_sessions() {
    on_each_backend(async |s| {
        let t = token("u", T0, 0);
        s.insert_token(&t).await.unwrap();
        let minted = token_session(s, &t).await;

        // Enabling an enabled token touches no session.
        s.set_token_active(&t.id, true).await.unwrap();
        assert_eq!(s.get_session(&minted.id).await.unwrap(), minted);

        s.set_token_active(&t.id, false).await.unwrap();
        assert_eq!(
            s.get_token(&t.id).await.unwrap(),
            AccessTokenRow {
                is_active: false,
                ..t.clone()
            }
        );
        assert_not_found(s.get_session(&minted.id).await);

        s.set_token_active(&t.id, true).await.unwrap();
        assert_eq!(s.get_token(&t.id).await.unwrap(), t);
        assert_not_found(s.set_token_active("nope", true).await);
        assert_not_found(s.set_token_active("nope", false).await);
    })
    .await;
}

#[tokio::test]
async fn rotate_token_replaces_secret_and_drops_old_sessions() {
    on_each_backend(async |s| {
        let t = token("u", T0, T0 + 1000);
        let other = token("u", T0, 0);
        s.insert_token(&t).await.unwrap();
        s.insert_token(&other).await.unwrap();
        let minted = token_session(s, &t).await;
        let other_minted = token_session(s, &other).await;

        // The ids of the sessions of the secret replaced, and only those.
        assert_eq!(
            s.rotate_token(&t.id, "new-hash", T0 + 2000).await.unwrap(),
            vec![minted.id.clone()]
        );
        let want = AccessTokenRow {
            token_hash: "new-hash".into(),
            expires_at: T0 + 2000,
            ..t.clone()
        };
        assert_eq!(s.get_token(&t.id).await.unwrap(), want);
        assert_eq!(s.get_token_by_hash("new-hash").await.unwrap(), want);
        assert_not_found(s.get_token_by_hash(&t.token_hash).await);
        assert_not_found(s.get_session(&minted.id).await);
        assert_eq!(s.get_session(&other_minted.id).await.unwrap(), other_minted);

        // A session of the new secret goes with the next rotation, and only it.
        let fresh = token_session(s, &want).await;
        assert_eq!(
            s.rotate_token(&t.id, "newer-hash", T0 + 2000)
                .await
                .unwrap(),
            vec![fresh.id.clone()]
        );
        assert_eq!(
            s.rotate_token(&t.id, "new-hash", T0 + 2000).await.unwrap(),
            Vec::<String>::new()
        );
        assert_not_found(s.rotate_token("nope", "h", 0).await);
        // Rotating onto another token's secret is a unique violation and changes nothing.
        assert_conflict(
            s.rotate_token(&t.id, &other.token_hash, 0).await,
            "user_access_tokens_token_hash",
        );
        assert_eq!(s.get_token(&t.id).await.unwrap(), want);
    })
    .await;
}

#[tokio::test]
async fn touch_token_records_use() {
    on_each_backend(async |s| {
        let t = token("u", T0, 0);
        let other = token("u", T0, 0);
        s.insert_token(&t).await.unwrap();
        s.insert_token(&other).await.unwrap();
        s.touch_token(&t.id, T0 + 42, "2001:db8::1").await.unwrap();
        let want = AccessTokenRow {
            last_used_at: T0 + 42,
            last_used_ip: "2001:db8::1".into(),
            ..t.clone()
        };
        assert_eq!(s.get_token(&t.id).await.unwrap(), want);
        assert_eq!(s.get_token(&other.id).await.unwrap(), other);
    })
    .await;
}

#[tokio::test]
async fn non_compliant_tokens_are_active_long_lived_and_user_owned() {
    on_each_backend(async |s| {
        let human = add_user(s, "alice").await;
        let user_bot = add_bot(s, "userbot", &human.id, T0).await;
        let plugin_bot = add_bot(s, "pluginbot", "com.example.plugin", T0).await;
        let latest = T0 + 1000;

        let never = token(&human.id, T0 + 1, 0);
        let too_late = token(&human.id, T0 + 2, latest + 1);
        let on_limit = token(&human.id, T0 + 3, latest);
        let mut inactive = token(&human.id, T0 + 4, 0);
        inactive.is_active = false;
        let of_user_bot = token(&user_bot.user_id, T0 + 5, 0);
        let of_plugin_bot = token(&plugin_bot.user_id, T0 + 6, 0);
        for t in [
            &never,
            &too_late,
            &on_limit,
            &inactive,
            &of_user_bot,
            &of_plugin_bot,
        ] {
            s.insert_token(t).await.unwrap();
        }
        assert_eq!(
            s.list_non_compliant_tokens(latest).await.unwrap(),
            vec![never, too_late, of_user_bot]
        );
    })
    .await;
}

#[tokio::test]
async fn delete_expired_tokens_sweeps_tokens_and_their_sessions() {
    on_each_backend(async |s| {
        let now = T0 + 1000;
        let expired = token("u", T0 + 1, now - 1);
        let at_now = token("u", T0 + 2, now);
        let later = token("u", T0 + 3, now + 1);
        let never = token("u", T0 + 4, 0);
        for t in [&expired, &at_now, &later, &never] {
            s.insert_token(t).await.unwrap();
        }
        let dead1 = token_session(s, &expired).await;
        let dead2 = token_session(s, &at_now).await;
        let live = token_session(s, &later).await;

        let mut gone = s.delete_expired_tokens(now).await.unwrap();
        gone.sort_by_key(|t| t.create_at);
        assert_eq!(gone, vec![expired.clone(), at_now.clone()]);
        assert_not_found(s.get_token(&expired.id).await);
        assert_not_found(s.get_token(&at_now.id).await);
        assert_not_found(s.get_session(&dead1.id).await);
        assert_not_found(s.get_session(&dead2.id).await);
        assert_eq!(s.get_session(&live.id).await.unwrap(), live);
        assert_eq!(
            s.list_tokens(page(0, 10)).await.unwrap(),
            vec![later, never]
        );
        assert_empty(s.delete_expired_tokens(now).await);
    })
    .await;
}
