//! Group commit over many rows: posts spread over hundreds of channels, and reactions saved at the same moment (the same one twice included), each answered
//! and each adding up as if written one by one, each batch written as one.

use crate::common::*;
use rustmost_model::post::{Post, Reaction};

async fn empty_channel(s: &dyn rustmost_store::Store, name: &str) -> String {
    let mut c = channel("t", name, name, "O");
    (c.last_post_at, c.last_root_post_at) = (T0 + 500, T0 + 400);
    (c.total_msg_count, c.total_msg_count_root) = (7, 5);
    s.insert_channel(&c).await.unwrap();
    c.id
}

#[tokio::test]
async fn concurrent_posts_over_hundreds_of_channels_bump_each_channel_once() {
    on_each_backend(async |s| {
        // Hundreds of channels, so one batch's counters statement updates many rows.
        let mut ids = Vec::new();
        for i in 0..300 {
            ids.push(empty_channel(s, &format!("c{i}")).await);
        }
        let root = post(&ids[0], "u", "", T0);
        s.insert_post(&root).await.unwrap();
        let before: Vec<_> = futures_util::future::join_all(ids.iter().map(|c| s.get_channel(c)))
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        let mut posts: Vec<Post> = Vec::new();
        for i in 0..600_usize {
            let ch = &ids[i % ids.len()];
            // Channel 1 gets replies only (its last root post time stays), channel 2 only a
            // join message and an old post (counted, but no time moves back).
            let (reply_to, at) = match i % ids.len() {
                0 if i % 2 == 0 => (root.id.as_str(), T0 + 1000 + i as i64),
                1 => (root.id.as_str(), T0 + 1000 + i as i64),
                2 => ("", T0 + 1),
                _ => ("", T0 + 1000 + i as i64),
            };
            let mut p = post(ch, "u", reply_to, at);
            if i == 2 {
                p.post_type = "system_join_channel".into();
            }
            posts.push(p);
        }
        let results = futures_util::future::join_all(posts.iter().map(|p| s.insert_post(p))).await;
        for r in results {
            r.unwrap();
        }
        for (b, ch) in before.iter().zip(&ids) {
            let mine: Vec<&Post> = posts.iter().filter(|p| &p.channel_id == ch).collect();
            let counted: Vec<&&Post> = mine
                .iter()
                .filter(|p| p.post_type != "system_join_channel")
                .collect();
            let after = s.get_channel(ch).await.unwrap();
            assert_eq!(
                after.total_msg_count,
                b.total_msg_count + counted.len() as i64,
                "{ch}"
            );
            assert_eq!(
                after.total_msg_count_root,
                b.total_msg_count_root
                    + counted.iter().filter(|p| p.root_id.is_empty()).count() as i64
            );
            let last = mine.iter().map(|p| p.create_at).max().unwrap();
            assert_eq!(after.last_post_at, last.max(b.last_post_at));
            let last_root = mine
                .iter()
                .filter(|p| p.root_id.is_empty())
                .map(|p| p.create_at)
                .max()
                .unwrap_or(0);
            assert_eq!(after.last_root_post_at, last_root.max(b.last_root_post_at));
            // Nothing else of the row moves.
            assert_eq!(
                (after.update_at, &after.display_name, after.delete_at),
                (b.update_at, &b.display_name, b.delete_at)
            );
        }
        assert_eq!(
            s.get_channel(&ids[1]).await.unwrap().last_root_post_at,
            T0 + 400
        );
        // Each batch was written as one: none had to fall back to its posts one by one (which
        // would have written them all the same).
        assert_eq!(s.batches_retried(), 0);
    })
    .await;
}

fn reaction(user_id: &str, post_id: &str, emoji: &str, at: i64) -> Reaction {
    Reaction {
        user_id: user_id.to_string(),
        post_id: post_id.to_string(),
        emoji_name: emoji.to_string(),
        create_at: at,
        update_at: at,
        delete_at: 0,
        remote_id: Some(String::new()),
        channel_id: "c".into(),
    }
}

#[tokio::test]
async fn concurrent_reactions_commit_together_and_a_repeated_one_is_saved_once() {
    on_each_backend(async |s| {
        let ch = empty_channel(s, "r").await;
        let posts: Vec<Post> = (0..5).map(|i| post(&ch, "u", "", T0 + i)).collect();
        for p in &posts {
            s.insert_post(p).await.unwrap();
        }
        // An earlier reaction that the batch refreshes keeps its creation time.
        s.save_reaction(&reaction("v", &posts[0].id, "eyes", T0 + 50))
            .await
            .unwrap();
        let mut rs = Vec::new();
        for i in 0..120_i64 {
            let p = &posts[(i % 4) as usize];
            let emoji = ["smile", "+1", "eyes"][(i % 3) as usize];
            rs.push(reaction(&format!("u{}", i % 7), &p.id, emoji, T0 + 100 + i));
        }
        let results = futures_util::future::join_all(rs.iter().map(|r| s.save_reaction(r))).await;
        for r in results {
            r.unwrap();
        }
        for (n, p) in posts.iter().enumerate() {
            let mine: Vec<&Reaction> = rs.iter().filter(|r| r.post_id == p.id).collect();
            let got = s.list_reactions(&p.id).await.unwrap();
            let got_post = s.get_post(&p.id).await.unwrap();
            if mine.is_empty() {
                assert!(got.is_empty());
                assert_eq!(got_post, *p, "a post without reactions is untouched");
                continue;
            }
            let mut keys: Vec<(&str, &str)> = mine
                .iter()
                .map(|r| (r.user_id.as_str(), r.emoji_name.as_str()))
                .collect();
            if n == 0 {
                keys.push(("v", "eyes"));
            }
            keys.sort_unstable();
            keys.dedup();
            assert_eq!(got.len(), keys.len(), "one row per reaction");
            for g in &got {
                let same: Vec<&&Reaction> = mine
                    .iter()
                    .filter(|r| r.user_id == g.user_id && r.emoji_name == g.emoji_name)
                    .collect();
                if g.user_id == "v" {
                    assert_eq!(g.create_at, T0 + 50);
                    continue;
                }
                assert_eq!(g.create_at, same.first().unwrap().create_at, "first save's");
                assert_eq!(g.update_at, same.last().unwrap().update_at, "last save's");
            }
            assert!(got_post.has_reactions);
            assert_eq!(got_post.update_at, mine.last().unwrap().update_at);
        }
        // The repeated reaction went through its batch too, not a fallback one by one.
        assert_eq!(s.batches_retried(), 0);
    })
    .await;
}
