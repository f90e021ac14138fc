//! `cargo bench --bench scale`: one fund of a national appeal, filled
//! through the batch API by one client to 100,000 and then 1,000,000
//! gifts, on SQLite and (when it answers) on PostgreSQL, with the
//! figures of issue "a national appeal in one fund" at each size:
//!
//! - the fill rate (batch appends over HTTP, 1,000 gifts a request);
//! - storage per gift (the SQLite file with its log; PostgreSQL's
//!   `pg_database_size`);
//! - the first fund page after the server is killed and started again;
//! - the year's statement, where the money went, the statement of gifts
//!   searched by a name without diacritics (API and page), a receipt page
//!   and its proof: each the median of 5 requests after a first one;
//! - the server's resident memory after reading all of them;
//! - whole-fund verification, and `--deep`, in entries a second.
//!
//! Beside them, the machine's raw limits measured in the same run:
//! SHA-256 of 400-byte messages on one core, and SQLite multi-row
//! INSERTs through `rusqlite`.
//!
//! `SOVANG_SCALE_GIFTS=100000,300000` changes the sizes;
//! `SOVANG_BENCH_POSTGRES_URL` names the PostgreSQL server (default
//! `postgres://postgres@127.0.0.1:5432/postgres`); `SOVANG_SCALE_DB=sqlite`
//! runs one database only; `SOVANG_SCALE_KEEP=1` leaves the filled
//! SQLite file (and the PostgreSQL database) in place and prints where.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
#[path = "support/mod.rs"]
mod support;

use support::{fresh_pg, gift, post, raw_sha256_per_s, raw_sqlite_rows_per_s, status_kib, Server};

const BATCH: usize = 1_000;

/// What the filling client reads of a batch's answer.
#[derive(serde::Deserialize)]
struct Written {
    entries: Vec<WrittenEntry>,
}

#[derive(serde::Deserialize)]
struct WrittenEntry {
    seq: u64,
    receipt: Option<Receipt>,
}

#[derive(serde::Deserialize)]
struct Receipt {
    code: String,
}

/// Milliseconds of one GET of `url` (which must succeed).
async fn get_ms(client: &reqwest::Client, url: &str, token: Option<&str>) -> f64 {
    let started = Instant::now();
    let mut req = client.get(url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.expect("GET");
    assert!(r.status().is_success(), "{url}: {}", r.status());
    let _ = r.bytes().await.expect("body");
    started.elapsed().as_secs_f64() * 1000.0
}

/// (first, median of the next five) in milliseconds.
async fn timed(client: &reqwest::Client, url: &str) -> (f64, f64) {
    let first = get_ms(client, url, None).await;
    let mut rest = Vec::new();
    for _ in 0..5 {
        rest.push(get_ms(client, url, None).await);
    }
    rest.sort_by(|a, b| a.total_cmp(b));
    (first, rest[rest.len() / 2])
}

async fn pg_size(url: &str) -> u64 {
    use sqlx::{Connection, Row};
    let mut c = sqlx::PgConnection::connect(url).await.expect("PostgreSQL");
    let r = sqlx::query("SELECT pg_database_size(current_database()) AS n")
        .fetch_one(&mut c)
        .await
        .expect("size");
    r.get::<i64, _>("n") as u64
}

/// The database's own size: its pages in use, those still in the
/// write-ahead log included, free pages not (the log file itself is
/// reused space and is not counted).
fn sqlite_size(dir: &std::path::Path) -> u64 {
    let c = rusqlite::Connection::open_with_flags(
        dir.join("sovang.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("the database");
    let pragma = |name: &str| -> u64 {
        c.query_row(&format!("PRAGMA {name}"), [], |r| r.get::<_, i64>(0))
            .map_or(0, |n| n as u64)
    };
    (pragma("page_count") - pragma("freelist_count")) * pragma("page_size")
}

async fn run(db: &str, url: Option<String>, targets: &[usize]) {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = url.unwrap_or_else(|| format!("sqlite://{}", dir.path().join("sovang.db").display()));
    let mut server = Server::start(dir.path(), Some(&url), "warn").await;
    let admin = std::fs::read_to_string(dir.path().join("admin.token"))
        .expect("admin token")
        .trim()
        .to_owned();
    let client = reqwest::Client::new();
    let api = server.api.clone();
    post(
        &client,
        &format!("{api}/committees"),
        &admin,
        &json!({"code": "HN", "name": "Hà Nội"}),
    )
    .await;
    post(
        &client,
        &format!("{api}/funds"),
        &admin,
        &json!({"code": "HN-VNN", "committee_code": "HN", "kind": "for_the_poor"}),
    )
    .await;
    let token = |role: &'static str| {
        let (client, api, admin) = (client.clone(), api.clone(), admin.clone());
        async move {
            post(
                &client,
                &format!("{api}/tokens"),
                &admin,
                &json!({"name": format!("bench {role}"), "role": role, "committee_code": "HN"}),
            )
            .await["token"]
                .as_str()
                .expect("token")
                .to_owned()
        }
    };
    let clerk = token("clerk").await;
    let inspector = token("inspector").await;
    post(
        &client,
        &format!("{api}/funds/HN-VNN/entries"),
        &clerk,
        &json!({"kind": "campaign_opened", "body": {"campaign_id": "cao-diem-2026",
            "name": "Tháng cao điểm Vì người nghèo 2026", "kind": "peak_month",
            "starts_on": "2026-10-17", "ends_on": "2026-11-18", "target_vnd": "20000000000"}}),
    )
    .await;
    let mut written = 0;
    let mut code = String::new();
    // The client reads its bank lines ahead, as an importer streaming a
    // file would: the next request's body is written on a thread of its
    // own while the server answers the last. It checks each answer for
    // what it needs (every entry written, in order, with its receipt)
    // rather than reading it into a JSON tree.
    let last = targets.iter().copied().max().unwrap_or(0);
    let (bodies, mut next_body) = tokio::sync::mpsc::channel::<Vec<u8>>(2);
    let _reader = std::thread::spawn(move || {
        for from in (0..last).step_by(BATCH) {
            let entries: Vec<Value> = (from..from + BATCH).map(gift).collect();
            let body = serde_json::to_vec(&json!({ "entries": entries })).expect("JSON");
            if bodies.blocking_send(body).is_err() {
                return;
            }
        }
    });
    for &target in targets {
        let started = Instant::now();
        let from = written;
        while written < target {
            let body = next_body.recv().await.expect("the next batch");
            let r = client
                .post(format!("{}/funds/HN-VNN/entries/batch", server.api))
                .bearer_auth(&clerk)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .expect("POST");
            assert_eq!(r.status(), 201, "batch at {written}");
            let answer: Written =
                serde_json::from_slice(&r.bytes().await.expect("answer")).expect("written");
            assert_eq!(answer.entries.len(), BATCH);
            let first = answer.entries[0].seq;
            assert!(answer
                .entries
                .iter()
                .enumerate()
                .all(|(i, e)| e.seq == first + i as u64 && e.receipt.is_some()));
            if code.is_empty() {
                code = answer.entries[0]
                    .receipt
                    .as_ref()
                    .map(|r| r.code.clone())
                    .unwrap_or_default();
            }
            written += BATCH;
        }
        let fill = (written - from) as f64 / started.elapsed().as_secs_f64();
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        let bytes = if db == "sqlite" {
            sqlite_size(dir.path())
        } else {
            pg_size(&url).await
        };
        // Killed, then started again: the first page folds what it must.
        server.child.start_kill().expect("kill");
        let _ = server.child.wait().await;
        server = Server::start(dir.path(), Some(&url), "warn").await;
        let (root, api) = (server.root.clone(), server.api.clone());
        let first_page = get_ms(&client, &format!("{root}/f/HN-VNN"), None).await;
        let pages = [
            (
                "year statement (API)",
                format!("{api}/funds/HN-VNN/statement?from=2026-01-01&to=2026-12-31"),
            ),
            (
                "statement page, this month",
                format!("{root}/f/HN-VNN/bao-cao"),
            ),
            (
                "where the money went",
                format!("{api}/funds/HN-VNN/where-money-went"),
            ),
            ("campaign page", format!("{root}/f/HN-VNN/c/cao-diem-2026")),
            (
                "search gifts (API)",
                format!("{api}/funds/HN-VNN/donations?q=nguyen+van+an+4999"),
            ),
            (
                "search gifts (page)",
                format!("{root}/f/HN-VNN/sao-ke?q=nguyen+van+an+4999"),
            ),
            ("receipt page", format!("{root}/r/{code}")),
            ("receipt with proof (API)", format!("{api}/receipts/{code}")),
        ];
        let mut lines = Vec::new();
        for (name, url) in &pages {
            let (first, median) = timed(&client, url).await;
            lines.push(format!(
                "    {name:<30} first {first:>8.1} ms, then median {median:>7.1} ms"
            ));
        }
        let rss = status_kib(server.pid, "VmRSS:") / 1024;
        // The first append after the start: the writer reads the fund's
        // books before it can judge it.
        let started = Instant::now();
        post(
            &client,
            &format!("{api}/funds/HN-VNN/entries"),
            &clerk,
            &gift(written),
        )
        .await;
        let first_append = started.elapsed().as_secs_f64() * 1000.0;
        let rss_writing = status_kib(server.pid, "VmRSS:") / 1024;
        let peak = status_kib(server.pid, "VmHWM:") / 1024;
        written += 1;
        let mut verify = Vec::new();
        for deep in [false, true] {
            let started = Instant::now();
            let url = format!("{api}/funds/HN-VNN/audit/verify?deep={deep}");
            get_ms(&client, &url, Some(&inspector)).await;
            let size = written as f64 + 2.0; // fund_opened, campaign_opened
            verify.push(size / started.elapsed().as_secs_f64());
        }
        println!("  {db}, {written} gifts:");
        println!("    fill, batch appends over HTTP, one client: {fill:>9.0} gifts/s");
        println!(
            "    storage: {:.0} MiB, {:.0} bytes a gift",
            bytes as f64 / 1048576.0,
            bytes as f64 / written as f64
        );
        println!("    first fund page after kill and restart: {first_page:.1} ms");
        for l in lines {
            println!("{l}");
        }
        println!("    resident memory after all of them: {rss} MiB");
        println!(
            "    first append after the restart: {first_append:.0} ms; resident memory then: {rss_writing} MiB, peak since the restart {peak} MiB"
        );
        println!(
            "    verification: {:.0} entries/s, --deep {:.0} entries/s",
            verify[0], verify[1]
        );
    }
    server.child.start_kill().ok();
    if std::env::var_os("SOVANG_SCALE_KEEP").is_some() {
        let _ = server.child.wait().await;
        println!("  kept: {} ({url})", dir.keep().display());
    }
}

#[tokio::main]
async fn main() {
    let targets: Vec<usize> = std::env::var("SOVANG_SCALE_GIFTS")
        .unwrap_or_else(|_| "100000,1000000".into())
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .map(|n: usize| n.div_ceil(BATCH) * BATCH)
        .collect();
    let only = std::env::var("SOVANG_SCALE_DB").ok();
    println!("Sổ Vàng scale benchmark: one fund, gifts {targets:?}");
    let dir = tempfile::tempdir().expect("tempdir");
    println!(
        "  raw SHA-256, 400-byte messages, one core: {:.2} M/s",
        raw_sha256_per_s() / 1e6
    );
    println!(
        "  raw SQLite multi-row INSERT (rusqlite, 450-byte rows): {:.0} k rows/s",
        raw_sqlite_rows_per_s(dir.path()) / 1e3
    );
    if only.as_deref().is_none_or(|d| d == "sqlite") {
        run("sqlite", None, &targets).await;
    }
    if only.as_deref().is_none_or(|d| d == "postgres") {
        let admin = std::env::var("SOVANG_BENCH_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        match fresh_pg(&admin).await {
            Some(url) => run("postgres", Some(url), &targets).await,
            None => println!("  PostgreSQL at {admin} does not answer: skipped"),
        }
    }
}
