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
//! - [`service`]: between the edges and the store: [`service::AppState`]
//!   with its caches of reads, the one append path both edges call, and
//!   the reads both render.
//! - [`auth`]: tokens, roles, scopes and passwords.
//! - [`http`]: the JSON API: problem details, the bearer-token extractor,
//!   one module per resource. It does not import [`web`].
//! - [`web`]: pages for people (receipts, funds, statements, the staff
//!   console), with their own error pages. It does not import [`http`].
//! - [`format`]: how dates are written for people, for pages and exports.
//! - [`app`]: assembling the routers and starting and stopping the
//!   service.
//! - [`server`]: serving HTTP with the limits that make it hold:
//!   timeouts, the connection cap, security headers.
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
pub mod intake;
pub mod ledger;
pub mod server;
pub mod service;
pub mod store;
pub mod web;
