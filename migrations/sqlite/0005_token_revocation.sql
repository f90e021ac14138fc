-- A token can be withdrawn (SPEC §9): from then on it is refused
-- everywhere. The row stays, so that entries it wrote still name it.
ALTER TABLE tokens ADD COLUMN revoked_at TEXT;
