-- Bank intake (SPEC §10). Nothing here is public: the ledger holds the
-- gifts and the seals; these tables hold what the bank sent.
--
-- One row per bank line taken in, from a statement or a webhook. A line
-- is known by its key: the bank's reference, day, amount, direction and
-- its place among identical lines of that day; or, where the bank gives
-- no reference, a hash of the line with its running balance. `private` is
-- the narrative, the sender's account and name, sealed like households'
-- private records (`sv1:`), read only by clerks and inspectors of the
-- fund's committee, every read logged.
CREATE TABLE bank_lines (
    fund_code    TEXT NOT NULL REFERENCES funds (code),
    account_no   TEXT NOT NULL,
    line_key     TEXT NOT NULL,
    line_id      TEXT NOT NULL,
    -- statement, sepay or casso; and the provider's id for a webhook.
    source       TEXT NOT NULL,
    provider_id  TEXT,
    statement_id TEXT,
    day          TEXT NOT NULL,
    bank_ref     TEXT,
    -- credit or debit
    direction    TEXT NOT NULL,
    amount_vnd   INTEGER NOT NULL,
    balance_vnd  INTEGER,
    -- gift (seq: the gift), review, not_gift, withdrawal, outflow (seq:
    -- the outflow)
    status       TEXT NOT NULL,
    seq          INTEGER,
    -- Why it waits in review, or how it was settled.
    reason       TEXT,
    settled_by   TEXT,
    settled_at   TEXT,
    -- A settlement that moves no entry (not a gift, a withdrawal) is
    -- proposed by one clerk and takes effect when another person, an
    -- approver, confirms it (SPEC §9, nobody alone).
    proposed_as     TEXT,
    proposed_reason TEXT,
    proposed_by     TEXT,
    proposed_at     TEXT,
    private      TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (fund_code, account_no, line_key)
) WITHOUT ROWID;
CREATE UNIQUE INDEX bank_lines_id ON bank_lines (fund_code, line_id);
CREATE INDEX bank_lines_status ON bank_lines (fund_code, status, day);
CREATE INDEX bank_lines_seq ON bank_lines (fund_code, seq);
-- `<provider>:<id>`: a webhook's, or claimed on a statement's line.
CREATE UNIQUE INDEX bank_lines_provider ON bank_lines (provider_id);

-- Each statement file taken in: importing until its seal is written.
CREATE TABLE bank_statements (
    fund_code    TEXT NOT NULL REFERENCES funds (code),
    statement_id TEXT NOT NULL,
    account_no   TEXT NOT NULL,
    file_sha256  TEXT NOT NULL,
    status       TEXT NOT NULL,
    sealed_seq   INTEGER,
    -- The import's answer (counts, balances) as JSON, once sealed.
    summary      TEXT,
    imported_by  TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (fund_code, statement_id)
);
CREATE UNIQUE INDEX bank_statements_file ON bank_statements (fund_code, account_no, file_sha256);
