-- A channel's posts are listed newest first with the id breaking ties, and every listed post
-- carries its thread's live reply count and last reply time. These replace two indexes with
-- ones that answer both without a sort (the id joins the channel index) or a row read per
-- reply (the thread index covers delete_at and create_at); inserts keep the same number of
-- indexes to maintain.
DROP INDEX posts_channel_create_at;
CREATE INDEX posts_channel_create_at ON posts (channel_id, create_at, id);
DROP INDEX posts_root_id;
CREATE INDEX posts_root_id ON posts (root_id, delete_at, create_at);
