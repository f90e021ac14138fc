-- The largest size each witness cosigned of each fund (SPEC §12): what the
-- pusher offers from, one row per (fund, witness) however many
-- checkpoints were cosigned, kept by `add_cosignature`.
CREATE TABLE witness_progress (
    fund_code TEXT NOT NULL REFERENCES funds (code),
    witness   TEXT NOT NULL,
    size      BIGINT NOT NULL,
    PRIMARY KEY (fund_code, witness)
);

INSERT INTO witness_progress (fund_code, witness, size)
SELECT fund_code, witness, MAX(size) FROM cosignatures GROUP BY fund_code, witness;
