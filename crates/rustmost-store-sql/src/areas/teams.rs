//! Teams and team members.

use super::common::{Query, Run};
use super::{Db, DbRow};
use crate::{assignments, insert_sql, limit, map_err};
use async_trait::async_trait;
use rustmost_model::team::{Team, TeamMember};
use rustmost_store::{Page, Result, TeamListing, TeamStore};
use sqlx::Row;

const COLS: &str = "t.id, t.create_at, t.update_at, t.delete_at, t.display_name, t.name, \
    t.description, t.email, t.type, t.company_name, t.allowed_domains, t.invite_id, \
    t.allow_open_invite, t.last_team_icon_update, t.scheme_id, t.group_constrained";

fn row_to_team(r: &DbRow) -> Team {
    Team {
        id: r.get("id"),
        create_at: r.get("create_at"),
        update_at: r.get("update_at"),
        delete_at: r.get("delete_at"),
        display_name: r.get("display_name"),
        name: r.get("name"),
        description: r.get("description"),
        email: r.get("email"),
        team_type: r.get("type"),
        company_name: r.get("company_name"),
        allowed_domains: r.get("allowed_domains"),
        invite_id: r.get("invite_id"),
        allow_open_invite: r.get("allow_open_invite"),
        last_team_icon_update: r.get("last_team_icon_update"),
        scheme_id: r.get("scheme_id"),
        group_constrained: r.get("group_constrained"),
        policy_id: None,
        cloud_limits_archived: false,
    }
}

fn row_to_member(r: &DbRow) -> TeamMember {
    let mut m = TeamMember {
        team_id: r.get("team_id"),
        user_id: r.get("user_id"),
        roles: String::new(),
        delete_at: r.get("delete_at"),
        scheme_guest: r.get("scheme_guest"),
        scheme_user: r.get("scheme_user"),
        scheme_admin: r.get("scheme_admin"),
        explicit_roles: r.get("explicit_roles"),
        create_at: r.get("create_at"),
    };
    m.compute_roles();
    m
}

const MEMBER_COLS: &str = "team_id, user_id, explicit_roles, delete_at, scheme_guest, scheme_user, scheme_admin, create_at";

/// Binds every column of `COLS` in order, for the INSERT and the UPDATE alike.
fn bind_team<'q>(q: Query<'q>, t: &'q Team) -> Query<'q> {
    q.bind(&t.id)
        .bind(t.create_at)
        .bind(t.update_at)
        .bind(t.delete_at)
        .bind(&t.display_name)
        .bind(&t.name)
        .bind(&t.description)
        .bind(&t.email)
        .bind(&t.team_type)
        .bind(&t.company_name)
        .bind(&t.allowed_domains)
        .bind(&t.invite_id)
        .bind(t.allow_open_invite)
        .bind(t.last_team_icon_update)
        .bind(&t.scheme_id)
        .bind(t.group_constrained)
}

/// The `WHERE` part shared by the listing of teams and its count, so both agree.
fn team_listing_filter(which: TeamListing) -> &'static str {
    match which {
        TeamListing::All => "",
        TeamListing::Open => " AND t.allow_open_invite = TRUE",
        TeamListing::Private => " AND t.allow_open_invite = FALSE",
    }
}

#[async_trait]
impl TeamStore for Db {
    async fn insert_team(&self, t: &Team) -> Result<()> {
        let sql = insert_sql("teams", &COLS.replace("t.", ""));
        bind_team(sqlx::query(&sql), t).run(&self.pool).await
    }

    async fn get_team(&self, id: &str) -> Result<Team> {
        sqlx::query(&format!("SELECT {COLS} FROM teams t WHERE t.id = $1"))
            .bind(id)
            .row(&self.pool, row_to_team)
            .await
    }

    async fn get_team_by_name(&self, name: &str) -> Result<Team> {
        sqlx::query(&format!("SELECT {COLS} FROM teams t WHERE t.name = $1"))
            .bind(name)
            .row(&self.pool, row_to_team)
            .await
    }

    async fn update_team(&self, t: &Team) -> Result<()> {
        let set = assignments(&COLS.replace("t.", ""), &["id", "create_at"]);
        let sql = format!("UPDATE teams SET {set} WHERE id = $1");
        bind_team(sqlx::query(&sql), t).run_one(&self.pool).await
    }

    async fn list_teams(&self, which: TeamListing, page: Page) -> Result<Vec<Team>> {
        let filter = team_listing_filter(which);
        sqlx::query(&format!(
            "SELECT {COLS} FROM teams t WHERE t.delete_at = 0{filter} \
             ORDER BY t.display_name, t.id{}",
            limit(Some(page))
        ))
        .rows(&self.pool, row_to_team)
        .await
    }

    async fn count_teams(&self, which: TeamListing) -> Result<i64> {
        let filter = team_listing_filter(which);
        sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM teams t WHERE t.delete_at = 0{filter}"
        ))
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)
    }

    async fn list_teams_for_user(&self, user_id: &str, page: Option<Page>) -> Result<Vec<Team>> {
        sqlx::query(&format!(
            "SELECT {COLS} FROM teams t JOIN team_members tm ON tm.team_id = t.id \
             WHERE tm.user_id = $1 AND tm.delete_at = 0 ORDER BY t.display_name, t.id{}",
            limit(page)
        ))
        .bind(user_id)
        .rows(&self.pool, row_to_team)
        .await
    }

    async fn save_team_member(&self, m: &TeamMember) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO team_members ({MEMBER_COLS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8) \
             ON CONFLICT (team_id, user_id) DO UPDATE SET explicit_roles=excluded.explicit_roles, \
             delete_at=excluded.delete_at, scheme_guest=excluded.scheme_guest, \
             scheme_user=excluded.scheme_user, scheme_admin=excluded.scheme_admin"
        ))
        .bind(&m.team_id)
        .bind(&m.user_id)
        .bind(&m.explicit_roles)
        .bind(m.delete_at)
        .bind(m.scheme_guest)
        .bind(m.scheme_user)
        .bind(m.scheme_admin)
        .bind(m.create_at)
        .run(&self.pool)
        .await
    }

    async fn get_team_member(&self, team_id: &str, user_id: &str) -> Result<TeamMember> {
        sqlx::query(&format!(
            "SELECT {MEMBER_COLS} FROM team_members WHERE team_id = $1 AND user_id = $2"
        ))
        .bind(team_id)
        .bind(user_id)
        .row(&self.pool, row_to_member)
        .await
    }

    async fn list_team_members(&self, team_id: &str, page: Page) -> Result<Vec<TeamMember>> {
        sqlx::query(&format!(
            "SELECT {MEMBER_COLS} FROM team_members WHERE team_id = $1 AND delete_at = 0 \
             ORDER BY user_id{}",
            limit(Some(page))
        ))
        .bind(team_id)
        .rows(&self.pool, row_to_member)
        .await
    }
}
