//! Slash commands, their `response_url` records, and user statuses.

use super::common::{Query, Run};
use super::{Db, DbRow};
use crate::{assignments, insert_sql};
use async_trait::async_trait;
use rustmost_model::command::{Command, CommandWebhook, Status};
use rustmost_store::{CommandStore, Result, StatusStore};
use sqlx::Row;

const COLS: &str = "id, token, create_at, update_at, delete_at, creator_id, team_id, \
    trigger_word, method, username, icon_url, auto_complete, auto_complete_desc, \
    auto_complete_hint, display_name, description, url, plugin_id, autocomplete_data, \
    last_used_at";

fn row_to_status(r: &DbRow) -> Status {
    Status {
        user_id: r.get("user_id"),
        status: r.get("status"),
        manual: r.get("manual"),
        last_activity_at: r.get("last_activity_at"),
    }
}

fn row_to_command(r: &DbRow) -> Command {
    Command {
        id: r.get("id"),
        token: r.get("token"),
        create_at: r.get("create_at"),
        update_at: r.get("update_at"),
        delete_at: r.get("delete_at"),
        creator_id: r.get("creator_id"),
        team_id: r.get("team_id"),
        trigger: r.get("trigger_word"),
        method: r.get("method"),
        username: r.get("username"),
        icon_url: r.get("icon_url"),
        auto_complete: r.get("auto_complete"),
        auto_complete_desc: r.get("auto_complete_desc"),
        auto_complete_hint: r.get("auto_complete_hint"),
        display_name: r.get("display_name"),
        description: r.get("description"),
        url: r.get("url"),
        plugin_id: r.get("plugin_id"),
        autocomplete_data: r
            .get::<Option<String>, _>("autocomplete_data")
            .and_then(|s| serde_json::from_str(&s).ok()),
        last_used_at: r.get("last_used_at"),
    }
}

fn autocomplete_json(c: &Command) -> Option<String> {
    c.autocomplete_data.as_ref().map(|v| v.to_string())
}

/// Binds every column of `COLS` in order, for the INSERT and the UPDATE alike.
fn bind_command<'q>(q: Query<'q>, c: &'q Command) -> Query<'q> {
    q.bind(&c.id)
        .bind(&c.token)
        .bind(c.create_at)
        .bind(c.update_at)
        .bind(c.delete_at)
        .bind(&c.creator_id)
        .bind(&c.team_id)
        .bind(&c.trigger)
        .bind(&c.method)
        .bind(&c.username)
        .bind(&c.icon_url)
        .bind(c.auto_complete)
        .bind(&c.auto_complete_desc)
        .bind(&c.auto_complete_hint)
        .bind(&c.display_name)
        .bind(&c.description)
        .bind(&c.url)
        .bind(&c.plugin_id)
        .bind(autocomplete_json(c))
        .bind(c.last_used_at)
}

const STATUS_COLS: &str = "user_id, status, manual, last_activity_at";

#[async_trait]
impl CommandStore for Db {
    async fn insert_command(&self, c: &Command) -> Result<()> {
        bind_command(sqlx::query(&insert_sql("commands", COLS)), c)
            .run(&self.pool)
            .await
    }

    async fn get_command(&self, id: &str) -> Result<Command> {
        sqlx::query(&format!("SELECT {COLS} FROM commands WHERE id = $1"))
            .bind(id)
            .row(&self.pool, row_to_command)
            .await
    }

    async fn list_team_commands(&self, team_id: &str) -> Result<Vec<Command>> {
        sqlx::query(&format!(
            "SELECT {COLS} FROM commands WHERE team_id = $1 AND delete_at = 0 \
             ORDER BY create_at, id"
        ))
        .bind(team_id)
        .rows(&self.pool, row_to_command)
        .await
    }

    async fn update_command(&self, c: &Command) -> Result<()> {
        // The last use is the caller's to record (`touch_command`), not an edit's.
        let set = assignments(COLS, &["id", "create_at", "last_used_at"]);
        let sql = format!("UPDATE commands SET {set} WHERE id = $1");
        bind_command(sqlx::query(&sql), c).run_one(&self.pool).await
    }

    async fn delete_command(&self, id: &str, now: i64) -> Result<()> {
        sqlx::query("UPDATE commands SET delete_at = $2, update_at = $2 WHERE id = $1")
            .bind(id)
            .bind(now)
            .run(&self.pool)
            .await
    }

    async fn touch_command(&self, id: &str, last_used_at: i64) -> Result<()> {
        sqlx::query("UPDATE commands SET last_used_at = $2 WHERE id = $1")
            .bind(id)
            .bind(last_used_at)
            .run(&self.pool)
            .await
    }

    async fn insert_command_webhook(&self, h: &CommandWebhook) -> Result<()> {
        sqlx::query(
            "INSERT INTO command_webhooks (id, create_at, command_id, user_id, channel_id, \
             root_id, use_count) VALUES ($1,$2,$3,$4,$5,$6,$7)",
        )
        .bind(&h.id)
        .bind(h.create_at)
        .bind(&h.command_id)
        .bind(&h.user_id)
        .bind(&h.channel_id)
        .bind(&h.root_id)
        .bind(h.use_count)
        .run(&self.pool)
        .await
    }

    async fn get_command_webhook(&self, id: &str, since: i64) -> Result<CommandWebhook> {
        sqlx::query(
            "SELECT id, create_at, command_id, user_id, channel_id, root_id, use_count \
             FROM command_webhooks WHERE id = $1 AND create_at > $2",
        )
        .bind(id)
        .bind(since)
        .row(&self.pool, |r| CommandWebhook {
            id: r.get("id"),
            create_at: r.get("create_at"),
            command_id: r.get("command_id"),
            user_id: r.get("user_id"),
            channel_id: r.get("channel_id"),
            root_id: r.get("root_id"),
            use_count: r.get("use_count"),
        })
        .await
    }

    async fn try_use_command_webhook(&self, id: &str, max_uses: i64) -> Result<bool> {
        // One statement, so concurrent uses cannot both take the last one.
        let n = sqlx::query(
            "UPDATE command_webhooks SET use_count = use_count + 1 \
             WHERE id = $1 AND use_count < $2",
        )
        .bind(id)
        .bind(max_uses)
        .changed(&self.pool)
        .await?;
        Ok(n > 0)
    }
}

#[async_trait]
impl StatusStore for Db {
    async fn save_status(&self, s: &Status) -> Result<()> {
        sqlx::query(
            "INSERT INTO status (user_id, status, manual, last_activity_at) \
             VALUES ($1,$2,$3,$4) \
             ON CONFLICT (user_id) DO UPDATE SET status=excluded.status, \
             manual=excluded.manual, last_activity_at=excluded.last_activity_at",
        )
        .bind(&s.user_id)
        .bind(&s.status)
        .bind(s.manual)
        .bind(s.last_activity_at)
        .run(&self.pool)
        .await
    }

    async fn save_status_unless_manual(&self, s: &Status) -> Result<bool> {
        let n = sqlx::query(
            "INSERT INTO status (user_id, status, manual, last_activity_at) \
             VALUES ($1,$2,FALSE,$3) \
             ON CONFLICT (user_id) DO UPDATE SET status=excluded.status, \
             manual=FALSE, last_activity_at=excluded.last_activity_at \
             WHERE status.manual = FALSE",
        )
        .bind(&s.user_id)
        .bind(&s.status)
        .bind(s.last_activity_at)
        .changed(&self.pool)
        .await?;
        Ok(n > 0)
    }

    async fn get_statuses(&self, user_ids: &[String]) -> Result<Vec<Status>> {
        let mut out = Vec::new();
        // Chunked: both backends cap the number of bound parameters.
        for chunk in user_ids.chunks(500) {
            let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT {STATUS_COLS} FROM status WHERE user_id IN ({})",
                placeholders.join(",")
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(id);
            }
            out.extend(q.rows(&self.pool, row_to_status).await?);
        }
        Ok(out)
    }

    async fn list_statuses_not_offline(&self, limit: i64) -> Result<Vec<Status>> {
        sqlx::query(&format!(
            "SELECT {STATUS_COLS} FROM status \
             WHERE status <> 'offline' ORDER BY last_activity_at DESC, user_id LIMIT $1"
        ))
        .bind(limit)
        .rows(&self.pool, row_to_status)
        .await
    }

    async fn get_status(&self, user_id: &str) -> Result<Status> {
        sqlx::query(&format!(
            "SELECT {STATUS_COLS} FROM status WHERE user_id = $1"
        ))
        .bind(user_id)
        .row(&self.pool, row_to_status)
        .await
    }
}
