-- The cosignatures a fund's checkpoints received from its witnesses
-- (SPEC §12), one line per (fund, size, witness), served with the
-- checkpoint and in receipts.
CREATE TABLE cosignatures (
    fund_code TEXT NOT NULL REFERENCES funds (code),
    size      INTEGER NOT NULL,
    witness   TEXT NOT NULL,
    line      TEXT NOT NULL,
    at        TEXT NOT NULL,
    PRIMARY KEY (fund_code, size, witness)
);

-- Checkpoints a witness refused (403, 422): a 422 says the fund showed it
-- a history that does not extend what it cosigned, a `high` finding.
CREATE TABLE witness_refusals (
    fund_code TEXT NOT NULL REFERENCES funds (code),
    size      INTEGER NOT NULL,
    witness   TEXT NOT NULL,
    status    INTEGER NOT NULL,
    reason    TEXT NOT NULL,
    at        TEXT NOT NULL,
    PRIMARY KEY (fund_code, size, witness)
);
