-- People, not tokens (SPEC §9): every token and user belongs to a person,
-- and an outflow's approver must be another person than its recorder.
-- Entries name the person as their actor. Each token and user made before
-- this change becomes its own person, under its own id, so the actors of
-- entries already written keep naming the same person.
CREATE TABLE persons (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL
);
INSERT INTO persons (id, name, created_at) SELECT id, name, created_at FROM tokens;
INSERT INTO persons (id, name, created_at) SELECT id, name, created_at FROM users;
ALTER TABLE tokens ADD COLUMN person_id TEXT REFERENCES persons (id);
ALTER TABLE users ADD COLUMN person_id TEXT REFERENCES persons (id);
UPDATE tokens SET person_id = id;
UPDATE users SET person_id = id;

-- Every admin action (committee, fund, token, user, policy), appended and
-- never changed: inspectors read it (GET /audit/admin-log).
CREATE TABLE admin_log (
    id             BIGSERIAL PRIMARY KEY,
    at             TEXT NOT NULL,
    -- The token or user that acted, and its person; 'cli' for the command line.
    actor          TEXT NOT NULL,
    person_id      TEXT,
    action         TEXT NOT NULL,
    target         TEXT NOT NULL,
    -- Path of the committee the action concerns ('' for the whole deployment).
    committee_path TEXT NOT NULL,
    detail         TEXT NOT NULL
);
CREATE FUNCTION admin_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the admin log is append-only';
END;
$$;
CREATE TRIGGER admin_log_append_only BEFORE UPDATE OR DELETE ON admin_log
    FOR EACH ROW EXECUTE FUNCTION admin_log_append_only();
