//! Reactions. Saving one goes through a group commit, as new posts do: the reactions that
//! arrive while a batch commits are written together (one upsert, one update of their posts,
//! one commit), each answered after the commit.

use super::group_commit::{Args, Conn, GroupCommit, add, values};
use super::{Db, DbRow};
use crate::map_err;
use async_trait::async_trait;
use futures_util::future::BoxFuture;
use rustmost_model::post::Reaction;
use rustmost_store::{ReactionStore, Result};
use sqlx::Row;

/// A batch is one upsert and one update of its posts, written at once (a full batch is 256 × 7
/// + 256 × 2 parameters).
pub(crate) type ReactionWriter = GroupCommit<Reaction>;

fn row_to_reaction(r: &DbRow) -> Reaction {
    Reaction {
        user_id: r.get("user_id"),
        post_id: r.get("post_id"),
        emoji_name: r.get("emoji_name"),
        create_at: r.get("create_at"),
        update_at: r.get("update_at"),
        delete_at: r.get("delete_at"),
        remote_id: r.get("remote_id"),
        channel_id: r.get("channel_id"),
    }
}

fn save_many<'a>(conn: &'a mut Conn, rs: &'a [&'a Reaction]) -> BoxFuture<'a, Result<()>> {
    Box::pin(save_many_now(conn, rs))
}

/// Reactions in one atomic write, then their posts' `has_reactions` and `update_at`.
async fn save_many_now(conn: &mut Conn, rs: &[&Reaction]) -> Result<()> {
    // One statement may not touch a row twice (PostgreSQL refuses the upsert), so the same
    // reaction twice in a batch is written once, as saving it twice in turn leaves it: the
    // first save's row with the last save's update_at (a refresh changes nothing else).
    let mut rows: Vec<Reaction> = Vec::with_capacity(rs.len());
    let mut at: std::collections::HashMap<(&str, &str, &str), usize> = Default::default();
    for r in rs {
        let key = (
            r.post_id.as_str(),
            r.user_id.as_str(),
            r.emoji_name.as_str(),
        );
        match at.get(&key) {
            Some(&i) => rows[i].update_at = r.update_at,
            None => {
                at.insert(key, rows.len());
                rows.push((*r).clone());
            }
        }
    }
    // Each post once, stamped with its last reaction's time as saving them in turn would; in
    // id order, so that two nodes' batches lock the posts they share in the same order.
    let mut posts: std::collections::BTreeMap<&str, i64> = Default::default();
    for r in rs {
        posts.insert(r.post_id.as_str(), r.update_at);
    }
    let posts: Vec<(&str, i64)> = posts.into_iter().collect();
    let mut args = Args::default();
    for r in &rows {
        add(&mut args, &r.user_id)?;
        add(&mut args, &r.post_id)?;
        add(&mut args, &r.emoji_name)?;
        add(&mut args, r.create_at)?;
        add(&mut args, r.update_at)?;
        add(&mut args, &r.remote_id)?;
        add(&mut args, &r.channel_id)?;
    }
    for (id, t) in &posts {
        add(&mut args, *id)?;
        add(&mut args, *t)?;
    }
    let insert = format!(
        "INSERT INTO reactions (user_id, post_id, emoji_name, create_at, update_at, \
         remote_id, channel_id) VALUES {} \
         ON CONFLICT (post_id, user_id, emoji_name) DO UPDATE SET \
         update_at = excluded.update_at, delete_at = 0",
        values(rows.len(), 7, 1)
    );
    let update = format!(
        "UPDATE posts SET has_reactions = TRUE, update_at = v.column2 \
         FROM (VALUES {}) AS v WHERE posts.id = v.column1",
        values(posts.len(), 2, rows.len() * 7 + 1)
    );
    conn.insert_then_update(&insert, &update, args).await
}

#[async_trait]
impl ReactionStore for Db {
    async fn save_reaction(&self, r: &Reaction) -> Result<()> {
        let writer = self
            .reactions
            .get_or_init(|| ReactionWriter::start(self.pool.clone(), save_many));
        writer.write(&self.pool, r.clone()).await
    }

    async fn delete_reaction(
        &self,
        user_id: &str,
        post_id: &str,
        emoji: &str,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let res = sqlx::query(
            "DELETE FROM reactions WHERE user_id = $1 AND post_id = $2 AND emoji_name = $3",
        )
        .bind(user_id)
        .bind(post_id)
        .bind(emoji)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        if res.rows_affected() > 0 {
            sqlx::query(
                "UPDATE posts SET update_at = $2, has_reactions = \
                 EXISTS (SELECT 1 FROM reactions WHERE post_id = $1) WHERE id = $1",
            )
            .bind(post_id)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        }
        tx.commit().await.map_err(map_err)?;
        Ok(())
    }

    async fn list_reactions(&self, post_id: &str) -> Result<Vec<Reaction>> {
        let rows = sqlx::query(
            "SELECT user_id, post_id, emoji_name, create_at, update_at, delete_at, remote_id, \
             channel_id FROM reactions WHERE post_id = $1 AND delete_at = 0 \
             ORDER BY create_at, user_id, emoji_name",
        )
        .bind(post_id)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(rows.iter().map(row_to_reaction).collect())
    }

    async fn list_reactions_for_posts(&self, post_ids: &[String]) -> Result<Vec<Reaction>> {
        if post_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT user_id, post_id, emoji_name, create_at, update_at, delete_at, remote_id, \
             channel_id FROM reactions WHERE post_id IN {} AND delete_at = 0 \
             ORDER BY create_at, user_id, emoji_name",
            values(1, post_ids.len(), 1)
        );
        let mut q = sqlx::query(&sql);
        for id in post_ids {
            q = q.bind(id);
        }
        let rows = q.fetch_all(&self.pool).await.map_err(map_err)?;
        Ok(rows.iter().map(row_to_reaction).collect())
    }

    async fn count_post_emojis(&self, post_id: &str) -> Result<i64> {
        sqlx::query_scalar(
            "SELECT COUNT(DISTINCT emoji_name) FROM reactions WHERE post_id = $1 \
             AND delete_at = 0",
        )
        .bind(post_id)
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)
    }
}
