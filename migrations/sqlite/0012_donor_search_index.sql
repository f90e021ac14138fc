-- The statement of gifts searched by donor: an index of every three
-- letters of each gift's folded donor text (FTS5's trigram tokenizer), so
-- that a search for a name reads the gifts that hold it, not every gift
-- of the fund. The index keeps its own copy of the text with the gift's
-- fund and seq (not `donations`' implicit rowid, which VACUUM may
-- renumber). Kept in step with `donations` by triggers; searches of fewer
-- than three letters still read the table.
CREATE VIRTUAL TABLE donations_search USING fts5(
    donor_search,
    fund_code UNINDEXED,
    seq UNINDEXED,
    tokenize = 'trigram'
);
CREATE TRIGGER donations_search_insert AFTER INSERT ON donations BEGIN
    INSERT INTO donations_search (donor_search, fund_code, seq)
        VALUES (new.donor_search, new.fund_code, new.seq);
END;
CREATE TRIGGER donations_search_delete AFTER DELETE ON donations BEGIN
    DELETE FROM donations_search WHERE fund_code = old.fund_code AND seq = old.seq;
END;
CREATE TRIGGER donations_search_update AFTER UPDATE OF donor_search ON donations BEGIN
    UPDATE donations_search SET donor_search = new.donor_search
        WHERE fund_code = old.fund_code AND seq = old.seq;
END;
INSERT INTO donations_search (donor_search, fund_code, seq)
    SELECT donor_search, fund_code, seq FROM donations;
