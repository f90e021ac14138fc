-- A gift in fewer bytes and fewer rows (docs/decisions.md, "A gift's
-- bytes on disk"); the same change as the SQLite migration of this number:
-- an entry's canonical text packed (or, for entries written before, plain),
-- no id or recorded_at columns, leaf hashes kept with their entries only,
-- the receipt's code a column of its gift's row in the statement.

ALTER TABLE entries DROP COLUMN id, DROP COLUMN recorded_at;
ALTER TABLE entries ALTER COLUMN canonical DROP NOT NULL;
ALTER TABLE entries ADD COLUMN packed BYTEA;
ALTER TABLE entries ADD CONSTRAINT entries_one_form CHECK ((canonical IS NULL) <> (packed IS NULL));

-- Leaf n's stored index is 2n - popcount(n) (Go's sumdb/tlog).
ALTER TABLE merkle_hashes DISABLE TRIGGER merkle_hashes_append_only;
DELETE FROM merkle_hashes m USING entries e
    WHERE e.fund_code = m.fund_code AND m.idx = 2 * e.seq - (((e.seq >> 0) & 1) + ((e.seq >> 1) & 1) + ((e.seq >> 2) & 1) + ((e.seq >> 3) & 1) + ((e.seq >> 4) & 1) + ((e.seq >> 5) & 1) + ((e.seq >> 6) & 1) + ((e.seq >> 7) & 1) + ((e.seq >> 8) & 1) + ((e.seq >> 9) & 1) + ((e.seq >> 10) & 1) + ((e.seq >> 11) & 1) + ((e.seq >> 12) & 1) + ((e.seq >> 13) & 1) + ((e.seq >> 14) & 1) + ((e.seq >> 15) & 1) + ((e.seq >> 16) & 1) + ((e.seq >> 17) & 1) + ((e.seq >> 18) & 1) + ((e.seq >> 19) & 1) + ((e.seq >> 20) & 1) + ((e.seq >> 21) & 1) + ((e.seq >> 22) & 1) + ((e.seq >> 23) & 1) + ((e.seq >> 24) & 1) + ((e.seq >> 25) & 1) + ((e.seq >> 26) & 1) + ((e.seq >> 27) & 1) + ((e.seq >> 28) & 1) + ((e.seq >> 29) & 1) + ((e.seq >> 30) & 1) + ((e.seq >> 31) & 1) + ((e.seq >> 32) & 1) + ((e.seq >> 33) & 1) + ((e.seq >> 34) & 1) + ((e.seq >> 35) & 1) + ((e.seq >> 36) & 1) + ((e.seq >> 37) & 1) + ((e.seq >> 38) & 1) + ((e.seq >> 39) & 1));
ALTER TABLE merkle_hashes ENABLE TRIGGER merkle_hashes_append_only;

ALTER TABLE donations ADD COLUMN code TEXT;
UPDATE donations d SET code = r.code FROM receipts r
    WHERE r.fund_code = d.fund_code AND r.seq = d.seq;
CREATE UNIQUE INDEX donations_code ON donations (code);
DROP TABLE receipts;

CREATE FUNCTION sovang_receipt_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'the statement of gifts is append-only';
    END IF;
    IF NEW.fund_code <> OLD.fund_code OR NEW.seq <> OLD.seq
       OR NEW.receipt_no <> OLD.receipt_no OR NEW.code IS DISTINCT FROM OLD.code THEN
        RAISE EXCEPTION 'a gift''s receipt number and code are written once';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER donations_receipt_fixed BEFORE UPDATE OR DELETE ON donations
    FOR EACH ROW EXECUTE FUNCTION sovang_receipt_fixed();
