//! UserStore: round trips of every column, lookups, unique names, counts and `list_users`'
//! filters, sorts and paging.

use crate::common::*;
use rustmost_store::UserQuery;

#[tokio::test]
async fn user_round_trip_keeps_every_field() {
    on_each_backend(async |s| {
        let u = user("alice");
        s.insert_user(&u).await.unwrap();
        assert_eq!(s.get_user(&u.id).await.unwrap(), u);
        // Username lookups are by the lowercase name; e-mail lookups ignore case.
        assert_eq!(s.get_user_by_username("ALICE").await.unwrap(), u);
        assert_eq!(s.get_user_by_email("Alice@Example.COM").await.unwrap(), u);

        // Absent maps come back as empty ones, optional strings as they went in.
        let mut bare = user("bare");
        bare.props = None;
        bare.notify_props = None;
        bare.timezone = None;
        bare.auth_data = None;
        bare.remote_id = Some("remote".into());
        bare.email_verified = false;
        bare.mfa_active = false;
        bare.last_login = 0;
        s.insert_user(&bare).await.unwrap();
        let got = s.get_user(&bare.id).await.unwrap();
        assert_eq!(got.props, Some(Default::default()));
        assert_eq!(got.notify_props, Some(Default::default()));
        assert_eq!(got.timezone, Some(Default::default()));
        assert_eq!(got.auth_data, None);
        assert_eq!(got.remote_id.as_deref(), Some("remote"));
        assert!(!got.email_verified && !got.mfa_active);
        assert_eq!(got.last_login, 0);
    })
    .await;
}

#[tokio::test]
async fn missing_users_are_not_found() {
    on_each_backend(async |s| {
        add_user(s, "present").await;
        assert_not_found(s.get_user(&rustmost_model::new_id()).await);
        assert_not_found(s.get_user_by_username("absent").await);
        assert_not_found(s.get_user_by_email("absent@example.com").await);
        let mut ghost = user("ghost");
        ghost.id = rustmost_model::new_id();
        assert_not_found(s.update_user(&ghost).await);
    })
    .await;
}

#[tokio::test]
async fn user_unique_violations_are_named() {
    on_each_backend(async |s| {
        let a = add_user(s, "alice").await;
        let mut same_id = user("other");
        same_id.id = a.id.clone();
        assert_conflict(s.insert_user(&same_id).await, "users_id");
        let mut same_name = user("alice");
        same_name.email = "else@example.com".into();
        assert_conflict(s.insert_user(&same_name).await, "users_username");
        let mut same_email = user("bob");
        same_email.email = a.email.clone();
        assert_conflict(s.insert_user(&same_email).await, "users_email");

        // An update into a taken name conflicts the same way and changes nothing.
        let b = add_user(s, "bob").await;
        let mut renamed = b.clone();
        renamed.username = "alice".into();
        assert_conflict(s.update_user(&renamed).await, "users_username");
        let mut re_emailed = b.clone();
        re_emailed.email = a.email.clone();
        assert_conflict(s.update_user(&re_emailed).await, "users_email");
        assert_eq!(s.get_user(&b.id).await.unwrap(), b);
        assert_eq!(s.count_users(true).await.unwrap(), 2);
    })
    .await;
}

#[tokio::test]
async fn update_user_writes_every_column() {
    on_each_backend(async |s| {
        let u = add_user(s, "alice").await;
        let untouched = add_user(s, "bob").await;
        let changed = rustmost_model::user::User {
            id: u.id.clone(),
            create_at: u.create_at,
            update_at: T0 + 100,
            delete_at: T0 + 101,
            username: "alice2".into(),
            password: String::new(),
            auth_data: None,
            auth_service: "gitlab".into(),
            email: "a2@example.com".into(),
            email_verified: false,
            nickname: String::new(),
            first_name: "Ä".into(),
            last_name: String::new(),
            position: "boss".into(),
            roles: "system_user system_admin".into(),
            allow_marketing: false,
            props: Some(map(&[("k", "v")])),
            notify_props: Some(Default::default()),
            last_password_update: T0 + 102,
            last_picture_update: 0,
            failed_attempts: 0,
            locale: "en".into(),
            timezone: Some(map(&[("automaticTimezone", "Europe/Paris")])),
            mfa_active: false,
            remote_id: Some("r".into()),
            last_activity_at: T0 + 103,
            is_bot: true,
            bot_description: "now a bot".into(),
            disable_welcome_email: false,
            last_login: T0 + 104,
            ..Default::default()
        };
        s.update_user(&changed).await.unwrap();
        assert_eq!(s.get_user(&u.id).await.unwrap(), changed);
        assert_eq!(s.get_user(&untouched.id).await.unwrap(), untouched);
        assert_not_found(s.get_user_by_username("alice").await);
    })
    .await;
}

#[tokio::test]
async fn set_failed_attempts_changes_only_that_column() {
    on_each_backend(async |s| {
        let u = add_user(s, "alice").await;
        let other = add_user(s, "bob").await;
        s.set_failed_attempts(&u.id, 7).await.unwrap();
        let got = s.get_user(&u.id).await.unwrap();
        assert_eq!(got.failed_attempts, 7);
        assert_eq!(
            got,
            rustmost_model::user::User {
                failed_attempts: 7,
                ..u.clone()
            }
        );
        s.set_failed_attempts(&u.id, 0).await.unwrap();
        assert_eq!(s.get_user(&u.id).await.unwrap().failed_attempts, 0);
        assert_eq!(s.get_user(&other.id).await.unwrap(), other);
    })
    .await;
}

#[tokio::test]
async fn users_by_ids_are_in_username_order_and_filtered_by_since() {
    on_each_backend(async |s| {
        let c = add_user(s, "carol").await;
        let mut a = user("alice");
        a.update_at = T0 + 50;
        s.insert_user(&a).await.unwrap();
        let b = add_user(s, "bob").await;
        assert_empty(s.get_users_by_ids(&[], None).await);
        let wanted = [
            c.id.clone(),
            a.id.clone(),
            rustmost_model::new_id(),
            b.id.clone(),
        ];
        let got = s.get_users_by_ids(&wanted, None).await.unwrap();
        assert_eq!(ids(&got, |u| &u.username), ["alice", "bob", "carol"]);
        assert_eq!(got[0], a);
        // `since` keeps users updated strictly after it.
        let got = s.get_users_by_ids(&wanted, Some(T0 + 1)).await.unwrap();
        assert_eq!(ids(&got, |u| &u.username), ["alice"]);
        let got = s.get_users_by_ids(&wanted, Some(T0)).await.unwrap();
        assert_eq!(got.len(), 3);
    })
    .await;
}

#[tokio::test]
async fn users_by_usernames_in_one_query_skipping_unknown_names() {
    on_each_backend(async |s| {
        let c = add_user(s, "carol").await;
        let a = add_user(s, "alice").await;
        add_user(s, "bob").await;
        assert_empty(s.get_users_by_usernames(&[]).await);
        let wanted = ["carol".to_string(), "nobody".into(), "alice".into()];
        let got = s.get_users_by_usernames(&wanted).await.unwrap();
        assert_eq!(ids(&got, |u| &u.username), ["alice", "carol"]);
        assert_eq!(got[0], a);
        assert_eq!(got[1], c);
    })
    .await;
}

#[tokio::test]
async fn count_users_with_and_without_bots() {
    on_each_backend(async |s| {
        assert_eq!(s.count_users(true).await.unwrap(), 0);
        assert_eq!(s.count_active_users().await.unwrap(), 0);
        let owner = add_user(s, "owner").await;
        let mut gone = user("gone");
        gone.delete_at = T0;
        s.insert_user(&gone).await.unwrap();
        add_bot(s, "robot", &owner.id, T0).await;
        // Deactivated users count; bots only when asked for.
        assert_eq!(s.count_users(false).await.unwrap(), 2);
        assert_eq!(s.count_users(true).await.unwrap(), 3);
        // `total_users_count`: bots count, deactivated users do not.
        assert_eq!(s.count_active_users().await.unwrap(), 2);
    })
    .await;
}

/// Usernames of a listing, in order.
async fn names(s: &dyn rustmost_store::Store, q: UserQuery) -> Vec<String> {
    ids(&s.list_users(&q).await.unwrap(), |u| &u.username)
}

#[tokio::test]
async fn list_users_filters() {
    on_each_backend(async |s| {
        let alice = add_user(s, "alice").await;
        let mut bob = user("bob");
        bob.delete_at = T0 + 5;
        bob.update_at = T0 + 10;
        s.insert_user(&bob).await.unwrap();
        let mut carol = user("carol");
        carol.roles = "system_user system_admin".into();
        carol.first_name = "Zoë".into();
        s.insert_user(&carol).await.unwrap();
        let mut dan = user("dan_x");
        dan.roles = "system_guest".into();
        dan.nickname = "100%".into();
        s.insert_user(&dan).await.unwrap();
        add_bot(s, "robot", &alice.id, T0).await;

        let all = || UserQuery {
            include_bots: true,
            ..Default::default()
        };
        assert_eq!(
            names(s, all()).await,
            ["alice", "bob", "carol", "dan_x", "robot"]
        );
        assert_eq!(
            names(s, UserQuery::default()).await,
            ["alice", "bob", "carol", "dan_x"]
        );
        let active = UserQuery {
            active: true,
            ..Default::default()
        };
        assert_eq!(names(s, active).await, ["alice", "carol", "dan_x"]);
        let inactive = UserQuery {
            inactive: true,
            ..Default::default()
        };
        assert_eq!(names(s, inactive).await, ["bob"]);

        // A role matches whole words of `roles` only.
        let role = |r: &str| UserQuery {
            role: Some(r.into()),
            include_bots: true,
            ..Default::default()
        };
        assert_eq!(names(s, role("system_admin")).await, ["carol"]);
        assert_eq!(
            names(s, role("system_user")).await,
            ["alice", "bob", "carol", "robot"]
        );
        assert_eq!(names(s, role("system")).await, Vec::<String>::new());
        assert_eq!(names(s, role("system_guest")).await, ["dan_x"]);

        let since = UserQuery {
            since: Some(T0 + 1),
            ..Default::default()
        };
        assert_eq!(names(s, since).await, ["bob"]);

        // Term: a case-insensitive prefix of username, e-mail, first, last or nickname, with
        // LIKE's wildcards taken literally.
        let term = |t: &str| UserQuery {
            term: Some(t.into()),
            include_bots: true,
            ..Default::default()
        };
        assert_eq!(names(s, term("AL")).await, ["alice"]);
        assert_eq!(names(s, term("bob@")).await, ["bob"]);
        assert_eq!(names(s, term("firstc")).await, Vec::<String>::new());
        assert_eq!(names(s, term("zo")).await, ["carol"]);
        assert_eq!(
            names(s, term("lást")).await,
            ["alice", "bob", "carol", "dan_x", "robot"]
        );
        assert_eq!(names(s, term("nick-r")).await, ["robot"]);
        assert_eq!(names(s, term("dan_")).await, ["dan_x"]);
        assert_eq!(names(s, term("da_")).await, Vec::<String>::new());
        assert_eq!(names(s, term("100%")).await, ["dan_x"]);
        assert_eq!(names(s, term("1%")).await, Vec::<String>::new());
        assert_eq!(names(s, term("lice")).await, Vec::<String>::new());

        // Filters combine.
        let q = UserQuery {
            active: true,
            role: Some("system_user".into()),
            term: Some("c".into()),
            ..Default::default()
        };
        assert_eq!(names(s, q).await, ["carol"]);
    })
    .await;
}

#[tokio::test]
async fn list_users_role_filter_is_literal_and_ignores_case() {
    on_each_backend(async |s| {
        let mut admin = user("admin");
        admin.roles = "system_user system_admin".into();
        s.insert_user(&admin).await.unwrap();
        let mut lookalike = user("lookalike");
        lookalike.roles = "system_user systemxadmin".into();
        s.insert_user(&lookalike).await.unwrap();
        add_user(s, "plain").await;
        let role = |r: &str| UserQuery {
            role: Some(r.into()),
            ..Default::default()
        };
        // As upstream: the role is lowercased and LIKE's wildcards in it are literal.
        assert_eq!(names(s, role("system_admin")).await, ["admin"]);
        assert_eq!(names(s, role("SYSTEM_ADMIN")).await, ["admin"]);
        assert_eq!(names(s, role("%")).await, Vec::<String>::new());
        assert_eq!(names(s, role("system%")).await, Vec::<String>::new());
        assert_eq!(
            names(s, role("system_user")).await,
            ["admin", "lookalike", "plain"]
        );
    })
    .await;
}

#[tokio::test]
async fn list_users_by_team_and_channel() {
    on_each_backend(async |s| {
        let alice = add_user(s, "alice").await;
        let bob = add_user(s, "bob").await;
        let carol = add_user(s, "carol").await;
        let t = add_team(s, "team", "Team", true).await;
        s.save_team_member(&team_member(&t.id, &alice.id))
            .await
            .unwrap();
        // A removed membership is not membership.
        let mut left = team_member(&t.id, &bob.id);
        left.delete_at = T0;
        s.save_team_member(&left).await.unwrap();
        let c = add_channel(s, &t.id, "chan", "Chan", "O").await;
        s.save_channel_member(&channel_member(&c.id, &bob.id))
            .await
            .unwrap();
        s.save_channel_member(&channel_member(&c.id, &carol.id))
            .await
            .unwrap();

        let q = |f: fn(&mut UserQuery, String), v: &str| {
            let mut q = UserQuery::default();
            f(&mut q, v.to_string());
            q
        };
        assert_eq!(
            names(s, q(|q, v| q.in_team = Some(v), &t.id)).await,
            ["alice"]
        );
        assert_eq!(
            names(s, q(|q, v| q.not_in_team = Some(v), &t.id)).await,
            ["bob", "carol"]
        );
        assert_eq!(
            names(s, q(|q, v| q.in_channel = Some(v), &c.id)).await,
            ["bob", "carol"]
        );
        assert_eq!(
            names(s, q(|q, v| q.not_in_channel = Some(v), &c.id)).await,
            ["alice"]
        );
        let both = UserQuery {
            in_team: Some(t.id.clone()),
            not_in_channel: Some(c.id.clone()),
            ..Default::default()
        };
        assert_eq!(names(s, both).await, ["alice"]);
        let none = UserQuery {
            in_team: Some(t.id.clone()),
            in_channel: Some(c.id.clone()),
            ..Default::default()
        };
        assert_eq!(names(s, none).await, Vec::<String>::new());
    })
    .await;
}

#[tokio::test]
async fn list_users_sorts_and_pages() {
    on_each_backend(async |s| {
        // create_at: carol newest; alice and bob tie (broken by id).
        let mut alice = user("alice");
        alice.last_activity_at = T0 + 20;
        let mut bob = user("bob");
        bob.last_activity_at = T0 + 30;
        let mut carol = user("carol");
        carol.create_at = T0 + 10;
        carol.last_activity_at = T0 + 20;
        for u in [&alice, &bob, &carol] {
            s.insert_user(u).await.unwrap();
        }
        let sorted = |sort: &str| UserQuery {
            sort: sort.into(),
            ..Default::default()
        };
        let mut tie = [alice.id.clone(), bob.id.clone()];
        tie.sort();
        let by_created: Vec<String> = s
            .list_users(&sorted("create_at"))
            .await
            .unwrap()
            .iter()
            .map(|u| u.id.clone())
            .collect();
        assert_eq!(
            by_created,
            [carol.id.clone(), tie[0].clone(), tie[1].clone()]
        );
        // Last activity, newest first, ties by username.
        assert_eq!(
            names(s, sorted("last_activity_at")).await,
            ["bob", "alice", "carol"]
        );
        assert_eq!(names(s, sorted("")).await, ["alice", "bob", "carol"]);
        assert_eq!(
            names(s, sorted("anything")).await,
            ["alice", "bob", "carol"]
        );

        // Channel admins first when listing a channel.
        let t = add_team(s, "team", "Team", true).await;
        let c = add_channel(s, &t.id, "chan", "Chan", "O").await;
        for u in [&alice, &bob, &carol] {
            let mut m = channel_member(&c.id, &u.id);
            m.scheme_admin = u.username == "carol";
            s.save_channel_member(&m).await.unwrap();
        }
        let admin = UserQuery {
            sort: "admin".into(),
            in_channel: Some(c.id.clone()),
            ..Default::default()
        };
        assert_eq!(names(s, admin).await, ["carol", "alice", "bob"]);

        let paged = |p: i64, n: i64| UserQuery {
            page: Some(page(p, n)),
            ..Default::default()
        };
        assert_eq!(names(s, paged(0, 2)).await, ["alice", "bob"]);
        assert_eq!(names(s, paged(1, 2)).await, ["carol"]);
        assert_eq!(names(s, paged(2, 2)).await, Vec::<String>::new());
        assert_eq!(names(s, paged(0, 0)).await, Vec::<String>::new());
    })
    .await;
}

/// The column writes of the login and admin paths: each changes its own columns and nothing
/// else (so it cannot undo a concurrent change to another column), touches no other user, and
/// is `NotFound` for a missing id.
#[tokio::test]
async fn add_failed_attempt_counts_in_the_database() {
    on_each_backend(async |s| {
        let u = add_user(s, "alice").await;
        let other = add_user(s, "bob").await;
        assert_eq!(s.add_failed_attempt(&u.id).await.unwrap(), 3);
        assert_eq!(s.add_failed_attempt(&u.id).await.unwrap(), 4);
        let want = rustmost_model::user::User {
            failed_attempts: 4,
            ..u.clone()
        };
        assert_eq!(s.get_user(&u.id).await.unwrap(), want);
        assert_eq!(s.get_user(&other.id).await.unwrap(), other);
        assert_not_found(s.add_failed_attempt("nope").await);
    })
    .await;
}

#[tokio::test]
async fn record_login_sets_last_login_and_clears_failed_attempts_only() {
    on_each_backend(async |s| {
        let u = add_user(s, "alice").await;
        let other = add_user(s, "bob").await;
        s.record_login(&u.id, T0 + 50).await.unwrap();
        let want = rustmost_model::user::User {
            last_login: T0 + 50,
            failed_attempts: 0,
            ..u.clone()
        };
        assert_eq!(s.get_user(&u.id).await.unwrap(), want);
        assert_eq!(s.get_user(&other.id).await.unwrap(), other);
        assert_not_found(s.record_login("nope", T0).await);
    })
    .await;
}

#[tokio::test]
async fn set_password_sets_the_hash_and_its_times_and_clears_failed_attempts_only() {
    on_each_backend(async |s| {
        let u = add_user(s, "alice").await;
        let other = add_user(s, "bob").await;
        s.set_password(&u.id, "$argon2id$new", T0 + 60)
            .await
            .unwrap();
        let want = rustmost_model::user::User {
            password: "$argon2id$new".into(),
            last_password_update: T0 + 60,
            update_at: T0 + 60,
            failed_attempts: 0,
            ..u.clone()
        };
        assert_eq!(s.get_user(&u.id).await.unwrap(), want);
        assert_eq!(s.get_user(&other.id).await.unwrap(), other);
        assert_not_found(s.set_password("nope", "h", T0).await);
    })
    .await;
}

#[tokio::test]
async fn update_user_profile_writes_the_profile_and_never_roles_activation_or_credentials() {
    on_each_backend(async |s| {
        let u = add_user(s, "alice").await;
        let other = add_user(s, "bob").await;
        // Everything changed in the copy; only the profile columns may reach the row.
        let copy = rustmost_model::user::User {
            update_at: T0 + 70,
            username: "alice2".into(),
            email: "alice2@example.com".into(),
            email_verified: false,
            nickname: "n2".into(),
            first_name: "F2".into(),
            last_name: "L2".into(),
            position: "p2".into(),
            locale: "de".into(),
            props: Some(map(&[("k", "v")])),
            notify_props: Some(map(&[("push", "all")])),
            timezone: Some(map(&[("manualTimezone", "UTC")])),
            disable_welcome_email: false,
            // Not profile columns:
            delete_at: T0 + 71,
            roles: "system_user system_admin".into(),
            password: "stale".into(),
            failed_attempts: 9,
            last_login: T0 + 72,
            last_password_update: T0 + 73,
            is_bot: true,
            bot_description: "d".into(),
            auth_service: "gitlab".into(),
            mfa_active: false,
            ..u.clone()
        };
        s.update_user_profile(&copy).await.unwrap();
        let want = rustmost_model::user::User {
            update_at: copy.update_at,
            username: copy.username.clone(),
            email: copy.email.clone(),
            email_verified: copy.email_verified,
            nickname: copy.nickname.clone(),
            first_name: copy.first_name.clone(),
            last_name: copy.last_name.clone(),
            position: copy.position.clone(),
            locale: copy.locale.clone(),
            props: copy.props.clone(),
            notify_props: copy.notify_props.clone(),
            timezone: copy.timezone.clone(),
            disable_welcome_email: copy.disable_welcome_email,
            ..u.clone()
        };
        assert_eq!(s.get_user(&u.id).await.unwrap(), want);
        assert_eq!(s.get_user(&other.id).await.unwrap(), other);

        // A taken username or e-mail is a named conflict and changes nothing.
        let taken_name = rustmost_model::user::User {
            username: "bob".into(),
            ..want.clone()
        };
        assert_conflict(s.update_user_profile(&taken_name).await, "users_username");
        let taken_email = rustmost_model::user::User {
            email: other.email.clone(),
            ..want.clone()
        };
        assert_conflict(s.update_user_profile(&taken_email).await, "users_email");
        assert_eq!(s.get_user(&u.id).await.unwrap(), want);

        let mut ghost = user("ghost");
        ghost.id = rustmost_model::new_id();
        assert_not_found(s.update_user_profile(&ghost).await);
    })
    .await;
}

#[tokio::test]
async fn set_user_delete_at_roles_and_bot_change_only_their_columns() {
    on_each_backend(async |s| {
        let u = add_user(s, "alice").await;
        let other = add_user(s, "bob").await;

        s.set_user_delete_at(&u.id, T0 + 80, T0 + 81).await.unwrap();
        let mut want = rustmost_model::user::User {
            delete_at: T0 + 80,
            update_at: T0 + 81,
            ..u.clone()
        };
        assert_eq!(s.get_user(&u.id).await.unwrap(), want);
        s.set_user_delete_at(&u.id, 0, T0 + 82).await.unwrap();
        want.delete_at = 0;
        want.update_at = T0 + 82;
        assert_eq!(s.get_user(&u.id).await.unwrap(), want);

        s.set_user_roles(&u.id, "system_user system_admin", T0 + 83)
            .await
            .unwrap();
        want.roles = "system_user system_admin".into();
        want.update_at = T0 + 83;
        assert_eq!(s.get_user(&u.id).await.unwrap(), want);

        s.set_user_bot(&u.id, true, "a bot now", T0 + 84)
            .await
            .unwrap();
        want.is_bot = true;
        want.bot_description = "a bot now".into();
        want.update_at = T0 + 84;
        assert_eq!(s.get_user(&u.id).await.unwrap(), want);
        s.set_user_bot(&u.id, false, "", T0 + 85).await.unwrap();
        want.is_bot = false;
        want.bot_description = String::new();
        want.update_at = T0 + 85;
        assert_eq!(s.get_user(&u.id).await.unwrap(), want);

        assert_eq!(s.get_user(&other.id).await.unwrap(), other);
        assert_not_found(s.set_user_delete_at("nope", 1, T0).await);
        assert_not_found(s.set_user_roles("nope", "system_user", T0).await);
        assert_not_found(s.set_user_bot("nope", true, "", T0).await);
    })
    .await;
}
