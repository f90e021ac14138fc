-- Each fund's totals by day (Vietnam time): what moved that day and the
-- books' figures at its end, as JSON. The writer saves the day's row in
-- the transaction of its entries; a period's statement is read from its
-- days instead of being folded from the first entry. `verify --deep` and
-- replay rebuild the rows from the ledger and compare. Rows for funds
-- written before this table existed are made on the next start.
CREATE TABLE fund_days (
    fund_code TEXT NOT NULL REFERENCES funds (code),
    day       TEXT NOT NULL,
    totals    TEXT NOT NULL,
    PRIMARY KEY (fund_code, day)
);
