//! Channels and channel members.

use super::common::{Query, Run};
use super::{Db, DbRow};
use crate::{assignments, insert_sql, json_map, limit, map_err};
use async_trait::async_trait;
use rustmost_model::channel::{Channel, ChannelMember, ChannelWithTeamData};
use rustmost_store::{ChannelStore, Page, Result};
use sqlx::Row;

const COLS: &str = "c.id, c.create_at, c.update_at, c.delete_at, c.team_id, c.type, \
    c.display_name, c.name, c.header, c.purpose, c.last_post_at, c.total_msg_count, \
    c.extra_update_at, c.creator_id, c.scheme_id, c.props, c.group_constrained, c.shared, \
    c.total_msg_count_root, c.last_root_post_at";

fn row_to_channel(r: &DbRow) -> Channel {
    let props: Option<String> = r.get("props");
    Channel {
        id: r.get("id"),
        create_at: r.get("create_at"),
        update_at: r.get("update_at"),
        delete_at: r.get("delete_at"),
        team_id: r.get("team_id"),
        channel_type: r.get("type"),
        display_name: r.get("display_name"),
        name: r.get("name"),
        header: r.get("header"),
        purpose: r.get("purpose"),
        last_post_at: r.get("last_post_at"),
        total_msg_count: r.get("total_msg_count"),
        extra_update_at: r.get("extra_update_at"),
        creator_id: r.get("creator_id"),
        scheme_id: r.get("scheme_id"),
        props: props.and_then(|p| serde_json::from_str(&p).ok()),
        group_constrained: r.get("group_constrained"),
        shared: r.get("shared"),
        total_msg_count_root: r.get("total_msg_count_root"),
        policy_id: None,
        last_root_post_at: r.get("last_root_post_at"),
    }
}

const MEMBER_COLS: &str = "channel_id, user_id, explicit_roles, last_viewed_at, msg_count, \
    mention_count, mention_count_root, urgent_mention_count, msg_count_root, notify_props, \
    last_update_at, scheme_guest, scheme_user, scheme_admin";

fn row_to_member(r: &DbRow) -> ChannelMember {
    let mut m = ChannelMember {
        channel_id: r.get("channel_id"),
        user_id: r.get("user_id"),
        roles: String::new(),
        last_viewed_at: r.get("last_viewed_at"),
        msg_count: r.get("msg_count"),
        mention_count: r.get("mention_count"),
        mention_count_root: r.get("mention_count_root"),
        urgent_mention_count: r.get("urgent_mention_count"),
        msg_count_root: r.get("msg_count_root"),
        notify_props: json_map(r.get::<&str, _>("notify_props")),
        last_update_at: r.get("last_update_at"),
        scheme_guest: r.get("scheme_guest"),
        scheme_user: r.get("scheme_user"),
        scheme_admin: r.get("scheme_admin"),
        explicit_roles: r.get("explicit_roles"),
    };
    m.compute_roles();
    m
}

fn props_json(c: &Channel) -> Option<String> {
    c.props.as_ref().and_then(|p| serde_json::to_string(p).ok())
}

/// Escapes `%`, `_` and `\` for a `LIKE ... ESCAPE '\'` pattern.
fn like_prefix(term: &str) -> String {
    let esc = term
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("{esc}%")
}

/// Binds every column of `COLS` in order, for the INSERT and the UPDATE alike.
fn bind_channel<'q>(q: Query<'q>, c: &'q Channel) -> Query<'q> {
    q.bind(&c.id)
        .bind(c.create_at)
        .bind(c.update_at)
        .bind(c.delete_at)
        .bind(&c.team_id)
        .bind(&c.channel_type)
        .bind(&c.display_name)
        .bind(&c.name)
        .bind(&c.header)
        .bind(&c.purpose)
        .bind(c.last_post_at)
        .bind(c.total_msg_count)
        .bind(c.extra_update_at)
        .bind(&c.creator_id)
        .bind(&c.scheme_id)
        .bind(props_json(c))
        .bind(c.group_constrained)
        .bind(c.shared)
        .bind(c.total_msg_count_root)
        .bind(c.last_root_post_at)
}

/// Binds every column of `MEMBER_COLS` in order.
fn bind_member<'q>(q: Query<'q>, m: &'q ChannelMember) -> Query<'q> {
    q.bind(&m.channel_id)
        .bind(&m.user_id)
        .bind(&m.explicit_roles)
        .bind(m.last_viewed_at)
        .bind(m.msg_count)
        .bind(m.mention_count)
        .bind(m.mention_count_root)
        .bind(m.urgent_mention_count)
        .bind(m.msg_count_root)
        .bind(serde_json::to_string(&m.notify_props).unwrap_or_else(|_| "{}".into()))
        .bind(m.last_update_at)
        .bind(m.scheme_guest)
        .bind(m.scheme_user)
        .bind(m.scheme_admin)
}

#[async_trait]
impl ChannelStore for Db {
    async fn insert_channel(&self, c: &Channel) -> Result<()> {
        let sql = insert_sql("channels", &COLS.replace("c.", ""));
        bind_channel(sqlx::query(&sql), c).run(&self.pool).await
    }

    async fn get_channel(&self, id: &str) -> Result<Channel> {
        sqlx::query(&format!("SELECT {COLS} FROM channels c WHERE c.id = $1"))
            .bind(id)
            .row(&self.pool, row_to_channel)
            .await
    }

    async fn get_channel_by_name(&self, team_id: &str, name: &str) -> Result<Channel> {
        sqlx::query(&format!(
            "SELECT {COLS} FROM channels c WHERE c.team_id = $1 AND c.name = $2"
        ))
        .bind(team_id)
        .bind(name)
        .row(&self.pool, row_to_channel)
        .await
    }

    async fn update_channel(&self, c: &Channel) -> Result<()> {
        // The team and creator never change; the counters and last-post times are the post
        // path's to move.
        let kept = [
            "id",
            "create_at",
            "team_id",
            "last_post_at",
            "total_msg_count",
            "creator_id",
            "total_msg_count_root",
            "last_root_post_at",
        ];
        let set = assignments(&COLS.replace("c.", ""), &kept);
        let sql = format!("UPDATE channels SET {set} WHERE id = $1");
        bind_channel(sqlx::query(&sql), c).run_one(&self.pool).await
    }

    async fn list_all_channels(
        &self,
        include_deleted: bool,
        page: Page,
    ) -> Result<Vec<ChannelWithTeamData>> {
        let deleted = if include_deleted {
            ""
        } else {
            " AND c.delete_at = 0"
        };
        sqlx::query(&format!(
            "SELECT {COLS}, t.display_name AS team_display_name, t.name AS team_name, \
             t.update_at AS team_update_at FROM channels c JOIN teams t ON t.id = c.team_id \
             WHERE c.type IN ('O', 'P'){deleted} \
             ORDER BY c.display_name, t.display_name, c.id{}",
            limit(Some(page))
        ))
        .rows(&self.pool, |r| ChannelWithTeamData {
            channel: row_to_channel(r),
            team_display_name: r.get("team_display_name"),
            team_name: r.get("team_name"),
            team_update_at: r.get("team_update_at"),
        })
        .await
    }

    async fn list_public_channels(&self, team_id: &str, page: Page) -> Result<Vec<Channel>> {
        sqlx::query(&format!(
            "SELECT {COLS} FROM channels c WHERE c.team_id = $1 AND c.type = 'O' \
             AND c.delete_at = 0 ORDER BY c.display_name, c.id{}",
            limit(Some(page))
        ))
        .bind(team_id)
        .rows(&self.pool, row_to_channel)
        .await
    }

    async fn list_channels_for_user(
        &self,
        user_id: &str,
        team_id: Option<&str>,
        include_deleted: bool,
        page: Option<Page>,
    ) -> Result<Vec<Channel>> {
        let deleted = if include_deleted {
            ""
        } else {
            " AND c.delete_at = 0"
        };
        let team = if team_id.is_some() {
            " AND (c.team_id = $2 OR c.team_id = '')"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {COLS} FROM channels c JOIN channel_members cm ON cm.channel_id = c.id \
             WHERE cm.user_id = $1{team}{deleted} ORDER BY c.display_name, c.id{}",
            limit(page)
        );
        let mut q = sqlx::query(&sql).bind(user_id);
        if let Some(t) = team_id {
            q = q.bind(t);
        }
        q.rows(&self.pool, row_to_channel).await
    }

    async fn search_public_channels(&self, team_id: &str, term: &str) -> Result<Vec<Channel>> {
        sqlx::query(&format!(
            "SELECT {COLS} FROM channels c WHERE c.team_id = $1 AND c.type = 'O' \
             AND c.delete_at = 0 AND (lower(c.name) LIKE $2 ESCAPE '\\' \
             OR lower(c.display_name) LIKE $2 ESCAPE '\\' \
             OR lower(c.display_name) LIKE '% ' || $2 ESCAPE '\\') \
             ORDER BY c.display_name, c.id LIMIT 100"
        ))
        .bind(team_id)
        .bind(like_prefix(term))
        .rows(&self.pool, row_to_channel)
        .await
    }

    async fn count_team_channels(&self, team_id: &str) -> Result<i64> {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM channels WHERE team_id = $1 AND delete_at = 0 \
             AND type IN ('O', 'P')",
        )
        .bind(team_id)
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)
    }

    async fn save_channel_member(&self, m: &ChannelMember) -> Result<()> {
        let sql = format!(
            "{} ON CONFLICT (channel_id, user_id) DO UPDATE SET \
             explicit_roles=excluded.explicit_roles, last_viewed_at=excluded.last_viewed_at, \
             msg_count=excluded.msg_count, mention_count=excluded.mention_count, \
             mention_count_root=excluded.mention_count_root, \
             urgent_mention_count=excluded.urgent_mention_count, \
             msg_count_root=excluded.msg_count_root, notify_props=excluded.notify_props, \
             last_update_at=excluded.last_update_at, scheme_guest=excluded.scheme_guest, \
             scheme_user=excluded.scheme_user, scheme_admin=excluded.scheme_admin",
            insert_sql("channel_members", MEMBER_COLS)
        );
        bind_member(sqlx::query(&sql), m).run(&self.pool).await
    }

    async fn get_channel_member(&self, channel_id: &str, user_id: &str) -> Result<ChannelMember> {
        sqlx::query(&format!(
            "SELECT {MEMBER_COLS} FROM channel_members WHERE channel_id = $1 AND user_id = $2"
        ))
        .bind(channel_id)
        .bind(user_id)
        .row(&self.pool, row_to_member)
        .await
    }

    async fn delete_channel_member(&self, channel_id: &str, user_id: &str) -> Result<()> {
        sqlx::query("DELETE FROM channel_members WHERE channel_id = $1 AND user_id = $2")
            .bind(channel_id)
            .bind(user_id)
            .run(&self.pool)
            .await
    }

    async fn delete_team_channel_members(&self, team_id: &str, user_id: &str) -> Result<()> {
        sqlx::query(
            "DELETE FROM channel_members WHERE user_id = $2 AND channel_id IN \
             (SELECT id FROM channels WHERE team_id = $1)",
        )
        .bind(team_id)
        .bind(user_id)
        .run(&self.pool)
        .await
    }

    async fn list_channel_members(
        &self,
        channel_id: &str,
        page: Page,
    ) -> Result<Vec<ChannelMember>> {
        sqlx::query(&format!(
            "SELECT {MEMBER_COLS} FROM channel_members WHERE channel_id = $1 \
             ORDER BY user_id{}",
            limit(Some(page))
        ))
        .bind(channel_id)
        .rows(&self.pool, row_to_member)
        .await
    }

    async fn insert_channel_with_members(
        &self,
        c: &Channel,
        members: &[ChannelMember],
    ) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let sql = insert_sql("channels", &COLS.replace("c.", ""));
        bind_channel(sqlx::query(&sql), c).run(&mut *tx).await?;
        let member_sql = insert_sql("channel_members", MEMBER_COLS);
        for m in members {
            bind_member(sqlx::query(&member_sql), m)
                .run(&mut *tx)
                .await?;
        }
        tx.commit().await.map_err(map_err)?;
        Ok(())
    }

    async fn view_channels(
        &self,
        user_id: &str,
        channel_ids: &[String],
        now: i64,
    ) -> Result<Vec<(String, i64)>> {
        if channel_ids.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (0..channel_ids.len())
            .map(|i| format!("${}", i + 3))
            .collect();
        let list = placeholders.join(",");
        // One statement, so a post landing meanwhile is either counted as read with its
        // `last_post_at` or stays unread; never half of each.
        let sql = format!(
            "UPDATE channel_members SET \
             last_viewed_at = (SELECT c.last_post_at FROM channels c \
                WHERE c.id = channel_members.channel_id), \
             msg_count = (SELECT c.total_msg_count FROM channels c \
                WHERE c.id = channel_members.channel_id), \
             msg_count_root = (SELECT c.total_msg_count_root FROM channels c \
                WHERE c.id = channel_members.channel_id), \
             mention_count = 0, mention_count_root = 0, urgent_mention_count = 0, \
             last_update_at = $2 \
             WHERE user_id = $1 AND channel_id IN ({list}) AND EXISTS (SELECT 1 FROM channels c \
                WHERE c.id = channel_members.channel_id AND (c.total_msg_count > \
                channel_members.msg_count OR c.last_post_at > channel_members.last_viewed_at \
                OR channel_members.mention_count > 0)) \
             RETURNING channel_id, last_viewed_at"
        );
        let mut q = sqlx::query(&sql).bind(user_id).bind(now);
        for id in channel_ids {
            q = q.bind(id);
        }
        let rows = q.fetch_all(&self.pool).await.map_err(map_err)?;
        Ok(rows
            .iter()
            .map(|r| (r.get("channel_id"), r.get("last_viewed_at")))
            .collect())
    }

    async fn count_channel_members(&self, channel_id: &str) -> Result<i64> {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM channel_members cm JOIN users u ON u.id = cm.user_id \
             WHERE cm.channel_id = $1 AND u.delete_at = 0",
        )
        .bind(channel_id)
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)
    }
}
