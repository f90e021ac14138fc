//! Money as it arrives from banks (SPEC §10).
pub mod import;
pub mod narrative;
pub mod spool;
pub mod statement;
pub mod vietqr;
pub mod webhook;
