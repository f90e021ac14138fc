//! The server holds (SPEC §9): a client that sends nothing, or its
//! headers a byte at a time, or nothing more after an answer, is cut off
//! in time; connections beyond the cap wait until one closes; every answer
//! carries the security headers, and private ones are never stored; limits
//! out of range are refused at start. All as a client sees it, over TCP.

use std::time::Duration;

use serde_json::json;
use sovang::config::{Overrides, Settings};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::helpers::{spawn_on, Db, TestApp, TestDb};

const HEALTH: &[u8] = b"GET /api/v1/health HTTP/1.1\r\nHost: sovang.test\r\n\r\n";

/// The service on SQLite with its `[server]` limits changed by `change`.
async fn spawn_with(change: impl FnOnce(&mut sovang::config::Server)) -> Option<TestApp> {
    let db = TestDb::new(Db::Sqlite).await?;
    let mut settings = db.settings();
    change(&mut settings.server);
    Some(spawn_on(db, settings).await)
}

fn address(app: &TestApp) -> String {
    app.base
        .trim_start_matches("http://")
        .trim_end_matches("/api/v1")
        .to_owned()
}

/// Reads until the server closes the connection (end of stream or a
/// reset); returns how long that took from `since` and what was read, or
/// `None` if it is still open at `since + bound`.
async fn closed<R: AsyncRead + Unpin>(
    r: &mut R,
    since: Instant,
    bound: Duration,
) -> Option<(Duration, Vec<u8>)> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(since + bound, r.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0) | Err(_)) => return Some((since.elapsed(), got)),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

/// Reads one answer: its status and headers (lower-cased) and body.
async fn answer(s: &mut TcpStream) -> (u16, String, Vec<u8>) {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&got[..end]).to_lowercase();
            let status = head
                .split_whitespace()
                .nth(1)
                .and_then(|s| s.parse().ok())
                .expect("a status");
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .expect("a content-length");
            while got.len() < end + 4 + len {
                let n = s.read(&mut buf).await.expect("read the body");
                assert!(n > 0, "connection closed mid-answer");
                got.extend_from_slice(&buf[..n]);
            }
            return (status, head, got[end + 4..end + 4 + len].to_vec());
        }
        let n = s.read(&mut buf).await.expect("read an answer");
        assert!(n > 0, "connection closed before an answer");
        got.extend_from_slice(&buf[..n]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_connection_is_closed_after_the_header_timeout() {
    let Some(app) = spawn_with(|s| s.header_read_timeout_s = 1).await else {
        return;
    };
    let since = Instant::now();
    let mut s = TcpStream::connect(address(&app)).await.unwrap();
    let (after, got) = closed(&mut s, since, Duration::from_secs(10))
        .await
        .expect("the silent connection was closed");
    assert!(got.is_empty(), "{}", String::from_utf8_lossy(&got));
    assert!(
        after >= Duration::from_millis(900) && after < Duration::from_secs(4),
        "closed after {after:?}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_sent_a_byte_at_a_time_are_cut_off_at_the_header_timeout() {
    let Some(app) = spawn_with(|s| s.header_read_timeout_s = 1).await else {
        return;
    };
    let since = Instant::now();
    let (mut rd, mut wr) = TcpStream::connect(address(&app))
        .await
        .unwrap()
        .into_split();
    // Every byte comes well within any per-read limit; the headers as a
    // whole never do.
    let trickle = tokio::spawn(async move {
        wr.write_all(b"GET /api/v1/health HTTP/1.1\r\n").await?;
        for b in b"X-Slow: abcdefghijklmnopqrstuvwxyz".iter().cycle() {
            tokio::time::sleep(Duration::from_millis(300)).await;
            wr.write_all(&[*b]).await?;
        }
        Ok::<(), std::io::Error>(())
    });
    let (after, got) = closed(&mut rd, since, Duration::from_secs(10))
        .await
        .expect("the slow connection was closed");
    trickle.abort();
    assert!(got.is_empty(), "{}", String::from_utf8_lossy(&got));
    assert!(
        after >= Duration::from_millis(900) && after < Duration::from_secs(4),
        "closed after {after:?}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_alive_connection_is_closed_after_the_idle_timeout() {
    let Some(app) = spawn_with(|s| {
        s.header_read_timeout_s = 1;
        s.idle_timeout_s = 3;
    })
    .await
    else {
        return;
    };
    let mut s = TcpStream::connect(address(&app)).await.unwrap();
    s.write_all(HEALTH).await.unwrap();
    assert_eq!(answer(&mut s).await.0, 200);
    // Waiting longer than the header timeout between requests is idling,
    // not sending headers slowly: the connection serves the next one.
    tokio::time::sleep(Duration::from_millis(1_800)).await;
    s.write_all(HEALTH).await.unwrap();
    let (status, head, _) = answer(&mut s).await;
    assert_eq!(status, 200);
    assert!(!head.contains("connection: close"), "{head}");
    let since = Instant::now();
    let (after, got) = closed(&mut s, since, Duration::from_secs(10))
        .await
        .expect("the idle connection was closed");
    assert!(got.is_empty(), "{}", String::from_utf8_lossy(&got));
    assert!(
        after >= Duration::from_millis(2_800) && after < Duration::from_secs(6),
        "closed after {after:?}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_cap_wait_until_one_closes() {
    let Some(app) = spawn_with(|s| s.max_connections = 2).await else {
        return;
    };
    let addr = address(&app);
    let mut first = TcpStream::connect(&addr).await.unwrap();
    first.write_all(HEALTH).await.unwrap();
    assert_eq!(answer(&mut first).await.0, 200);
    let mut second = TcpStream::connect(&addr).await.unwrap();
    second.write_all(HEALTH).await.unwrap();
    assert_eq!(answer(&mut second).await.0, 200);

    // The third connects (the system queues it) but is not served...
    let mut third = TcpStream::connect(&addr).await.unwrap();
    third.write_all(HEALTH).await.unwrap();
    assert!(
        tokio::time::timeout(Duration::from_millis(1_500), answer(&mut third))
            .await
            .is_err(),
        "a third connection was served while two were open"
    );
    // ...until one of the first two closes.
    drop(first);
    let (status, _, _) = tokio::time::timeout(Duration::from_secs(5), answer(&mut third))
        .await
        .expect("the third connection was served once the first closed");
    assert_eq!(status, 200);
    drop(second);
    drop(third);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_body_that_does_not_arrive_in_time_is_answered_408() {
    let Some(app) = spawn_with(|s| s.request_timeout_s = 1).await else {
        return;
    };
    let clerk = app.with_fund().await;
    let mut s = TcpStream::connect(address(&app)).await.unwrap();
    let since = Instant::now();
    s.write_all(
        format!(
            "POST /api/v1/funds/HN-VNN/entries HTTP/1.1\r\nHost: sovang.test\r\n\
             Authorization: Bearer {clerk}\r\nContent-Type: application/json\r\n\
             Content-Length: 200\r\n\r\n{{\"kind\": \"donation_cash\""
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let (status, head, body) = tokio::time::timeout(Duration::from_secs(5), answer(&mut s))
        .await
        .expect("an answer in time");
    assert!(since.elapsed() >= Duration::from_millis(900));
    assert_eq!(status, 408, "{head}");
    assert!(
        head.contains("content-type: application/problem+json"),
        "{head}"
    );
    let problem: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(problem["type"], "/problems/request-timeout");
    assert_eq!(problem["status"], 408);
    assert_eq!(app.size("HN-VNN").await, 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_the_server_cannot_answer_in_time_is_answered_503() {
    use sqlx::Connection as _;
    let Some(app) = spawn_with(|s| s.request_timeout_s = 1).await else {
        return;
    };
    let clerk = app.with_fund().await;
    // Another program holds the database's write lock.
    let mut holder = sqlx::SqliteConnection::connect(&app.db.database_url())
        .await
        .unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut holder)
        .await
        .unwrap();
    let gift = crate::helpers::gift(json!("500000"));
    let since = Instant::now();
    let a = app
        .post_raw(
            "/funds/HN-VNN/entries",
            Some(&clerk),
            Some("held-1"),
            gift.to_string(),
        )
        .await;
    let took = since.elapsed();
    a.problem(503);
    assert_eq!(a.body["type"], "/problems/timed-out");
    assert!(
        a.body["detail"]
            .as_str()
            .unwrap()
            .contains("same Idempotency-Key"),
        "{}",
        a.text
    );
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(5),
        "{took:?}"
    );
    sqlx::query("ROLLBACK").execute(&mut holder).await.unwrap();
    holder.close().await.unwrap();
    // The same key again: the gift is recorded once.
    let again = app
        .post_raw(
            "/funds/HN-VNN/entries",
            Some(&clerk),
            Some("held-1"),
            gift.to_string(),
        )
        .await;
    assert_eq!(again.status, 201, "{}", again.text);
    assert_eq!(app.size("HN-VNN").await, 2);
    app.stop().await;
}

fn header<'a>(h: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// Headers every answer has.
fn assert_common(h: &reqwest::header::HeaderMap, what: &str) {
    assert_eq!(header(h, "x-content-type-options"), "nosniff", "{what}");
    assert_eq!(header(h, "referrer-policy"), "no-referrer", "{what}");
    assert!(
        header(h, "content-security-policy").contains("frame-ancestors 'none'"),
        "{what}: {h:?}"
    );
}

async fn pages_and_answers_carry_the_security_headers(app: TestApp) {
    app.with_fund().await;
    let root = app.base.trim_end_matches("/api/v1").to_owned();
    for path in [
        "/",
        "/f/HN-VNN",
        "/f/HN-VNN/sao-ke",
        "/login",
        "/no-such-page",
    ] {
        let r = app
            .client
            .get(format!("{root}{path}"))
            .send()
            .await
            .unwrap();
        let h = r.headers().clone();
        assert!(
            header(&h, "content-type").starts_with("text/html"),
            "{path}"
        );
        assert_common(&h, path);
        let csp = header(&h, "content-security-policy");
        for directive in [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "form-action 'self'",
        ] {
            assert!(csp.contains(directive), "{path}: {csp}");
        }
        assert!(!csp.contains("unsafe"), "{path}: {csp}");
        // Nothing on the pages would be refused by that policy.
        let body = r.text().await.unwrap();
        assert!(!body.contains(" style="), "{path}");
        assert!(!body.contains(" onclick="), "{path}");
    }
    // Public pages and answers may be cached; the sign-in page may not.
    for (path, stored) in [
        ("/f/HN-VNN", true),
        ("/api/v1/funds/HN-VNN", true),
        ("/login", false),
    ] {
        let r = app
            .client
            .get(format!("{root}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            header(r.headers(), "cache-control") != "no-store",
            stored,
            "{path}"
        );
    }
    for path in ["/funds/HN-VNN", "/health", "/no-such-thing"] {
        let a = app.get(path).await;
        assert_common(&a.headers, path);
        assert_eq!(
            header(&a.headers, "content-security-policy"),
            "default-src 'none'; frame-ancestors 'none'",
            "{path}"
        );
    }
}

async fn private_answers_are_never_stored(app: TestApp) {
    app.committee("HN", None).await;
    app.committee("HN-PX", Some("HN")).await;
    app.fund("PX-VNN", "HN-PX").await;
    let clerk = app.token("clerk", "HN-PX").await;
    let inspector = app.token("inspector", "HN").await;
    app.record_batch(
        "PX-VNN",
        &clerk,
        vec![json!({"kind": "household_registered",
            "body": {"household_id": "ho-1", "commune_code": "HN-PX", "hamlet": "Thôn Hạ",
                     "category": "poor", "members": 3, "review_year": 2026},
            "private": {"head_name": "Hoàng Thị Nguyệt", "cccd": "036184009876",
                        "phone": "0987654321", "address": "Xóm 4"}})],
    )
    .await;
    for (path, token) in [
        ("/households/ho-1", &inspector),
        ("/audit/access-log", &inspector),
        ("/tokens", &app.admin),
    ] {
        let a = app.get_as(path, token).await;
        assert_eq!(a.status, 200, "{path}: {}", a.text);
        assert_common(&a.headers, path);
        assert_eq!(header(&a.headers, "cache-control"), "no-store", "{path}");
    }
    assert!(app
        .get_as("/households/ho-1", &inspector)
        .await
        .text
        .contains("036184009876"));
    // The console, signed in.
    crate::console::user(&app, "lan", "clerk", "HN-PX").await;
    let root = app.base.trim_end_matches("/api/v1").to_owned();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let (login_cookie, token) = crate::console::login_token(&client, &root).await;
    let signed_in = client
        .post(format!("{root}/login"))
        .header("cookie", login_cookie)
        .form(&[
            ("login_csrf", token.as_str()),
            ("username", "lan"),
            ("password", "mật khẩu dài 123"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 303);
    assert_eq!(header(signed_in.headers(), "cache-control"), "no-store");
    let cookie = header(signed_in.headers(), "set-cookie")
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    for path in ["/console", "/console/f/PX-VNN/gift"] {
        let r = client
            .get(format!("{root}{path}"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let h = r.headers().clone();
        assert_common(&h, path);
        assert!(
            header(&h, "content-security-policy").contains("script-src 'self'"),
            "{path}"
        );
        assert_eq!(header(&h, "cache-control"), "no-store", "{path}");
        assert!(r.text().await.unwrap().contains("lan"), "{path}");
    }
}

crate::both!(
    pages_and_answers_carry_the_security_headers,
    private_answers_are_never_stored
);

/// Settings with `toml` as the `--config` file.
fn load(toml: &str) -> Result<Settings, String> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sovang.toml");
    std::fs::write(&file, toml).unwrap();
    Settings::load(&Overrides {
        config_file: Some(file),
        ..Overrides::default()
    })
    .map_err(|e| e.to_string())
}

#[test]
fn limits_out_of_range_are_refused_by_name() {
    let s = load("").expect("the defaults load");
    assert_eq!(
        (
            s.server.header_read_timeout_s,
            s.server.request_timeout_s,
            s.server.idle_timeout_s,
            s.server.max_connections
        ),
        (10, 30, 60, 1024)
    );
    for (toml, name) in [
        ("header_read_timeout_s = 0", "server.header_read_timeout_s"),
        (
            "header_read_timeout_s = 86400",
            "server.header_read_timeout_s",
        ),
        ("request_timeout_s = 0", "server.request_timeout_s"),
        ("request_timeout_s = 1000000", "server.request_timeout_s"),
        ("idle_timeout_s = 0", "server.idle_timeout_s"),
        ("max_connections = 0", "server.max_connections"),
        ("max_connections = 100000000", "server.max_connections"),
        ("max_connections = -1", "max_connections"),
        ("idle_timeout_s = \"soon\"", "idle_timeout_s"),
    ] {
        let e = load(&format!("[server]\n{toml}\n")).expect_err(toml);
        assert!(e.contains(name), "{toml}: {e}");
    }
}

/// The signing interval: 1 second unless set, 0 to sign at every
/// commit, at most a minute.
#[test]
fn the_checkpoint_interval_is_read_and_bounded() {
    assert_eq!(load("").unwrap().ledger.checkpoint_interval_ms, 1000);
    for ms in ["0", "60000"] {
        let s = load(&format!(
            "[ledger]\norigin_prefix = \"sovang.local\"\ncheckpoint_interval_ms = {ms}\n"
        ))
        .unwrap_or_else(|e| panic!("{ms}: {e}"));
        assert_eq!(s.ledger.checkpoint_interval_ms.to_string(), ms);
    }
    // (A decimal is rounded by the settings reader, as for every whole
    // number setting: 1.5 reads as 2.)
    for bad in ["60001", "-1", "\"soon\""] {
        let e = load(&format!(
            "[ledger]\norigin_prefix = \"sovang.local\"\ncheckpoint_interval_ms = {bad}\n"
        ))
        .expect_err(bad);
        assert!(e.contains("checkpoint_interval_ms"), "{bad}: {e}");
    }
}

#[tokio::test]
async fn the_server_will_not_start_with_a_limit_out_of_range() {
    let dir = tempfile::tempdir().unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_sovang"))
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env("SOVANG__SERVER__MAX_CONNECTIONS", "0")
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(60), out)
        .await
        .expect("it stopped")
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("server.max_connections must be from 1 to 100000, not 0"),
        "{err}"
    );
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
