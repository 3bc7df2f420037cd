//! BotStore: the bot row joined with its user, disabled bots, listing filters (owner, deleted,
//! orphaned), updates and deletion.

use crate::common::*;
use rustmost_model::bot::Bot;
use rustmost_store::BotQuery;

#[tokio::test]
async fn bot_round_trip_joins_its_user() {
    on_each_backend(async |s| {
        let owner = add_user(s, "owner").await;
        let b = add_bot(s, "robot", &owner.id, T0).await;
        assert_eq!(b.display_name, "Bot robot");
        assert_eq!(s.get_bot(&b.user_id, false).await.unwrap(), b);
        assert_eq!(s.get_bot(&b.user_id, true).await.unwrap(), b);
        assert_not_found(s.get_bot(&owner.id, true).await);
        assert_not_found(s.get_bot("nope", true).await);
        assert_conflict(s.insert_bot(&b).await, "bots_user_id");
    })
    .await;
}

#[tokio::test]
async fn disabled_bots_need_include_deleted() {
    on_each_backend(async |s| {
        let owner = add_user(s, "owner").await;
        let b = add_bot(s, "robot", &owner.id, T0).await;
        let disabled = Bot {
            delete_at: T0 + 5,
            update_at: T0 + 5,
            ..b.clone()
        };
        s.update_bot(&disabled).await.unwrap();
        assert_not_found(s.get_bot(&b.user_id, false).await);
        assert_eq!(s.get_bot(&b.user_id, true).await.unwrap(), disabled);
    })
    .await;
}

#[tokio::test]
async fn update_bot_writes_its_columns() {
    on_each_backend(async |s| {
        let owner = add_user(s, "owner").await;
        let heir = add_user(s, "heir").await;
        let b = add_bot(s, "robot", &owner.id, T0).await;
        let other = add_bot(s, "other", &owner.id, T0).await;
        let changed = Bot {
            description: String::new(),
            owner_id: heir.id.clone(),
            last_icon_update: 0,
            update_at: T0 + 10,
            ..b.clone()
        };
        s.update_bot(&changed).await.unwrap();
        assert_eq!(s.get_bot(&b.user_id, false).await.unwrap(), changed);
        assert_eq!(s.get_bot(&other.user_id, false).await.unwrap(), other);
        // Username, display name and create time come from elsewhere and are not written.
        let renamed = Bot {
            username: "x".into(),
            display_name: "X".into(),
            create_at: 1,
            ..changed.clone()
        };
        s.update_bot(&renamed).await.unwrap();
        assert_eq!(s.get_bot(&b.user_id, false).await.unwrap(), changed);
        assert_not_found(
            s.update_bot(&Bot {
                user_id: "nope".into(),
                ..b.clone()
            })
            .await,
        );
    })
    .await;
}

#[tokio::test]
async fn delete_bot_removes_the_bot_row_only() {
    on_each_backend(async |s| {
        let owner = add_user(s, "owner").await;
        let b = add_bot(s, "robot", &owner.id, T0).await;
        let other = add_bot(s, "other", &owner.id, T0).await;
        s.delete_bot(&b.user_id).await.unwrap();
        assert_not_found(s.get_bot(&b.user_id, true).await);
        assert!(s.get_user(&b.user_id).await.unwrap().is_bot);
        assert_eq!(s.get_bot(&other.user_id, true).await.unwrap(), other);
        s.delete_bot(&b.user_id).await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn list_bots_filters_and_pages() {
    on_each_backend(async |s| {
        let alice = add_user(s, "alice").await;
        let mut gone = user("gone");
        gone.delete_at = T0;
        s.insert_user(&gone).await.unwrap();
        // Created in this order; b2 and b3 tie on create time (then username order).
        let b1 = add_bot(s, "zeta", &alice.id, T0).await;
        let b3 = add_bot(s, "mid", &gone.id, T0 + 1).await;
        let b2 = add_bot(s, "alpha", &alice.id, T0 + 1).await;
        let b4 = add_bot(s, "plugin", "com.example.plugin", T0 + 2).await;
        let disabled = Bot {
            delete_at: T0 + 3,
            ..add_bot(s, "off", &gone.id, T0 + 3).await
        };
        s.update_bot(&disabled).await.unwrap();

        let list = |q: BotQuery| async move { s.list_bots(&q).await.unwrap() };
        assert_eq!(
            list(BotQuery::default()).await,
            vec![b1.clone(), b2.clone(), b3.clone(), b4.clone()]
        );
        assert_eq!(
            list(BotQuery {
                include_deleted: true,
                ..Default::default()
            })
            .await,
            vec![
                b1.clone(),
                b2.clone(),
                b3.clone(),
                b4.clone(),
                disabled.clone()
            ]
        );
        assert_eq!(
            list(BotQuery {
                owner_id: Some(alice.id.clone()),
                ..Default::default()
            })
            .await,
            vec![b1.clone(), b2.clone()]
        );
        // Orphaned: the owner is a deactivated user (a plugin owner is not a user at all).
        assert_eq!(
            list(BotQuery {
                only_orphaned: true,
                ..Default::default()
            })
            .await,
            vec![b3.clone()]
        );
        assert_eq!(
            list(BotQuery {
                only_orphaned: true,
                include_deleted: true,
                ..Default::default()
            })
            .await,
            vec![b3.clone(), disabled.clone()]
        );
        assert_eq!(
            list(BotQuery {
                owner_id: Some(gone.id.clone()),
                include_deleted: true,
                only_orphaned: true,
                ..Default::default()
            })
            .await,
            vec![b3.clone(), disabled.clone()]
        );
        assert_eq!(
            list(BotQuery {
                page: Some(page(1, 3)),
                ..Default::default()
            })
            .await,
            vec![b4.clone()]
        );
        assert_eq!(
            list(BotQuery {
                page: Some(page(0, 2)),
                ..Default::default()
            })
            .await,
            vec![b1, b2]
        );
    })
    .await;
}
