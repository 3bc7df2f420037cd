//! Incoming and outgoing webhooks.

use super::common::{Query, Run};
use super::{Db, DbRow};
use crate::{assignments, insert_sql, limit, map_err};
use async_trait::async_trait;
use rustmost_model::webhook::{IncomingWebhook, OutgoingWebhook};
use rustmost_store::{Result, WebhookQuery, WebhookStore};
use sqlx::Row;

const IN_COLS: &str = "id, create_at, update_at, delete_at, user_id, channel_id, team_id, \
    display_name, description, username, icon_url, channel_locked, last_used_at";

const OUT_COLS: &str = "id, token, create_at, update_at, delete_at, creator_id, channel_id, \
    team_id, trigger_words, trigger_when, callback_urls, display_name, description, \
    content_type, username, icon_url, last_used_at";

fn row_to_incoming(r: &DbRow) -> IncomingWebhook {
    IncomingWebhook {
        id: r.get("id"),
        create_at: r.get("create_at"),
        update_at: r.get("update_at"),
        delete_at: r.get("delete_at"),
        user_id: r.get("user_id"),
        channel_id: r.get("channel_id"),
        team_id: r.get("team_id"),
        display_name: r.get("display_name"),
        description: r.get("description"),
        username: r.get("username"),
        icon_url: r.get("icon_url"),
        channel_locked: r.get("channel_locked"),
        last_used_at: r.get("last_used_at"),
    }
}

fn list(s: &str) -> Vec<String> {
    serde_json::from_str(s).unwrap_or_default()
}

fn list_json(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

fn row_to_outgoing(r: &DbRow) -> OutgoingWebhook {
    OutgoingWebhook {
        id: r.get("id"),
        token: r.get("token"),
        create_at: r.get("create_at"),
        update_at: r.get("update_at"),
        delete_at: r.get("delete_at"),
        creator_id: r.get("creator_id"),
        channel_id: r.get("channel_id"),
        team_id: r.get("team_id"),
        trigger_words: list(r.get::<&str, _>("trigger_words")),
        trigger_when: r.get("trigger_when"),
        callback_urls: list(r.get::<&str, _>("callback_urls")),
        display_name: r.get("display_name"),
        description: r.get("description"),
        content_type: r.get("content_type"),
        username: r.get("username"),
        icon_url: r.get("icon_url"),
        last_used_at: r.get("last_used_at"),
    }
}

/// The WHERE clause of a listing (live rows only) and its bound values, numbered from `$1`;
/// `creator` names the creator column of the table.
fn filter(q: &WebhookQuery, creator: &str) -> (String, Vec<String>) {
    let mut sql = String::from(" WHERE delete_at = 0");
    let mut args = Vec::new();
    for (col, v) in [
        ("team_id", &q.team_id),
        ("channel_id", &q.channel_id),
        (creator, &q.user_id),
    ] {
        if let Some(v) = v {
            args.push(v.clone());
            sql.push_str(&format!(" AND {col} = ${}", args.len()));
        }
    }
    (sql, args)
}

/// A page of live rows of a hook table, filtered by team, channel and creator as `q` says and in
/// creation order: incoming and outgoing hooks list alike.
async fn list_live<T>(
    db: &Db,
    (table, cols, creator): (&str, &str, &str),
    q: &WebhookQuery,
    map: fn(&DbRow) -> T,
) -> Result<Vec<T>> {
    let (w, args) = filter(q, creator);
    let sql = format!(
        "SELECT {cols} FROM {table}{w} ORDER BY create_at, id{}",
        limit(q.page)
    );
    let mut query = sqlx::query(&sql);
    for a in &args {
        query = query.bind(a);
    }
    query.rows(&db.pool, map).await
}

/// Binds every column of `IN_COLS` in order, for the INSERT and the UPDATE alike.
fn bind_incoming<'q>(q: Query<'q>, h: &'q IncomingWebhook) -> Query<'q> {
    q.bind(&h.id)
        .bind(h.create_at)
        .bind(h.update_at)
        .bind(h.delete_at)
        .bind(&h.user_id)
        .bind(&h.channel_id)
        .bind(&h.team_id)
        .bind(&h.display_name)
        .bind(&h.description)
        .bind(&h.username)
        .bind(&h.icon_url)
        .bind(h.channel_locked)
        .bind(h.last_used_at)
}

/// Binds every column of `OUT_COLS` in order, for the INSERT and the UPDATE alike.
fn bind_outgoing<'q>(q: Query<'q>, h: &'q OutgoingWebhook) -> Query<'q> {
    q.bind(&h.id)
        .bind(&h.token)
        .bind(h.create_at)
        .bind(h.update_at)
        .bind(h.delete_at)
        .bind(&h.creator_id)
        .bind(&h.channel_id)
        .bind(&h.team_id)
        .bind(list_json(&h.trigger_words))
        .bind(h.trigger_when)
        .bind(list_json(&h.callback_urls))
        .bind(&h.display_name)
        .bind(&h.description)
        .bind(&h.content_type)
        .bind(&h.username)
        .bind(&h.icon_url)
        .bind(h.last_used_at)
}

/// An update of a hook row: every column but the id and the creation time.
fn update_sql(table: &str, cols: &str) -> String {
    format!(
        "UPDATE {table} SET {} WHERE id = $1",
        assignments(cols, &["id", "create_at"])
    )
}

#[async_trait]
impl WebhookStore for Db {
    async fn insert_incoming_webhook(&self, h: &IncomingWebhook) -> Result<()> {
        bind_incoming(sqlx::query(&insert_sql("incoming_webhooks", IN_COLS)), h)
            .run(&self.pool)
            .await
    }

    async fn get_incoming_webhook(&self, id: &str) -> Result<IncomingWebhook> {
        sqlx::query(&format!(
            "SELECT {IN_COLS} FROM incoming_webhooks WHERE id = $1"
        ))
        .bind(id)
        .row(&self.pool, row_to_incoming)
        .await
    }

    async fn update_incoming_webhook(&self, h: &IncomingWebhook) -> Result<()> {
        bind_incoming(sqlx::query(&update_sql("incoming_webhooks", IN_COLS)), h)
            .run_one(&self.pool)
            .await
    }

    async fn list_incoming_webhooks(&self, q: &WebhookQuery) -> Result<Vec<IncomingWebhook>> {
        let table = ("incoming_webhooks", IN_COLS, "user_id");
        list_live(self, table, q, row_to_incoming).await
    }

    async fn count_incoming_webhooks(&self, q: &WebhookQuery) -> Result<i64> {
        let (w, args) = filter(q, "user_id");
        let sql = format!("SELECT COUNT(*) FROM incoming_webhooks{w}");
        let mut query = sqlx::query_scalar(&sql);
        for a in &args {
            query = query.bind(a);
        }
        query.fetch_one(&self.pool).await.map_err(map_err)
    }

    async fn change_incoming_webhook_id(&self, old: &str, new: &str, now: i64) -> Result<()> {
        sqlx::query(
            "UPDATE incoming_webhooks SET id = $2, update_at = $3 WHERE id = $1 AND delete_at = 0",
        )
        .bind(old)
        .bind(new)
        .bind(now)
        .run_one(&self.pool)
        .await
    }

    async fn touch_incoming_webhook(&self, id: &str, at: i64) -> Result<()> {
        touch(self, "incoming_webhooks", id, at).await
    }

    async fn insert_outgoing_webhook(&self, h: &OutgoingWebhook) -> Result<()> {
        bind_outgoing(sqlx::query(&insert_sql("outgoing_webhooks", OUT_COLS)), h)
            .run(&self.pool)
            .await
    }

    async fn get_outgoing_webhook(&self, id: &str) -> Result<OutgoingWebhook> {
        sqlx::query(&format!(
            "SELECT {OUT_COLS} FROM outgoing_webhooks WHERE id = $1"
        ))
        .bind(id)
        .row(&self.pool, row_to_outgoing)
        .await
    }

    async fn update_outgoing_webhook(&self, h: &OutgoingWebhook) -> Result<()> {
        bind_outgoing(sqlx::query(&update_sql("outgoing_webhooks", OUT_COLS)), h)
            .run_one(&self.pool)
            .await
    }

    async fn list_outgoing_webhooks(&self, q: &WebhookQuery) -> Result<Vec<OutgoingWebhook>> {
        let table = ("outgoing_webhooks", OUT_COLS, "creator_id");
        list_live(self, table, q, row_to_outgoing).await
    }

    async fn touch_outgoing_webhook(&self, id: &str, at: i64) -> Result<()> {
        touch(self, "outgoing_webhooks", id, at).await
    }
}

/// Records a hook's last use.
async fn touch(db: &Db, table: &str, id: &str, at: i64) -> Result<()> {
    sqlx::query(&format!(
        "UPDATE {table} SET last_used_at = $2 WHERE id = $1"
    ))
    .bind(id)
    .bind(at)
    .run(&db.pool)
    .await
}
