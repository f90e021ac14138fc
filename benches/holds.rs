//! `cargo bench --bench holds`: how `/health` answers (median, 99th
//! percentile and worst of 2,000 requests, one after another on one kept-
//! alive connection) with no attack, and while 8 clients loop sending
//! wrong passwords to the console's sign-in:
//!
//! - from one address, at one username: after five failures the back-off
//!   refuses them without checking the password (429), so the attack costs
//!   the server a page each;
//! - from ever new addresses (127.0.x.y, each used for four attempts, below
//!   the back-off) at ever new usernames: every attempt is an Argon2id
//!   check, on the blocking threads, the worst a many-address attack can
//!   do.
//!
//! Beside them, the raw figure: one Argon2id check on one core, measured
//! in the same run. The server runs as its own process (release build,
//! SQLite); the clients share the machine's two cores with it.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
#[path = "support/mod.rs"]
mod support;
use support::figures;

const HEALTH_REQUESTS: usize = 2_000;
const ATTACKERS: usize = 8;
/// Attempts from one address before the next, below the back-off's five.
const ATTEMPTS_PER_ADDRESS: u32 = 4;

#[derive(Default)]
struct Tally {
    refused_unchecked: AtomicU64,
    checked: AtomicU64,
    other: AtomicU64,
}

async fn health_latencies(client: &reqwest::Client, url: &str) -> Vec<f64> {
    let mut ms = Vec::with_capacity(HEALTH_REQUESTS);
    for _ in 0..HEALTH_REQUESTS {
        let started = Instant::now();
        let r = client.get(url).send().await.expect("GET /health");
        assert!(r.status().is_success(), "/health: {}", r.status());
        let _ = r.bytes().await.expect("body");
        ms.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    ms
}

/// One attacker: wrong passwords until `stop`, from 127.0.0.1 at one name,
/// or (`spread`) from a new address and name every few attempts.
async fn attack(root: String, n: usize, spread: bool, stop: Arc<AtomicBool>, tally: Arc<Tally>) {
    let mut attempt: u32 = 0;
    let mut client = None;
    while !stop.load(Ordering::Relaxed) {
        if client.is_none() || (spread && attempt.is_multiple_of(ATTEMPTS_PER_ADDRESS)) {
            let mut b = reqwest::Client::builder();
            if spread {
                // 127.0.x.y: each attacker its own x, a new y (and name)
                // every few attempts; the whole 127/8 is this machine.
                let k = attempt / ATTEMPTS_PER_ADDRESS;
                let ip =
                    Ipv4Addr::new(127, 1 + n as u8, (k / 250 % 250) as u8, 1 + (k % 250) as u8);
                b = b.local_address(IpAddr::V4(ip));
            }
            client = Some(b.build().expect("client"));
        }
        let Some(c) = &client else { break };
        let username = if spread {
            format!("guess-{n}-{}", attempt / ATTEMPTS_PER_ADDRESS)
        } else {
            "lan".to_owned()
        };
        attempt = attempt.wrapping_add(1);
        // The sign-in form's CSRF token, from its cookie (the form holds
        // the same value).
        let token = match c.get(format!("{root}/login")).send().await {
            Ok(form) => form
                .headers()
                .get("set-cookie")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(';').next())
                .and_then(|v| v.strip_prefix("sv_login="))
                .map(str::to_owned)
                .unwrap_or_default(),
            Err(_) => String::new(),
        };
        let r = c
            .post(format!("{root}/login"))
            .header("cookie", format!("sv_login={token}"))
            .form(&[
                ("login_csrf", token.as_str()),
                ("username", username.as_str()),
                ("password", "sai mật khẩu"),
            ])
            .send()
            .await;
        let counter = match r.as_ref().map(reqwest::Response::status) {
            Ok(s) if s == 429 => &tally.refused_unchecked,
            Ok(s) if s == 401 => &tally.checked,
            _ => &tally.other,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        if let Ok(r) = r {
            let _ = r.bytes().await;
        }
    }
}

#[tokio::main]
async fn main() {
    println!("Sổ Vàng: /health while the sign-in is attacked (SQLite, server in its own process)");

    // The raw figure: one Argon2id check, the service's parameters.
    let hash = sovang::auth::hash_password("mật khẩu dài 123").expect("hash");
    let mut raw = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        assert!(!sovang::auth::password_matches("sai mật khẩu", &hash));
        raw.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let (argon_median, _, _) = figures(raw);
    println!(
        "  raw: one Argon2id check on one core {argon_median:>8.1} ms ({:.0}/s a core)",
        1000.0 / argon_median
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = support::Server::start(dir.path(), None, "error").await;
    let (root, base) = (server.root.clone(), server.api.clone());
    let admin = std::fs::read_to_string(dir.path().join("admin.token"))
        .expect("admin token")
        .trim()
        .to_owned();
    let client = reqwest::Client::new();
    let r = client
        .post(format!("{base}/committees"))
        .bearer_auth(&admin)
        .json(&json!({"code": "HN", "name": "Hà Nội"}))
        .send()
        .await
        .expect("POST /committees");
    assert!(r.status().is_success(), "committee: {}", r.status());
    let made = tokio::process::Command::new(env!("CARGO_BIN_EXE_sovang"))
        .args([
            "user",
            "create",
            "--username",
            "lan",
            "--role",
            "clerk",
            "--committee",
            "HN",
            "--name",
            "Chị Lan",
            "--data-dir",
        ])
        .arg(dir.path())
        .env("SOVANG_PASSWORD", "mật khẩu dài 123")
        .env("RUST_LOG", "error")
        .output()
        .await
        .expect("sovang user create");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );

    let health = format!("{base}/health");
    // Warm up the connection and the pool.
    let _ = health_latencies(&client, &health).await;
    let (m, p99, worst) = figures(health_latencies(&client, &health).await);
    println!(
        "  /health, {:<38} median {m:>6.2} ms  p99 {p99:>7.2} ms  worst {worst:>7.2} ms",
        "no attack"
    );

    for (name, spread) in [
        ("8 attackers, one address and name", false),
        ("8 attackers, new addresses and names", true),
    ] {
        let stop = Arc::new(AtomicBool::new(false));
        let tally = Arc::new(Tally::default());
        let attackers: Vec<_> = (0..ATTACKERS)
            .map(|n| {
                tokio::spawn(attack(
                    root.clone(),
                    n,
                    spread,
                    Arc::clone(&stop),
                    Arc::clone(&tally),
                ))
            })
            .collect();
        tokio::time::sleep(Duration::from_secs(1)).await;
        let before = (
            tally.refused_unchecked.load(Ordering::Relaxed),
            tally.checked.load(Ordering::Relaxed),
        );
        let started = Instant::now();
        let (m, p99, worst) = figures(health_latencies(&client, &health).await);
        let took = started.elapsed().as_secs_f64();
        stop.store(true, Ordering::Relaxed);
        for a in attackers {
            let _ = a.await;
        }
        let refused = tally.refused_unchecked.load(Ordering::Relaxed) - before.0;
        let checked = tally.checked.load(Ordering::Relaxed) - before.1;
        println!(
            "  /health, {name:<38} median {m:>6.2} ms  p99 {p99:>7.2} ms  worst {worst:>7.2} ms\n    \
             sign-ins meanwhile: {:.0}/s checked (401), {:.0}/s refused unchecked (429), {} other",
            checked as f64 / took,
            refused as f64 / took,
            tally.other.load(Ordering::Relaxed)
        );
    }
    let _ = server.child.kill().await;
}
