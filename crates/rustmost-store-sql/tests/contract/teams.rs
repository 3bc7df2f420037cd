//! TeamStore: team round trips and updates, listings (all, open, invite-only, a user's), and
//! memberships (upsert, removed members, listing).

use crate::common::*;
use rustmost_model::team::{Team, TeamMember};
use rustmost_store::TeamListing;

#[tokio::test]
async fn team_round_trip_keeps_every_field() {
    on_each_backend(async |s| {
        let t = add_team(s, "alpha", "Alpha Team", true).await;
        assert_eq!(s.get_team(&t.id).await.unwrap(), t);
        assert_eq!(s.get_team_by_name("alpha").await.unwrap(), t);

        let mut bare = team("bare", "", false);
        bare.scheme_id = None;
        bare.group_constrained = None;
        bare.description = String::new();
        bare.last_team_icon_update = i64::MAX;
        s.insert_team(&bare).await.unwrap();
        assert_eq!(s.get_team(&bare.id).await.unwrap(), bare);

        assert_not_found(s.get_team("nope").await);
        assert_not_found(s.get_team_by_name("nope").await);
    })
    .await;
}

#[tokio::test]
async fn team_unique_violations_are_named() {
    on_each_backend(async |s| {
        let t = add_team(s, "alpha", "Alpha", true).await;
        let mut same_id = team("beta", "Beta", true);
        same_id.id = t.id.clone();
        assert_conflict(s.insert_team(&same_id).await, "teams_id");
        assert_conflict(
            s.insert_team(&team("alpha", "Other", true)).await,
            "teams_name",
        );
        let b = add_team(s, "beta", "Beta", true).await;
        assert_conflict(
            s.update_team(&Team {
                name: "alpha".into(),
                ..b.clone()
            })
            .await,
            "teams_name",
        );
        assert_eq!(s.get_team(&b.id).await.unwrap(), b);
    })
    .await;
}

#[tokio::test]
async fn update_team_writes_every_column() {
    on_each_backend(async |s| {
        let t = add_team(s, "alpha", "Alpha", true).await;
        let other = add_team(s, "beta", "Beta", true).await;
        let changed = Team {
            id: t.id.clone(),
            create_at: t.create_at,
            update_at: T0 + 10,
            delete_at: T0 + 11,
            display_name: "Renamed".into(),
            name: "renamed".into(),
            description: "d".into(),
            email: String::new(),
            team_type: "I".into(),
            company_name: "ACME".into(),
            allowed_domains: String::new(),
            invite_id: "new-invite".into(),
            allow_open_invite: false,
            last_team_icon_update: 0,
            scheme_id: None,
            group_constrained: Some(true),
            policy_id: None,
            cloud_limits_archived: false,
        };
        s.update_team(&changed).await.unwrap();
        assert_eq!(s.get_team(&t.id).await.unwrap(), changed);
        assert_eq!(s.get_team(&other.id).await.unwrap(), other);
        assert_not_found(
            s.update_team(&Team {
                id: "nope".into(),
                name: "x".into(),
                ..t
            })
            .await,
        );
    })
    .await;
}

#[tokio::test]
async fn list_teams_by_kind_in_display_name_order() {
    on_each_backend(async |s| {
        let b = team("b", "Bravo", true);
        let a = team("a", "Alpha", false);
        let c = team("c", "Charlie", true);
        // Same display name as Alpha: ties broken by id.
        let a2 = team("a2", "Alpha", true);
        let mut gone = team("gone", "Aardvark", true);
        gone.delete_at = T0;
        for t in [&b, &a, &c, &a2, &gone] {
            s.insert_team(t).await.unwrap();
        }
        let mut alphas = vec![a.clone(), a2.clone()];
        alphas.sort_by(|x, y| x.id.cmp(&y.id));
        let all = s.list_teams(TeamListing::All, page(0, 10)).await.unwrap();
        assert_eq!(all, [alphas.clone(), vec![b.clone(), c.clone()]].concat());
        assert_eq!(
            s.list_teams(TeamListing::Open, page(0, 10)).await.unwrap(),
            vec![a2.clone(), b.clone(), c.clone()]
        );
        assert_eq!(
            s.list_teams(TeamListing::Private, page(0, 10))
                .await
                .unwrap(),
            vec![a.clone()]
        );
        assert_eq!(
            s.list_teams(TeamListing::All, page(1, 3)).await.unwrap(),
            vec![c.clone()]
        );
        assert_empty(s.list_teams(TeamListing::All, page(2, 3)).await);
        // The counts agree with the listings over every page, the archived team left out.
        assert_eq!(s.count_teams(TeamListing::All).await.unwrap(), 4);
        assert_eq!(s.count_teams(TeamListing::Open).await.unwrap(), 3);
        assert_eq!(s.count_teams(TeamListing::Private).await.unwrap(), 1);
    })
    .await;
}

#[tokio::test]
async fn teams_for_user_are_its_active_memberships() {
    on_each_backend(async |s| {
        let b = team("b", "Bravo", true);
        let a = team("a", "Alpha", true);
        let c = team("c", "Charlie", true);
        for t in [&b, &a, &c] {
            s.insert_team(t).await.unwrap();
        }
        s.save_team_member(&team_member(&b.id, "u")).await.unwrap();
        s.save_team_member(&team_member(&a.id, "u")).await.unwrap();
        s.save_team_member(&TeamMember {
            delete_at: T0,
            ..team_member(&c.id, "u")
        })
        .await
        .unwrap();
        s.save_team_member(&team_member(&c.id, "v")).await.unwrap();
        assert_eq!(
            s.list_teams_for_user("u", None).await.unwrap(),
            vec![a.clone(), b.clone()]
        );
        assert_eq!(
            s.list_teams_for_user("u", Some(page(1, 1))).await.unwrap(),
            vec![b]
        );
        assert_eq!(s.list_teams_for_user("v", None).await.unwrap(), vec![c]);
        assert_empty(s.list_teams_for_user("w", None).await);
    })
    .await;
}

#[tokio::test]
async fn team_member_upsert_and_roles() {
    on_each_backend(async |s| {
        let t = add_team(s, "a", "Alpha", true).await;
        let mut m = team_member(&t.id, "u");
        m.explicit_roles = "custom_role".into();
        m.scheme_admin = true;
        m.compute_roles();
        s.save_team_member(&m).await.unwrap();
        let got = s.get_team_member(&t.id, "u").await.unwrap();
        assert_eq!(got, m);
        assert_eq!(got.roles, "custom_role team_user team_admin");

        // Saving again replaces roles, flags and removal time but keeps the first join time.
        let mut again = TeamMember {
            explicit_roles: String::new(),
            scheme_user: false,
            scheme_guest: true,
            scheme_admin: false,
            delete_at: T0 + 9,
            create_at: T0 + 100,
            ..m.clone()
        };
        s.save_team_member(&again).await.unwrap();
        again.create_at = m.create_at;
        again.compute_roles();
        // A removed membership is still returned.
        assert_eq!(s.get_team_member(&t.id, "u").await.unwrap(), again);
        assert_eq!(again.roles, "team_guest");

        assert_not_found(s.get_team_member(&t.id, "v").await);
        assert_not_found(s.get_team_member("nope", "u").await);
    })
    .await;
}

#[tokio::test]
async fn list_team_members_active_by_user_id() {
    on_each_backend(async |s| {
        let t = add_team(s, "a", "Alpha", true).await;
        let other = add_team(s, "b", "Bravo", true).await;
        let m3 = team_member(&t.id, "u3");
        let m1 = team_member(&t.id, "u1");
        let m2 = team_member(&t.id, "u2");
        for m in [&m3, &m1, &m2] {
            s.save_team_member(m).await.unwrap();
        }
        s.save_team_member(&TeamMember {
            delete_at: T0,
            ..team_member(&t.id, "u0")
        })
        .await
        .unwrap();
        s.save_team_member(&team_member(&other.id, "u1"))
            .await
            .unwrap();
        assert_eq!(
            s.list_team_members(&t.id, page(0, 10)).await.unwrap(),
            vec![m1.clone(), m2.clone(), m3.clone()]
        );
        assert_eq!(
            s.list_team_members(&t.id, page(1, 2)).await.unwrap(),
            vec![m3]
        );
        assert_empty(s.list_team_members("nope", page(0, 10)).await);
    })
    .await;
}
