-- Sổ Vàng schema for PostgreSQL. Released migrations are never edited.
--
-- Ledger tables (entries, merkle_hashes, checkpoints, receipts) are
-- append-only: triggers refuse UPDATE, DELETE and TRUNCATE. fund_heads and
-- idempotency are ordinary state beside the ledger; a fund_heads row is
-- locked (SELECT … FOR UPDATE) by every append, which serialises appends to
-- one fund across every server process sharing the database.

CREATE TABLE committees (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    parent_code TEXT REFERENCES committees (code),
    path        TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL
);

CREATE TABLE funds (
    code           TEXT PRIMARY KEY,
    committee_code TEXT NOT NULL REFERENCES committees (code),
    kind           TEXT NOT NULL,
    name           TEXT NOT NULL,
    origin         TEXT NOT NULL UNIQUE,
    verifier_key   TEXT NOT NULL,
    created_at     TEXT NOT NULL
);

CREATE TABLE fund_heads (
    fund_code    TEXT PRIMARY KEY REFERENCES funds (code),
    size         BIGINT NOT NULL,
    last_hash    BYTEA NOT NULL,
    frontier     BYTEA NOT NULL,
    balance_vnd  TEXT NOT NULL,
    receipt_year BIGINT NOT NULL,
    receipt_last BIGINT NOT NULL
);

CREATE TABLE entries (
    fund_code   TEXT NOT NULL REFERENCES funds (code),
    seq         BIGINT NOT NULL,
    id          TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    hash        BYTEA NOT NULL,
    canonical   TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (fund_code, seq)
);

CREATE TABLE merkle_hashes (
    fund_code TEXT NOT NULL,
    idx       BIGINT NOT NULL,
    hash      BYTEA NOT NULL,
    PRIMARY KEY (fund_code, idx)
);

CREATE TABLE checkpoints (
    fund_code  TEXT NOT NULL,
    size       BIGINT NOT NULL,
    note       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (fund_code, size)
);

CREATE TABLE receipts (
    code       TEXT PRIMARY KEY,
    receipt_no TEXT NOT NULL UNIQUE,
    fund_code  TEXT NOT NULL,
    seq        BIGINT NOT NULL,
    UNIQUE (fund_code, seq)
);

CREATE TABLE tokens (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    role           TEXT NOT NULL,
    committee_code TEXT REFERENCES committees (code),
    secret_sha256  BYTEA NOT NULL UNIQUE,
    created_at     TEXT NOT NULL
);

CREATE TABLE idempotency (
    scope_key      TEXT PRIMARY KEY,
    request_sha256 BYTEA NOT NULL,
    status         BIGINT NOT NULL,
    response       TEXT NOT NULL,
    created_at     TEXT NOT NULL
);

CREATE FUNCTION sovang_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$;

CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON entries
    FOR EACH ROW EXECUTE FUNCTION sovang_append_only();
CREATE TRIGGER entries_no_truncate BEFORE TRUNCATE ON entries
    FOR EACH STATEMENT EXECUTE FUNCTION sovang_append_only();
CREATE TRIGGER merkle_hashes_append_only BEFORE UPDATE OR DELETE ON merkle_hashes
    FOR EACH ROW EXECUTE FUNCTION sovang_append_only();
CREATE TRIGGER merkle_hashes_no_truncate BEFORE TRUNCATE ON merkle_hashes
    FOR EACH STATEMENT EXECUTE FUNCTION sovang_append_only();
CREATE TRIGGER checkpoints_append_only BEFORE UPDATE OR DELETE ON checkpoints
    FOR EACH ROW EXECUTE FUNCTION sovang_append_only();
CREATE TRIGGER checkpoints_no_truncate BEFORE TRUNCATE ON checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION sovang_append_only();
CREATE TRIGGER receipts_append_only BEFORE UPDATE OR DELETE ON receipts
    FOR EACH ROW EXECUTE FUNCTION sovang_append_only();
CREATE TRIGGER receipts_no_truncate BEFORE TRUNCATE ON receipts
    FOR EACH STATEMENT EXECUTE FUNCTION sovang_append_only();
