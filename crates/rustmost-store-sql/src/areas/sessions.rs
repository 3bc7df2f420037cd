//! Sessions table: rows keyed by the hash of their secret.

use super::common::Run;
use super::{Db, DbRow};
use crate::{json_map, map_err};
use async_trait::async_trait;
use rustmost_store::{Result, SessionRow, SessionStore};
use sqlx::Row;

const COLS: &str = "id, token_hash, create_at, expires_at, last_activity_at, user_id, device_id, roles, is_oauth, props";

fn row(r: &DbRow) -> SessionRow {
    SessionRow {
        id: r.get("id"),
        token_hash: r.get("token_hash"),
        create_at: r.get("create_at"),
        expires_at: r.get("expires_at"),
        last_activity_at: r.get("last_activity_at"),
        user_id: r.get("user_id"),
        device_id: r.get("device_id"),
        roles: r.get("roles"),
        is_oauth: r.get("is_oauth"),
        props: json_map(r.get::<&str, _>("props")),
    }
}

#[async_trait]
impl SessionStore for Db {
    async fn insert_session(&self, s: &SessionRow) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO sessions ({COLS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)"
        ))
        .bind(&s.id)
        .bind(&s.token_hash)
        .bind(s.create_at)
        .bind(s.expires_at)
        .bind(s.last_activity_at)
        .bind(&s.user_id)
        .bind(&s.device_id)
        .bind(&s.roles)
        .bind(s.is_oauth)
        .bind(serde_json::to_string(&s.props).unwrap_or_else(|_| "{}".into()))
        .run(&self.pool)
        .await
    }

    async fn get_session_by_token_hash(&self, token_hash: &str) -> Result<SessionRow> {
        sqlx::query(&format!(
            "SELECT {COLS} FROM sessions WHERE token_hash = $1"
        ))
        .bind(token_hash)
        .row(&self.pool, row)
        .await
    }

    async fn get_session(&self, id: &str) -> Result<SessionRow> {
        sqlx::query(&format!("SELECT {COLS} FROM sessions WHERE id = $1"))
            .bind(id)
            .row(&self.pool, row)
            .await
    }

    async fn list_sessions_for_user(&self, user_id: &str) -> Result<Vec<SessionRow>> {
        sqlx::query(&format!(
            "SELECT {COLS} FROM sessions WHERE user_id = $1 ORDER BY last_activity_at DESC"
        ))
        .bind(user_id)
        .rows(&self.pool, row)
        .await
    }

    async fn delete_session(&self, id: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(id)
            .run(&self.pool)
            .await
    }

    async fn delete_sessions_for_user(
        &self,
        user_id: &str,
        keep: Option<&str>,
    ) -> Result<Vec<String>> {
        let ids: Vec<String> =
            sqlx::query_scalar("DELETE FROM sessions WHERE user_id = $1 AND id <> $2 RETURNING id")
                .bind(user_id)
                .bind(keep.unwrap_or(""))
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
        Ok(ids)
    }

    async fn delete_all_sessions(&self) -> Result<()> {
        sqlx::query("DELETE FROM sessions").run(&self.pool).await
    }

    async fn update_session_roles_for_user(&self, user_id: &str, roles: &str) -> Result<()> {
        sqlx::query("UPDATE sessions SET roles = $2 WHERE user_id = $1")
            .bind(user_id)
            .bind(roles)
            .run(&self.pool)
            .await
    }

    async fn touch_session(&self, id: &str, last_activity_at: i64) -> Result<()> {
        sqlx::query("UPDATE sessions SET last_activity_at = $2 WHERE id = $1")
            .bind(id)
            .bind(last_activity_at)
            .run(&self.pool)
            .await
    }

    async fn delete_lru_sessions_for_user(&self, user_id: &str, keep: i64) -> Result<Vec<String>> {
        let ids: Vec<String> = sqlx::query_scalar(
            "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE user_id = $1 \
             ORDER BY last_activity_at DESC, create_at DESC LIMIT 100 OFFSET $2) RETURNING id",
        )
        .bind(user_id)
        .bind(keep.max(0))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(ids)
    }

    async fn refresh_session_roles(&self, id: &str) -> Result<String> {
        let roles: Option<String> = sqlx::query_scalar(
            "UPDATE sessions SET roles = COALESCE((SELECT roles FROM users \
             WHERE users.id = sessions.user_id), '') WHERE id = $1 RETURNING roles",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        roles.ok_or(rustmost_store::StoreError::NotFound)
    }
}
