//! Posts (reactions are in reactions.rs).

use super::group_commit::{Args, Conn, add, values};
use super::{Db, DbRow};
use crate::map_err;
use async_trait::async_trait;
use futures_util::future::BoxFuture;
use rustmost_model::post::Post;
use rustmost_store::{Page, PostStore, Result, StoreError};
use sqlx::Row;

/// Every post column plus the thread's live reply count and last reply time.
const COLS: &str = "p.id, p.create_at, p.update_at, p.edit_at, p.delete_at, p.is_pinned, \
    p.user_id, p.channel_id, p.root_id, p.original_id, p.message, p.type, p.props, p.hashtags, \
    p.file_ids, p.pending_post_id, p.has_reactions, p.remote_id, \
    (SELECT COUNT(*) FROM posts r WHERE r.root_id = \
        (CASE WHEN p.root_id = '' THEN p.id ELSE p.root_id END) AND r.delete_at = 0) \
        AS reply_count, \
    (SELECT COALESCE(MAX(r.create_at), 0) FROM posts r WHERE r.root_id = \
        (CASE WHEN p.root_id = '' THEN p.id ELSE p.root_id END) AND r.delete_at = 0) \
        AS last_reply_at";

/// Join and leave messages move a channel's last post time but not its message counts.
const JOIN_LEAVE_TYPES: &[&str] = &[
    "system_join_channel",
    "system_leave_channel",
    "system_add_to_channel",
    "system_remove_from_channel",
    "system_join_team",
    "system_leave_team",
    "system_add_to_team",
    "system_remove_from_team",
];

fn row_to_post(r: &DbRow) -> Post {
    Post {
        id: r.get("id"),
        create_at: r.get("create_at"),
        update_at: r.get("update_at"),
        edit_at: r.get("edit_at"),
        delete_at: r.get("delete_at"),
        is_pinned: r.get("is_pinned"),
        user_id: r.get("user_id"),
        channel_id: r.get("channel_id"),
        root_id: r.get("root_id"),
        original_id: r.get("original_id"),
        message: r.get("message"),
        post_type: r.get("type"),
        props: serde_json::from_str(r.get::<&str, _>("props")).unwrap_or_default(),
        hashtags: r.get("hashtags"),
        file_ids: serde_json::from_str(r.get::<&str, _>("file_ids")).unwrap_or_default(),
        pending_post_id: r.get("pending_post_id"),
        has_reactions: r.get("has_reactions"),
        remote_id: r.get("remote_id"),
        reply_count: r.get("reply_count"),
        last_reply_at: r.get("last_reply_at"),
        participants: None,
        metadata: None,
    }
}

/// New posts go through a group commit: a batch is one multi-row insert and one counters update
/// for all its channels, written at once (a full batch is 256 × 18 + 256 × 5 parameters, within
/// SQLite's 32,766 and PostgreSQL's 65,535).
pub(crate) type PostWriter = super::group_commit::GroupCommit<Post>;

/// What a batch adds to one channel.
#[derive(Default)]
struct ChannelBump {
    last_post_at: i64,
    /// 0 when the batch has no root post in the channel (which then keeps its own).
    last_root_post_at: i64,
    counted: i64,
    counted_root: i64,
}

impl ChannelBump {
    fn add(&mut self, p: &Post) {
        let counts = !JOIN_LEAVE_TYPES.contains(&p.post_type.as_str());
        let root = p.root_id.is_empty();
        self.last_post_at = self.last_post_at.max(p.create_at);
        if root {
            self.last_root_post_at = self.last_root_post_at.max(p.create_at);
        }
        self.counted += i64::from(counts);
        self.counted_root += i64::from(counts && root);
    }
}

const INSERT_COLS: &str = "INSERT INTO posts (id, create_at, update_at, edit_at, delete_at, \
    is_pinned, user_id, channel_id, root_id, original_id, message, type, props, hashtags, \
    file_ids, pending_post_id, has_reactions, remote_id) VALUES ";

/// Adds the 18 columns of `p` in `INSERT_COLS` order.
fn add_post<'q>(args: &mut Args<'q>, p: &'q Post) -> Result<()> {
    add(args, &p.id)?;
    add(args, p.create_at)?;
    add(args, p.update_at)?;
    add(args, p.edit_at)?;
    add(args, p.delete_at)?;
    add(args, p.is_pinned)?;
    add(args, &p.user_id)?;
    add(args, &p.channel_id)?;
    add(args, &p.root_id)?;
    add(args, &p.original_id)?;
    add(args, &p.message)?;
    add(args, &p.post_type)?;
    add(args, props_json(p))?;
    add(args, &p.hashtags)?;
    add(
        args,
        serde_json::to_string(&p.file_ids).unwrap_or_else(|_| "[]".into()),
    )?;
    add(args, &p.pending_post_id)?;
    add(args, p.has_reactions)?;
    add(args, &p.remote_id)
}

/// Posts in one atomic write: the rows, then every channel's counters in one `UPDATE … FROM
/// (VALUES …)` (SQLite ≥ 3.33 and PostgreSQL; VALUES columns are `column1…` on both).
fn insert_many<'a>(conn: &'a mut Conn, posts: &'a [&'a Post]) -> BoxFuture<'a, Result<()>> {
    Box::pin(insert_many_now(conn, posts))
}

async fn insert_many_now(conn: &mut Conn, posts: &[&Post]) -> Result<()> {
    let mut bumps: Vec<(&str, ChannelBump)> = Vec::new();
    let mut at: std::collections::HashMap<&str, usize> = Default::default();
    for p in posts {
        let i = *at.entry(p.channel_id.as_str()).or_insert_with(|| {
            bumps.push((p.channel_id.as_str(), ChannelBump::default()));
            bumps.len() - 1
        });
        bumps[i].1.add(p);
    }
    // In id order, so that two nodes' batches lock the channels they share in the same order.
    bumps.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let mut args = Args::default();
    for p in posts {
        add_post(&mut args, p)?;
    }
    for (id, b) in &bumps {
        add(&mut args, *id)?;
        add(&mut args, b.last_post_at)?;
        add(&mut args, b.last_root_post_at)?;
        add(&mut args, b.counted)?;
        add(&mut args, b.counted_root)?;
    }
    let insert = format!("{INSERT_COLS}{}", values(posts.len(), 18, 1));
    // CASE rather than a two-argument max: SQLite's MAX(a, b) is PostgreSQL's GREATEST.
    let update = format!(
        "UPDATE channels SET \
         last_post_at = CASE WHEN channels.last_post_at > v.column2 \
            THEN channels.last_post_at ELSE v.column2 END, \
         last_root_post_at = CASE WHEN channels.last_root_post_at < v.column3 \
            THEN v.column3 ELSE channels.last_root_post_at END, \
         total_msg_count = channels.total_msg_count + v.column4, \
         total_msg_count_root = channels.total_msg_count_root + v.column5 \
         FROM (VALUES {}) AS v WHERE channels.id = v.column1",
        values(bumps.len(), 5, posts.len() * 18 + 1)
    );
    conn.insert_then_update(&insert, &update, args).await
}

fn props_json(p: &Post) -> String {
    serde_json::to_string(&p.props).unwrap_or_else(|_| "{}".into())
}

#[async_trait]
impl PostStore for Db {
    async fn insert_post(&self, p: &Post) -> Result<()> {
        let writer = self
            .posts
            .get_or_init(|| PostWriter::start(self.pool.clone(), insert_many));
        writer.write(&self.pool, p.clone()).await
    }

    async fn get_post(&self, id: &str) -> Result<Post> {
        let r = sqlx::query(&format!("SELECT {COLS} FROM posts p WHERE p.id = $1"))
            .bind(id)
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(row_to_post(&r))
    }

    async fn update_post(&self, p: &Post) -> Result<()> {
        let res = sqlx::query(
            "UPDATE posts SET update_at=$2, edit_at=$3, delete_at=$4, is_pinned=$5, message=$6, \
             type=$7, props=$8, hashtags=$9, file_ids=$10, has_reactions=$11 WHERE id=$1",
        )
        .bind(&p.id)
        .bind(p.update_at)
        .bind(p.edit_at)
        .bind(p.delete_at)
        .bind(p.is_pinned)
        .bind(&p.message)
        .bind(&p.post_type)
        .bind(props_json(p))
        .bind(&p.hashtags)
        .bind(serde_json::to_string(&p.file_ids).unwrap_or_else(|_| "[]".into()))
        .bind(p.has_reactions)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        if res.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn delete_post(&self, id: &str, now: i64, deleted_by: &str) -> Result<()> {
        let mut post = self.get_post(id).await?;
        post.props.insert(
            "deleteBy".into(),
            serde_json::Value::String(deleted_by.into()),
        );
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        sqlx::query("UPDATE posts SET delete_at = $2, update_at = $2, props = $3 WHERE id = $1")
            .bind(id)
            .bind(now)
            .bind(props_json(&post))
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        sqlx::query(
            "UPDATE posts SET delete_at = $2, update_at = $2 WHERE root_id = $1 AND delete_at = 0",
        )
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(())
    }

    async fn list_channel_posts(&self, channel_id: &str, page: Page) -> Result<Vec<Post>> {
        self.list_channel_posts_from(channel_id, page.offset(), page.per_page)
            .await
    }

    async fn list_channel_posts_from(
        &self,
        channel_id: &str,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<Post>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLS} FROM posts p WHERE p.channel_id = $1 AND p.delete_at = 0 \
             ORDER BY p.create_at DESC, p.id DESC LIMIT {} OFFSET {}",
            limit.max(0),
            offset.max(0)
        ))
        .bind(channel_id)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(rows.iter().map(row_to_post).collect())
    }

    async fn get_posts(&self, ids: &[String]) -> Result<Vec<Post>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {COLS} FROM posts p WHERE p.id IN {}",
            super::group_commit::values(1, ids.len(), 1)
        );
        let mut q = sqlx::query(&sql);
        for id in ids {
            q = q.bind(id);
        }
        let rows = q.fetch_all(&self.pool).await.map_err(map_err)?;
        Ok(rows.iter().map(row_to_post).collect())
    }

    async fn list_thread(&self, root_id: &str) -> Result<Vec<Post>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLS} FROM posts p WHERE (p.id = $1 OR p.root_id = $1) \
             AND p.delete_at = 0 ORDER BY p.create_at DESC, p.id DESC"
        ))
        .bind(root_id)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(rows.iter().map(row_to_post).collect())
    }

    async fn list_channel_posts_since(&self, channel_id: &str, since: i64) -> Result<Vec<Post>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLS} FROM posts p WHERE p.channel_id = $1 AND p.update_at > $2 \
             ORDER BY p.create_at DESC, p.id DESC LIMIT 1000"
        ))
        .bind(channel_id)
        .bind(since)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(rows.iter().map(row_to_post).collect())
    }

    async fn count_pinned_posts(&self, channel_id: &str) -> Result<i64> {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM posts WHERE channel_id = $1 AND is_pinned = TRUE \
             AND delete_at = 0",
        )
        .bind(channel_id)
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)
    }
}
