-- The fund's books beside the ledger: derived objects kept for reading,
-- households' private records, and the log of who read them.

-- The fund's figures (balance, reserved, totals) as JSON.
ALTER TABLE fund_heads ADD COLUMN summary TEXT NOT NULL DEFAULT '{}';

-- Campaigns, pledges, households (public fields), distributions, stock,
-- earmarks and reversals, each as the JSON the books hold. Derived from
-- the ledger alone: audit/replay rebuilds them and compares.
CREATE TABLE fund_objects (
    fund_code TEXT NOT NULL REFERENCES funds (code),
    kind      TEXT NOT NULL,
    id        TEXT NOT NULL,
    -- A distribution's or pledge's status, for filtering.
    status    TEXT,
    -- A pledge's transfer reference, for lookup.
    ref       TEXT,
    data      TEXT NOT NULL,
    PRIMARY KEY (fund_code, kind, id)
) WITHOUT ROWID;
CREATE INDEX fund_objects_ref ON fund_objects (fund_code, kind, ref);
CREATE INDEX fund_objects_status ON fund_objects (fund_code, kind, status);

-- Who a household is; never on the ledger. The ledger carries
-- SHA-256(salt ‖ "\n" ‖ canonical JSON of the record).
CREATE TABLE household_private (
    fund_code    TEXT NOT NULL REFERENCES funds (code),
    household_id TEXT NOT NULL,
    record       TEXT NOT NULL,
    salt         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (fund_code, household_id)
);

-- Every read of private data. Append-only, like the ledger.
CREATE TABLE access_log (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    at             TEXT NOT NULL,
    actor          TEXT NOT NULL,
    role           TEXT NOT NULL,
    committee_code TEXT,
    fund_code      TEXT NOT NULL,
    household_id   TEXT NOT NULL,
    action         TEXT NOT NULL
);

CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log
BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log
BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
