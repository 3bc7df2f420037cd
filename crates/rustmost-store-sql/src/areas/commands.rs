//! Slash commands, their `response_url` records, and user statuses.

use super::{Db, DbRow};
use crate::map_err;
use async_trait::async_trait;
use rustmost_model::command::{Command, CommandWebhook, Status};
use rustmost_store::{CommandStore, Result, StatusStore, StoreError};
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

#[async_trait]
impl CommandStore for Db {
    async fn insert_command(&self, c: &Command) -> Result<()> {
        sqlx::query(
            "INSERT INTO commands (id, token, create_at, update_at, delete_at, creator_id, \
             team_id, trigger_word, method, username, icon_url, auto_complete, \
             auto_complete_desc, auto_complete_hint, display_name, description, url, plugin_id, \
             autocomplete_data, last_used_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20)",
        )
        .bind(&c.id)
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
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn get_command(&self, id: &str) -> Result<Command> {
        let r = sqlx::query(&format!("SELECT {COLS} FROM commands WHERE id = $1"))
            .bind(id)
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(row_to_command(&r))
    }

    async fn list_team_commands(&self, team_id: &str) -> Result<Vec<Command>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLS} FROM commands WHERE team_id = $1 AND delete_at = 0 \
             ORDER BY create_at, id"
        ))
        .bind(team_id)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(rows.iter().map(row_to_command).collect())
    }

    async fn update_command(&self, c: &Command) -> Result<()> {
        let n = sqlx::query(
            "UPDATE commands SET token=$2, update_at=$3, delete_at=$4, creator_id=$5, \
             team_id=$6, trigger_word=$7, method=$8, username=$9, icon_url=$10, \
             auto_complete=$11, auto_complete_desc=$12, auto_complete_hint=$13, \
             display_name=$14, description=$15, url=$16, plugin_id=$17, autocomplete_data=$18 \
             WHERE id = $1",
        )
        .bind(&c.id)
        .bind(&c.token)
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
        .execute(&self.pool)
        .await
        .map_err(map_err)?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn delete_command(&self, id: &str, now: i64) -> Result<()> {
        sqlx::query("UPDATE commands SET delete_at = $2, update_at = $2 WHERE id = $1")
            .bind(id)
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn touch_command(&self, id: &str, last_used_at: i64) -> Result<()> {
        sqlx::query("UPDATE commands SET last_used_at = $2 WHERE id = $1")
            .bind(id)
            .bind(last_used_at)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
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
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn get_command_webhook(&self, id: &str, since: i64) -> Result<CommandWebhook> {
        let r = sqlx::query(
            "SELECT id, create_at, command_id, user_id, channel_id, root_id, use_count \
             FROM command_webhooks WHERE id = $1 AND create_at > $2",
        )
        .bind(id)
        .bind(since)
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(CommandWebhook {
            id: r.get("id"),
            create_at: r.get("create_at"),
            command_id: r.get("command_id"),
            user_id: r.get("user_id"),
            channel_id: r.get("channel_id"),
            root_id: r.get("root_id"),
            use_count: r.get("use_count"),
        })
    }

    async fn try_use_command_webhook(&self, id: &str, max_uses: i64) -> Result<bool> {
        // One statement, so concurrent uses cannot both take the last one.
        let n = sqlx::query(
            "UPDATE command_webhooks SET use_count = use_count + 1 \
             WHERE id = $1 AND use_count < $2",
        )
        .bind(id)
        .bind(max_uses)
        .execute(&self.pool)
        .await
        .map_err(map_err)?
        .rows_affected();
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
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn save_status_unless_manual(&self, s: &Status) -> Result<bool> {
        let res = sqlx::query(
            "INSERT INTO status (user_id, status, manual, last_activity_at) \
             VALUES ($1,$2,FALSE,$3) \
             ON CONFLICT (user_id) DO UPDATE SET status=excluded.status, \
             manual=FALSE, last_activity_at=excluded.last_activity_at \
             WHERE status.manual = FALSE",
        )
        .bind(&s.user_id)
        .bind(&s.status)
        .bind(s.last_activity_at)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(res.rows_affected() > 0)
    }

    async fn get_statuses(&self, user_ids: &[String]) -> Result<Vec<Status>> {
        let mut out = Vec::new();
        // Chunked: both backends cap the number of bound parameters.
        for chunk in user_ids.chunks(500) {
            let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT user_id, status, manual, last_activity_at FROM status \
                 WHERE user_id IN ({})",
                placeholders.join(",")
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(id);
            }
            let rows = q.fetch_all(&self.pool).await.map_err(map_err)?;
            out.extend(rows.iter().map(row_to_status));
        }
        Ok(out)
    }

    async fn list_statuses_not_offline(&self, limit: i64) -> Result<Vec<Status>> {
        let rows = sqlx::query(
            "SELECT user_id, status, manual, last_activity_at FROM status \
             WHERE status <> 'offline' ORDER BY last_activity_at DESC, user_id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(rows.iter().map(row_to_status).collect())
    }

    async fn get_status(&self, user_id: &str) -> Result<Status> {
        let r = sqlx::query(
            "SELECT user_id, status, manual, last_activity_at FROM status WHERE user_id = $1",
        )
        .bind(user_id)
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(row_to_status(&r))
    }
}
