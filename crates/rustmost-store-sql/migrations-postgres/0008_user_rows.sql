-- Nodes cache user rows (the user cache beside the session cache): any committed change to a
-- user's row, or its deletion, is announced inside its transaction so every node drops its copy.
CREATE FUNCTION rustmost_notify_user_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('rustmost_cache',
        json_build_object('node', '', 'kind', 'user_row', 'key', OLD.id)::text);
    RETURN NULL;
END $$;

CREATE TRIGGER users_row_notify AFTER UPDATE ON users
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*)
    EXECUTE FUNCTION rustmost_notify_user_row();

CREATE TRIGGER users_row_deleted_notify AFTER DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION rustmost_notify_user_row();
