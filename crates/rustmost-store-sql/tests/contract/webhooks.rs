//! WebhookStore: round trips of every column, filtered and paged listings of live hooks,
//! counts, id changes and last-use times.

use crate::common::*;
use rustmost_model::webhook::{IncomingWebhook, OutgoingWebhook};
use rustmost_store::WebhookQuery;

fn incoming(team: &str, user: &str, create_at: i64) -> IncomingWebhook {
    IncomingWebhook {
        id: rustmost_model::new_id(),
        create_at,
        update_at: create_at + 1,
        delete_at: 0,
        user_id: user.into(),
        channel_id: rustmost_model::new_id(),
        team_id: team.into(),
        display_name: "Disp".into(),
        description: "Desc".into(),
        username: "hooky".into(),
        icon_url: "http://x/i.png".into(),
        channel_locked: true,
        last_used_at: 7,
    }
}

fn outgoing(team: &str, user: &str, create_at: i64) -> OutgoingWebhook {
    OutgoingWebhook {
        id: rustmost_model::new_id(),
        token: rustmost_model::new_id(),
        create_at,
        update_at: create_at + 1,
        delete_at: 0,
        creator_id: user.into(),
        channel_id: "chan".into(),
        team_id: team.into(),
        trigger_words: vec!["go".into(), "run".into()],
        trigger_when: 1,
        callback_urls: vec!["http://a/".into(), "https://b/c".into()],
        display_name: "Out".into(),
        description: "D".into(),
        content_type: "application/json".into(),
        username: "u".into(),
        icon_url: "i".into(),
        last_used_at: 3,
    }
}

fn q(team: Option<&str>, user: Option<&str>) -> WebhookQuery {
    WebhookQuery {
        team_id: team.map(str::to_string),
        user_id: user.map(str::to_string),
        ..Default::default()
    }
}

#[tokio::test]
async fn incoming_webhooks_round_trip_list_and_change_id() {
    on_each_backend(async |s| {
        let a = incoming("t1", "u1", T0);
        let b = incoming("t1", "u2", T0 + 1);
        let c = incoming("t2", "u1", T0 + 2);
        for h in [&a, &b, &c] {
            s.insert_incoming_webhook(h).await.unwrap();
        }
        assert_eq!(s.get_incoming_webhook(&a.id).await.unwrap(), a);
        assert_not_found(s.get_incoming_webhook("missing").await);
        assert_eq!(
            s.list_incoming_webhooks(&q(Some("t1"), None))
                .await
                .unwrap(),
            vec![a.clone(), b.clone()]
        );
        assert_eq!(
            s.list_incoming_webhooks(&q(None, Some("u1")))
                .await
                .unwrap(),
            vec![a.clone(), c.clone()]
        );
        let mut paged = q(None, None);
        paged.page = Some(page(1, 2));
        assert_eq!(
            s.list_incoming_webhooks(&paged).await.unwrap(),
            vec![c.clone()]
        );
        assert_eq!(
            s.count_incoming_webhooks(&q(Some("t1"), None))
                .await
                .unwrap(),
            2
        );
        // Every column is written by an update; deleted hooks leave the listings.
        let mut b2 = b.clone();
        b2.display_name = "New".into();
        b2.channel_locked = false;
        b2.delete_at = T0 + 9;
        s.update_incoming_webhook(&b2).await.unwrap();
        assert_eq!(s.get_incoming_webhook(&b.id).await.unwrap(), b2);
        assert_eq!(
            s.count_incoming_webhooks(&q(Some("t1"), None))
                .await
                .unwrap(),
            1
        );
        let mut ghost = a.clone();
        ghost.id = "nope".into();
        assert_not_found(s.update_incoming_webhook(&ghost).await);
        s.touch_incoming_webhook(&a.id, T0 + 50).await.unwrap();
        s.change_incoming_webhook_id(&a.id, "newid", T0 + 60)
            .await
            .unwrap();
        assert_not_found(s.get_incoming_webhook(&a.id).await);
        let moved = s.get_incoming_webhook("newid").await.unwrap();
        assert_eq!(moved.last_used_at, T0 + 50);
        assert_eq!(moved.update_at, T0 + 60);
        assert_not_found(s.change_incoming_webhook_id(&b.id, "x", T0).await);
    })
    .await;
}

#[tokio::test]
async fn outgoing_webhooks_round_trip_and_list() {
    on_each_backend(async |s| {
        let a = outgoing("t1", "u1", T0);
        let mut b = outgoing("t1", "u2", T0 + 1);
        b.channel_id = String::new();
        let c = outgoing("t2", "u1", T0 + 2);
        for h in [&a, &b, &c] {
            s.insert_outgoing_webhook(h).await.unwrap();
        }
        assert_eq!(s.get_outgoing_webhook(&a.id).await.unwrap(), a);
        assert_not_found(s.get_outgoing_webhook("missing").await);
        assert_eq!(
            s.list_outgoing_webhooks(&q(Some("t1"), Some("u2")))
                .await
                .unwrap(),
            vec![b.clone()]
        );
        let by_channel = WebhookQuery {
            channel_id: Some("chan".into()),
            ..Default::default()
        };
        assert_eq!(
            s.list_outgoing_webhooks(&by_channel).await.unwrap(),
            vec![a.clone(), c.clone()]
        );
        let mut a2 = a.clone();
        a2.token = "tok".into();
        a2.trigger_words = vec![];
        a2.callback_urls = vec!["http://z/".into()];
        a2.trigger_when = 0;
        s.update_outgoing_webhook(&a2).await.unwrap();
        assert_eq!(s.get_outgoing_webhook(&a.id).await.unwrap(), a2);
        s.touch_outgoing_webhook(&c.id, T0 + 99).await.unwrap();
        assert_eq!(
            s.get_outgoing_webhook(&c.id).await.unwrap().last_used_at,
            T0 + 99
        );
        let mut gone = c.clone();
        gone.delete_at = T0 + 100;
        s.update_outgoing_webhook(&gone).await.unwrap();
        assert_eq!(
            s.list_outgoing_webhooks(&q(Some("t2"), None))
                .await
                .unwrap(),
            vec![]
        );
        let mut ghost = a.clone();
        ghost.id = "nope".into();
        assert_not_found(s.update_outgoing_webhook(&ghost).await);
    })
    .await;
}
