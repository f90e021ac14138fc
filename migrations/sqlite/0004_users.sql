-- People who sign in to the web console with a password. Like tokens,
-- each has one role and one committee (none for a deployment-wide admin).
CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    username       TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    role           TEXT NOT NULL,
    committee_code TEXT REFERENCES committees (code),
    -- Argon2id, PHC string.
    password_hash  TEXT NOT NULL,
    created_at     TEXT NOT NULL
);

-- Signed-in sessions. The cookie holds a random secret; only its SHA-256
-- is kept. Each session has its own CSRF token for the console's forms.
CREATE TABLE sessions (
    secret_sha256 BLOB PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id),
    csrf          TEXT NOT NULL,
    expires_at    TEXT NOT NULL
);
