//! CommandStore and StatusStore: round trips, the team listing (live commands only, oldest
//! first), updates that keep `create_at`/`last_used_at`, soft deletes, `response_url` expiry
//! and its use limit, and status upserts.

use crate::common::*;
use rustmost_model::command::{Command, CommandWebhook, Status};
use rustmost_model::new_id;
use serde_json::json;

fn command(team_id: &str, trigger: &str, create_at: i64) -> Command {
    Command {
        id: new_id(),
        token: new_id(),
        create_at,
        update_at: create_at,
        creator_id: new_id(),
        team_id: team_id.into(),
        trigger: trigger.into(),
        method: "P".into(),
        username: "u".into(),
        icon_url: "http://i.example.com/i.png".into(),
        auto_complete: true,
        auto_complete_desc: "desc".into(),
        auto_complete_hint: "[x]".into(),
        display_name: "D".into(),
        description: "d".into(),
        url: "http://h.example.com/x".into(),
        autocomplete_data: Some(json!({"trigger": trigger})),
        ..Default::default()
    }
}

#[tokio::test]
async fn commands_round_trip_list_update_delete() {
    on_each_backend(async |s| {
        let a = command("t1", "alpha", T0);
        let mut b = command("t1", "beta", T0 + 1);
        b.autocomplete_data = None;
        let other = command("t2", "alpha", T0);
        for c in [&b, &a, &other] {
            s.insert_command(c).await.unwrap();
        }
        assert_eq!(s.get_command(&a.id).await.unwrap(), a);
        assert_eq!(s.get_command(&b.id).await.unwrap(), b);
        assert_not_found(s.get_command("missing").await);
        assert_eq!(
            s.list_team_commands("t1").await.unwrap(),
            vec![a.clone(), b.clone()]
        );

        s.touch_command(&a.id, T0 + 50).await.unwrap();
        let mut changed = a.clone();
        changed.trigger = "gamma".into();
        changed.token = new_id();
        changed.team_id = "t2".into();
        changed.update_at = T0 + 60;
        // Neither is written by an update.
        changed.create_at = 1;
        changed.last_used_at = 0;
        s.update_command(&changed).await.unwrap();
        let got = s.get_command(&a.id).await.unwrap();
        assert_eq!(got.trigger, "gamma");
        assert_eq!(got.token, changed.token);
        assert_eq!(got.team_id, "t2");
        assert_eq!(got.create_at, T0);
        assert_eq!(got.last_used_at, T0 + 50);
        let mut missing = a.clone();
        missing.id = new_id();
        assert_not_found(s.update_command(&missing).await);

        s.delete_command(&b.id, T0 + 70).await.unwrap();
        let gone = s.get_command(&b.id).await.unwrap();
        assert_eq!(gone.delete_at, T0 + 70);
        assert_empty(s.list_team_commands("t1").await);
        assert_eq!(s.list_team_commands("t2").await.unwrap().len(), 2);
    })
    .await;
}

#[tokio::test]
async fn command_webhooks_expire_and_count_uses() {
    on_each_backend(async |s| {
        let h = CommandWebhook {
            id: new_id(),
            create_at: T0,
            command_id: new_id(),
            user_id: new_id(),
            channel_id: new_id(),
            root_id: String::new(),
            use_count: 0,
        };
        s.insert_command_webhook(&h).await.unwrap();
        assert_eq!(s.get_command_webhook(&h.id, T0 - 1).await.unwrap(), h);
        assert_not_found(s.get_command_webhook(&h.id, T0).await);
        assert_not_found(s.get_command_webhook("missing", 0).await);
        for _ in 0..3 {
            assert!(s.try_use_command_webhook(&h.id, 3).await.unwrap());
        }
        assert!(!s.try_use_command_webhook(&h.id, 3).await.unwrap());
        assert_eq!(s.get_command_webhook(&h.id, 0).await.unwrap().use_count, 3);
        assert!(!s.try_use_command_webhook("missing", 3).await.unwrap());

        // Uses racing for the last ones: exactly the limit wins.
        let mut h2 = h.clone();
        h2.id = new_id();
        s.insert_command_webhook(&h2).await.unwrap();
        let t = || s.try_use_command_webhook(&h2.id, 5);
        let r = tokio::join!(t(), t(), t(), t(), t(), t(), t(), t());
        let won = [r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7]
            .into_iter()
            .filter(|r| *r.as_ref().unwrap())
            .count();
        assert_eq!(won, 5);
    })
    .await;
}

#[tokio::test]
async fn statuses_upsert() {
    on_each_backend(async |s| {
        assert_not_found(s.get_status("u").await);
        let mut st = Status {
            user_id: "u".into(),
            status: "away".into(),
            manual: true,
            last_activity_at: T0,
        };
        s.save_status(&st).await.unwrap();
        assert_eq!(s.get_status("u").await.unwrap(), st);
        st.status = "online".into();
        st.manual = false;
        st.last_activity_at = T0 + 1;
        s.save_status(&st).await.unwrap();
        assert_eq!(s.get_status("u").await.unwrap(), st);
    })
    .await;
}

#[tokio::test]
async fn statuses_by_ids_and_the_not_offline_listing() {
    on_each_backend(async |s| {
        let st = |u: &str, status: &str, at: i64| Status {
            user_id: u.into(),
            status: status.into(),
            manual: status == "dnd",
            last_activity_at: at,
        };
        let rows = [
            st("a", "online", T0 + 1),
            st("b", "offline", T0 + 2),
            st("c", "dnd", T0 + 3),
            st("d", "away", T0),
        ];
        for r in &rows {
            s.save_status(r).await.unwrap();
        }
        let mut ids: Vec<String> = vec!["a".into(), "b".into(), "zz".into()];
        // More ids than one statement's chunk.
        ids.extend((0..1200).map(|i| format!("x{i}")));
        let mut got = s.get_statuses(&ids).await.unwrap();
        got.sort_by(|x, y| x.user_id.cmp(&y.user_id));
        assert_eq!(got, vec![rows[0].clone(), rows[1].clone()]);
        assert_empty(s.get_statuses(&[]).await);
        let live = s.list_statuses_not_offline(10).await.unwrap();
        assert_eq!(
            live,
            vec![rows[2].clone(), rows[0].clone(), rows[3].clone()]
        );
        assert_eq!(
            s.list_statuses_not_offline(1).await.unwrap(),
            vec![rows[2].clone()]
        );
    })
    .await;
}

#[tokio::test]
async fn an_automatic_status_never_overwrites_one_set_by_hand() {
    on_each_backend(async |s| {
        let auto = |status: &str, at: i64| Status {
            user_id: "u".into(),
            status: status.into(),
            manual: false,
            last_activity_at: at,
        };
        // No row yet, then an automatic one: both written.
        assert!(
            s.save_status_unless_manual(&auto("online", T0))
                .await
                .unwrap()
        );
        assert_eq!(s.get_status("u").await.unwrap(), auto("online", T0));
        assert!(
            s.save_status_unless_manual(&auto("offline", T0 + 1))
                .await
                .unwrap()
        );
        assert_eq!(s.get_status("u").await.unwrap(), auto("offline", T0 + 1));
        // Set by hand: left alone.
        let dnd = Status {
            user_id: "u".into(),
            status: "dnd".into(),
            manual: true,
            last_activity_at: T0 + 2,
        };
        s.save_status(&dnd).await.unwrap();
        assert!(
            !s.save_status_unless_manual(&auto("online", T0 + 3))
                .await
                .unwrap()
        );
        assert_eq!(s.get_status("u").await.unwrap(), dnd);
    })
    .await;
}
