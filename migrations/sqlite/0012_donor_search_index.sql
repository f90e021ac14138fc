-- The statement of gifts searched by donor: an index of every three
-- letters of each gift's folded donor text (FTS5's trigram tokenizer), so
-- that a search for a name reads the gifts that hold it, not every gift
-- of the fund. Kept in step with `donations` by triggers; searches of
-- fewer than three letters still read the table.
CREATE VIRTUAL TABLE donations_search USING fts5(
    donor_search,
    content = 'donations',
    content_rowid = 'rowid',
    tokenize = 'trigram'
);
CREATE TRIGGER donations_search_insert AFTER INSERT ON donations BEGIN
    INSERT INTO donations_search (rowid, donor_search) VALUES (new.rowid, new.donor_search);
END;
CREATE TRIGGER donations_search_delete AFTER DELETE ON donations BEGIN
    INSERT INTO donations_search (donations_search, rowid, donor_search)
        VALUES ('delete', old.rowid, old.donor_search);
END;
CREATE TRIGGER donations_search_update AFTER UPDATE OF donor_search ON donations BEGIN
    INSERT INTO donations_search (donations_search, rowid, donor_search)
        VALUES ('delete', old.rowid, old.donor_search);
    INSERT INTO donations_search (rowid, donor_search) VALUES (new.rowid, new.donor_search);
END;
INSERT INTO donations_search (donations_search) VALUES ('rebuild');
