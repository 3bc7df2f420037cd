//! Posts and reactions.

use super::{Db, DbRow};
use crate::map_err;
use async_trait::async_trait;
use rustmost_model::post::{Post, Reaction};
use rustmost_store::{Page, PostStore, ReactionStore, Result, StoreError};
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

/// `$1,$2,…,$n`: the values of an `IN` list read in one statement.
fn placeholders(n: usize) -> String {
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(",")
}

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

/// Group commit for new posts: the posts that arrive while a batch commits go together in the
/// next transaction (one multi-row insert, one update per channel, one commit), and each caller
/// is answered once that transaction has committed, so an acknowledged post is as durable as
/// with a transaction of its own. A batch that fails is retried post by post, so a bad post
/// fails alone, with its own error.
pub(crate) struct PostWriter {
    tx: tokio::sync::mpsc::UnboundedSender<Job>,
}

type DbPool = sqlx::Pool<<DbRow as sqlx::Row>::Database>;
type Job = (Post, tokio::sync::oneshot::Sender<Result<()>>);

/// Posts per transaction at most.
const MAX_BATCH: usize = 256;
/// Rows per INSERT statement (18 columns each, within every backend's parameter limit).
const ROWS_PER_INSERT: usize = 50;

impl PostWriter {
    /// Starts the writer task on the current runtime; it ends when the store is dropped.
    fn start(pool: DbPool) -> Self {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(write_batches(pool, rx));
        PostWriter { tx }
    }

    async fn insert(&self, pool: &DbPool, p: &Post) -> Result<()> {
        let (done, answer) = tokio::sync::oneshot::channel();
        if let Err(e) = self.tx.send((p.clone(), done)) {
            // The writer's runtime is gone (a store outliving it): write directly.
            return insert_one(pool, &e.0.0).await;
        }
        answer
            .await
            .map_err(|_| StoreError::Other("the post writer stopped before answering".into()))?
    }
}

async fn write_batches(pool: DbPool, mut rx: tokio::sync::mpsc::UnboundedReceiver<Job>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        if batch.len() == 1 {
            let (p, done) = batch.pop().expect("one");
            let _ = done.send(insert_one(&pool, &p).await);
            continue;
        }
        let posts: Vec<&Post> = batch.iter().map(|(p, _)| p).collect();
        match insert_many(&pool, &posts).await {
            Ok(()) => {
                for (_, done) in batch {
                    let _ = done.send(Ok(()));
                }
            }
            Err(_) => {
                for (p, done) in batch {
                    let _ = done.send(insert_one(&pool, &p).await);
                }
            }
        }
    }
}

/// What a batch adds to one channel.
#[derive(Default)]
struct ChannelBump {
    last_post_at: i64,
    last_root_post_at: Option<i64>,
    counted: i64,
    counted_root: i64,
}

impl ChannelBump {
    fn add(&mut self, p: &Post) {
        let counts = !JOIN_LEAVE_TYPES.contains(&p.post_type.as_str());
        let root = p.root_id.is_empty();
        self.last_post_at = self.last_post_at.max(p.create_at);
        if root {
            self.last_root_post_at = Some(self.last_root_post_at.unwrap_or(0).max(p.create_at));
        }
        self.counted += i64::from(counts);
        self.counted_root += i64::from(counts && root);
    }
}

const INSERT_COLS: &str = "INSERT INTO posts (id, create_at, update_at, edit_at, delete_at, \
    is_pinned, user_id, channel_id, root_id, original_id, message, type, props, hashtags, \
    file_ids, pending_post_id, has_reactions, remote_id) VALUES ";

/// Binds the 18 columns of `p` in `INSERT_COLS` order.
macro_rules! bind_post {
    ($q:expr, $p:expr) => {
        $q.bind(&$p.id)
            .bind($p.create_at)
            .bind($p.update_at)
            .bind($p.edit_at)
            .bind($p.delete_at)
            .bind($p.is_pinned)
            .bind(&$p.user_id)
            .bind(&$p.channel_id)
            .bind(&$p.root_id)
            .bind(&$p.original_id)
            .bind(&$p.message)
            .bind(&$p.post_type)
            .bind(props_json($p))
            .bind(&$p.hashtags)
            .bind(serde_json::to_string(&$p.file_ids).unwrap_or_else(|_| "[]".into()))
            .bind(&$p.pending_post_id)
            .bind($p.has_reactions)
            .bind(&$p.remote_id)
    };
}

fn values(rows: usize) -> String {
    (0..rows)
        .map(|r| {
            let cols: Vec<String> = (1..=18).map(|c| format!("${}", r * 18 + c)).collect();
            format!("({})", cols.join(","))
        })
        .collect::<Vec<_>>()
        .join(",")
}

async fn bump_channel(
    conn: &mut <<DbRow as sqlx::Row>::Database as sqlx::Database>::Connection,
    channel_id: &str,
    b: &ChannelBump,
) -> Result<()> {
    sqlx::query(
        // CASE rather than a two-argument max: SQLite's MAX(a, b) is PostgreSQL's GREATEST.
        "UPDATE channels SET \
         last_post_at = CASE WHEN last_post_at > $2 THEN last_post_at ELSE $2 END, \
         last_root_post_at = CASE WHEN $3 AND last_root_post_at < $4 THEN $4 \
            ELSE last_root_post_at END, \
         total_msg_count = total_msg_count + $5, \
         total_msg_count_root = total_msg_count_root + $6 \
         WHERE id = $1",
    )
    .bind(channel_id)
    .bind(b.last_post_at)
    .bind(b.last_root_post_at.is_some())
    .bind(b.last_root_post_at.unwrap_or(0))
    .bind(b.counted)
    .bind(b.counted_root)
    .execute(&mut *conn)
    .await
    .map_err(map_err)?;
    Ok(())
}

/// One post in a transaction of its own.
async fn insert_one(pool: &DbPool, p: &Post) -> Result<()> {
    let mut tx = pool.begin().await.map_err(map_err)?;
    let sql = format!("{INSERT_COLS}{}", values(1));
    bind_post!(sqlx::query(&sql), p)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
    let mut b = ChannelBump::default();
    b.add(p);
    bump_channel(&mut tx, &p.channel_id, &b).await?;
    tx.commit().await.map_err(map_err)?;
    Ok(())
}

/// Several posts in one transaction.
async fn insert_many(pool: &DbPool, posts: &[&Post]) -> Result<()> {
    let mut tx = pool.begin().await.map_err(map_err)?;
    for chunk in posts.chunks(ROWS_PER_INSERT) {
        let sql = format!("{INSERT_COLS}{}", values(chunk.len()));
        let mut q = sqlx::query(&sql);
        for p in chunk {
            q = bind_post!(q, *p);
        }
        q.execute(&mut *tx).await.map_err(map_err)?;
    }
    let mut bumps: std::collections::BTreeMap<&str, ChannelBump> = Default::default();
    for p in posts {
        bumps.entry(p.channel_id.as_str()).or_default().add(p);
    }
    for (channel_id, b) in &bumps {
        bump_channel(&mut tx, channel_id, b).await?;
    }
    tx.commit().await.map_err(map_err)?;
    Ok(())
}

fn props_json(p: &Post) -> String {
    serde_json::to_string(&p.props).unwrap_or_else(|_| "{}".into())
}

#[async_trait]
impl PostStore for Db {
    async fn insert_post(&self, p: &Post) -> Result<()> {
        let writer = self
            .posts
            .get_or_init(|| PostWriter::start(self.pool.clone()));
        writer.insert(&self.pool, p).await
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
            "SELECT {COLS} FROM posts p WHERE p.id IN ({})",
            placeholders(ids.len())
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

#[async_trait]
impl ReactionStore for Db {
    async fn save_reaction(&self, r: &Reaction) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        sqlx::query(
            "INSERT INTO reactions (user_id, post_id, emoji_name, create_at, update_at, \
             delete_at, remote_id, channel_id) VALUES ($1,$2,$3,$4,$5,0,$6,$7) \
             ON CONFLICT (post_id, user_id, emoji_name) DO UPDATE SET \
             update_at = excluded.update_at, delete_at = 0",
        )
        .bind(&r.user_id)
        .bind(&r.post_id)
        .bind(&r.emoji_name)
        .bind(r.create_at)
        .bind(r.update_at)
        .bind(&r.remote_id)
        .bind(&r.channel_id)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        sqlx::query("UPDATE posts SET has_reactions = TRUE, update_at = $2 WHERE id = $1")
            .bind(&r.post_id)
            .bind(r.update_at)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(())
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
             channel_id FROM reactions WHERE post_id IN ({}) AND delete_at = 0 \
             ORDER BY create_at, user_id, emoji_name",
            placeholders(post_ids.len())
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
