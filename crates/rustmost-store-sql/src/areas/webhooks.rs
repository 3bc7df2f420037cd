//! Incoming and outgoing webhooks.

use super::{Db, DbRow};
use crate::map_err;
use async_trait::async_trait;
use rustmost_model::webhook::{IncomingWebhook, OutgoingWebhook};
use rustmost_store::{Result, StoreError, WebhookQuery, WebhookStore};
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

fn paging(q: &WebhookQuery) -> String {
    q.page
        .map(|p| format!(" LIMIT {} OFFSET {}", p.per_page, p.offset()))
        .unwrap_or_default()
}

/// A page of live rows of a hook table, filtered by team, channel and creator as `q` says and in
/// creation order: incoming and outgoing hooks list alike.
async fn list_live(
    db: &Db,
    cols: &str,
    table: &str,
    creator: &str,
    q: &WebhookQuery,
) -> Result<Vec<DbRow>> {
    let (w, args) = filter(q, creator);
    let sql = format!(
        "SELECT {cols} FROM {table}{w} ORDER BY create_at, id{}",
        paging(q)
    );
    let mut query = sqlx::query(&sql);
    for a in &args {
        query = query.bind(a);
    }
    query.fetch_all(&db.pool).await.map_err(map_err)
}

#[async_trait]
impl WebhookStore for Db {
    async fn insert_incoming_webhook(&self, h: &IncomingWebhook) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO incoming_webhooks ({IN_COLS}) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)"
        ))
        .bind(&h.id)
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
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn get_incoming_webhook(&self, id: &str) -> Result<IncomingWebhook> {
        let r = sqlx::query(&format!(
            "SELECT {IN_COLS} FROM incoming_webhooks WHERE id = $1"
        ))
        .bind(id)
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(row_to_incoming(&r))
    }

    async fn update_incoming_webhook(&self, h: &IncomingWebhook) -> Result<()> {
        let res = sqlx::query(
            "UPDATE incoming_webhooks SET update_at=$2, delete_at=$3, user_id=$4, \
             channel_id=$5, team_id=$6, display_name=$7, description=$8, username=$9, \
             icon_url=$10, channel_locked=$11, last_used_at=$12 WHERE id=$1",
        )
        .bind(&h.id)
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
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        if res.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn list_incoming_webhooks(&self, q: &WebhookQuery) -> Result<Vec<IncomingWebhook>> {
        let rows = list_live(self, IN_COLS, "incoming_webhooks", "user_id", q).await?;
        Ok(rows.iter().map(row_to_incoming).collect())
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
        let res = sqlx::query(
            "UPDATE incoming_webhooks SET id = $2, update_at = $3 WHERE id = $1 AND delete_at = 0",
        )
        .bind(old)
        .bind(new)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        if res.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn touch_incoming_webhook(&self, id: &str, at: i64) -> Result<()> {
        sqlx::query("UPDATE incoming_webhooks SET last_used_at = $2 WHERE id = $1")
            .bind(id)
            .bind(at)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn insert_outgoing_webhook(&self, h: &OutgoingWebhook) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO outgoing_webhooks ({OUT_COLS}) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17)"
        ))
        .bind(&h.id)
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
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn get_outgoing_webhook(&self, id: &str) -> Result<OutgoingWebhook> {
        let r = sqlx::query(&format!(
            "SELECT {OUT_COLS} FROM outgoing_webhooks WHERE id = $1"
        ))
        .bind(id)
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(row_to_outgoing(&r))
    }

    async fn update_outgoing_webhook(&self, h: &OutgoingWebhook) -> Result<()> {
        let res = sqlx::query(
            "UPDATE outgoing_webhooks SET token=$2, update_at=$3, delete_at=$4, creator_id=$5, \
             channel_id=$6, team_id=$7, trigger_words=$8, trigger_when=$9, callback_urls=$10, \
             display_name=$11, description=$12, content_type=$13, username=$14, icon_url=$15, \
             last_used_at=$16 WHERE id=$1",
        )
        .bind(&h.id)
        .bind(&h.token)
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
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        if res.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn list_outgoing_webhooks(&self, q: &WebhookQuery) -> Result<Vec<OutgoingWebhook>> {
        let rows = list_live(self, OUT_COLS, "outgoing_webhooks", "creator_id", q).await?;
        Ok(rows.iter().map(row_to_outgoing).collect())
    }

    async fn touch_outgoing_webhook(&self, id: &str, at: i64) -> Result<()> {
        sqlx::query("UPDATE outgoing_webhooks SET last_used_at = $2 WHERE id = $1")
            .bind(id)
            .bind(at)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }
}
