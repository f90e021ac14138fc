-- A gift in fewer bytes and fewer rows (docs/decisions.md, "A gift's
-- bytes on disk"):
-- * an entry keeps its canonical text compressed (zstd) with a dictionary
--   of the format's own words (`packed`); entries written before keep
--   their plain text in `canonical`, and exactly one of the two is set.
--   The entry's id and recorded_at stay in its canonical text, not in
--   columns of their own: nothing looks an entry up by either.
-- * a leaf's hash is kept once, with its entry: merkle_hashes keeps the
--   nodes above the leaves only.
-- * a receipt's verification code is a column of its gift's row in the
--   statement of gifts; the receipts table goes. Neither the code nor the
--   receipt number of a gift can change once written.
-- * the search index reads the donor text from the statement's rows and
--   keeps neither positions nor column sizes (nothing ranks by them).

CREATE TABLE entries_packed (
    fund_code TEXT NOT NULL REFERENCES funds (code),
    seq       INTEGER NOT NULL,
    kind      TEXT NOT NULL,
    hash      BLOB NOT NULL,
    canonical TEXT,
    packed    BLOB,
    PRIMARY KEY (fund_code, seq),
    CHECK ((canonical IS NULL) <> (packed IS NULL))
) WITHOUT ROWID;
INSERT INTO entries_packed (fund_code, seq, kind, hash, canonical)
    SELECT fund_code, seq, kind, hash, canonical FROM entries ORDER BY fund_code, seq;
DROP TABLE entries;
ALTER TABLE entries_packed RENAME TO entries;
CREATE INDEX entries_transfers_in ON entries (fund_code, seq) WHERE kind = 'transfer_in';
CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries
BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries
BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;

-- Leaf n's stored index is 2n - popcount(n) (Go's sumdb/tlog).
DROP TRIGGER merkle_hashes_no_delete;
DELETE FROM merkle_hashes WHERE EXISTS (
    SELECT 1 FROM entries e WHERE e.fund_code = merkle_hashes.fund_code
    AND merkle_hashes.idx = 2 * e.seq - (
        ((e.seq >> 0) & 1) + ((e.seq >> 1) & 1) + ((e.seq >> 2) & 1) + ((e.seq >> 3) & 1)
        + ((e.seq >> 4) & 1) + ((e.seq >> 5) & 1) + ((e.seq >> 6) & 1) + ((e.seq >> 7) & 1)
        + ((e.seq >> 8) & 1) + ((e.seq >> 9) & 1) + ((e.seq >> 10) & 1) + ((e.seq >> 11) & 1)
        + ((e.seq >> 12) & 1) + ((e.seq >> 13) & 1) + ((e.seq >> 14) & 1) + ((e.seq >> 15) & 1)
        + ((e.seq >> 16) & 1) + ((e.seq >> 17) & 1) + ((e.seq >> 18) & 1) + ((e.seq >> 19) & 1)
        + ((e.seq >> 20) & 1) + ((e.seq >> 21) & 1) + ((e.seq >> 22) & 1) + ((e.seq >> 23) & 1)
        + ((e.seq >> 24) & 1) + ((e.seq >> 25) & 1) + ((e.seq >> 26) & 1) + ((e.seq >> 27) & 1)
        + ((e.seq >> 28) & 1) + ((e.seq >> 29) & 1) + ((e.seq >> 30) & 1) + ((e.seq >> 31) & 1)
        + ((e.seq >> 32) & 1) + ((e.seq >> 33) & 1) + ((e.seq >> 34) & 1) + ((e.seq >> 35) & 1)
        + ((e.seq >> 36) & 1) + ((e.seq >> 37) & 1) + ((e.seq >> 38) & 1) + ((e.seq >> 39) & 1)));
CREATE TRIGGER merkle_hashes_no_delete BEFORE DELETE ON merkle_hashes
BEGIN SELECT RAISE(ABORT, 'merkle hashes are append-only'); END;

-- The statement's rows get a row id of their own (`gid`): the trigram
-- index reads the donor text from this table through it, instead of
-- keeping a copy, and the other indexes point at a number, not at the
-- fund's code and the seq.
CREATE TABLE donations_coded (
    gid           INTEGER PRIMARY KEY,
    fund_code     TEXT NOT NULL REFERENCES funds (code),
    seq           INTEGER NOT NULL,
    receipt_no    TEXT NOT NULL,
    -- The receipt's verification code, the donor's key to it.
    code          TEXT,
    kind          TEXT NOT NULL,
    received_on   TEXT NOT NULL,
    recorded_at   TEXT NOT NULL,
    donor_display TEXT NOT NULL,
    donor_kind    TEXT NOT NULL,
    donor_search  TEXT NOT NULL,
    amount_vnd    INTEGER NOT NULL,
    channel       TEXT,
    campaign_id   TEXT,
    pledge_id     TEXT,
    earmark       TEXT,
    bank_ref      TEXT,
    goods         TEXT,
    status        TEXT NOT NULL,
    voided_by_seq INTEGER,
    voided_reason TEXT,
    UNIQUE (fund_code, seq)
);
INSERT INTO donations_coded (fund_code, seq, receipt_no, code, kind, received_on, recorded_at,
           donor_display, donor_kind, donor_search, amount_vnd, channel, campaign_id,
           pledge_id, earmark, bank_ref, goods, status, voided_by_seq, voided_reason)
    SELECT d.fund_code, d.seq, d.receipt_no, r.code, d.kind, d.received_on, d.recorded_at,
           d.donor_display, d.donor_kind, d.donor_search, d.amount_vnd, d.channel,
           d.campaign_id, d.pledge_id, d.earmark, d.bank_ref, d.goods, d.status,
           d.voided_by_seq, d.voided_reason
    FROM donations d LEFT JOIN receipts r ON r.fund_code = d.fund_code AND r.seq = d.seq
    ORDER BY d.fund_code, d.seq;
DROP TABLE donations;
ALTER TABLE donations_coded RENAME TO donations;
CREATE INDEX donations_receipt ON donations (fund_code, receipt_no);
CREATE INDEX donations_bank_ref ON donations (fund_code, bank_ref);
CREATE INDEX donations_campaign ON donations (fund_code, campaign_id, seq);
CREATE UNIQUE INDEX donations_code ON donations (code);
CREATE TRIGGER donations_receipt_fixed BEFORE UPDATE OF gid, fund_code, seq, receipt_no, code ON donations
BEGIN SELECT RAISE(ABORT, 'a gift''s receipt number and code are written once'); END;
CREATE TRIGGER donations_no_delete BEFORE DELETE ON donations
BEGIN SELECT RAISE(ABORT, 'the statement of gifts is append-only'); END;
DROP TABLE receipts;

-- The donor search index reads its text from `donations` (external
-- content) and keeps trigrams without their positions (`detail = none`):
-- a LIKE '%…%' of three letters or more finds the candidate rows by their
-- trigrams, and SQLite then checks the pattern against the text itself.
DROP TABLE donations_search;
CREATE VIRTUAL TABLE donations_search USING fts5(
    donor_search,
    content = 'donations',
    content_rowid = 'gid',
    tokenize = 'trigram',
    columnsize = 0,
    detail = none
);
INSERT INTO donations_search (donations_search) VALUES ('rebuild');
CREATE TRIGGER donations_search_insert AFTER INSERT ON donations BEGIN
    INSERT INTO donations_search (rowid, donor_search) VALUES (new.gid, new.donor_search);
END;
CREATE TRIGGER donations_search_update AFTER UPDATE OF donor_search ON donations BEGIN
    INSERT INTO donations_search (donations_search, rowid, donor_search)
        VALUES ('delete', old.gid, old.donor_search);
    INSERT INTO donations_search (rowid, donor_search) VALUES (new.gid, new.donor_search);
END;
