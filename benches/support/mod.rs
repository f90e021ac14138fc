//! What the benches that run `sovang serve` as its own process share: the
//! server, its memory, a POST, and the gift they fill funds with.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sha2::Digest;
use tokio::io::AsyncBufReadExt;

/// A `sovang serve` child process and where it answers.
pub struct Server {
    pub child: tokio::process::Child,
    pub pid: u32,
    /// `http://127.0.0.1:PORT`
    pub root: String,
    /// `<root>/api/v1`
    pub api: String,
}

impl Server {
    /// Starts `sovang serve` on a free port with its data in `dir`, on
    /// `database_url` (SQLite in `dir` when none), logging at `log`.
    pub async fn start(dir: &std::path::Path, database_url: Option<&str>, log: &str) -> Self {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_sovang"));
        cmd.args(["serve", "--bind", "127.0.0.1:0"]);
        if let Some(url) = database_url {
            cmd.args(["--database-url", url]);
        }
        let mut child = cmd
            .arg("--data-dir")
            .arg(dir)
            .env("RUST_LOG", log)
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn sovang");
        let pid = child.id().expect("pid");
        let stdout = child.stdout.take().expect("stdout");
        let line = tokio::io::BufReader::new(stdout)
            .lines()
            .next_line()
            .await
            .expect("read")
            .expect("a line");
        let root = line
            .strip_prefix("sovang listening on ")
            .expect("listening line")
            .to_owned();
        Self {
            child,
            pid,
            api: format!("{root}/api/v1"),
            root,
        }
    }
}

/// A field of `/proc/PID/status` in KiB (`VmRSS:`, `VmHWM:`).
pub fn status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// POSTs `body` with `token`; the answer must be a success.
pub async fn post(client: &reqwest::Client, url: &str, token: &str, body: &Value) -> Value {
    let r = client
        .post(url)
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("POST");
    assert!(r.status().is_success(), "{url}: {}", r.status());
    r.json().await.expect("JSON")
}

/// Gift `i`, as a bank's lines give them; every other one to the
/// peak-month campaign `cao-diem-2026`.
pub fn gift(i: usize) -> Value {
    let mut g = json!({"kind": "donation_cash", "body": {
        "donor": {"display": format!("Nguyễn Văn Ân {i}"), "kind": "individual"},
        "amount_vnd": (100_000 + (i % 50) * 10_000).to_string(), "channel": "bank_transfer",
        "received_on": "2026-11-01", "bank_ref": format!("FT26305{i:08}")}});
    if i.is_multiple_of(2) {
        g["body"]["campaign_id"] = json!("cao-diem-2026");
    }
    g
}

/// Median, 99th percentile and worst of latencies in milliseconds.
pub fn figures(mut ms: Vec<f64>) -> (f64, f64, f64) {
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() as f64 * q) as usize).min(ms.len() - 1)];
    (at(0.5), at(0.99), ms[ms.len() - 1])
}

/// SHA-256 of 400-byte messages a second on one core.
pub fn raw_sha256_per_s() -> f64 {
    let msg = [7u8; 400];
    let started = Instant::now();
    let mut n = 0u64;
    let mut acc = [0u8; 32];
    while started.elapsed() < Duration::from_millis(500) {
        for _ in 0..1000 {
            let h = sha2::Sha256::digest(msg);
            acc[0] ^= h[0];
        }
        n += 1000;
    }
    std::hint::black_box(acc);
    n as f64 / started.elapsed().as_secs_f64()
}

/// Rows a second into a table of (seq, hash, text of 450 bytes), 1,000 a
/// statement, one commit per 10,000.
pub fn raw_sqlite_rows_per_s(dir: &std::path::Path) -> f64 {
    let c = rusqlite::Connection::open(dir.join("raw.db")).expect("raw db");
    c.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
         CREATE TABLE t (seq INTEGER PRIMARY KEY, hash BLOB NOT NULL, canonical TEXT NOT NULL);",
    )
    .expect("raw schema");
    let text = "x".repeat(450);
    let row = "(?, ?, ?)";
    let sql = format!(
        "INSERT INTO t (seq, hash, canonical) VALUES {}",
        vec![row; 100].join(", ")
    );
    let started = Instant::now();
    let mut seq: i64 = 0;
    while seq < 200_000 {
        let tx = c.unchecked_transaction().expect("tx");
        {
            let mut st = tx.prepare_cached(&sql).expect("prepare");
            for _ in 0..100 {
                let mut params: Vec<Box<dyn rusqlite::ToSql>> = Vec::with_capacity(300);
                for _ in 0..100 {
                    params.push(Box::new(seq));
                    params.push(Box::new(vec![seq as u8; 32]));
                    params.push(Box::new(text.clone()));
                    seq += 1;
                }
                st.execute(rusqlite::params_from_iter(params.iter()))
                    .expect("insert");
            }
        }
        tx.commit().expect("commit");
    }
    seq as f64 / started.elapsed().as_secs_f64()
}

/// A fresh PostgreSQL database on the server of `admin_url`, or none
/// when it does not answer.
pub async fn fresh_pg(admin_url: &str) -> Option<String> {
    use sqlx::Connection;
    let mut c = sqlx::PgConnection::connect(admin_url).await.ok()?;
    let name = format!("sovang_scale_{}", std::process::id());
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut c)
        .await
        .ok()?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut c)
        .await
        .ok()?;
    let base = admin_url.rsplit_once('/').map_or(admin_url, |(b, _)| b);
    Some(format!("{base}/{name}"))
}
