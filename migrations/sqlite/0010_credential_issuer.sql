-- Who issued each credential (SPEC §9, "nobody alone"): the person of the
-- admin who made a token, made a user or last set a user's password for
-- them. An outflow is not approved with a credential issued by the person
-- who recorded it: an admin who records an expense cannot mint an approver
-- token, for a new person or for an existing one, and approve it alone.
-- Empty for credentials made from the command line on the server, and
-- for a user's own new password.
ALTER TABLE tokens ADD COLUMN issued_by TEXT;
ALTER TABLE users ADD COLUMN issued_by TEXT;
