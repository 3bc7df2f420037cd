//! The batched reads behind a channel's post page (issue 12): a window of the listing, several
//! posts by id, and the reactions of several posts each give what the one-at-a-time reads give.

use crate::common::*;
use rustmost_model::post::{Post, Reaction};

/// The stored fields that matter here; the rest as a fresh reaction has them.
fn reaction(user_id: &str, p: &Post, emoji: &str, at: i64) -> Reaction {
    Reaction {
        user_id: user_id.into(),
        post_id: p.id.clone(),
        emoji_name: emoji.into(),
        create_at: at,
        update_at: at,
        channel_id: p.channel_id.clone(),
        ..Default::default()
    }
}

#[tokio::test]
async fn batched_post_reads_match_the_single_reads() {
    on_each_backend(async |s| {
        let mut c = channel("t", "c", "C", "O");
        c.last_post_at = 0;
        s.insert_channel(&c).await.unwrap();
        let root = post(&c.id, "u", "", T0);
        let mut posts = vec![root.clone()];
        for i in 1..=4 {
            posts.push(post(&c.id, "u", &root.id, T0 + i));
        }
        // Same time as the last reply: ties newest id first, in the window as in the pages.
        posts.push(post(&c.id, "u", "", T0 + 4));
        let mut gone = post(&c.id, "u", &root.id, T0 + 5);
        gone.delete_at = T0 + 50;
        posts.push(gone.clone());
        for p in &posts {
            s.insert_post(p).await.unwrap();
        }
        let all = s.list_channel_posts(&c.id, page(0, 100)).await.unwrap();
        assert_eq!(all.len(), 6, "the deleted reply is not listed");
        assert_eq!(all.last().unwrap().reply_count, 4);
        for offset in 0..=7 {
            for limit in 0..=7 {
                let from = usize::try_from(offset).unwrap().min(all.len());
                let to = (from + usize::try_from(limit).unwrap()).min(all.len());
                assert_eq!(
                    s.list_channel_posts_from(&c.id, offset, limit)
                        .await
                        .unwrap(),
                    all[from..to],
                    "offset {offset}, limit {limit}"
                );
            }
        }

        let mut ids: Vec<String> = posts.iter().map(|p| p.id.clone()).collect();
        ids.push("nope".into());
        let mut got = s.get_posts(&ids).await.unwrap();
        got.sort_by(|a, b| a.id.cmp(&b.id));
        let mut want = Vec::new();
        for p in &posts {
            want.push(s.get_post(&p.id).await.unwrap());
        }
        want.sort_by(|a, b| a.id.cmp(&b.id));
        assert_eq!(got, want, "deleted posts too, with their thread figures");
        assert!(s.get_posts(&[]).await.unwrap().is_empty());

        let (a, b) = (&posts[0], &posts[1]);
        for (who, p, emoji, at) in [
            ("v", a, "+1", 30),
            ("w", b, "tada", 10),
            ("w", a, "smile", 20),
        ] {
            s.save_reaction(&reaction(who, p, emoji, T0 + at))
                .await
                .unwrap();
        }
        s.delete_reaction("w", &b.id, "tada", T0 + 40)
            .await
            .unwrap();
        s.save_reaction(&reaction("v", b, "+1", T0 + 5))
            .await
            .unwrap();
        let both = s
            .list_reactions_for_posts(&[a.id.clone(), b.id.clone(), "nope".into()])
            .await
            .unwrap();
        for p in [a, b] {
            let mine: Vec<_> = both.iter().filter(|r| r.post_id == p.id).cloned().collect();
            assert_eq!(mine, s.list_reactions(&p.id).await.unwrap(), "{}", p.id);
        }
        assert_eq!(both.len(), 3);
        assert!(s.list_reactions_for_posts(&[]).await.unwrap().is_empty());
    })
    .await;
}
