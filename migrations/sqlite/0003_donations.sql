-- The public statement (sao kê): one row per gift, derived from the
-- ledger when the gift is written, for searching and exporting. Nothing
-- here is private: every column is in the gift's entry, but for
-- donor_search, the donor's published name folded for search.
CREATE TABLE donations (
    fund_code     TEXT NOT NULL REFERENCES funds (code),
    seq           INTEGER NOT NULL,
    receipt_no    TEXT NOT NULL,
    -- cash or in_kind
    kind          TEXT NOT NULL,
    received_on   TEXT NOT NULL,
    recorded_at   TEXT NOT NULL,
    donor_display TEXT NOT NULL,
    donor_kind    TEXT NOT NULL,
    -- Lower case, without diacritics, đ as d: "nguyen van an".
    donor_search  TEXT NOT NULL,
    -- Cash, or the stated value of goods.
    amount_vnd    INTEGER NOT NULL,
    channel       TEXT,
    campaign_id   TEXT,
    pledge_id     TEXT,
    earmark       TEXT,
    bank_ref      TEXT,
    -- Goods, as "GAO 50 kg; QUA-TET 3 gói".
    goods         TEXT,
    -- valid, or voided by a reversal (with the reversal's seq and reason).
    status        TEXT NOT NULL,
    voided_by_seq INTEGER,
    voided_reason TEXT,
    PRIMARY KEY (fund_code, seq)
);
CREATE INDEX donations_receipt ON donations (fund_code, receipt_no);
CREATE INDEX donations_bank_ref ON donations (fund_code, bank_ref);
CREATE INDEX donations_campaign ON donations (fund_code, campaign_id, seq);
