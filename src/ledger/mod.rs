//! The pure core: everything that decides what the ledger contains and
//! whether it is sound, with no I/O. Storage, HTTP and the CLI are shells
//! around it.

/// RFC 8785 canonical text of entries.
pub mod canonical;
/// Signed checkpoints and the per-fund keys derived from the master secret.
pub mod checkpoint;
/// The envelope every entry shares, its canonical text and leaf hash.
pub mod entry;
/// Field errors and bounded text.
pub mod fields;
/// Codes, ids, receipt numbers, verification codes, dates.
pub mod ids;
/// Entry kinds and their bodies, parsed from client input.
pub mod kinds;
/// The RFC 9162 Merkle tree, its stored hashes and proofs.
pub mod merkle;
/// Exact amounts of đồng.
pub mod money;
/// The state writes depend on and the function that appends to it.
pub mod state;
/// Whole-fund verification.
pub mod verify;
