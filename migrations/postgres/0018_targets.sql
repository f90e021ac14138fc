-- A committee's targets for a year (chỉ tiêu, SPEC §11), set by the
-- committee above. One row per committee and year: setting them again
-- replaces the row, and every setting is in the admin log with its figures.
CREATE TABLE committee_targets (
    committee_code TEXT NOT NULL REFERENCES committees (code),
    year           BIGINT NOT NULL,
    mobilise_vnd   BIGINT NOT NULL,
    households     BIGINT NOT NULL,
    houses         BIGINT NOT NULL,
    set_by         TEXT NOT NULL,
    set_at         TEXT NOT NULL,
    PRIMARY KEY (committee_code, year)
);

-- Money between funds of one deployment, for the roll-up's netting of
-- transfers inside a subtree: only transfer_in entries, so the index stays
-- small however many gifts a fund holds.
CREATE INDEX entries_transfers_in ON entries (fund_code, seq) WHERE kind = 'transfer_in';
