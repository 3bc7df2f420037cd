//! Audits table: what was done through the API, per acting user.

use super::Db;
use super::common::Run;
use crate::map_err;
use async_trait::async_trait;
use rustmost_model::audit::Audit;
use rustmost_store::{AuditStore, Page, Result};
use sqlx::Row;

#[async_trait]
impl AuditStore for Db {
    async fn insert_audit(&self, a: &Audit) -> Result<()> {
        sqlx::query(
            "INSERT INTO audits (id, create_at, user_id, action, extra_info, ip_address, \
             session_id) VALUES ($1,$2,$3,$4,$5,$6,$7)",
        )
        .bind(&a.id)
        .bind(a.create_at)
        .bind(&a.user_id)
        .bind(&a.action)
        .bind(&a.extra_info)
        .bind(&a.ip_address)
        .bind(&a.session_id)
        .run(&self.pool)
        .await
    }

    async fn list_audits_for_user(&self, user_id: &str, page: Page) -> Result<Vec<Audit>> {
        let rows = sqlx::query(
            "SELECT id, create_at, user_id, action, extra_info, ip_address, session_id \
             FROM audits WHERE user_id = $1 ORDER BY create_at DESC, rowid DESC \
             LIMIT $2 OFFSET $3",
        )
        .bind(user_id)
        .bind(page.per_page)
        .bind(page.offset())
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(rows
            .iter()
            .map(|r| Audit {
                id: r.get("id"),
                create_at: r.get("create_at"),
                user_id: r.get("user_id"),
                action: r.get("action"),
                extra_info: r.get("extra_info"),
                ip_address: r.get("ip_address"),
                session_id: r.get("session_id"),
            })
            .collect())
    }
}
