-- PostgreSQL twin of migrations/0002_tokens_bots_audits.sql; audits gain an explicit rowid.
-- Personal access tokens (secret stored only as its SHA-256), bot accounts and audit records.
CREATE TABLE user_access_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    expires_at BIGINT NOT NULL DEFAULT 0,
    create_at BIGINT NOT NULL DEFAULT 0,
    last_used_at BIGINT NOT NULL DEFAULT 0,
    last_used_ip TEXT NOT NULL DEFAULT ''
);
CREATE INDEX user_access_tokens_user_id ON user_access_tokens (user_id);

CREATE TABLE bots (
    user_id TEXT PRIMARY KEY NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    owner_id TEXT NOT NULL,
    last_icon_update BIGINT NOT NULL DEFAULT 0,
    create_at BIGINT NOT NULL,
    update_at BIGINT NOT NULL,
    delete_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX bots_owner_id ON bots (owner_id);

CREATE TABLE audits (
    id TEXT PRIMARY KEY NOT NULL,
    create_at BIGINT NOT NULL,
    user_id TEXT NOT NULL,
    action TEXT NOT NULL DEFAULT '',
    extra_info TEXT NOT NULL DEFAULT '',
    ip_address TEXT NOT NULL DEFAULT '',
    session_id TEXT NOT NULL DEFAULT '',
    -- SQLite's implicit insertion-order column, which the shared SQL orders ties by.
    rowid BIGSERIAL NOT NULL
);
CREATE INDEX audits_user_id_create_at ON audits (user_id, create_at);
