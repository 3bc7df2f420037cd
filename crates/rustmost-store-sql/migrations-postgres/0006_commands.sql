-- Slash commands, their response URLs, and user statuses.
CREATE TABLE commands (
    id TEXT PRIMARY KEY NOT NULL,
    token TEXT NOT NULL,
    create_at BIGINT NOT NULL,
    update_at BIGINT NOT NULL,
    delete_at BIGINT NOT NULL DEFAULT 0,
    creator_id TEXT NOT NULL,
    team_id TEXT NOT NULL,
    trigger_word TEXT NOT NULL,
    method TEXT NOT NULL,
    username TEXT NOT NULL DEFAULT '',
    icon_url TEXT NOT NULL DEFAULT '',
    auto_complete BOOLEAN NOT NULL DEFAULT FALSE,
    auto_complete_desc TEXT NOT NULL DEFAULT '',
    auto_complete_hint TEXT NOT NULL DEFAULT '',
    display_name TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    url TEXT NOT NULL DEFAULT '',
    plugin_id TEXT NOT NULL DEFAULT '',
    autocomplete_data TEXT,
    last_used_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX commands_team_id ON commands (team_id);

CREATE TABLE command_webhooks (
    id TEXT PRIMARY KEY NOT NULL,
    create_at BIGINT NOT NULL,
    command_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    root_id TEXT NOT NULL DEFAULT '',
    use_count BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX command_webhooks_create_at ON command_webhooks (create_at);

CREATE TABLE status (
    user_id TEXT PRIMARY KEY NOT NULL,
    status TEXT NOT NULL,
    manual BOOLEAN NOT NULL DEFAULT FALSE,
    last_activity_at BIGINT NOT NULL DEFAULT 0
);
