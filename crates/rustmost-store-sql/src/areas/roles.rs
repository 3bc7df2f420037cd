//! Roles table; permissions are a JSON array in TEXT.

use super::{Db, DbRow};
use crate::map_err;
use async_trait::async_trait;
use rustmost_model::role::Role;
use rustmost_store::{Result, RoleStore, StoreError};
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
        let rows = sqlx::query(&format!("SELECT {COLS} FROM roles ORDER BY name"))
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(rows.iter().map(row).collect())
    }

    async fn get_role(&self, id: &str) -> Result<Role> {
        let r = sqlx::query(&format!("SELECT {COLS} FROM roles WHERE id = $1"))
            .bind(id)
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(row(&r))
    }

    async fn get_role_by_name(&self, name: &str) -> Result<Role> {
        let r = sqlx::query(&format!("SELECT {COLS} FROM roles WHERE name = $1"))
            .bind(name)
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(row(&r))
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
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn update_role_permissions(&self, id: &str, perms: &[String], now: i64) -> Result<()> {
        let res = sqlx::query("UPDATE roles SET permissions = $2, update_at = $3 WHERE id = $1")
            .bind(id)
            .bind(serde_json::to_string(perms).unwrap_or_else(|_| "[]".into()))
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        if res.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
