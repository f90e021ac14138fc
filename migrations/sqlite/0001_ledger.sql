-- Sổ Vàng schema for SQLite. Released migrations are never edited.
--
-- Ledger tables (entries, merkle_hashes, checkpoints, receipts) are
-- append-only: triggers refuse UPDATE and DELETE. fund_heads and
-- idempotency are ordinary state beside the ledger.

CREATE TABLE committees (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    parent_code TEXT REFERENCES committees (code),
    -- '/VN/HN/HN-PX/': the codes from the root down, for subtree checks.
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
    size         INTEGER NOT NULL,
    last_hash    BLOB NOT NULL,
    frontier     BLOB NOT NULL,
    balance_vnd  TEXT NOT NULL,
    receipt_year INTEGER NOT NULL,
    receipt_last INTEGER NOT NULL
);

CREATE TABLE entries (
    fund_code   TEXT NOT NULL REFERENCES funds (code),
    seq         INTEGER NOT NULL,
    id          TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    hash        BLOB NOT NULL,
    canonical   TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (fund_code, seq)
) WITHOUT ROWID;

CREATE TABLE merkle_hashes (
    fund_code TEXT NOT NULL,
    idx       INTEGER NOT NULL,
    hash      BLOB NOT NULL,
    PRIMARY KEY (fund_code, idx)
) WITHOUT ROWID;

CREATE TABLE checkpoints (
    fund_code  TEXT NOT NULL,
    size       INTEGER NOT NULL,
    note       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (fund_code, size)
) WITHOUT ROWID;

CREATE TABLE receipts (
    code       TEXT PRIMARY KEY,
    receipt_no TEXT NOT NULL UNIQUE,
    fund_code  TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    UNIQUE (fund_code, seq)
);

CREATE TABLE tokens (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    role           TEXT NOT NULL,
    committee_code TEXT REFERENCES committees (code),
    secret_sha256  BLOB NOT NULL UNIQUE,
    created_at     TEXT NOT NULL
);

CREATE TABLE idempotency (
    -- '<actor id> <key>': keys are scoped to who sent them.
    scope_key      TEXT PRIMARY KEY,
    request_sha256 BLOB NOT NULL,
    status         INTEGER NOT NULL,
    response       TEXT NOT NULL,
    created_at     TEXT NOT NULL
);

CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries
BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries
BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
CREATE TRIGGER merkle_hashes_no_update BEFORE UPDATE ON merkle_hashes
BEGIN SELECT RAISE(ABORT, 'merkle hashes are append-only'); END;
CREATE TRIGGER merkle_hashes_no_delete BEFORE DELETE ON merkle_hashes
BEGIN SELECT RAISE(ABORT, 'merkle hashes are append-only'); END;
CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
CREATE TRIGGER receipts_no_update BEFORE UPDATE ON receipts
BEGIN SELECT RAISE(ABORT, 'receipts are append-only'); END;
CREATE TRIGGER receipts_no_delete BEFORE DELETE ON receipts
BEGIN SELECT RAISE(ABORT, 'receipts are append-only'); END;
