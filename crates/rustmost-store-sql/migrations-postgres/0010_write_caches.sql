-- Nodes cache what a new post needs of its channel, and which teams have no outgoing webhook
-- (the server's write caches). Each committed change that could make a cached copy wrong is
-- announced inside its transaction, so every node drops it:
-- * a channel's row, except its post counters (last post times, message counts), which every
--   post moves and which a cached channel does not serve;
-- * a team gaining a live outgoing webhook (created, restored, or moved to the team).
CREATE FUNCTION rustmost_notify_channel_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('rustmost_cache',
        json_build_object('node', '', 'kind', 'channel', 'key', OLD.id)::text);
    RETURN NULL;
END $$;

CREATE TRIGGER channels_row_notify AFTER UPDATE ON channels
    FOR EACH ROW WHEN (
        to_jsonb(OLD) - ARRAY['last_post_at', 'last_root_post_at', 'total_msg_count',
                              'total_msg_count_root']
        IS DISTINCT FROM
        to_jsonb(NEW) - ARRAY['last_post_at', 'last_root_post_at', 'total_msg_count',
                              'total_msg_count_root'])
    EXECUTE FUNCTION rustmost_notify_channel_row();

CREATE TRIGGER channels_row_deleted_notify AFTER DELETE ON channels
    FOR EACH ROW EXECUTE FUNCTION rustmost_notify_channel_row();

CREATE FUNCTION rustmost_notify_outgoing_hooks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('rustmost_cache',
        json_build_object('node', '', 'kind', 'outgoing_hooks', 'key', NEW.team_id)::text);
    RETURN NULL;
END $$;

CREATE TRIGGER outgoing_webhooks_added_notify AFTER INSERT ON outgoing_webhooks
    FOR EACH ROW EXECUTE FUNCTION rustmost_notify_outgoing_hooks();

CREATE TRIGGER outgoing_webhooks_moved_notify AFTER UPDATE ON outgoing_webhooks
    FOR EACH ROW WHEN (OLD.team_id IS DISTINCT FROM NEW.team_id
                       OR OLD.delete_at IS DISTINCT FROM NEW.delete_at)
    EXECUTE FUNCTION rustmost_notify_outgoing_hooks();
