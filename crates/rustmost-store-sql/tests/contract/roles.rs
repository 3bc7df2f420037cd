//! RoleStore: round trips, lookups by id and name, listing order and permission updates.

use crate::common::*;
use rustmost_model::role::Role;

fn role(name: &str, perms: &[&str]) -> Role {
    Role {
        id: rustmost_model::new_id(),
        name: name.to_string(),
        display_name: format!("authentication.roles.{name}.name"),
        description: String::new(),
        create_at: T0,
        update_at: T0 + 1,
        delete_at: 0,
        permissions: perms.iter().map(|p| p.to_string()).collect(),
        scheme_managed: true,
        built_in: false,
    }
}

#[tokio::test]
async fn role_round_trip_and_listing() {
    on_each_backend(async |s| {
        let mut b = role("team_user", &["view_team", "create_post"]);
        b.built_in = true;
        b.scheme_managed = false;
        let a = role("system_admin", &[]);
        let c = role("channel_user", &["read_channel"]);
        for r in [&b, &a, &c] {
            s.insert_role(r).await.unwrap();
        }
        assert_eq!(s.get_role(&b.id).await.unwrap(), b);
        assert_eq!(s.get_role_by_name("system_admin").await.unwrap(), a);
        // By name.
        assert_eq!(s.list_roles().await.unwrap(), vec![c, a, b]);
    })
    .await;
}

#[tokio::test]
async fn missing_roles_are_not_found() {
    on_each_backend(async |s| {
        s.insert_role(&role("team_user", &[])).await.unwrap();
        assert_not_found(s.get_role("nope").await);
        assert_not_found(s.get_role_by_name("team_admin").await);
        assert_not_found(s.update_role_permissions("nope", &[], T0).await);
    })
    .await;
}

#[tokio::test]
async fn role_unique_violations_are_named() {
    on_each_backend(async |s| {
        let a = role("team_user", &[]);
        s.insert_role(&a).await.unwrap();
        let mut same_id = role("other", &[]);
        same_id.id = a.id.clone();
        assert_conflict(s.insert_role(&same_id).await, "roles_id");
        assert_conflict(s.insert_role(&role("team_user", &[])).await, "roles_name");
    })
    .await;
}

#[tokio::test]
async fn update_role_permissions_sets_permissions_and_time() {
    on_each_backend(async |s| {
        let a = role("team_user", &["view_team"]);
        let b = role("team_admin", &["manage_team"]);
        s.insert_role(&a).await.unwrap();
        s.insert_role(&b).await.unwrap();
        let perms = vec![
            "create_post".to_string(),
            "view_team".to_string(),
            "a".repeat(300),
        ];
        s.update_role_permissions(&a.id, &perms, T0 + 50)
            .await
            .unwrap();
        let got = s.get_role(&a.id).await.unwrap();
        assert_eq!(
            got,
            Role {
                permissions: perms,
                update_at: T0 + 50,
                ..a.clone()
            }
        );
        s.update_role_permissions(&a.id, &[], T0 + 60)
            .await
            .unwrap();
        assert!(s.get_role(&a.id).await.unwrap().permissions.is_empty());
        assert_eq!(s.get_role(&b.id).await.unwrap(), b);
    })
    .await;
}
