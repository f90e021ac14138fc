-- The statement of gifts searched by donor: a trigram index (pg_trgm) on
-- each gift's folded donor text, which `donor_search LIKE '%…%'` uses, so
-- that a search for a name reads the gifts that hold it, not every gift
-- of the fund.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX donations_search_trgm ON donations USING gin (donor_search gin_trgm_ops);
