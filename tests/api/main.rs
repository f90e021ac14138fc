//! API tests: the real server over HTTP, each test with its own database,
//! on SQLite and on PostgreSQL.

mod contract;
mod helpers;

mod at_rest;
mod backup;
mod bad_input;
mod bank;
mod browser;
mod charts;
mod checkpoints;
mod cli;
mod clicks;
mod committee_year;
mod concurrency;
mod console;
mod console_forms;
mod controls;
mod decree_93;
mod demo;
mod driver;
mod findings;
mod fund_life;
mod holds;
mod idempotency;
mod kinds_input;
mod ledger_page;
mod openapi;
mod outcomes;
mod outside;
mod pages;
mod periods;
mod privacy;
mod proxy;
mod receipts;
mod roles;
mod rules;
mod saoke;
mod snapshots;
mod tampering;
mod tiles;
mod v1_database;
mod witness;
mod witness_policy;
