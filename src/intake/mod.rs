//! Money as it arrives from banks (SPEC §10).
pub mod narrative;
pub mod spool;
pub mod vietqr;
pub mod webhook;
