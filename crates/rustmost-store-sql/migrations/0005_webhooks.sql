-- Incoming and outgoing webhooks. Lists (trigger words, callback URLs) are JSON arrays.
CREATE TABLE incoming_webhooks (
    id TEXT PRIMARY KEY NOT NULL,
    create_at BIGINT NOT NULL,
    update_at BIGINT NOT NULL,
    delete_at BIGINT NOT NULL DEFAULT 0,
    user_id TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    team_id TEXT NOT NULL,
    display_name TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    username TEXT NOT NULL DEFAULT '',
    icon_url TEXT NOT NULL DEFAULT '',
    channel_locked BOOLEAN NOT NULL DEFAULT FALSE,
    last_used_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX incoming_webhooks_team_id ON incoming_webhooks (team_id);
CREATE INDEX incoming_webhooks_user_id ON incoming_webhooks (user_id);

CREATE TABLE outgoing_webhooks (
    id TEXT PRIMARY KEY NOT NULL,
    token TEXT NOT NULL,
    create_at BIGINT NOT NULL,
    update_at BIGINT NOT NULL,
    delete_at BIGINT NOT NULL DEFAULT 0,
    creator_id TEXT NOT NULL,
    channel_id TEXT NOT NULL DEFAULT '',
    team_id TEXT NOT NULL,
    trigger_words TEXT NOT NULL DEFAULT '[]',
    trigger_when BIGINT NOT NULL DEFAULT 0,
    callback_urls TEXT NOT NULL DEFAULT '[]',
    display_name TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    content_type TEXT NOT NULL DEFAULT '',
    username TEXT NOT NULL DEFAULT '',
    icon_url TEXT NOT NULL DEFAULT '',
    last_used_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX outgoing_webhooks_team_id ON outgoing_webhooks (team_id);
