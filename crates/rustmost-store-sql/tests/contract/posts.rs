//! PostStore and ReactionStore: post round trips with thread counts, the channel counters an
//! insert bumps, updates, cascading deletion, listings, pins, and reactions with the post's
//! `has_reactions` flag.

use crate::common::*;
use rustmost_model::post::{Post, Reaction};

async fn setup(s: &dyn rustmost_store::Store) -> rustmost_model::channel::Channel {
    let mut c = channel("t", "c", "C", "O");
    c.last_post_at = 0;
    c.last_root_post_at = 0;
    c.total_msg_count = 0;
    c.total_msg_count_root = 0;
    s.insert_channel(&c).await.unwrap();
    c
}

#[tokio::test]
async fn post_round_trip_keeps_every_field() {
    on_each_backend(async |s| {
        let c = setup(s).await;
        let mut p = post(&c.id, "u", "", T0);
        p.is_pinned = true;
        p.edit_at = T0 + 1;
        p.update_at = T0 + 2;
        p.original_id = "orig".into();
        p.post_type = "custom_type".into();
        s.insert_post(&p).await.unwrap();
        assert_eq!(s.get_post(&p.id).await.unwrap(), p);

        let mut bare = post(&c.id, "u", "", T0 + 5);
        bare.props = Default::default();
        bare.file_ids = vec![];
        bare.remote_id = None;
        bare.message = String::new();
        bare.hashtags = String::new();
        bare.pending_post_id = String::new();
        s.insert_post(&bare).await.unwrap();
        assert_eq!(s.get_post(&bare.id).await.unwrap(), bare);

        assert_not_found(s.get_post("nope").await);
        assert_conflict(s.insert_post(&p).await, "posts_id");
    })
    .await;
}

#[tokio::test]
async fn a_failed_insert_leaves_the_channel_counters_alone() {
    on_each_backend(async |s| {
        let c = setup(s).await;
        let p = add_post(s, &c.id, "u", "", T0).await;
        let before = s.get_channel(&c.id).await.unwrap();
        let mut again = p.clone();
        again.create_at = T0 + 100;
        assert_conflict(s.insert_post(&again).await, "posts_id");
        assert_eq!(s.get_channel(&c.id).await.unwrap(), before);
    })
    .await;
}

/// Posts written at the same moment share one transaction (group commit); each caller still
/// gets its own answer, a bad post fails alone, and the counters add up as one by one.
#[tokio::test]
async fn concurrent_inserts_commit_together_and_a_bad_one_fails_alone() {
    on_each_backend(async |s| {
        let c1 = setup(s).await;
        let mut c2 = channel("t", "c2", "C2", "O");
        (c2.last_post_at, c2.last_root_post_at) = (0, 0);
        (c2.total_msg_count, c2.total_msg_count_root) = (0, 0);
        s.insert_channel(&c2).await.unwrap();
        let root = add_post(s, &c1.id, "u", "", T0).await;
        for with_bad in [true, false] {
            let mut posts = Vec::new();
            for i in 0..60_i64 {
                let ch = if i % 3 == 0 { &c2.id } else { &c1.id };
                let reply_to = if i % 5 == 0 && ch == &c1.id {
                    root.id.as_str()
                } else {
                    ""
                };
                let mut p = post(ch, "u", reply_to, T0 + 1000 + i);
                if i % 7 == 0 {
                    p.post_type = "system_join_channel".into();
                }
                posts.push(p);
            }
            let mut all = posts.clone();
            if with_bad {
                // An id already taken: this one post fails.
                let mut dup = post(&c1.id, "u", "", T0 + 5000);
                dup.id = root.id.clone();
                all.insert(30, dup);
            }
            let before = (
                s.get_channel(&c1.id).await.unwrap(),
                s.get_channel(&c2.id).await.unwrap(),
            );
            let results =
                futures_util::future::join_all(all.iter().map(|p| s.insert_post(p))).await;
            for (p, r) in all.iter().zip(results) {
                if p.id == root.id {
                    assert_conflict(r, "posts_id");
                } else {
                    r.unwrap();
                    assert_eq!(s.get_post(&p.id).await.unwrap().message, p.message);
                }
            }
            for (before, ch) in [(&before.0, &c1.id), (&before.1, &c2.id)] {
                let mine: Vec<&Post> = posts.iter().filter(|p| &p.channel_id == ch).collect();
                let counted: Vec<&&Post> = mine
                    .iter()
                    .filter(|p| p.post_type != "system_join_channel")
                    .collect();
                let after = s.get_channel(ch).await.unwrap();
                assert_eq!(
                    after.total_msg_count,
                    before.total_msg_count + counted.len() as i64
                );
                assert_eq!(
                    after.total_msg_count_root,
                    before.total_msg_count_root
                        + counted.iter().filter(|p| p.root_id.is_empty()).count() as i64
                );
                let last = mine.iter().map(|p| p.create_at).max().unwrap();
                assert_eq!(after.last_post_at, last.max(before.last_post_at));
                let last_root = mine
                    .iter()
                    .filter(|p| p.root_id.is_empty())
                    .map(|p| p.create_at)
                    .max()
                    .unwrap();
                assert_eq!(
                    after.last_root_post_at,
                    last_root.max(before.last_root_post_at)
                );
            }
        }
    })
    .await;
}

#[tokio::test]
async fn insert_post_bumps_channel_counters() {
    on_each_backend(async |s| {
        let c = setup(s).await;
        let root = add_post(s, &c.id, "u", "", T0 + 10).await;
        let ch = s.get_channel(&c.id).await.unwrap();
        assert_eq!(
            (
                ch.last_post_at,
                ch.last_root_post_at,
                ch.total_msg_count,
                ch.total_msg_count_root
            ),
            (T0 + 10, T0 + 10, 1, 1)
        );

        // A reply moves the last post time and the total, not the root figures.
        s.insert_post(&post(&c.id, "u", &root.id, T0 + 20))
            .await
            .unwrap();
        let ch = s.get_channel(&c.id).await.unwrap();
        assert_eq!(
            (
                ch.last_post_at,
                ch.last_root_post_at,
                ch.total_msg_count,
                ch.total_msg_count_root
            ),
            (T0 + 20, T0 + 10, 2, 1)
        );

        // An older root post never moves the times back.
        s.insert_post(&post(&c.id, "u", "", T0 + 5)).await.unwrap();
        let ch = s.get_channel(&c.id).await.unwrap();
        assert_eq!(
            (
                ch.last_post_at,
                ch.last_root_post_at,
                ch.total_msg_count,
                ch.total_msg_count_root
            ),
            (T0 + 20, T0 + 10, 3, 2)
        );

        // Join and leave messages move the time but count as no message.
        let mut join = post(&c.id, "u", "", T0 + 30);
        join.post_type = "system_join_channel".into();
        s.insert_post(&join).await.unwrap();
        let ch = s.get_channel(&c.id).await.unwrap();
        assert_eq!(
            (
                ch.last_post_at,
                ch.last_root_post_at,
                ch.total_msg_count,
                ch.total_msg_count_root
            ),
            (T0 + 30, T0 + 30, 3, 2)
        );

        // Other columns of the channel are untouched.
        assert_eq!(
            ch,
            rustmost_model::channel::Channel {
                last_post_at: T0 + 30,
                last_root_post_at: T0 + 30,
                total_msg_count: 3,
                total_msg_count_root: 2,
                ..c
            }
        );
    })
    .await;
}

#[tokio::test]
async fn thread_counts_come_with_every_post_of_the_thread() {
    on_each_backend(async |s| {
        let c = setup(s).await;
        let root = post(&c.id, "u", "", T0);
        let r1 = post(&c.id, "v", &root.id, T0 + 10);
        let r2 = post(&c.id, "w", &root.id, T0 + 20);
        let mut r3 = post(&c.id, "w", &root.id, T0 + 30);
        r3.delete_at = T0 + 31;
        let lone = post(&c.id, "u", "", T0 + 40);
        for p in [&root, &r1, &r2, &r3, &lone] {
            s.insert_post(p).await.unwrap();
        }
        // Live replies only.
        for p in [&root, &r1, &r2, &r3] {
            let got = s.get_post(&p.id).await.unwrap();
            assert_eq!(
                (got.reply_count, got.last_reply_at),
                (2, T0 + 20),
                "{}",
                p.id
            );
        }
        let got = s.get_post(&lone.id).await.unwrap();
        assert_eq!((got.reply_count, got.last_reply_at), (0, 0));
    })
    .await;
}

#[tokio::test]
async fn update_post_writes_its_columns() {
    on_each_backend(async |s| {
        let c = setup(s).await;
        let p = add_post(s, &c.id, "u", "", T0).await;
        let other = add_post(s, &c.id, "u", "", T0 + 1).await;
        let mut props = serde_json::Map::new();
        props.insert("disable_group_highlight".into(), serde_json::json!(true));
        let changed = Post {
            update_at: T0 + 10,
            edit_at: T0 + 10,
            delete_at: 0,
            is_pinned: true,
            message: "edited".into(),
            post_type: "x".into(),
            props,
            hashtags: String::new(),
            file_ids: vec![],
            has_reactions: true,
            ..p.clone()
        };
        s.update_post(&changed).await.unwrap();
        assert_eq!(s.get_post(&p.id).await.unwrap(), changed);
        // Identity, thread and creation columns are not rewritten.
        let moved = Post {
            create_at: 1,
            user_id: "x".into(),
            channel_id: "x".into(),
            root_id: "x".into(),
            original_id: "x".into(),
            pending_post_id: "x".into(),
            remote_id: None,
            ..changed.clone()
        };
        s.update_post(&moved).await.unwrap();
        assert_eq!(s.get_post(&p.id).await.unwrap(), changed);
        assert_eq!(s.get_post(&other.id).await.unwrap(), other);
        assert_not_found(
            s.update_post(&Post {
                id: "nope".into(),
                ..p
            })
            .await,
        );
    })
    .await;
}

#[tokio::test]
async fn deleting_a_root_deletes_its_thread() {
    on_each_backend(async |s| {
        let c = setup(s).await;
        let root = post(&c.id, "u", "", T0);
        let r1 = post(&c.id, "v", &root.id, T0 + 10);
        let mut old = post(&c.id, "v", &root.id, T0 + 20);
        old.delete_at = T0 + 21;
        old.update_at = T0 + 21;
        let other = post(&c.id, "u", "", T0 + 30);
        for p in [&root, &r1, &old, &other] {
            s.insert_post(p).await.unwrap();
        }
        let now = T0 + 100;
        s.delete_post(&root.id, now, "admin-id").await.unwrap();

        // The root records who deleted it; replies are marked deleted too, but an already
        // deleted reply keeps its time.
        let mut props = root.props.clone();
        props.insert("deleteBy".into(), serde_json::json!("admin-id"));
        let got = s.get_post(&root.id).await.unwrap();
        assert_eq!(
            got,
            Post {
                delete_at: now,
                update_at: now,
                props,
                ..root.clone()
            }
        );
        let got = s.get_post(&r1.id).await.unwrap();
        assert_eq!(
            got,
            Post {
                delete_at: now,
                update_at: now,
                ..r1.clone()
            }
        );
        assert_eq!(s.get_post(&old.id).await.unwrap(), old);
        let got = s.get_post(&other.id).await.unwrap();
        assert_eq!(got, other);

        assert_not_found(s.delete_post("nope", now, "x").await);
    })
    .await;
}

#[tokio::test]
async fn deleting_a_reply_leaves_the_thread() {
    on_each_backend(async |s| {
        let c = setup(s).await;
        let root = post(&c.id, "u", "", T0);
        let r1 = post(&c.id, "v", &root.id, T0 + 10);
        let r2 = post(&c.id, "v", &root.id, T0 + 20);
        for p in [&root, &r1, &r2] {
            s.insert_post(p).await.unwrap();
        }
        s.delete_post(&r2.id, T0 + 100, "v").await.unwrap();
        assert_eq!(s.get_post(&root.id).await.unwrap().delete_at, 0);
        assert_eq!(s.get_post(&r1.id).await.unwrap().delete_at, 0);
        let got = s.get_post(&root.id).await.unwrap();
        assert_eq!((got.reply_count, got.last_reply_at), (1, T0 + 10));
    })
    .await;
}

#[tokio::test]
async fn channel_post_listings() {
    on_each_backend(async |s| {
        let c = setup(s).await;
        let other = add_channel(s, "t", "other", "Other", "O").await;
        let p1 = post(&c.id, "u", "", T0 + 1);
        let p2 = post(&c.id, "u", "", T0 + 2);
        // Same time as p2: ties newest id first.
        let p2b = post(&c.id, "u", "", T0 + 2);
        let mut gone = post(&c.id, "u", "", T0 + 3);
        gone.delete_at = T0 + 50;
        gone.update_at = T0 + 50;
        let mut edited = post(&c.id, "u", "", T0 + 4);
        edited.update_at = T0 + 40;
        let elsewhere = post(&other.id, "u", "", T0 + 5);
        for p in [&p1, &p2, &p2b, &gone, &edited, &elsewhere] {
            s.insert_post(p).await.unwrap();
        }
        let mut tie = vec![p2.clone(), p2b.clone()];
        tie.sort_by(|a, b| b.id.cmp(&a.id));
        let live = [vec![edited.clone()], tie.clone(), vec![p1.clone()]].concat();
        assert_eq!(
            s.list_channel_posts(&c.id, page(0, 10)).await.unwrap(),
            live
        );
        assert_eq!(
            s.list_channel_posts(&c.id, page(1, 3)).await.unwrap(),
            vec![p1.clone()]
        );
        assert_empty(s.list_channel_posts("nope", page(0, 10)).await);

        // Changed strictly after `since`, deleted posts included.
        assert_eq!(
            s.list_channel_posts_since(&c.id, T0 + 2).await.unwrap(),
            vec![edited.clone(), gone.clone()]
        );
        assert_eq!(
            s.list_channel_posts_since(&c.id, T0 + 40).await.unwrap(),
            vec![gone.clone()]
        );
        assert_empty(s.list_channel_posts_since(&c.id, T0 + 50).await);
        assert_eq!(s.list_channel_posts_since(&c.id, 0).await.unwrap().len(), 5);
    })
    .await;
}

#[tokio::test]
async fn count_pinned_posts_counts_live_pins() {
    on_each_backend(async |s| {
        let c = setup(s).await;
        let mut a = post(&c.id, "u", "", T0);
        a.is_pinned = true;
        let mut b = post(&c.id, "u", "", T0);
        b.is_pinned = true;
        b.delete_at = T0;
        let d = post(&c.id, "u", "", T0);
        let mut elsewhere = post("other", "u", "", T0);
        elsewhere.is_pinned = true;
        for p in [&a, &b, &d, &elsewhere] {
            s.insert_post(p).await.unwrap();
        }
        assert_eq!(s.count_pinned_posts(&c.id).await.unwrap(), 1);
        s.update_post(&Post {
            is_pinned: true,
            ..d.clone()
        })
        .await
        .unwrap();
        assert_eq!(s.count_pinned_posts(&c.id).await.unwrap(), 2);
        assert_eq!(s.count_pinned_posts("nope").await.unwrap(), 0);
    })
    .await;
}

fn reaction(user_id: &str, p: &Post, emoji: &str, at: i64) -> Reaction {
    Reaction {
        user_id: user_id.to_string(),
        post_id: p.id.clone(),
        emoji_name: emoji.to_string(),
        create_at: at,
        update_at: at,
        delete_at: 0,
        remote_id: Some(String::new()),
        channel_id: p.channel_id.clone(),
    }
}

#[tokio::test]
async fn reactions_round_trip_and_flag_the_post() {
    on_each_backend(async |s| {
        let c = setup(s).await;
        let p = add_post(s, &c.id, "u", "", T0).await;
        let other = add_post(s, &c.id, "u", "", T0).await;

        let r1 = reaction("v", &p, "+1", T0 + 10);
        let mut r2 = reaction("u", &p, "smile", T0 + 5);
        r2.remote_id = None;
        let r3 = reaction("w", &p, "+1", T0 + 20);
        for r in [&r1, &r2, &r3] {
            s.save_reaction(r).await.unwrap();
        }
        // Oldest first.
        assert_eq!(
            s.list_reactions(&p.id).await.unwrap(),
            vec![r2.clone(), r1.clone(), r3.clone()]
        );
        assert_eq!(s.count_post_emojis(&p.id).await.unwrap(), 2);
        let got = s.get_post(&p.id).await.unwrap();
        assert!(got.has_reactions);
        // Each save stamps the post with the reaction's time.
        assert_eq!(got.update_at, T0 + 20);
        assert_eq!(s.get_post(&other.id).await.unwrap(), other);
        assert_empty(s.list_reactions(&other.id).await);
        assert_eq!(s.count_post_emojis(&other.id).await.unwrap(), 0);
    })
    .await;
}

#[tokio::test]
async fn saving_a_reaction_again_refreshes_it() {
    on_each_backend(async |s| {
        let c = setup(s).await;
        let p = add_post(s, &c.id, "u", "", T0).await;
        let r = reaction("v", &p, "+1", T0 + 10);
        s.save_reaction(&r).await.unwrap();
        let mut again = reaction("v", &p, "+1", T0 + 30);
        again.remote_id = Some("remote".into());
        again.channel_id = "elsewhere".into();
        s.save_reaction(&again).await.unwrap();
        // One reaction: first creation time kept, update time refreshed, nothing else changed.
        assert_eq!(
            s.list_reactions(&p.id).await.unwrap(),
            vec![Reaction {
                update_at: T0 + 30,
                ..r
            }]
        );
        assert_eq!(s.get_post(&p.id).await.unwrap().update_at, T0 + 30);
    })
    .await;
}

#[tokio::test]
async fn deleting_reactions_clears_the_flag_with_the_last() {
    on_each_backend(async |s| {
        let c = setup(s).await;
        let p = add_post(s, &c.id, "u", "", T0).await;
        let r1 = reaction("v", &p, "+1", T0 + 10);
        let r2 = reaction("v", &p, "smile", T0 + 11);
        s.save_reaction(&r1).await.unwrap();
        s.save_reaction(&r2).await.unwrap();

        // Deleting a reaction that is not there changes nothing, not even the post's time.
        s.delete_reaction("w", &p.id, "+1", T0 + 50).await.unwrap();
        assert_eq!(s.get_post(&p.id).await.unwrap().update_at, T0 + 11);

        s.delete_reaction("v", &p.id, "+1", T0 + 60).await.unwrap();
        assert_eq!(s.list_reactions(&p.id).await.unwrap(), vec![r2]);
        let got = s.get_post(&p.id).await.unwrap();
        assert!(got.has_reactions);
        assert_eq!(got.update_at, T0 + 60);

        s.delete_reaction("v", &p.id, "smile", T0 + 70)
            .await
            .unwrap();
        assert_empty(s.list_reactions(&p.id).await);
        assert_eq!(s.count_post_emojis(&p.id).await.unwrap(), 0);
        let got = s.get_post(&p.id).await.unwrap();
        assert!(!got.has_reactions);
        assert_eq!(got.update_at, T0 + 70);

        // A reaction can be added back.
        s.save_reaction(&r1).await.unwrap();
        assert_eq!(s.list_reactions(&p.id).await.unwrap(), vec![r1]);
        assert!(s.get_post(&p.id).await.unwrap().has_reactions);
    })
    .await;
}

#[tokio::test]
async fn a_thread_is_its_root_and_live_replies_newest_first() {
    on_each_backend(async |s| {
        let c = setup(s).await;
        let root = add_post(s, &c.id, "u", "", T0).await;
        let r1 = post(&c.id, "u", &root.id, T0 + 10);
        let r2 = post(&c.id, "v", &root.id, T0 + 20);
        let gone = post(&c.id, "v", &root.id, T0 + 30);
        let elsewhere = post(&c.id, "u", "", T0 + 40);
        for p in [&r1, &r2, &gone, &elsewhere] {
            s.insert_post(p).await.unwrap();
        }
        s.delete_post(&gone.id, T0 + 50, "v").await.unwrap();
        let thread = s.list_thread(&root.id).await.unwrap();
        assert_eq!(
            ids(&thread, |p| &p.id),
            [r2.id.clone(), r1.id.clone(), root.id.clone()]
        );
        assert_eq!(thread[2].reply_count, 2);
        assert!(s.list_thread(&elsewhere.id).await.unwrap().len() == 1);
        assert_empty(s.list_thread("nope").await);
    })
    .await;
}
