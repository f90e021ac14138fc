-- A token may carry its last day of use (`YYYY-MM-DD`, Vietnam time),
-- after which it is refused (SPEC §9).
ALTER TABLE tokens ADD COLUMN expires_on TEXT;
