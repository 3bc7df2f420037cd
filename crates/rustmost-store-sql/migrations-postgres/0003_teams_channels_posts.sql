-- PostgreSQL twin of migrations/0003_teams_channels_posts.sql (keep the two trees in step).
-- Teams, channels, their memberships, posts and reactions.
CREATE TABLE teams (
    id TEXT PRIMARY KEY NOT NULL,
    create_at BIGINT NOT NULL,
    update_at BIGINT NOT NULL,
    delete_at BIGINT NOT NULL DEFAULT 0,
    display_name TEXT NOT NULL,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    type TEXT NOT NULL,
    company_name TEXT NOT NULL DEFAULT '',
    allowed_domains TEXT NOT NULL DEFAULT '',
    invite_id TEXT NOT NULL DEFAULT '',
    allow_open_invite BOOLEAN NOT NULL DEFAULT FALSE,
    last_team_icon_update BIGINT NOT NULL DEFAULT 0,
    scheme_id TEXT,
    group_constrained BOOLEAN
);
CREATE INDEX teams_invite_id ON teams (invite_id);

CREATE TABLE team_members (
    team_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    explicit_roles TEXT NOT NULL DEFAULT '',
    delete_at BIGINT NOT NULL DEFAULT 0,
    scheme_guest BOOLEAN NOT NULL DEFAULT FALSE,
    scheme_user BOOLEAN NOT NULL DEFAULT TRUE,
    scheme_admin BOOLEAN NOT NULL DEFAULT FALSE,
    create_at BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user_id ON team_members (user_id);

CREATE TABLE channels (
    id TEXT PRIMARY KEY NOT NULL,
    create_at BIGINT NOT NULL,
    update_at BIGINT NOT NULL,
    delete_at BIGINT NOT NULL DEFAULT 0,
    team_id TEXT NOT NULL,
    type TEXT NOT NULL,
    display_name TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL,
    header TEXT NOT NULL DEFAULT '',
    purpose TEXT NOT NULL DEFAULT '',
    last_post_at BIGINT NOT NULL DEFAULT 0,
    total_msg_count BIGINT NOT NULL DEFAULT 0,
    extra_update_at BIGINT NOT NULL DEFAULT 0,
    creator_id TEXT NOT NULL DEFAULT '',
    scheme_id TEXT,
    props TEXT,
    group_constrained BOOLEAN,
    shared BOOLEAN,
    total_msg_count_root BIGINT NOT NULL DEFAULT 0,
    last_root_post_at BIGINT NOT NULL DEFAULT 0,
    UNIQUE (name, team_id)
);
CREATE INDEX channels_team_id ON channels (team_id);

CREATE TABLE channel_members (
    channel_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    explicit_roles TEXT NOT NULL DEFAULT '',
    last_viewed_at BIGINT NOT NULL DEFAULT 0,
    msg_count BIGINT NOT NULL DEFAULT 0,
    mention_count BIGINT NOT NULL DEFAULT 0,
    mention_count_root BIGINT NOT NULL DEFAULT 0,
    urgent_mention_count BIGINT NOT NULL DEFAULT 0,
    msg_count_root BIGINT NOT NULL DEFAULT 0,
    notify_props TEXT NOT NULL DEFAULT '{}',
    last_update_at BIGINT NOT NULL DEFAULT 0,
    scheme_guest BOOLEAN NOT NULL DEFAULT FALSE,
    scheme_user BOOLEAN NOT NULL DEFAULT TRUE,
    scheme_admin BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (channel_id, user_id)
);
CREATE INDEX channel_members_user_id ON channel_members (user_id);

CREATE TABLE posts (
    id TEXT PRIMARY KEY NOT NULL,
    create_at BIGINT NOT NULL,
    update_at BIGINT NOT NULL,
    edit_at BIGINT NOT NULL DEFAULT 0,
    delete_at BIGINT NOT NULL DEFAULT 0,
    is_pinned BOOLEAN NOT NULL DEFAULT FALSE,
    user_id TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    root_id TEXT NOT NULL DEFAULT '',
    original_id TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL DEFAULT '',
    type TEXT NOT NULL DEFAULT '',
    props TEXT NOT NULL DEFAULT '{}',
    hashtags TEXT NOT NULL DEFAULT '',
    file_ids TEXT NOT NULL DEFAULT '[]',
    pending_post_id TEXT NOT NULL DEFAULT '',
    has_reactions BOOLEAN NOT NULL DEFAULT FALSE,
    remote_id TEXT
);
CREATE INDEX posts_channel_create_at ON posts (channel_id, create_at);
CREATE INDEX posts_channel_update_at ON posts (channel_id, update_at);
CREATE INDEX posts_root_id ON posts (root_id);

CREATE TABLE reactions (
    user_id TEXT NOT NULL,
    post_id TEXT NOT NULL,
    emoji_name TEXT NOT NULL,
    create_at BIGINT NOT NULL,
    update_at BIGINT NOT NULL,
    delete_at BIGINT NOT NULL DEFAULT 0,
    remote_id TEXT,
    channel_id TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (post_id, user_id, emoji_name)
);
