//! `cargo bench --bench intake`: a week of a national appeal, 250,000 bank
//! lines in one statement, taken in through `POST
//! /funds/{fund}/bank-statements` by a `sovang serve` process, on SQLite
//! and (when it answers) on PostgreSQL; as the generic CSV and as a
//! Vietcombank XLSX, each into its own account.
//!
//! For each: the import's time (upload, both readings of the file, the
//! lines recorded a thousand per commit, the seal), lines a second, the
//! server's resident and peak memory before and after, and the time to
//! send the same file again (nothing new). Beside them, the machine's raw
//! limits in the same run: SQLite multi-row INSERTs through `rusqlite`,
//! and SHA-256 of 400-byte messages.
//!
//! `SOVANG_INTAKE_LINES=100000` changes the size; `SOVANG_INTAKE_DB=sqlite`
//! runs one database only; `SOVANG_BENCH_POSTGRES_URL` names the server.

use std::time::Instant;

use serde_json::json;
use sovang::intake::statement::fixtures;
use sovang::intake::statement::Layout;

#[path = "support/mod.rs"]
mod support;

use support::{fresh_pg, post, raw_sha256_per_s, raw_sqlite_rows_per_s, status_kib, Server};

async fn run(db: &str, url: Option<String>, lines: usize) {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = url.unwrap_or_else(|| format!("sqlite://{}", dir.path().join("sovang.db").display()));
    let server = Server::start(dir.path(), Some(&url), "warn").await;
    let admin = std::fs::read_to_string(dir.path().join("admin.token")).expect("admin token");
    let admin = admin.trim();
    let client = reqwest::Client::new();
    let api = &server.api;
    post(
        &client,
        &format!("{api}/committees"),
        admin,
        &json!({"code": "TW", "name": "Ủy ban Trung ương MTTQ Việt Nam"}),
    )
    .await;
    post(
        &client,
        &format!("{api}/funds"),
        admin,
        &json!({"code": "TW-CUUTRO", "committee_code": "TW", "kind": "relief"}),
    )
    .await;
    let clerk = post(
        &client,
        &format!("{api}/tokens"),
        admin,
        &json!({"name": "clerk", "role": "clerk", "committee_code": "TW"}),
    )
    .await;
    let clerk = clerk["token"].as_str().expect("token").to_owned();
    let campaign = post(&client, &format!("{api}/funds/TW-CUUTRO/entries"), &clerk, &json!({"kind": "campaign_opened", "body": {
        "name": "Cứu trợ bão lũ 2026", "kind": "disaster_relief", "starts_on": "2026-10-01", "ends_on": "2026-12-31", "window_reason": "Vận động cả năm"}})).await;
    let canonical: serde_json::Value =
        serde_json::from_str(campaign["canonical"].as_str().expect("canonical")).expect("json");
    let reference = canonical["body"]["reference"]
        .as_str()
        .expect("reference")
        .to_owned();
    let day = time::macros::date!(2026 - 11 - 01);
    let fixture = fixtures::lines(lines, day, &reference);
    for (i, layout) in [Layout::GenericCsv, Layout::Vietcombank]
        .into_iter()
        .enumerate()
    {
        let account = format!("00110012345{i:02}");
        post(&client, &format!("{api}/funds/TW-CUUTRO/bank-accounts"), admin, &json!({
            "bank_bin": "970436", "account_no": account, "account_name": "UY BAN TW MTTQ VIET NAM", "bank_name": "Vietcombank"})).await;
        let file = fixtures::statement(layout, &account, 1_000_000_000_000, &fixture);
        let bytes = file.len();
        let (rss0, peak0) = (
            status_kib(server.pid, "VmRSS:"),
            status_kib(server.pid, "VmHWM:"),
        );
        let started = Instant::now();
        let r = client
            .post(format!(
                "{api}/funds/TW-CUUTRO/bank-statements?account={account}"
            ))
            .bearer_auth(&clerk)
            .body(file.clone())
            .send()
            .await
            .expect("import");
        let took = started.elapsed().as_secs_f64();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
        let answer: serde_json::Value = r.json().await.expect("json");
        let (rss1, peak1) = (
            status_kib(server.pid, "VmRSS:"),
            status_kib(server.pid, "VmHWM:"),
        );
        let started = Instant::now();
        let again = client
            .post(format!(
                "{api}/funds/TW-CUUTRO/bank-statements?account={account}"
            ))
            .bearer_auth(&clerk)
            .body(file)
            .send()
            .await
            .expect("again");
        let again_took = started.elapsed().as_secs_f64();
        assert_eq!(again.status(), 200);
        println!(
            "{db} {}: {lines} lines ({:.1} MiB): imported in {took:.1} s ({:.0} lines/s; {} recorded, {} in review), sealed by entry {}; \
             server memory {} → {} MiB resident, peak {} → {} MiB; the same file again: {again_took:.2} s",
            layout.name(),
            bytes as f64 / 1_048_576.0,
            lines as f64 / took,
            answer["recorded"],
            answer["review"],
            answer["sealed_seq"],
            rss0 / 1024,
            rss1 / 1024,
            peak0 / 1024,
            peak1 / 1024,
        );
    }
}

#[tokio::main]
async fn main() {
    let lines: usize = std::env::var("SOVANG_INTAKE_LINES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(250_000);
    let only = std::env::var("SOVANG_INTAKE_DB").ok();
    let raw = tempfile::tempdir().expect("tempdir");
    println!(
        "raw limits: SQLite {:.0} rows/s (rusqlite, 100-row INSERTs, a commit per 10,000), SHA-256 {:.0} messages/s (400 bytes, one core)",
        raw_sqlite_rows_per_s(raw.path()),
        raw_sha256_per_s()
    );
    if only.as_deref() != Some("postgres") {
        run("sqlite", None, lines).await;
    }
    if only.as_deref() != Some("sqlite") {
        let admin = std::env::var("SOVANG_BENCH_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        match fresh_pg(&admin).await {
            Some(url) => run("postgres", Some(url), lines).await,
            None => println!("postgres: not reachable at {admin}; skipped"),
        }
    }
}
