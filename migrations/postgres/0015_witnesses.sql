-- Witnesses (SPEC §12). What each committee, as a witness, last cosigned
-- for each log: one row per (committee, origin), moved forward only by a
-- compare-and-swap on (size, root), so that processes sharing the database
-- never cosign two roots at one size. `note` is the log's signed
-- checkpoint as received; `cosignature` the witness's line on it.
CREATE TABLE witness_state (
    witness     TEXT NOT NULL REFERENCES committees (code),
    origin      TEXT NOT NULL,
    size        BIGINT NOT NULL,
    root        BYTEA NOT NULL,
    note        TEXT NOT NULL,
    cosignature TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (witness, origin)
);

-- Logs a committee witnesses besides the funds of its child committees
-- (`sovang witness add-log`): the log's origin and note verifier key.
CREATE TABLE witness_logs (
    witness  TEXT NOT NULL REFERENCES committees (code),
    origin   TEXT NOT NULL,
    vkey     TEXT NOT NULL,
    added_at TEXT NOT NULL,
    PRIMARY KEY (witness, origin)
);
