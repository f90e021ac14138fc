//! The pure core: everything that decides what the ledger contains and
//! whether it is sound, with no I/O. Storage, HTTP and the CLI are shells
//! around it.

/// The fund's books: derived state and the rules entries keep.
pub mod book;
/// The export bundle and its offline verification.
pub mod bundle;
/// RFC 8785 canonical text of entries.
pub mod canonical;
/// Signed checkpoints and the per-fund keys derived from the master secret.
pub mod checkpoint;
/// The envelope every entry shares, its canonical text and leaf hash.
pub mod entry;
/// Field errors and bounded text.
pub mod fields;
/// Findings for inspectors.
pub mod findings;
/// Codes, ids, receipt numbers, verification codes, dates.
pub mod ids;
/// Entry kinds and their bodies, parsed from client input.
pub mod kinds;
/// The RFC 9162 Merkle tree, its stored hashes and proofs.
pub mod merkle;
/// Exact amounts of đồng.
pub mod money;
/// Distribution policy: eligibility, limits, approval threshold.
/// Households leaving poverty, and sponsorships' progress.
pub mod outcomes;
/// The `personal_data` rule: what keeps ID, phone and account numbers,
/// e-mail addresses and hidden characters out of public text.
pub mod personal;
pub mod policy;
/// What a client's body may publish: the personal-data rule applied.
pub mod public_text;
/// Rebuilding a fund's books from its stored entries.
pub mod replay;
/// Roll-ups of fund statements up the committee tree.
pub mod rollup;
/// The public statement of gifts (sao kê) and search folding.
pub mod saoke;
/// The state writes depend on and the function that appends to it.
pub mod state;
/// Sources and uses of a fund for a period.
pub mod statement;
/// A fund's log as C2SP tiles: paths, widths, entry bundles.
pub mod tiles;
/// Witnessing policies (C2SP tlog-policy): witnesses and the quorum.
pub mod tlog_policy;
/// Where the money of a fund or campaign went.
pub mod uses;
/// Value types read from JSON: bounded text, dates, quantities.
pub mod values;
/// Whole-fund verification.
pub mod verify;
/// Witnesses: judging add-checkpoint requests, cosignature/v1.
pub mod witness;
