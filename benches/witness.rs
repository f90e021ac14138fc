//! `cargo bench --bench witness`: appends while the fund's witness (named
//! in `witnessing.policy_file`, in another `sovang serve` process, behind a
//! relay) is up, down (nothing listens on its port) and slow (answers after
//! 30 s, past the 1 s `witnessing.timeout_ms`), and with no witness at all
//! (`witnessing.push = false`) for the limit.
//!
//! Each run records 2,000 gifts, one a request, from 4 clients at once, on
//! a fresh SQLite fund (release build, its own process), and gives the
//! appends a second and their median, 99th percentile and worst latency.
//! Then the witness comes back (down: the relay starts listening on its
//! port; slow: it forwards at once) and the run measures how long until
//! the fund's served checkpoint is the newest and carries the witness's
//! cosignature: the catch-up. Beside them, the machine's raw limits in the
//! same run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use sovang::ledger::witness::CosignerKey;

#[path = "support/relay.rs"]
mod relay;
#[path = "support/mod.rs"]
mod support;
use support::{figures, post, raw_sha256_per_s, raw_sqlite_rows_per_s, Server};

const GIFTS: usize = 2_000;
const CLIENTS: usize = 4;
const TIMEOUT_MS: u64 = 1_000;

#[derive(Clone, Copy, PartialEq)]
enum Witness {
    None,
    Up,
    Down,
    Slow,
}

impl Witness {
    /// A committee of its own for each run: a fund's origin names its
    /// code, and the centre remembers what it cosigned for each origin.
    fn committee(self, round: &str) -> String {
        let c = match self {
            Witness::None => "N",
            Witness::Up => "U",
            Witness::Down => "D",
            Witness::Slow => "S",
        };
        format!("P{c}{}", round.len())
    }

    fn name(self) -> &'static str {
        match self {
            Witness::None => "no witness",
            Witness::Up => "witness up",
            Witness::Down => "witness down",
            Witness::Slow => "witness slow",
        }
    }
}

async fn sovang(args: &[&str], dir: &std::path::Path) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_sovang"))
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env("RUST_LOG", "error")
        .output()
        .await
        .expect("run sovang");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn run(w: Witness, round: &str, centre: &Server, centre_dir: &std::path::Path, tw_key: &str) {
    let tw = CosignerKey::parse(tw_key).expect("witness key");
    let dir = tempfile::tempdir().expect("tempdir");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("relay port");
    let port = listener.local_addr().expect("address");
    let mode = if w == Witness::Slow {
        relay::SLOW
    } else {
        relay::UP
    };
    let r = relay::Relay::new(
        &format!("{}/witness", centre.root),
        &tw.name,
        mode,
        Duration::from_secs(30),
    );
    let url = format!("http://{port}/witness");
    if w == Witness::Down {
        drop(listener);
    } else {
        relay::serve(Arc::clone(&r), listener);
    }
    std::fs::write(
        dir.path().join("witnesses.policy"),
        format!("witness centre {tw_key} {url}\nquorum centre\n"),
    )
    .expect("policy");
    std::fs::write(
        dir.path().join("local.toml"),
        format!(
            "[witnessing]\npush = {}\npolicy_file = \"witnesses.policy\"\ntimeout_ms = {TIMEOUT_MS}\n",
            w != Witness::None
        ),
    )
    .expect("local.toml");
    let committee = w.committee(round);
    let server = Server::start(dir.path(), None, "error").await;
    let fund_code = format!("{committee}-VNN");
    let admin = std::fs::read_to_string(dir.path().join("admin.token")).expect("admin token");
    let admin = admin.trim();
    let client = reqwest::Client::new();
    let api = server.api.clone();
    post(
        &client,
        &format!("{api}/committees"),
        admin,
        &json!({"code": committee, "name": "Ủy ban MTTQ phường Ba Đình"}),
    )
    .await;
    let fund = post(
        &client,
        &format!("{api}/funds"),
        admin,
        &json!({"code": fund_code, "committee_code": committee, "kind": "for_the_poor"}),
    )
    .await;
    let origin = fund["origin"].as_str().expect("origin");
    let vkey = fund["verifier_key"].as_str().expect("vkey");
    sovang(
        &[
            "witness",
            "add-log",
            "--committee",
            "TW",
            "--origin",
            origin,
            "--vkey",
            vkey,
        ],
        centre_dir,
    )
    .await;
    let clerk = post(
        &client,
        &format!("{api}/tokens"),
        admin,
        &json!({"name": "clerk", "role": "clerk", "committee_code": committee}),
    )
    .await;
    let clerk = clerk["token"].as_str().expect("token").to_owned();

    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let (client, api, clerk) = (client.clone(), api.clone(), clerk.clone());
        let fund_code = fund_code.clone();
        tasks.push(tokio::spawn(async move {
            let mut ms = Vec::with_capacity(GIFTS / CLIENTS);
            for i in (c..GIFTS).step_by(CLIENTS) {
                let g = support::gift(i);
                let t = Instant::now();
                let r = client
                    .post(format!("{api}/funds/{fund_code}/entries"))
                    .bearer_auth(&clerk)
                    .json(&json!({"kind": g["kind"], "body": {
                        "donor": g["body"]["donor"], "amount_vnd": g["body"]["amount_vnd"],
                        "channel": "cash", "received_on": "2026-11-01"}}))
                    .send()
                    .await
                    .expect("POST");
                assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
                let _ = r.bytes().await;
                ms.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            ms
        }));
    }
    let mut ms = Vec::with_capacity(GIFTS);
    for t in tasks {
        ms.extend(t.await.expect("client"));
    }
    let took = started.elapsed().as_secs_f64();
    let (p50, p99, worst) = figures(ms);
    let calls = r.calls();

    // The witness comes back; how long until it vouches for the newest?
    let back = Instant::now();
    match w {
        Witness::Down => {
            let l = tokio::net::TcpListener::bind(port)
                .await
                .expect("the relay's port again");
            relay::serve(Arc::clone(&r), l);
        }
        Witness::Slow => r.set(relay::UP),
        _ => {}
    }
    let mut catch_up = None;
    if w != Witness::None {
        let deadline = Instant::now() + Duration::from_secs(120);
        while Instant::now() < deadline {
            let size: u64 = client
                .get(format!("{api}/funds/{fund_code}"))
                .send()
                .await
                .expect("GET fund")
                .json::<serde_json::Value>()
                .await
                .expect("json")["size"]
                .as_u64()
                .unwrap_or(0);
            let note = client
                .get(format!("{api}/funds/{fund_code}/checkpoint"))
                .send()
                .await
                .expect("GET checkpoint")
                .text()
                .await
                .expect("text");
            let at: u64 = note
                .lines()
                .nth(1)
                .and_then(|l| l.parse().ok())
                .unwrap_or(0);
            if at == size && tw.verify(&note).is_some() {
                catch_up = Some(back.elapsed().as_secs_f64());
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    println!(
        "{:<13} {GIFTS} appends in {took:.1} s: {:.0}/s; latency median {p50:.1} ms, p99 {p99:.1} ms, worst {worst:.1} ms; \
         witness calls while appending {calls}; cosigned the newest checkpoint {} after it came back",
        w.name(),
        GIFTS as f64 / took,
        match (w, catch_up) {
            (Witness::None, _) => "-".to_owned(),
            (_, Some(s)) => format!("{s:.1} s"),
            (_, None) => "not within 120 s".to_owned(),
        },
    );
}

#[tokio::main]
async fn main() {
    let raw = tempfile::tempdir().expect("tempdir");
    println!(
        "raw limits: SQLite {:.0} rows/s (rusqlite, 100-row INSERTs, a commit per 10,000), SHA-256 {:.0} messages/s (400 bytes, one core)",
        raw_sqlite_rows_per_s(raw.path()),
        raw_sha256_per_s()
    );
    let centre_dir = tempfile::tempdir().expect("tempdir");
    let centre = Server::start(centre_dir.path(), None, "error").await;
    let admin = std::fs::read_to_string(centre_dir.path().join("admin.token")).expect("admin");
    let client = reqwest::Client::new();
    post(
        &client,
        &format!("{}/committees", centre.api),
        admin.trim(),
        &json!({"code": "TW", "name": "Ủy ban Trung ương MTTQ Việt Nam"}),
    )
    .await;
    let committees: serde_json::Value = client
        .get(format!("{}/committees", centre.api))
        .send()
        .await
        .expect("committees")
        .json()
        .await
        .expect("json");
    let tw_key = committees["committees"][0]["witness_key"]
        .as_str()
        .expect("witness key")
        .to_owned();
    // Twice round: the first runs also warm the machine up.
    for round in ["first", "second"] {
        println!("{round} round:");
        for w in [Witness::None, Witness::Up, Witness::Down, Witness::Slow] {
            run(w, round, &centre, centre_dir.path(), &tw_key).await;
        }
    }
}
