//! Personal access tokens table; deleting, disabling or rotating a token removes the sessions
//! minted from it (they share the secret's hash) in the same transaction.

use super::common::Run;
use super::{Db, DbRow};
use crate::map_err;
use async_trait::async_trait;
use rustmost_store::{AccessTokenRow, Page, Result, TokenStore};
use sqlx::Row;

const COLS: &str = "t.id, t.token_hash, t.user_id, t.description, t.is_active, t.expires_at, \
    t.create_at, t.last_used_at, t.last_used_ip";

fn row(r: &DbRow) -> AccessTokenRow {
    AccessTokenRow {
        id: r.get("id"),
        token_hash: r.get("token_hash"),
        user_id: r.get("user_id"),
        description: r.get("description"),
        is_active: r.get("is_active"),
        expires_at: r.get("expires_at"),
        create_at: r.get("create_at"),
        last_used_at: r.get("last_used_at"),
        last_used_ip: r.get("last_used_ip"),
    }
}

const DELETE_SESSIONS: &str = "DELETE FROM sessions WHERE token_hash = \
    (SELECT token_hash FROM user_access_tokens WHERE id = $1)";

#[async_trait]
impl TokenStore for Db {
    async fn insert_token(&self, t: &AccessTokenRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO user_access_tokens (id, token_hash, user_id, description, is_active, \
             expires_at, create_at, last_used_at, last_used_ip) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
        )
        .bind(&t.id)
        .bind(&t.token_hash)
        .bind(&t.user_id)
        .bind(&t.description)
        .bind(t.is_active)
        .bind(t.expires_at)
        .bind(t.create_at)
        .bind(t.last_used_at)
        .bind(&t.last_used_ip)
        .run(&self.pool)
        .await
    }

    async fn get_token(&self, id: &str) -> Result<AccessTokenRow> {
        sqlx::query(&format!(
            "SELECT {COLS} FROM user_access_tokens t WHERE t.id = $1"
        ))
        .bind(id)
        .row(&self.pool, row)
        .await
    }

    async fn get_token_by_hash(&self, token_hash: &str) -> Result<AccessTokenRow> {
        sqlx::query(&format!(
            "SELECT {COLS} FROM user_access_tokens t WHERE t.token_hash = $1"
        ))
        .bind(token_hash)
        .row(&self.pool, row)
        .await
    }

    async fn list_tokens_for_user(&self, user_id: &str, page: Page) -> Result<Vec<AccessTokenRow>> {
        sqlx::query(&format!(
            "SELECT {COLS} FROM user_access_tokens t WHERE t.user_id = $1 \
             ORDER BY t.create_at, t.id LIMIT $2 OFFSET $3"
        ))
        .bind(user_id)
        .bind(page.per_page)
        .bind(page.offset())
        .rows(&self.pool, row)
        .await
    }

    async fn list_tokens(&self, page: Page) -> Result<Vec<AccessTokenRow>> {
        sqlx::query(&format!(
            "SELECT {COLS} FROM user_access_tokens t ORDER BY t.create_at, t.id \
             LIMIT $1 OFFSET $2"
        ))
        .bind(page.per_page)
        .bind(page.offset())
        .rows(&self.pool, row)
        .await
    }

    async fn search_tokens(&self, term: &str) -> Result<Vec<AccessTokenRow>> {
        sqlx::query(&format!(
            "SELECT {COLS} FROM user_access_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.id = $1 OR t.user_id = $1 OR u.username = $1 ORDER BY t.create_at, t.id"
        ))
        .bind(term)
        .rows(&self.pool, row)
        .await
    }

    async fn delete_token(&self, id: &str) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        sqlx::query(DELETE_SESSIONS).bind(id).run(&mut *tx).await?;
        sqlx::query("DELETE FROM user_access_tokens WHERE id = $1")
            .bind(id)
            .run_one(&mut *tx)
            .await?;
        tx.commit().await.map_err(map_err)?;
        Ok(())
    }

    async fn set_token_active(&self, id: &str, active: bool) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        if !active {
            sqlx::query(DELETE_SESSIONS).bind(id).run(&mut *tx).await?;
        }
        sqlx::query("UPDATE user_access_tokens SET is_active = $2 WHERE id = $1")
            .bind(id)
            .bind(active)
            .run_one(&mut *tx)
            .await?;
        tx.commit().await.map_err(map_err)?;
        Ok(())
    }

    async fn rotate_token(&self, id: &str, new_hash: &str, expires_at: i64) -> Result<Vec<String>> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let gone: Vec<String> = sqlx::query_scalar(&format!("{DELETE_SESSIONS} RETURNING id"))
            .bind(id)
            .fetch_all(&mut *tx)
            .await
            .map_err(map_err)?;
        sqlx::query("UPDATE user_access_tokens SET token_hash = $2, expires_at = $3 WHERE id = $1")
            .bind(id)
            .bind(new_hash)
            .bind(expires_at)
            .run_one(&mut *tx)
            .await?;
        tx.commit().await.map_err(map_err)?;
        Ok(gone)
    }

    async fn touch_token(&self, id: &str, last_used_at: i64, ip: &str) -> Result<()> {
        sqlx::query(
            "UPDATE user_access_tokens SET last_used_at = $2, last_used_ip = $3 WHERE id = $1",
        )
        .bind(id)
        .bind(last_used_at)
        .bind(ip)
        .run(&self.pool)
        .await
    }

    async fn list_non_compliant_tokens(&self, latest_expiry: i64) -> Result<Vec<AccessTokenRow>> {
        // Only active tokens count (upstream `CountNonCompliantExpiry`). A bot is subject to the
        // policy when a user owns it, which upstream decides by the owner id's shape alone
        // (`HasUserOwner`): a plugin id is exempt, a deleted user's id is not. The shape test
        // is done here rather than in SQL, where it would differ per database.
        let rows = sqlx::query(&format!(
            "SELECT {COLS}, b.owner_id AS bot_owner FROM user_access_tokens t \
             LEFT JOIN bots b ON b.user_id = t.user_id \
             WHERE t.is_active = TRUE AND (t.expires_at = 0 OR t.expires_at > $1) \
             ORDER BY t.create_at, t.id"
        ))
        .bind(latest_expiry)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(rows
            .iter()
            .filter(|r| {
                r.get::<Option<String>, _>("bot_owner")
                    .is_none_or(|o| rustmost_model::is_valid_id(&o))
            })
            .map(row)
            .collect())
    }

    async fn delete_expired_tokens(&self, now: i64) -> Result<Vec<AccessTokenRow>> {
        const EXPIRED: &str = "expires_at > 0 AND expires_at <= $1";
        // Writes first, so the transaction takes the write lock before it reads anything.
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        sqlx::query(&format!(
            "DELETE FROM sessions WHERE token_hash IN \
             (SELECT token_hash FROM user_access_tokens WHERE {EXPIRED})"
        ))
        .bind(now)
        .run(&mut *tx)
        .await?;
        let rows = sqlx::query(&format!(
            "DELETE FROM user_access_tokens WHERE {EXPIRED} RETURNING {}",
            COLS.replace("t.", "")
        ))
        .bind(now)
        .rows(&mut *tx, row)
        .await?;
        tx.commit().await.map_err(map_err)?;
        Ok(rows)
    }
}
