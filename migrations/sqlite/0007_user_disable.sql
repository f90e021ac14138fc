-- A user can be disabled (SPEC §9): they can no longer sign in, and their
-- sessions end. The row stays, so that entries they wrote still name them.
ALTER TABLE users ADD COLUMN disabled_at TEXT;
