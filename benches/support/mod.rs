//! What the benches that run `sovang serve` as its own process share: the
//! server, its memory, a POST, and the gift they fill funds with.
#![allow(dead_code)]

use serde_json::{json, Value};
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
