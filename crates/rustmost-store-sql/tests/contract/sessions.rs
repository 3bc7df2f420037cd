//! SessionStore: round trips, lookups by id and by secret hash, per-user listing, the bulk
//! deletions (keeping one session, or all) and column updates.

use crate::common::*;

#[tokio::test]
async fn session_round_trip_keeps_every_field() {
    on_each_backend(async |s| {
        let a = add_session(s, "user-a", T0 + 5).await;
        assert_eq!(s.get_session(&a.id).await.unwrap(), a);
        assert_eq!(s.get_session_by_token_hash(&a.token_hash).await.unwrap(), a);

        let mut b = session("user-a", i64::MAX);
        b.is_oauth = false;
        b.props = Default::default();
        b.roles = String::new();
        b.device_id = "android:abc".into();
        s.insert_session(&b).await.unwrap();
        assert_eq!(s.get_session(&b.id).await.unwrap(), b);
    })
    .await;
}

#[tokio::test]
async fn missing_sessions_are_not_found() {
    on_each_backend(async |s| {
        s.insert_session(&session("u", T0)).await.unwrap();
        assert_not_found(s.get_session("nope").await);
        assert_not_found(s.get_session_by_token_hash("nope").await);
        assert_empty(s.list_sessions_for_user("nobody").await);
    })
    .await;
}

#[tokio::test]
async fn session_unique_violations_are_named() {
    on_each_backend(async |s| {
        let a = add_session(s, "u", T0).await;
        let mut same_id = session("u", T0);
        same_id.id = a.id.clone();
        assert_conflict(s.insert_session(&same_id).await, "sessions_id");
        let mut same_hash = session("u", T0);
        same_hash.token_hash = a.token_hash.clone();
        assert_conflict(s.insert_session(&same_hash).await, "sessions_token_hash");
    })
    .await;
}

#[tokio::test]
async fn sessions_list_newest_activity_first() {
    on_each_backend(async |s| {
        let old = session("u", T0);
        let new = session("u", T0 + 2);
        let mid = session("u", T0 + 1);
        let other = session("v", T0 + 3);
        for x in [&old, &new, &mid, &other] {
            s.insert_session(x).await.unwrap();
        }
        let got = s.list_sessions_for_user("u").await.unwrap();
        assert_eq!(got, vec![new, mid, old]);
    })
    .await;
}

#[tokio::test]
async fn delete_session_removes_only_that_one() {
    on_each_backend(async |s| {
        let a = add_session(s, "u", T0).await;
        let b = add_session(s, "u", T0).await;
        s.delete_session(&a.id).await.unwrap();
        assert_not_found(s.get_session(&a.id).await);
        assert_eq!(s.get_session(&b.id).await.unwrap(), b);
        // Deleting what is gone is not an error.
        s.delete_session(&a.id).await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn delete_sessions_for_user_keeps_one_and_returns_the_rest() {
    on_each_backend(async |s| {
        let a = session("u", T0);
        let b = session("u", T0 + 1);
        let c = session("u", T0 + 2);
        let other = session("v", T0);
        for x in [&a, &b, &c, &other] {
            s.insert_session(x).await.unwrap();
        }
        let mut gone = s.delete_sessions_for_user("u", Some(&b.id)).await.unwrap();
        gone.sort();
        let mut want = vec![a.id.clone(), c.id.clone()];
        want.sort();
        assert_eq!(gone, want);
        assert_eq!(
            s.list_sessions_for_user("u").await.unwrap(),
            vec![b.clone()]
        );
        assert_eq!(s.get_session(&other.id).await.unwrap(), other);

        let gone = s.delete_sessions_for_user("u", None).await.unwrap();
        assert_eq!(gone, vec![b.id.clone()]);
        assert_empty(s.list_sessions_for_user("u").await);
        assert_empty(s.delete_sessions_for_user("u", None).await);
        assert_eq!(s.list_sessions_for_user("v").await.unwrap(), vec![other]);
    })
    .await;
}

#[tokio::test]
async fn delete_all_sessions_empties_the_table() {
    on_each_backend(async |s| {
        let a = add_session(s, "u", T0).await;
        let b = add_session(s, "v", T0).await;
        s.delete_all_sessions().await.unwrap();
        assert_not_found(s.get_session(&a.id).await);
        assert_not_found(s.get_session(&b.id).await);
        // The freed hash can be used again.
        s.insert_session(&a).await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn session_roles_and_activity_updates() {
    on_each_backend(async |s| {
        let a = session("u", T0);
        let b = session("u", T0);
        let other = session("v", T0);
        for x in [&a, &b, &other] {
            s.insert_session(x).await.unwrap();
        }
        s.update_session_roles_for_user("u", "system_user system_admin")
            .await
            .unwrap();
        for x in [&a, &b] {
            let got = s.get_session(&x.id).await.unwrap();
            assert_eq!(
                got,
                rustmost_store::SessionRow {
                    roles: "system_user system_admin".into(),
                    ..x.clone()
                }
            );
        }
        assert_eq!(s.get_session(&other.id).await.unwrap(), other);

        s.touch_session(&a.id, T0 + 99).await.unwrap();
        let got = s.get_session(&a.id).await.unwrap();
        assert_eq!(got.last_activity_at, T0 + 99);
        assert_eq!(got.roles, "system_user system_admin");
        assert_eq!(s.get_session(&b.id).await.unwrap().last_activity_at, T0);
    })
    .await;
}

#[tokio::test]
async fn delete_lru_sessions_keeps_the_most_recently_used_and_returns_the_rest() {
    on_each_backend(async |s| {
        let oldest = session("u", T0);
        let old = session("u", T0 + 1);
        // Same activity as `newer`, created earlier: the older creation goes first.
        let mut tied = session("u", T0 + 2);
        tied.create_at = T0 - 1;
        let newer = session("u", T0 + 2);
        let newest = session("u", T0 + 3);
        let other = session("v", T0 - 5);
        for x in [&oldest, &old, &tied, &newer, &newest, &other] {
            s.insert_session(x).await.unwrap();
        }
        let mut gone = s.delete_lru_sessions_for_user("u", 2).await.unwrap();
        gone.sort();
        let mut want = vec![oldest.id.clone(), old.id.clone(), tied.id.clone()];
        want.sort();
        assert_eq!(gone, want);
        let left = ids(&s.list_sessions_for_user("u").await.unwrap(), |x| &x.id);
        assert_eq!(left, vec![newest.id.clone(), newer.id.clone()]);
        assert_eq!(s.get_session(&other.id).await.unwrap(), other);

        // Nothing beyond the limit: nothing deleted.
        assert_empty(s.delete_lru_sessions_for_user("u", 2).await);
        // A negative limit keeps nothing, as 0 does.
        let mut gone = s.delete_lru_sessions_for_user("u", -1).await.unwrap();
        gone.sort();
        let mut want = vec![newer.id.clone(), newest.id.clone()];
        want.sort();
        assert_eq!(gone, want);
        assert_empty(s.list_sessions_for_user("u").await);
        assert_eq!(s.get_session(&other.id).await.unwrap(), other);
        assert_empty(s.delete_lru_sessions_for_user("nobody", 0).await);
    })
    .await;
}

#[tokio::test]
async fn refresh_session_roles_copies_the_users_current_roles() {
    on_each_backend(async |s| {
        let u = add_user(s, "alice").await;
        s.set_user_roles(&u.id, "system_user system_admin", T0)
            .await
            .unwrap();
        let a = session(&u.id, T0);
        let b = session(&u.id, T0 + 1);
        let orphan = session("no-such-user", T0);
        for x in [&a, &b, &orphan] {
            s.insert_session(x).await.unwrap();
        }
        assert_eq!(
            s.refresh_session_roles(&a.id).await.unwrap(),
            "system_user system_admin"
        );
        let want = rustmost_store::SessionRow {
            roles: "system_user system_admin".into(),
            ..a.clone()
        };
        assert_eq!(s.get_session(&a.id).await.unwrap(), want);
        // Only the session named.
        assert_eq!(s.get_session(&b.id).await.unwrap(), b);
        // A session whose user is gone gets no roles.
        assert_eq!(s.refresh_session_roles(&orphan.id).await.unwrap(), "");
        assert_eq!(s.get_session(&orphan.id).await.unwrap().roles, "");
        assert_not_found(s.refresh_session_roles("nope").await);
    })
    .await;
}
