//! Users table.

use super::{Db, DbRow};
use crate::{json_map, map_err};
use async_trait::async_trait;
use rustmost_model::user::User;
use rustmost_store::{Result, UserQuery, UserStore};
use sqlx::Row;

const COLS: &str = "id, create_at, update_at, delete_at, username, password, auth_data, \
    auth_service, email, email_verified, nickname, first_name, last_name, position, roles, \
    allow_marketing, props, notify_props, last_password_update, last_picture_update, \
    failed_attempts, locale, timezone, mfa_active, remote_id, last_activity_at, is_bot, \
    bot_description, disable_welcome_email, last_login";

fn row_to_user(r: &DbRow) -> User {
    User {
        id: r.get("id"),
        create_at: r.get("create_at"),
        update_at: r.get("update_at"),
        delete_at: r.get("delete_at"),
        username: r.get("username"),
        password: r.get("password"),
        auth_data: r.get("auth_data"),
        auth_service: r.get("auth_service"),
        email: r.get("email"),
        email_verified: r.get("email_verified"),
        nickname: r.get("nickname"),
        first_name: r.get("first_name"),
        last_name: r.get("last_name"),
        position: r.get("position"),
        roles: r.get("roles"),
        allow_marketing: r.get("allow_marketing"),
        props: Some(json_map(r.get::<&str, _>("props"))),
        notify_props: Some(json_map(r.get::<&str, _>("notify_props"))),
        last_password_update: r.get("last_password_update"),
        last_picture_update: r.get("last_picture_update"),
        failed_attempts: r.get("failed_attempts"),
        locale: r.get("locale"),
        timezone: Some(json_map(r.get::<&str, _>("timezone"))),
        mfa_active: r.get("mfa_active"),
        remote_id: r.get("remote_id"),
        last_activity_at: r.get("last_activity_at"),
        is_bot: r.get("is_bot"),
        bot_description: r.get("bot_description"),
        disable_welcome_email: r.get("disable_welcome_email"),
        last_login: r.get("last_login"),
        ..Default::default()
    }
}

/// Escapes `%`, `_` and `\` for a `LIKE ... ESCAPE '\'` pattern.
fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

fn to_json(m: &Option<std::collections::BTreeMap<String, String>>) -> String {
    serde_json::to_string(&m.clone().unwrap_or_default()).unwrap_or_else(|_| "{}".into())
}

type Backend = <DbRow as Row>::Database;
type Query<'q> = sqlx::query::Query<'q, Backend, <Backend as sqlx::Database>::Arguments<'q>>;

/// Binds `update_at` through `last_login`, in `COLS` order: the columns both the insert and the
/// update write after their leading ones.
fn bind_from_update_at<'q>(q: Query<'q>, u: &'q User) -> Query<'q> {
    q.bind(u.update_at)
        .bind(u.delete_at)
        .bind(&u.username)
        .bind(&u.password)
        .bind(&u.auth_data)
        .bind(&u.auth_service)
        .bind(&u.email)
        .bind(u.email_verified)
        .bind(&u.nickname)
        .bind(&u.first_name)
        .bind(&u.last_name)
        .bind(&u.position)
        .bind(&u.roles)
        .bind(u.allow_marketing)
        .bind(to_json(&u.props))
        .bind(to_json(&u.notify_props))
        .bind(u.last_password_update)
        .bind(u.last_picture_update)
        .bind(u.failed_attempts)
        .bind(&u.locale)
        .bind(to_json(&u.timezone))
        .bind(u.mfa_active)
        .bind(&u.remote_id)
        .bind(u.last_activity_at)
        .bind(u.is_bot)
        .bind(&u.bot_description)
        .bind(u.disable_welcome_email)
        .bind(u.last_login)
}

#[async_trait]
impl UserStore for Db {
    async fn insert_user(&self, u: &User) -> Result<()> {
        let sql = format!(
            "INSERT INTO users ({COLS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,\
             $15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25,$26,$27,$28,$29,$30)"
        );
        let q = sqlx::query(&sql).bind(&u.id).bind(u.create_at);
        bind_from_update_at(q, u)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn get_user(&self, id: &str) -> Result<User> {
        let r = sqlx::query(&format!("SELECT {COLS} FROM users WHERE id = $1"))
            .bind(id)
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(row_to_user(&r))
    }

    async fn get_user_by_username(&self, username: &str) -> Result<User> {
        let r = sqlx::query(&format!("SELECT {COLS} FROM users WHERE username = $1"))
            .bind(username.to_lowercase())
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(row_to_user(&r))
    }

    async fn get_user_by_email(&self, email: &str) -> Result<User> {
        let r = sqlx::query(&format!(
            "SELECT {COLS} FROM users WHERE lower(email) = lower($1)"
        ))
        .bind(email)
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(row_to_user(&r))
    }

    async fn get_users_by_ids(&self, ids: &[String], since: Option<i64>) -> Result<Vec<User>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let placeholders: Vec<String> = (0..ids.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT {COLS} FROM users WHERE update_at > $1 AND id IN ({}) ORDER BY username",
            placeholders.join(",")
        );
        let mut q = sqlx::query(&sql).bind(since.unwrap_or(-1));
        for id in ids {
            q = q.bind(id);
        }
        let rows = q.fetch_all(&self.pool).await.map_err(map_err)?;
        Ok(rows.iter().map(row_to_user).collect())
    }

    async fn get_users_by_usernames(&self, usernames: &[String]) -> Result<Vec<User>> {
        if usernames.is_empty() {
            return Ok(vec![]);
        }
        let placeholders: Vec<String> = (1..=usernames.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT {COLS} FROM users WHERE username IN ({}) ORDER BY username",
            placeholders.join(",")
        );
        let mut q = sqlx::query(&sql);
        for n in usernames {
            q = q.bind(n);
        }
        let rows = q.fetch_all(&self.pool).await.map_err(map_err)?;
        Ok(rows.iter().map(row_to_user).collect())
    }

    async fn list_users(&self, uq: &UserQuery) -> Result<Vec<User>> {
        let mut sql = format!("SELECT {COLS} FROM users u WHERE 1=1");
        let mut binds: Vec<String> = Vec::new();
        let arg = |v: String, binds: &mut Vec<String>| {
            binds.push(v);
            format!("${}", binds.len())
        };
        if uq.inactive {
            sql.push_str(" AND u.delete_at <> 0");
        }
        if uq.active {
            sql.push_str(" AND u.delete_at = 0");
        }
        if !uq.include_bots {
            sql.push_str(" AND u.is_bot = FALSE");
        }
        if let Some(role) = &uq.role {
            // Lowercased with literal wildcards, as upstream; lower() on both sides also makes
            // SQLite's case-insensitive LIKE and PostgreSQL's case-sensitive one agree.
            let p = arg(
                format!("% {} %", like_escape(&role.to_lowercase())),
                &mut binds,
            );
            sql.push_str(&format!(
                " AND lower(' ' || u.roles || ' ') LIKE {p} ESCAPE '\\'"
            ));
        }
        if let Some(since) = uq.since {
            let p = arg(since.to_string(), &mut binds);
            sql.push_str(&format!(" AND u.update_at > CAST({p} AS BIGINT)"));
        }
        if let Some(term) = &uq.term {
            let p = arg(
                format!("{}%", like_escape(&term.to_lowercase())),
                &mut binds,
            );
            sql.push_str(&format!(
                " AND (lower(u.username) LIKE {p} ESCAPE '\\' OR lower(u.email) LIKE {p} ESCAPE '\\' \
                 OR lower(u.first_name) LIKE {p} ESCAPE '\\' OR lower(u.last_name) LIKE {p} ESCAPE '\\' \
                 OR lower(u.nickname) LIKE {p} ESCAPE '\\')"
            ));
        }
        if let Some(team) = &uq.in_team {
            let p = arg(team.clone(), &mut binds);
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM team_members tm WHERE tm.user_id = u.id \
                 AND tm.team_id = {p} AND tm.delete_at = 0)"
            ));
        }
        if let Some(team) = &uq.not_in_team {
            let p = arg(team.clone(), &mut binds);
            sql.push_str(&format!(
                " AND NOT EXISTS (SELECT 1 FROM team_members tm WHERE tm.user_id = u.id \
                 AND tm.team_id = {p} AND tm.delete_at = 0)"
            ));
        }
        if let Some(ch) = &uq.in_channel {
            let p = arg(ch.clone(), &mut binds);
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM channel_members cm WHERE cm.user_id = u.id \
                 AND cm.channel_id = {p})"
            ));
        }
        if let Some(ch) = &uq.not_in_channel {
            let p = arg(ch.clone(), &mut binds);
            sql.push_str(&format!(
                " AND NOT EXISTS (SELECT 1 FROM channel_members cm WHERE cm.user_id = u.id \
                 AND cm.channel_id = {p})"
            ));
        }
        match (uq.sort.as_str(), &uq.in_channel) {
            ("create_at", _) => sql.push_str(" ORDER BY u.create_at DESC, u.id"),
            ("last_activity_at", _) => {
                sql.push_str(" ORDER BY u.last_activity_at DESC, u.username")
            }
            ("admin", Some(ch)) => {
                let p = arg(ch.clone(), &mut binds);
                sql.push_str(&format!(
                    " ORDER BY (SELECT cm.scheme_admin FROM channel_members cm \
                     WHERE cm.user_id = u.id AND cm.channel_id = {p}) DESC, u.username"
                ));
            }
            _ => sql.push_str(" ORDER BY u.username"),
        }
        if let Some(page) = uq.page {
            sql.push_str(&format!(
                " LIMIT {} OFFSET {}",
                page.per_page,
                page.offset()
            ));
        }
        let mut q = sqlx::query(&sql);
        for b in &binds {
            q = q.bind(b);
        }
        let rows = q.fetch_all(&self.pool).await.map_err(map_err)?;
        Ok(rows.iter().map(row_to_user).collect())
    }

    async fn update_user(&self, u: &User) -> Result<()> {
        let q = sqlx::query(
            "UPDATE users SET update_at=$2, delete_at=$3, username=$4, password=$5, auth_data=$6, \
             auth_service=$7, email=$8, email_verified=$9, nickname=$10, first_name=$11, \
             last_name=$12, position=$13, roles=$14, allow_marketing=$15, props=$16, \
             notify_props=$17, last_password_update=$18, last_picture_update=$19, \
             failed_attempts=$20, locale=$21, timezone=$22, mfa_active=$23, remote_id=$24, \
             last_activity_at=$25, is_bot=$26, bot_description=$27, disable_welcome_email=$28, \
             last_login=$29 WHERE id=$1",
        )
        .bind(&u.id);
        let res = bind_from_update_at(q, u)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        if res.rows_affected() == 0 {
            return Err(rustmost_store::StoreError::NotFound);
        }
        Ok(())
    }

    async fn count_users(&self, include_bots: bool) -> Result<i64> {
        let sql = if include_bots {
            "SELECT COUNT(*) FROM users"
        } else {
            "SELECT COUNT(*) FROM users WHERE is_bot = FALSE"
        };
        let n: i64 = sqlx::query_scalar(sql)
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(n)
    }

    async fn count_active_users(&self) -> Result<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE delete_at = 0")
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)
    }

    async fn set_failed_attempts(&self, id: &str, attempts: i64) -> Result<()> {
        sqlx::query("UPDATE users SET failed_attempts = $2 WHERE id = $1")
            .bind(id)
            .bind(attempts)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn add_failed_attempt(&self, id: &str) -> Result<i64> {
        let n: Option<i64> = sqlx::query_scalar(
            "UPDATE users SET failed_attempts = failed_attempts + 1 WHERE id = $1 \
             RETURNING failed_attempts",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        n.ok_or(rustmost_store::StoreError::NotFound)
    }

    async fn record_login(&self, id: &str, at: i64) -> Result<()> {
        let res =
            sqlx::query("UPDATE users SET last_login = $2, failed_attempts = 0 WHERE id = $1")
                .bind(id)
                .bind(at)
                .execute(&self.pool)
                .await
                .map_err(map_err)?;
        one_row(res.rows_affected())
    }

    async fn set_password(&self, id: &str, hash: &str, at: i64) -> Result<()> {
        let res = sqlx::query(
            "UPDATE users SET password = $2, last_password_update = $3, update_at = $3, \
             failed_attempts = 0 WHERE id = $1",
        )
        .bind(id)
        .bind(hash)
        .bind(at)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        one_row(res.rows_affected())
    }

    async fn update_user_profile(&self, u: &User) -> Result<()> {
        let res = sqlx::query(
            "UPDATE users SET update_at=$2, username=$3, email=$4, email_verified=$5, \
             nickname=$6, first_name=$7, last_name=$8, position=$9, locale=$10, props=$11, \
             notify_props=$12, timezone=$13, disable_welcome_email=$14 WHERE id=$1",
        )
        .bind(&u.id)
        .bind(u.update_at)
        .bind(&u.username)
        .bind(&u.email)
        .bind(u.email_verified)
        .bind(&u.nickname)
        .bind(&u.first_name)
        .bind(&u.last_name)
        .bind(&u.position)
        .bind(&u.locale)
        .bind(to_json(&u.props))
        .bind(to_json(&u.notify_props))
        .bind(to_json(&u.timezone))
        .bind(u.disable_welcome_email)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        one_row(res.rows_affected())
    }

    async fn set_user_delete_at(&self, id: &str, delete_at: i64, at: i64) -> Result<()> {
        let res = sqlx::query("UPDATE users SET delete_at = $2, update_at = $3 WHERE id = $1")
            .bind(id)
            .bind(delete_at)
            .bind(at)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        one_row(res.rows_affected())
    }

    async fn set_user_roles(&self, id: &str, roles: &str, at: i64) -> Result<()> {
        let res = sqlx::query("UPDATE users SET roles = $2, update_at = $3 WHERE id = $1")
            .bind(id)
            .bind(roles)
            .bind(at)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        one_row(res.rows_affected())
    }

    async fn set_user_bot(&self, id: &str, is_bot: bool, description: &str, at: i64) -> Result<()> {
        let res = sqlx::query(
            "UPDATE users SET is_bot = $2, bot_description = $3, update_at = $4 WHERE id = $1",
        )
        .bind(id)
        .bind(is_bot)
        .bind(description)
        .bind(at)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        one_row(res.rows_affected())
    }
}

fn one_row(affected: u64) -> Result<()> {
    if affected == 0 {
        return Err(rustmost_store::StoreError::NotFound);
    }
    Ok(())
}
