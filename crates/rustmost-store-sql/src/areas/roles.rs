//! Roles table; permissions are a JSON array in TEXT.

use super::common::Run;
use super::{Db, DbRow};
use async_trait::async_trait;
use rustmost_model::role::Role;
use rustmost_store::{Result, RoleStore};
use sqlx::Row;

const COLS: &str = "id, name, display_name, description, create_at, update_at, delete_at, \
    permissions, scheme_managed, built_in";

fn row(r: &DbRow) -> Role {
    Role {
        id: r.get("id"),
        name: r.get("name"),
        display_name: r.get("display_name"),
        description: r.get("description"),
        create_at: r.get("create_at"),
        update_at: r.get("update_at"),
        delete_at: r.get("delete_at"),
        permissions: serde_json::from_str(r.get::<&str, _>("permissions")).unwrap_or_default(),
        scheme_managed: r.get("scheme_managed"),
        built_in: r.get("built_in"),
    }
}

#[async_trait]
impl RoleStore for Db {
    async fn list_roles(&self) -> Result<Vec<Role>> {
        sqlx::query(&format!("SELECT {COLS} FROM roles ORDER BY name"))
            .rows(&self.pool, row)
            .await
    }

    async fn get_role(&self, id: &str) -> Result<Role> {
        sqlx::query(&format!("SELECT {COLS} FROM roles WHERE id = $1"))
            .bind(id)
            .row(&self.pool, row)
            .await
    }

    async fn get_role_by_name(&self, name: &str) -> Result<Role> {
        sqlx::query(&format!("SELECT {COLS} FROM roles WHERE name = $1"))
            .bind(name)
            .row(&self.pool, row)
            .await
    }

    async fn insert_role(&self, role: &Role) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO roles ({COLS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)"
        ))
        .bind(&role.id)
        .bind(&role.name)
        .bind(&role.display_name)
        .bind(&role.description)
        .bind(role.create_at)
        .bind(role.update_at)
        .bind(role.delete_at)
        .bind(serde_json::to_string(&role.permissions).unwrap_or_else(|_| "[]".into()))
        .bind(role.scheme_managed)
        .bind(role.built_in)
        .run(&self.pool)
        .await
    }

    async fn update_role_permissions(&self, id: &str, perms: &[String], now: i64) -> Result<()> {
        sqlx::query("UPDATE roles SET permissions = $2, update_at = $3 WHERE id = $1")
            .bind(id)
            .bind(serde_json::to_string(perms).unwrap_or_else(|_| "[]".into()))
            .bind(now)
            .run_one(&self.pool)
            .await
    }
}
