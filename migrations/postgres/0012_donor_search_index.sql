-- The statement of gifts searched by donor: a trigram index (pg_trgm) on
-- each gift's folded donor text, which `donor_search LIKE '%…%'` uses, so
-- that a search for a name reads the gifts that hold it, not every gift
-- of the fund. Where the server does not let this database create the
-- extension (it is trusted from PostgreSQL 13, and shipped in contrib),
-- the service still starts and searches read every gift of the fund.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'pg_trgm is not available (%): donor searches will read every gift', SQLERRM;
END
$$;
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        CREATE INDEX donations_search_trgm ON donations USING gin (donor_search gin_trgm_ops);
    END IF;
END
$$;
