//! Money as it arrives from banks (SPEC §10).
pub mod vietqr;
