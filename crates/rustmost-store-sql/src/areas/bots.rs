//! Bots table: one row per bot user; username and display name live on the user row.

use super::common::Run;
use super::{Db, DbRow};
use crate::limit;
use async_trait::async_trait;
use rustmost_model::bot::Bot;
use rustmost_store::{BotQuery, BotStore, Result};
use sqlx::Row;

const SELECT: &str = "SELECT b.user_id, u.username, u.first_name AS display_name, b.description, \
    b.owner_id, b.last_icon_update, b.create_at, b.update_at, b.delete_at \
    FROM bots b JOIN users u ON u.id = b.user_id";

fn row(r: &DbRow) -> Bot {
    Bot {
        user_id: r.get("user_id"),
        username: r.get("username"),
        display_name: r.get("display_name"),
        description: r.get("description"),
        owner_id: r.get("owner_id"),
        last_icon_update: r.get("last_icon_update"),
        create_at: r.get("create_at"),
        update_at: r.get("update_at"),
        delete_at: r.get("delete_at"),
    }
}

#[async_trait]
impl BotStore for Db {
    async fn insert_bot(&self, b: &Bot) -> Result<()> {
        sqlx::query(
            "INSERT INTO bots (user_id, description, owner_id, last_icon_update, create_at, \
             update_at, delete_at) VALUES ($1,$2,$3,$4,$5,$6,$7)",
        )
        .bind(&b.user_id)
        .bind(&b.description)
        .bind(&b.owner_id)
        .bind(b.last_icon_update)
        .bind(b.create_at)
        .bind(b.update_at)
        .bind(b.delete_at)
        .run(&self.pool)
        .await
    }

    async fn get_bot(&self, user_id: &str, include_deleted: bool) -> Result<Bot> {
        let sql = if include_deleted {
            format!("{SELECT} WHERE b.user_id = $1")
        } else {
            format!("{SELECT} WHERE b.user_id = $1 AND b.delete_at = 0")
        };
        sqlx::query(&sql).bind(user_id).row(&self.pool, row).await
    }

    async fn list_bots(&self, q: &BotQuery) -> Result<Vec<Bot>> {
        let mut sql = format!("{SELECT} LEFT JOIN users o ON o.id = b.owner_id WHERE 1=1");
        if !q.include_deleted {
            sql.push_str(" AND b.delete_at = 0");
        }
        if q.owner_id.is_some() {
            sql.push_str(" AND b.owner_id = $1");
        }
        if q.only_orphaned {
            sql.push_str(" AND o.delete_at <> 0");
        }
        sql.push_str(" ORDER BY b.create_at, u.username");
        sql.push_str(&limit(q.page));
        let mut query = sqlx::query(&sql);
        if let Some(o) = &q.owner_id {
            query = query.bind(o);
        }
        query.rows(&self.pool, row).await
    }

    async fn update_bot(&self, b: &Bot) -> Result<()> {
        sqlx::query(
            "UPDATE bots SET description = $2, owner_id = $3, last_icon_update = $4, \
             update_at = $5, delete_at = $6 WHERE user_id = $1",
        )
        .bind(&b.user_id)
        .bind(&b.description)
        .bind(&b.owner_id)
        .bind(b.last_icon_update)
        .bind(b.update_at)
        .bind(b.delete_at)
        .run_one(&self.pool)
        .await
    }

    async fn delete_bot(&self, user_id: &str) -> Result<()> {
        sqlx::query("DELETE FROM bots WHERE user_id = $1")
            .bind(user_id)
            .run(&self.pool)
            .await
    }
}
