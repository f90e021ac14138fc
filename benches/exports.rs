//! `cargo bench --bench exports`: the memory a `sovang serve` process
//! needs to stream a fund's exports (the NDJSON bundle, the public
//! statement of gifts as CSV and as XLSX), at 10,000 and at 100,000
//! gifts. Streaming is working when the peak does not grow with the count.
//! Then the render times of the main pages of that 100,000-entry fund
//! (median and worst of 20 requests each). The first read of a fund's
//! page after the server starts folds its whole ledger into the books
//! kept for reading; it is timed on its own.
//!
//! The server runs as its own process on SQLite; its peak resident memory
//! (VmHWM) is reset before each download (`/proc/PID/clear_refs`) and read
//! after it, while the client counts the bytes as they arrive.

use std::time::Instant;

use serde_json::{json, Value};
#[path = "support/mod.rs"]
mod support;

use support::{gift, post, status_kib};

const BATCH: usize = 1_000;

fn reset_peak(pid: u32) -> bool {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok()
}

#[tokio::main]
async fn main() {
    println!("Sổ Vàng export memory benchmark (SQLite, server in its own process)");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = support::Server::start(dir.path(), None, "warn").await;
    let (pid, base) = (server.pid, server.api.clone());
    let admin = std::fs::read_to_string(dir.path().join("admin.token"))
        .expect("admin token")
        .trim()
        .to_owned();
    let client = reqwest::Client::new();
    post(
        &client,
        &format!("{base}/committees"),
        &admin,
        &json!({"code": "HN", "name": "Hà Nội"}),
    )
    .await;
    post(
        &client,
        &format!("{base}/funds"),
        &admin,
        &json!({"code": "HN-VNN", "committee_code": "HN", "kind": "for_the_poor"}),
    )
    .await;
    let clerk = post(
        &client,
        &format!("{base}/tokens"),
        &admin,
        &json!({"name": "bench", "role": "clerk", "committee_code": "HN"}),
    )
    .await["token"]
        .as_str()
        .expect("token")
        .to_owned();

    post(
        &client,
        &format!("{base}/funds/HN-VNN/entries"),
        &clerk,
        &json!({"kind": "campaign_opened", "body": {"campaign_id": "cao-diem-2026",
            "name": "Tháng cao điểm Vì người nghèo 2026", "kind": "peak_month",
            "starts_on": "2026-10-17", "ends_on": "2026-11-18", "target_vnd": "20000000000"}}),
    )
    .await;
    if !reset_peak(pid) {
        println!("  (cannot reset the peak: /proc/{pid}/clear_refs is not writable; peaks include the loading)");
    }
    let mut written = 0;
    for target in [10_000, 100_000] {
        let started = Instant::now();
        let from = written;
        while written < target {
            let entries: Vec<Value> = (written..written + BATCH).map(gift).collect();
            post(
                &client,
                &format!("{base}/funds/HN-VNN/entries/batch"),
                &clerk,
                &json!({ "entries": entries }),
            )
            .await;
            written += BATCH;
        }
        let rate = (target - from) as f64 / started.elapsed().as_secs_f64();
        // The bundle holds what a checkpoint signs: wait for the one that
        // covers the last gifts (signed at most once a second).
        tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
        println!(
            "\n{target} gifts (loaded at {rate:.0}/s); server resident {} MiB",
            status_kib(pid, "VmRSS:") / 1024
        );
        for (name, path) in [
            ("export bundle (NDJSON)", "/funds/HN-VNN/export"),
            (
                "statement of gifts (CSV)",
                "/funds/HN-VNN/donations?format=csv",
            ),
            (
                "statement of gifts (XLSX)",
                "/funds/HN-VNN/donations?format=xlsx",
            ),
        ] {
            let before = status_kib(pid, "VmRSS:");
            reset_peak(pid);
            let started = Instant::now();
            let mut r = client
                .get(format!("{base}{path}"))
                .send()
                .await
                .expect("GET");
            assert!(r.status().is_success(), "{path}: {}", r.status());
            let mut bytes = 0usize;
            while let Some(chunk) = r.chunk().await.expect("chunk") {
                bytes += chunk.len();
            }
            let peak = status_kib(pid, "VmHWM:");
            println!(
                "  {name:<28} {:>7.1} MiB in {:>5.2}s; server resident {:>4} MiB before, peak {:>4} MiB (+{} MiB)",
                bytes as f64 / 1_048_576.0,
                started.elapsed().as_secs_f64(),
                before / 1024,
                peak / 1024,
                peak.saturating_sub(before) / 1024
            );
        }
    }
    println!("\npage render times, fund of {written} gifts (20 requests each)");
    // A receipt number from the middle of the fund, to search by.
    let middle: Value = client
        .get(format!(
            "{base}/funds/HN-VNN/donations?limit=1&cursor=50000"
        ))
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("JSON");
    let receipt_no = middle["donations"][0]["receipt_no"]
        .as_str()
        .expect("a gift")
        .to_owned();
    let root = base.trim_end_matches("/api/v1").to_owned();
    // One more gift, recorded alone, for its receipt page.
    let one = post(
        &client,
        &format!("{base}/funds/HN-VNN/entries"),
        &clerk,
        &gift(written)["body"]
            .as_object()
            .map(|b| json!({"kind": "donation_cash", "body": b}))
            .expect("a gift"),
    )
    .await;
    let receipt_code = one["receipt"]["code"].as_str().map(str::to_owned);
    let mut pages = vec![
        ("funds /", "/".to_owned()),
        ("fund /f/HN-VNN (first read folds)", "/f/HN-VNN".to_owned()),
        ("fund /f/HN-VNN", "/f/HN-VNN".to_owned()),
        (
            "campaign /f/HN-VNN/c/cao-diem-2026",
            "/f/HN-VNN/c/cao-diem-2026".to_owned(),
        ),
        (
            "period statement, this month",
            "/f/HN-VNN/bao-cao".to_owned(),
        ),
        (
            "statement of gifts, first page",
            "/f/HN-VNN/sao-ke".to_owned(),
        ),
        (
            "statement of gifts, search",
            "/f/HN-VNN/sao-ke?q=nguyen+van+an+4999".to_owned(),
        ),
        (
            "statement of gifts, by receipt",
            format!("/f/HN-VNN/sao-ke?q=&receipt_no={receipt_no}"),
        ),
    ];
    if let Some(c) = receipt_code {
        pages.push(("receipt page", format!("/r/{}", c.trim())));
    }
    for (name, path) in pages {
        let first_only = name.contains("first read");
        let runs = if first_only { 1 } else { 20 };
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs {
            let started = Instant::now();
            let r = client
                .get(format!("{root}{path}"))
                .send()
                .await
                .expect("GET");
            assert!(r.status().is_success(), "{path}: {}", r.status());
            let _ = r.bytes().await.expect("body");
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(|a, b| a.total_cmp(b));
        println!(
            "  {name:<36} median {:>7.1} ms, worst {:>7.1} ms",
            times[times.len() / 2],
            times[times.len() - 1]
        );
    }
    let _ = server.child.kill().await;
}
