-- Several nodes on one database. Cache notifications are sent by triggers, inside the
-- transaction that commits the change (PostgreSQL delivers a NOTIFY only on commit), so no
-- change can commit without its notification. Payloads name what to drop or reload, in the
-- server's cluster message format, with an empty "node" so that every node applies them.

CREATE FUNCTION rustmost_notify_sessions_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids TEXT[];
BEGIN
    SELECT array_agg(id) INTO ids FROM old_rows;
    IF ids IS NULL THEN
        RETURN NULL;
    END IF;
    -- 200 ids stay well under NOTIFY's 8000-byte limit; more drops every cached session.
    IF array_length(ids, 1) > 200 THEN
        PERFORM pg_notify('rustmost_cache', json_build_object('node', '', 'kind', 'all_sessions')::text);
    ELSE
        PERFORM pg_notify('rustmost_cache',
            json_build_object('node', '', 'kind', 'session_ids', 'keys', ids)::text);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER sessions_deleted_notify AFTER DELETE ON sessions
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rustmost_notify_sessions_deleted();

CREATE FUNCTION rustmost_notify_sessions_roles() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids TEXT[];
BEGIN
    SELECT array_agg(n.id) INTO ids FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE n.roles IS DISTINCT FROM o.roles;
    IF ids IS NULL THEN
        RETURN NULL;
    END IF;
    IF array_length(ids, 1) > 200 THEN
        PERFORM pg_notify('rustmost_cache', json_build_object('node', '', 'kind', 'all_sessions')::text);
    ELSE
        PERFORM pg_notify('rustmost_cache',
            json_build_object('node', '', 'kind', 'session_ids', 'keys', ids)::text);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER sessions_roles_notify AFTER UPDATE ON sessions
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rustmost_notify_sessions_roles();

CREATE FUNCTION rustmost_notify_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('rustmost_cache',
        json_build_object('node', '', 'kind', 'user_roles', 'key', NEW.id)::text);
    RETURN NULL;
END $$;

CREATE TRIGGER users_access_notify AFTER UPDATE ON users
    FOR EACH ROW WHEN (OLD.roles IS DISTINCT FROM NEW.roles
        OR OLD.delete_at IS DISTINCT FROM NEW.delete_at)
    EXECUTE FUNCTION rustmost_notify_user();

CREATE FUNCTION rustmost_notify_role() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('rustmost_cache',
        json_build_object('node', '', 'kind', 'role', 'key', NEW.name)::text);
    RETURN NULL;
END $$;

CREATE TRIGGER roles_notify AFTER INSERT OR UPDATE ON roles
    FOR EACH ROW EXECUTE FUNCTION rustmost_notify_role();

-- Large change-feed payloads are spilled by the feed itself now (rustmost_feed_spill, created
-- by the feed); the real-time relay's own table is gone.
DROP TABLE IF EXISTS rustmost_ws_events;
