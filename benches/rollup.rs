//! `cargo bench --bench rollup`: the centre's roll-up over a tree of the
//! country's shape (SPEC §11): the centre, 34 provinces and 3,321
//! communes (spread over the provinces as evenly as they go), a fund
//! each, on a fresh SQLite database served by `sovang serve` (release
//! build, its own process).
//!
//! Each commune's fund holds two gifts; each province's fund a larger one
//! and a transfer to its first commune (so the roll-up has transfers to
//! net); some communes register a sponsorship. Then it times, each as the
//! first request and the median of the next five:
//!
//! - `GET /committees/VN/report?period=<this year>` (the limit: 2 s);
//! - the same as XLSX, and the page `/t/VN`;
//! - one province's report.
//!
//! Beside them, the server's peak memory and the machine's raw limits in
//! the same run (SHA-256 of 400-byte messages on one core; SQLite
//! multi-row INSERTs). `SOVANG_ROLLUP_COMMUNES=500` makes a smaller tree.

use std::time::Instant;

use futures_util::stream::{self, StreamExt};
use serde_json::{json, Value};
#[path = "support/mod.rs"]
mod support;

use support::{post, raw_sha256_per_s, raw_sqlite_rows_per_s, status_kib, Server};

const PROVINCES: usize = 34;
const COMMUNES: usize = 3_321;
/// Requests in flight while the tree is built.
const AT_ONCE: usize = 4;
/// The limit the issue sets on the centre's report.
const LIMIT_MS: f64 = 2_000.0;

async fn get_ms(client: &reqwest::Client, url: &str) -> (f64, usize) {
    let started = Instant::now();
    let r = client.get(url).send().await.expect("GET");
    assert!(r.status().is_success(), "{url}: {}", r.status());
    let n = r.bytes().await.expect("body").len();
    (started.elapsed().as_secs_f64() * 1000.0, n)
}

/// (first, median of the next five, bytes) of GET `url`.
async fn timed(client: &reqwest::Client, url: &str) -> (f64, f64, usize) {
    let (first, n) = get_ms(client, url).await;
    let mut rest = Vec::new();
    for _ in 0..5 {
        rest.push(get_ms(client, url).await.0);
    }
    rest.sort_by(f64::total_cmp);
    (first, rest[rest.len() / 2], n)
}

async fn post_all(client: &reqwest::Client, token: &str, requests: Vec<(String, Value)>) {
    stream::iter(requests)
        .for_each_concurrent(AT_ONCE, |(url, body)| async move {
            post(client, &url, token, &body).await;
        })
        .await;
}

fn gift(i: usize, amount: u64) -> Value {
    json!({"kind": "donation_cash", "body": {
        "donor": {"display": format!("Doanh nghiệp {i}"), "kind": "organization"},
        "amount_vnd": amount.to_string(), "channel": "bank_transfer", "received_on": "2026-11-01"}})
}

#[tokio::main]
async fn main() {
    let communes: usize = std::env::var("SOVANG_ROLLUP_COMMUNES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(COMMUNES);
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("sovang.db").display());
    let server = Server::start(dir.path(), Some(&url), "warn").await;
    let admin = std::fs::read_to_string(dir.path().join("admin.token"))
        .expect("admin token")
        .trim()
        .to_owned();
    let client = reqwest::Client::new();
    let api = server.api.clone();
    let year = time::OffsetDateTime::now_utc()
        .to_offset(time::macros::offset!(+7))
        .year();

    let built = Instant::now();
    post(
        &client,
        &format!("{api}/committees"),
        &admin,
        &json!({"code": "VN", "name": "Ủy ban Trung ương MTTQ Việt Nam"}),
    )
    .await;
    let province = |p: usize| format!("T{p:02}");
    let commune = |c: usize| format!("X{c:04}");
    let of = |c: usize| c % PROVINCES;
    post_all(
        &client,
        &admin,
        (0..PROVINCES)
            .map(|p| {
                (
                    format!("{api}/committees"),
                    json!({"code": province(p), "name": format!("Ủy ban MTTQ tỉnh {p}"), "parent_code": "VN"}),
                )
            })
            .collect(),
    )
    .await;
    post_all(
        &client,
        &admin,
        (0..communes)
            .map(|c| {
                (
                    format!("{api}/committees"),
                    json!({"code": commune(c), "name": format!("Ủy ban MTTQ xã {c}"), "parent_code": province(of(c))}),
                )
            })
            .collect(),
    )
    .await;
    let codes: Vec<String> = std::iter::once("VN".to_owned())
        .chain((0..PROVINCES).map(province))
        .chain((0..communes).map(commune))
        .collect();
    post_all(
        &client,
        &admin,
        codes
            .iter()
            .map(|c| {
                (
                    format!("{api}/funds"),
                    json!({"code": format!("{c}-VNN"), "committee_code": c, "kind": "for_the_poor"}),
                )
            })
            .collect(),
    )
    .await;
    let batch = |fund: &str, entries: Vec<Value>| {
        (
            format!("{api}/funds/{fund}-VNN/entries/batch"),
            json!({"entries": entries}),
        )
    };
    let mut work: Vec<(String, Value)> = (0..communes)
        .map(|c| {
            let mut entries = vec![gift(c, 1_000_000), gift(c + 1, 250_000)];
            if c % 10 == 0 {
                entries.push(json!({"kind": "sponsorship_registered", "body": {
                    "sponsor": {"display": format!("Công ty {c}"), "kind": "organization"},
                    "year": year, "households": 2}}));
            }
            batch(&commune(c), entries)
        })
        .collect();
    work.extend((0..PROVINCES).map(|p| batch(&province(p), vec![gift(p, 50_000_000)])));
    post_all(&client, &admin, work).await;
    post_all(
        &client,
        &admin,
        (0..PROVINCES)
            .map(|p| {
                (
                    format!("{api}/funds/{}-VNN/entries", province(p)),
                    json!({"kind": "transfer_out", "body": {"counterparty_fund": format!("{}-VNN", commune(p)),
                           "amount_vnd": "10000000", "decision_ref": "QĐ 1", "purpose": "Hỗ trợ xã"}}),
                )
            })
            .collect(),
    )
    .await;
    let build_s = built.elapsed().as_secs_f64();

    let report = format!("{api}/committees/VN/report?period={year}");
    let r: Value = client
        .get(&report)
        .send()
        .await
        .expect("report")
        .json()
        .await
        .expect("json");
    assert_eq!(r["committee"]["funds"], codes.len(), "every fund is summed");
    assert_eq!(r["children"].as_array().map(Vec::len), Some(PROVINCES));
    assert_eq!(r["balanced"], true);
    let netted: i128 = r["committee"]["internal_transfers_vnd"]
        .as_str()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    assert_eq!(netted, 10_000_000 * PROVINCES as i128, "transfers netted");

    let centre = timed(&client, &report).await;
    let xlsx = timed(&client, &format!("{report}&format=xlsx")).await;
    let page = timed(&client, &format!("{}/t/VN?period={year}", server.root)).await;
    let one = timed(
        &client,
        &format!("{api}/committees/{}/report?period={year}", province(0)),
    )
    .await;
    let peak_mib = status_kib(server.pid, "VmHWM:") as f64 / 1024.0;
    let sha = raw_sha256_per_s();
    let rows = raw_sqlite_rows_per_s(dir.path());

    println!(
        "roll-up over 1 centre, {PROVINCES} provinces and {communes} communes ({} funds, built in {build_s:.0} s), SQLite:",
        codes.len()
    );
    for (what, (first, median, bytes)) in [
        ("centre's report (JSON)", centre),
        ("centre's report (XLSX)", xlsx),
        ("page /t/VN", page),
        ("one province's report", one),
    ] {
        println!(
            "  {what:<26} first {first:>7.0} ms, then median {median:>7.0} ms ({} KiB)",
            bytes / 1024
        );
    }
    println!(
        "  limit for the centre's report: {LIMIT_MS:.0} ms: {}",
        if centre.1 <= LIMIT_MS && centre.0 <= LIMIT_MS {
            "met"
        } else {
            "NOT met"
        }
    );
    println!("  server's peak memory: {peak_mib:.0} MiB");
    println!(
        "  machine's raw limits: SHA-256 {:.0} messages/s on one core; SQLite {:.0} rows/s",
        sha, rows
    );
}
