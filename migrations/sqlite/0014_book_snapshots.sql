-- Each fund's books saved whole at an entry, so that a writer starting on
-- a large fund folds only the entries after it. One row a fund, replaced
-- as the fund grows. `last_hash` is the hash of entry size - 1 (binding
-- the copy to the ledger's history); `mac` is an HMAC-SHA256, under a
-- key derived from the server's secret, of the fund, size, last hash and
-- the SHA-256 of each part. A copy that fails either check is refused:
-- the books are folded from the ledger, and the refusal is kept in
-- book_snapshot_refusals for the inspectors' findings. `verify --deep`
-- and replay fold the ledger to `size` and compare byte for byte.
CREATE TABLE book_snapshots (
    fund_code TEXT NOT NULL PRIMARY KEY REFERENCES funds (code),
    size      INTEGER NOT NULL,
    last_hash BLOB NOT NULL,
    books     TEXT NOT NULL,
    gifts     BLOB NOT NULL,
    mac       BLOB NOT NULL,
    saved_at  TEXT NOT NULL
);

CREATE TABLE book_snapshot_refusals (
    fund_code  TEXT NOT NULL REFERENCES funds (code),
    size       INTEGER NOT NULL,
    reason     TEXT NOT NULL,
    refused_at TEXT NOT NULL
);
CREATE INDEX book_snapshot_refusals_fund ON book_snapshot_refusals (fund_code);
