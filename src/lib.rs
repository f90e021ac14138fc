//! Sổ Vàng: a tamper-evident ledger for the Fatherland Front's funds.
pub mod ledger;
