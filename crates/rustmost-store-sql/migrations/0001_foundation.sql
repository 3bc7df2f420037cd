-- Users, sessions and roles: the foundation every other area refers to.
CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    create_at BIGINT NOT NULL,
    update_at BIGINT NOT NULL,
    delete_at BIGINT NOT NULL DEFAULT 0,
    username TEXT NOT NULL UNIQUE,
    password TEXT NOT NULL DEFAULT '',
    auth_data TEXT,
    auth_service TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL UNIQUE,
    email_verified BOOLEAN NOT NULL DEFAULT FALSE,
    nickname TEXT NOT NULL DEFAULT '',
    first_name TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL DEFAULT '',
    position TEXT NOT NULL DEFAULT '',
    roles TEXT NOT NULL DEFAULT '',
    allow_marketing BOOLEAN NOT NULL DEFAULT FALSE,
    props TEXT NOT NULL DEFAULT '{}',
    notify_props TEXT NOT NULL DEFAULT '{}',
    last_password_update BIGINT NOT NULL DEFAULT 0,
    last_picture_update BIGINT NOT NULL DEFAULT 0,
    failed_attempts BIGINT NOT NULL DEFAULT 0,
    locale TEXT NOT NULL DEFAULT 'en',
    timezone TEXT NOT NULL DEFAULT '{}',
    mfa_active BOOLEAN NOT NULL DEFAULT FALSE,
    remote_id TEXT,
    last_activity_at BIGINT NOT NULL DEFAULT 0,
    is_bot BOOLEAN NOT NULL DEFAULT FALSE,
    bot_description TEXT NOT NULL DEFAULT '',
    disable_welcome_email BOOLEAN NOT NULL DEFAULT FALSE,
    last_login BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX users_delete_at ON users (delete_at);
CREATE INDEX users_create_at ON users (create_at);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    create_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    last_activity_at BIGINT NOT NULL,
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL DEFAULT '',
    roles TEXT NOT NULL DEFAULT '',
    is_oauth BOOLEAN NOT NULL DEFAULT FALSE,
    props TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX sessions_user_id ON sessions (user_id);

CREATE TABLE roles (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    create_at BIGINT NOT NULL,
    update_at BIGINT NOT NULL,
    delete_at BIGINT NOT NULL DEFAULT 0,
    permissions TEXT NOT NULL DEFAULT '[]',
    scheme_managed BOOLEAN NOT NULL DEFAULT FALSE,
    built_in BOOLEAN NOT NULL DEFAULT FALSE
);
