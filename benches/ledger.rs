//! `cargo bench`: the service's throughput beside the machine's raw limits,
//! measured in one run on SQLite and (when reachable) PostgreSQL.
//!
//! Figures:
//! - raw SHA-256 of 400-byte messages on one core;
//! - raw multi-row INSERT rate and raw single-row durable commit rate, with
//!   the same sqlx driver and settings as the service (WAL, synchronous=FULL);
//! - batch appends over HTTP (1,000 entries a request);
//! - single-entry appends over HTTP from 32 keep-alive clients that send
//!   ready-made requests (as `wrk` does), so the client costs next to nothing;
//! - full verification of the fund (`Store::verify_fund`);
//! - receipt lookups with inclusion proof over HTTP from 32 clients.
//!
//! The HTTP clients run on the same two cores as the server, so HTTP figures
//! include the clients' own cost.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sovang::app::Application;
use sovang::config::{Overrides, Settings};
use sovang::ledger::ids::Code;
use sovang::ledger::state::Draft;
use sovang::store::writer::Writer;
use sovang::store::Store;
use sqlx::any::AnyPoolOptions;
use sqlx::Executor;

const BATCHES: usize = 60;
const SINGLE_APPENDS: usize = 32_000;
const RECEIPT_LOOKUPS: usize = 10_000;
const CLIENTS: usize = 32;
const RAW_INSERT_ROWS: usize = 100_000;
const RAW_COMMITS: usize = 1_000;

fn rate(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

fn line(name: &str, n: usize, d: Duration) -> f64 {
    let r = rate(n, d);
    println!(
        "  {name:<48} {r:>12.0} /s   ({n} in {:.2}s)",
        d.as_secs_f64()
    );
    r
}

fn sha256_rate() -> f64 {
    let msg = [7u8; 400];
    let n = 2_000_000;
    let start = Instant::now();
    let mut acc = [0u8; 32];
    for i in 0..n {
        let mut h = Sha256::new();
        h.update((i as u64).to_le_bytes());
        h.update(msg);
        acc = h.finalize().into();
    }
    std::hint::black_box(acc);
    line(
        "raw SHA-256, 400-byte messages, one core",
        n,
        start.elapsed(),
    )
}

/// Parsing and sealing alone (no database): the CPU ceiling of appends.
fn core_rate() {
    use sovang::ledger::state::{apply, Context, FundState};
    let now = time::OffsetDateTime::now_utc();
    let mut state = FundState::empty(Code::parse("HN-VNN", "f").expect("code"));
    // Entry 0 must be fund_opened; the rules refuse gifts before it.
    let opened = sovang::ledger::kinds::FundOpened {
        committee_code: Code::parse("HN", "c").expect("code"),
        committee_name: "Hà Nội".into(),
        fund_code: Code::parse("HN-VNN", "f").expect("code"),
        fund_kind: sovang::ledger::kinds::FundKind::ForThePoor,
        origin: "sovang.local/fund/HN-VNN".into(),
        verifier_key: "k".into(),
    };
    let policy = sovang::ledger::policy::Policy::permissive(20_000_000);
    let ctx = Context {
        actor: "bench",
        now,
        policy: &policy,
    };
    let draft = Draft {
        body: sovang::ledger::kinds::Body::FundOpened(opened),
        private: None,
        bank_line: None,
    };
    apply(&mut state, draft, &ctx).expect("opened");
    let bodies: Vec<Value> = (0..60_000).map(|i| gift(i)["body"].clone()).collect();
    let start = Instant::now();
    let parsed: Vec<Draft> = bodies
        .into_iter()
        .map(|b| Draft::parse("donation_cash", b, None, now).expect("valid"))
        .collect();
    line(
        "parse gift bodies (JSON value to checked draft)",
        parsed.len(),
        start.elapsed(),
    );
    let start = Instant::now();
    let n = parsed.len();
    for d in parsed {
        std::hint::black_box(apply(&mut state, d, &ctx).expect("applied"));
    }
    line(
        "apply: canonical text, leaf hash, Merkle frontier",
        n,
        start.elapsed(),
    );
}

/// One connection, durable commits (SQLite: WAL, synchronous FULL); with
/// `as_writer`, also the writer's foreign keys and no checkpoint at commit.
async fn one_connection(url: &str, sqlite: bool, as_writer: bool) -> sqlx::AnyPool {
    AnyPoolOptions::new()
        .max_connections(1)
        .after_connect(move |c, _| {
            Box::pin(async move {
                if sqlite {
                    c.execute("PRAGMA journal_mode = WAL").await?;
                    c.execute("PRAGMA synchronous = FULL").await?;
                    if as_writer {
                        c.execute("PRAGMA foreign_keys = ON").await?;
                        c.execute("PRAGMA wal_autocheckpoint = 0").await?;
                    }
                }
                Ok(())
            })
        })
        .connect(url)
        .await
        .expect("a connection")
}

async fn raw_database(url: &str, sqlite: bool) -> (f64, f64) {
    sqlx::any::install_default_drivers();
    let pool = one_connection(url, sqlite, false).await;
    let blob = if sqlite { "BLOB" } else { "BYTEA" };
    pool.execute(
        format!("CREATE TABLE raw_bench (a BIGINT NOT NULL, b {blob} NOT NULL, c TEXT NOT NULL)")
            .as_str(),
    )
    .await
    .expect("create raw table");
    let text = "x".repeat(400);
    let per = 1_000;
    let sql = format!(
        "INSERT INTO raw_bench (a, b, c) VALUES {}",
        (0..per)
            .map(|r| if sqlite {
                "(?, ?, ?)".to_owned()
            } else {
                format!("(${}, ${}, ${})", 3 * r + 1, 3 * r + 2, 3 * r + 3)
            })
            .collect::<Vec<_>>()
            .join(", ")
    );
    let start = Instant::now();
    let mut tx = pool.begin().await.expect("begin");
    for chunk in 0..RAW_INSERT_ROWS / per {
        let mut q = sqlx::query(&sql);
        for r in 0..per {
            q = q
                .bind((chunk * per + r) as i64)
                .bind(vec![1u8; 32])
                .bind(text.clone());
        }
        q.execute(&mut *tx).await.expect("insert");
    }
    tx.commit().await.expect("commit");
    let multi = line(
        "raw multi-row INSERT (1,000 rows a statement)",
        RAW_INSERT_ROWS,
        start.elapsed(),
    );
    let start = Instant::now();
    for i in 0..RAW_COMMITS {
        let mut tx = pool.begin().await.expect("begin");
        sqlx::query("INSERT INTO raw_bench (a, b, c) VALUES ($1, $2, $3)")
            .bind(i as i64)
            .bind(vec![1u8; 32])
            .bind(text.clone())
            .execute(&mut *tx)
            .await
            .expect("insert");
        tx.commit().await.expect("commit");
    }
    let single = line(
        "raw single-row durable commits",
        RAW_COMMITS,
        start.elapsed(),
    );
    pool.execute("DROP TABLE raw_bench")
        .await
        .expect("drop raw table");
    pool.close().await;
    (multi, single)
}

/// `(?, ?, …), …` or `($1, $2, …), …` for `rows` rows of `cols` values.
fn row_placeholders(sqlite: bool, cols: usize, rows: usize) -> String {
    (0..rows)
        .map(|r| {
            let one: Vec<String> = (0..cols)
                .map(|c| {
                    if sqlite {
                        "?".to_owned()
                    } else {
                        format!("${}", r * cols + c + 1)
                    }
                })
                .collect();
            format!("({})", one.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The floor of appends set by the storage layout alone: the rows the
/// writer stores for 1,000 gifts (1,000 entries, 1,000 Merkle nodes above
/// the leaves, 1,000 statement rows with their receipts, with their
/// indexes and foreign keys), as multi-row INSERTs of ready values, one
/// durable transaction per 1,000, into the service's own schema. No
/// hashing, no packing, no rules, no HTTP: what appends could reach if
/// everything else cost nothing.
async fn layout_floor(url: &str, sqlite: bool) -> f64 {
    let pool = one_connection(url, sqlite, true).await;
    let packed: Vec<u8> =
        sqlx::query_scalar("SELECT packed FROM entries WHERE fund_code = 'HN-VNN' AND seq = 1")
            .fetch_one(&pool)
            .await
            .expect("an entry to copy");
    let base = 100_000_000usize;
    let start = Instant::now();
    for b in 0..BATCHES {
        let first = base + b * 1000;
        let mut tx = pool.begin().await.expect("begin");
        let sql = format!(
            "INSERT INTO entries (fund_code, seq, kind, hash, packed) VALUES {}",
            row_placeholders(sqlite, 5, 1000)
        );
        let mut q = sqlx::query(&sql);
        for i in first..first + 1000 {
            q = q
                .bind("HN-VNN")
                .bind(i as i64)
                .bind("donation_cash")
                .bind(Sha256::digest(i.to_le_bytes()).to_vec())
                .bind(packed.clone());
        }
        q.execute(&mut *tx).await.expect("entries");
        let sql = format!(
            "INSERT INTO merkle_hashes (fund_code, idx, hash) VALUES {}",
            row_placeholders(sqlite, 3, 1000)
        );
        let mut q = sqlx::query(&sql);
        for i in 2 * first..2 * first + 1000 {
            q = q
                .bind("HN-VNN")
                .bind(i as i64)
                .bind(Sha256::digest(i.to_be_bytes()).to_vec());
        }
        q.execute(&mut *tx).await.expect("hashes");
        let sql = format!(
            "INSERT INTO donations (fund_code, seq, receipt_no, code, kind, received_on, recorded_at, \
             donor_display, donor_kind, donor_search, amount_vnd, channel, campaign_id, pledge_id, \
             earmark, bank_ref, goods, status) VALUES {}",
            row_placeholders(sqlite, 18, 1000)
        );
        let mut q = sqlx::query(&sql);
        for i in first..first + 1000 {
            q = q
                .bind("HN-VNN")
                .bind(i as i64)
                .bind(format!("FLOOR-{i}"))
                .bind(sovang::ledger::ids::verification_code(i as u64))
                .bind("cash")
                .bind("2026-11-01")
                .bind("2026-11-23T12:00:00Z")
                .bind(format!("Nhà hảo tâm số {i}"))
                .bind("individual")
                .bind(format!("nha hao tam so {i}"))
                .bind(100_000i64)
                .bind(Some("bank_transfer"))
                .bind(None::<String>)
                .bind(None::<String>)
                .bind(None::<String>)
                .bind(Some(format!("FT26305{i:08}")))
                .bind(None::<String>)
                .bind("valid");
        }
        q.execute(&mut *tx).await.expect("donations");
        tx.commit().await.expect("commit");
    }
    let floor = line(
        "layout floor: a gift's rows, ready, 1,000 a commit",
        BATCHES * 1000,
        start.elapsed(),
    );
    pool.close().await;
    floor
}

fn gift(i: usize) -> Value {
    json!({"kind": "donation_cash", "body": {
        "donor": {"display": format!("Nhà hảo tâm số {i}"), "kind": "individual"},
        "amount_vnd": (100_000 + i).to_string(), "channel": "bank_transfer",
        "received_on": "2026-11-01", "bank_ref": format!("FT26305{i:08}")
    }})
}

async fn post(c: &reqwest::Client, url: String, token: &str, body: &Value) -> Value {
    let r = c
        .post(url)
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("post");
    assert!(r.status().is_success(), "{}", r.status());
    r.json().await.expect("json")
}

/// One keep-alive HTTP/1.1 connection that sends a ready-made request and
/// reads the answer, doing no other work per request (as `wrk` does): the
/// single-append figure is then the server's, not the bench client's,
/// which shares the machine's two cores with it.
struct Lean(tokio::io::BufReader<tokio::net::TcpStream>);

impl Lean {
    async fn connect(addr: &str) -> Self {
        let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        Self(tokio::io::BufReader::new(stream))
    }

    /// (status, body) of one request.
    async fn send(&mut self, request: &[u8]) -> (u16, Vec<u8>) {
        use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
        self.0.get_mut().write_all(request).await.expect("write");
        let (mut status, mut length, mut chunked) = (0u16, None, false);
        let mut line = String::new();
        loop {
            line.clear();
            self.0.read_line(&mut line).await.expect("read");
            let l = line.trim_end().to_ascii_lowercase();
            if l.is_empty() {
                break;
            }
            if let Some(rest) = l.strip_prefix("http/1.1 ") {
                status = rest[..3].parse().expect("status");
            } else if let Some(n) = l.strip_prefix("content-length:") {
                length = Some(n.trim().parse::<usize>().expect("length"));
            } else if l == "transfer-encoding: chunked" {
                chunked = true;
            }
        }
        let mut body = Vec::new();
        if let Some(n) = length {
            body.resize(n, 0);
            self.0.read_exact(&mut body).await.expect("body");
        } else if chunked {
            loop {
                line.clear();
                self.0.read_line(&mut line).await.expect("chunk");
                let n = usize::from_str_radix(line.trim(), 16).expect("chunk size");
                let at = body.len();
                body.resize(at + n + 2, 0);
                self.0.read_exact(&mut body[at..]).await.expect("chunk");
                body.truncate(at + n);
                if n == 0 {
                    break;
                }
            }
        }
        (status, body)
    }
}

/// The receipt's verification code in an append's answer.
fn receipt_code(answer: &[u8]) -> String {
    let text = std::str::from_utf8(answer).expect("UTF-8");
    let at = text.find("\"code\":\"").expect("a receipt code") + 8;
    text[at..at + 12].to_owned()
}

async fn service(database_url: &str, data_dir: &std::path::Path) -> Results {
    let settings = Settings::load(&Overrides {
        config_file: None,
        data_dir: Some(data_dir.to_path_buf()),
        database_url: Some(database_url.to_owned()),
        bind: Some("127.0.0.1:0".into()),
    })
    .expect("settings");
    let app = Application::build(settings).await.expect("app");
    let base = format!("http://{}/api/v1", app.address().expect("addr"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    let admin = std::fs::read_to_string(data_dir.join("admin.token"))
        .expect("token")
        .trim()
        .to_owned();
    let c = reqwest::Client::new();
    post(
        &c,
        format!("{base}/committees"),
        &admin,
        &json!({"code": "HN", "name": "Hà Nội"}),
    )
    .await;
    post(
        &c,
        format!("{base}/funds"),
        &admin,
        &json!({"code": "HN-VNN", "committee_code": "HN", "kind": "for_the_poor"}),
    )
    .await;
    let clerk = post(
        &c,
        format!("{base}/tokens"),
        &admin,
        &json!({"name": "bench", "role": "clerk", "committee_code": "HN"}),
    )
    .await["token"]
        .as_str()
        .expect("token")
        .to_owned();

    let start = Instant::now();
    for b in 0..BATCHES {
        let entries: Vec<Value> = (0..1000).map(|i| gift(b * 1000 + i)).collect();
        post(
            &c,
            format!("{base}/funds/HN-VNN/entries/batch"),
            &clerk,
            &json!({ "entries": entries }),
        )
        .await;
    }
    let batch = line(
        "batch appends over HTTP (1,000 a request)",
        BATCHES * 1000,
        start.elapsed(),
    );
    // Several committees importing at once: four clients, each sending
    // its batches one after another.
    let start = Instant::now();
    let mut importers = Vec::new();
    for client in 0..4 {
        let (c, base, clerk) = (c.clone(), base.clone(), clerk.clone());
        importers.push(tokio::spawn(async move {
            for b in 0..BATCHES / 4 {
                let first = 1_000_000 + (client * BATCHES / 4 + b) * 1000;
                let entries: Vec<Value> = (0..1000).map(|i| gift(first + i)).collect();
                post(
                    &c,
                    format!("{base}/funds/HN-VNN/entries/batch"),
                    &clerk,
                    &json!({ "entries": entries }),
                )
                .await;
            }
        }));
    }
    for i in importers {
        i.await.expect("importer");
    }
    let batch_concurrent = line(
        "batch appends over HTTP, 4 clients at once",
        BATCHES / 4 * 4 * 1000,
        start.elapsed(),
    );

    // The same appends without HTTP: what the writer itself sustains.
    let store = Store::open(database_url).await.expect("store");
    let secret = sovang::app::master_secret(data_dir).expect("master key");
    let (writer, writer_task) = Writer::spawn(
        store.clone(),
        secret,
        "http://bench".into(),
        sovang::ledger::policy::Policy::permissive(20_000_000),
        sovang::store::writer::Cadence::every(std::time::Duration::from_millis(1000)),
    );
    let fund = Code::parse("HN-VNN", "fund").expect("code");
    let now = time::OffsetDateTime::now_utc();
    // A new writer first reads the fund's books from its ledger; that
    // happens once per process, not per append, so it is left out.
    let warm = Draft::parse("donation_cash", gift(9_999_999)["body"].clone(), None, now)
        .expect("valid gift");
    writer
        .submit(fund.clone(), "bench".into(), vec![warm], false, None)
        .await
        .expect("appended");
    let start = Instant::now();
    for b in 0..BATCHES {
        let drafts: Vec<Draft> = (0..1000)
            .map(|i| {
                let g = gift(10_000_000 + b * 1000 + i);
                Draft::parse("donation_cash", g["body"].clone(), None, now).expect("valid gift")
            })
            .collect();
        writer
            .submit(fund.clone(), "bench".into(), drafts, true, None)
            .await
            .expect("appended");
    }
    let direct = line(
        "batch appends through the writer (1,000 a job)",
        BATCHES * 1000,
        start.elapsed(),
    );
    drop(writer);
    writer_task.await.expect("writer stops");
    store.close().await;

    let codes = Arc::new(tokio::sync::Mutex::new(Vec::new()));
    let addr = base
        .strip_prefix("http://")
        .and_then(|b| b.split('/').next())
        .expect("the server's address")
        .to_owned();
    // The clients run on a thread and runtime of their own, so that their
    // tasks never queue behind the server's on its runtime's workers.
    let start = Instant::now();
    let clients = {
        let (addr, clerk, codes) = (addr.clone(), clerk.clone(), codes.clone());
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("the clients' runtime");
            rt.block_on(async move {
                let tasks: Vec<_> = (0..CLIENTS)
                    .map(|t| {
                        let (addr, clerk, codes) = (addr.clone(), clerk.clone(), codes.clone());
                        tokio::spawn(async move {
                            let body = gift(1_000_000 + t).to_string();
                            let request = format!(
                                "POST /api/v1/funds/HN-VNN/entries HTTP/1.1\r\nHost: {addr}\r\n\
                                 Authorization: Bearer {clerk}\r\nContent-Type: application/json\r\n\
                                 Content-Length: {}\r\n\r\n{body}",
                                body.len()
                            );
                            let mut conn = Lean::connect(&addr).await;
                            let mut mine = Vec::new();
                            for _ in 0..SINGLE_APPENDS / CLIENTS {
                                let (status, answer) = conn.send(request.as_bytes()).await;
                                assert_eq!(status, 201, "{}", String::from_utf8_lossy(&answer));
                                mine.push(receipt_code(&answer));
                            }
                            codes.lock().await.extend(mine);
                        })
                    })
                    .collect();
                for t in tasks {
                    t.await.expect("client");
                }
            })
        })
    };
    tokio::task::spawn_blocking(move || clients.join())
        .await
        .expect("the clients' thread")
        .expect("the clients");
    let n_single = SINGLE_APPENDS / CLIENTS * CLIENTS;
    let single = line(
        "single-entry appends over HTTP, 32 keep-alive clients",
        n_single,
        start.elapsed(),
    );

    let store = Store::open(database_url).await.expect("store");
    // Once to warm the database's caches, then measured.
    store.verify_fund("HN-VNN", false).await.expect("verifies");
    let start = Instant::now();
    let summary = store.verify_fund("HN-VNN", false).await.expect("verifies");
    let verify = line(
        "full verification (entries, chain, root, checkpoints)",
        summary.size as usize,
        start.elapsed(),
    );
    let start = Instant::now();
    store.verify_fund("HN-VNN", true).await.expect("verifies");
    line(
        "  --deep: also every stored Merkle hash",
        summary.size as usize,
        start.elapsed(),
    );
    println!(
        "    ({} entries, {} signed checkpoints)",
        summary.size, summary.checkpoints
    );
    store.close().await;

    let codes = Arc::new(codes.lock().await.clone());
    let start = Instant::now();
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|t| {
            let (c, base, codes) = (c.clone(), base.clone(), codes.clone());
            tokio::spawn(async move {
                for i in 0..RECEIPT_LOOKUPS / CLIENTS {
                    let code = &codes[(t * 7919 + i * 31) % codes.len()];
                    let r = c
                        .get(format!("{base}/receipts/{code}"))
                        .send()
                        .await
                        .expect("get");
                    assert_eq!(r.status(), 200);
                    let _: Value = r.json().await.expect("json");
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("client");
    }
    let receipts = line(
        "receipt lookups with proof over HTTP, 32 clients",
        RECEIPT_LOOKUPS / CLIENTS * CLIENTS,
        start.elapsed(),
    );

    let _ = stop.send(());
    server.await.expect("join").expect("stop");
    Results {
        batch,
        batch_concurrent,
        direct,
        single,
        verify,
        receipts,
    }
}

struct Results {
    batch: f64,
    batch_concurrent: f64,
    direct: f64,
    single: f64,
    verify: f64,
    receipts: f64,
}

/// Single-row durable commits (WAL, synchronous FULL) on SQLite without
/// sqlx: through `rusqlite`, and through the `sqlite3` command line when
/// the machine has it; each a commit rate a second.
fn raw_commits_without_sqlx(dir: &std::path::Path) -> (f64, Option<f64>) {
    let c = rusqlite::Connection::open(dir.join("raw-rusqlite.db")).expect("raw db");
    c.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
         CREATE TABLE raw_bench (a INTEGER NOT NULL, b BLOB NOT NULL, c TEXT NOT NULL);",
    )
    .expect("raw schema");
    let text = "x".repeat(400);
    let start = Instant::now();
    for i in 0..RAW_COMMITS {
        c.execute(
            "INSERT INTO raw_bench (a, b, c) VALUES (?1, ?2, ?3)",
            rusqlite::params![i as i64, vec![1u8; 32], text],
        )
        .expect("insert");
    }
    let rusqlite = line(
        "raw single-row durable commits (rusqlite)",
        RAW_COMMITS,
        start.elapsed(),
    );
    let mut script = String::from(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
         CREATE TABLE raw_bench (a INTEGER NOT NULL, b BLOB NOT NULL, c TEXT NOT NULL);\n",
    );
    let blob = "01".repeat(32);
    for i in 0..RAW_COMMITS {
        script.push_str(&format!(
            "INSERT INTO raw_bench VALUES ({i}, x'{blob}', '{text}');\n"
        ));
    }
    let start = Instant::now();
    let cli = std::process::Command::new("sqlite3")
        .arg(dir.join("raw-cli.db"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .ok()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take()?.write_all(script.as_bytes()).ok()?;
            child.wait().ok().filter(|s| s.success())
        })
        .map(|_| {
            line(
                "raw single-row durable commits (sqlite3 command line)",
                RAW_COMMITS,
                start.elapsed(),
            )
        });
    if cli.is_none() {
        println!("  (no sqlite3 command line here)");
    }
    (rusqlite, cli)
}

fn compare(r: &Results, single_commit: f64, floor: f64) {
    println!(
        "  goals: single appends ≥ 8,000/s and ≥ 1.5× the fastest raw commits ({:.0}/s): {:.0}/s = {:.2}×",
        single_commit,
        r.single,
        r.single / single_commit
    );
    println!(
        "         batch ≥ 50,000/s: {:.0}/s over HTTP ({:.0}/s from 4 clients), {:.0}/s through the writer, beside a layout floor of {:.0}/s",
        r.batch, r.batch_concurrent, r.direct, floor
    );
    println!(
        "         verification ≥ 300,000/s: {:.0}/s; receipts ≥ 5,000/s: {:.0}/s",
        r.verify, r.receipts
    );
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes --bench; a filter argument is not used here.
    println!(
        "Sổ Vàng benchmark ({} cores)",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("\nhashing");
    sha256_rate();

    println!("\npure core");
    core_rate();

    println!("\nSQLite");
    let dir = tempfile::tempdir().expect("tempdir");
    let raw_url = format!("sqlite://{}?mode=rwc", dir.path().join("raw.db").display());
    let (_, commit) = raw_database(&raw_url, true).await;
    let (rusqlite_commit, cli_commit) = raw_commits_without_sqlx(dir.path());
    let commit = commit.max(rusqlite_commit).max(cli_commit.unwrap_or(0.0));
    let url = format!("sqlite://{}", dir.path().join("sovang.db").display());
    let r = service(&url, dir.path()).await;
    let floor = layout_floor(&url, true).await;
    compare(&r, commit, floor);

    let admin = std::env::var("SOVANG_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    use sqlx::Connection;
    match sqlx::PgConnection::connect(&admin).await {
        Err(e) => println!("\nPostgreSQL: skipped ({e})"),
        Ok(mut conn) => {
            println!("\nPostgreSQL");
            let name = format!("sovang_bench_{}", uuid::Uuid::new_v4().simple());
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .expect("create db");
            let url = format!(
                "{}/{name}",
                admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b)
            );
            let (_, commit) = raw_database(&url, false).await;
            let dir = tempfile::tempdir().expect("tempdir");
            let r = service(&url, dir.path()).await;
            let floor = layout_floor(&url, false).await;
            compare(&r, commit, floor);
            let _ = sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
                .execute(&mut conn)
                .await;
        }
    }
}
