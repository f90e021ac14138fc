//! Sổ Vàng ("golden book") keeps the books of the Vietnam Fatherland Front's
//! "For the Poor" and Relief funds as an append-only, hash-chained,
//! Merkle-proved ledger with signed checkpoints, so that donors, inspectors
//! and the public can check it without trusting the server.
//!
//! # Layout
//!
//! - [`ledger`]: the pure core. Canonical entries, hashes, the Merkle tree
//!   and proofs, checkpoints and keys, entry kinds and their rules,
//!   whole-fund verification. No I/O.
//! - [`store`]: every SQL statement, for SQLite and PostgreSQL; the single
//!   writer that group-commits appends; verification against the database.
//! - [`http`]: the API: router, problem details, tokens and scopes, one
//!   module per resource.
//! - [`web`]: pages for people: the receipt page with its in-browser
//!   verification.
//! - [`app`]: assembling and stopping the service.
//! - [`cli`]: the `sovang` subcommands.
//! - [`config`]: layered settings.
//! - [`demo`]: the demo picture `sovang serve --demo` records.

/// mimalloc: the service allocates many small, short-lived values across
/// threads (JSON, entries, rows), where glibc's allocator spent about a
/// fifth of the appends' CPU time in profiles (`cargo bench`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod demo;
pub mod format;
pub mod http;
pub mod ledger;
pub mod service;
pub mod store;
pub mod web;
