//! Starting the real service for a test: on port 0, with a fresh data
//! directory and a fresh database (SQLite file or PostgreSQL database), and
//! request helpers that act as its users do.
//!
//! PostgreSQL tests use `SOVANG_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`) to create one database per
//! test. Where no server answers they are skipped with a message, unless
//! `SOVANG_TEST_REQUIRE_POSTGRES=1` (set by `.ci/run`) makes that a failure.

use std::path::PathBuf;
use std::process::Stdio;

use reqwest::StatusCode;
use serde_json::{json, Value};
use sovang::app::Application;
use sovang::config::{Overrides, Settings};
use sovang::store::Store;
use tokio::io::AsyncBufReadExt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

const DEFAULT_PG: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A fresh PostgreSQL database, dropped when this is dropped.
pub struct PgDatabase {
    pub url: String,
    name: String,
    admin_url: String,
}

impl PgDatabase {
    pub async fn create() -> Option<Self> {
        use sqlx::Connection;
        let admin_url =
            std::env::var("SOVANG_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_PG.into());
        let required = std::env::var("SOVANG_TEST_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
        let mut conn = match sqlx::PgConnection::connect(&admin_url).await {
            Ok(c) => c,
            Err(e) if !required => {
                eprintln!("SKIPPED: PostgreSQL at {admin_url} is not reachable ({e}); set SOVANG_TEST_POSTGRES_URL");
                return None;
            }
            Err(e) => panic!("PostgreSQL required but not reachable at {admin_url}: {e}"),
        };
        let name = format!("sovang_test_{}", uuid::Uuid::new_v4().simple());
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("create test database");
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url.as_str(), |(b, _)| b);
        Some(Self {
            url: format!("{base}/{name}"),
            name,
            admin_url,
        })
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs outside async; a small runtime on its own thread does it.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                use sqlx::Connection;
                let mut c = sqlx::PgConnection::connect(&admin_url).await.ok()?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut c)
                    .await
                    .ok()
            })
        })
        .join();
    }
}

/// A data directory and database for one test.
pub struct TestDb {
    pub dir: tempfile::TempDir,
    pub pg: Option<PgDatabase>,
}

impl TestDb {
    pub async fn new(db: Db) -> Option<Self> {
        let dir = tempfile::tempdir().expect("temp dir");
        let pg = match db {
            Db::Sqlite => None,
            Db::Postgres => Some(PgDatabase::create().await?),
        };
        Some(Self { dir, pg })
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    pub fn database_url(&self) -> String {
        match &self.pg {
            Some(pg) => pg.url.clone(),
            None => format!("sqlite://{}", self.dir.path().join("sovang.db").display()),
        }
    }

    pub fn settings(&self) -> Settings {
        Settings::load(&Overrides {
            config_file: None,
            data_dir: Some(self.data_dir()),
            database_url: Some(self.database_url()),
            bind: Some("127.0.0.1:0".into()),
        })
        .expect("settings")
    }

    pub async fn store(&self) -> Store {
        Store::open(&self.database_url()).await.expect("open store")
    }

    pub fn admin_token(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("admin.token"))
            .expect("admin.token")
            .trim()
            .to_owned()
    }
}

/// The service running inside the test process.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub admin: String,
    pub db: TestDb,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

pub async fn spawn_app(db: Db) -> Option<TestApp> {
    let db = TestDb::new(db).await?;
    let settings = db.settings();
    Some(spawn_on(db, settings).await)
}

/// Starts the service on an existing data directory and database, with
/// `settings` (a test may change the policy, say, between two runs).
pub async fn spawn_on(db: TestDb, settings: Settings) -> TestApp {
    let app = Application::build(settings).await.expect("build app");
    let base = format!("http://{}/api/v1", app.address().expect("address"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    TestApp {
        base,
        client: reqwest::Client::new(),
        admin: db.admin_token(),
        db,
        stop: Some(stop),
        task: Some(task),
    }
}

/// The answer to a request: status, headers and JSON body (or text).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Answer {
    pub async fn from(r: reqwest::Response) -> Self {
        let status = r.status();
        let headers = r.headers().clone();
        let text = r.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Self {
            status,
            headers,
            body,
            text,
        }
    }

    /// Reads an answer to `method`, checked against the OpenAPI document
    /// when it is an API answer ([`crate::contract`]).
    pub async fn checked(method: &str, r: reqwest::Response) -> Self {
        let path = r.url().path().to_owned();
        let answer = Self::from(r).await;
        if let Some(api_path) = path.strip_prefix("/api/v1") {
            let content_type = answer
                .headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            crate::contract::check(
                method,
                api_path,
                answer.status.as_u16(),
                content_type,
                &answer.text,
            );
        }
        answer
    }

    /// Asserts a problem details answer with `status`.
    pub fn problem(&self, status: u16) -> &Self {
        assert_eq!(self.status.as_u16(), status, "answer: {}", self.text);
        let ct = self
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert_eq!(ct, "application/problem+json", "answer: {}", self.text);
        assert_eq!(self.body["status"], status);
        assert!(self.body["type"]
            .as_str()
            .is_some_and(|t| t.starts_with("/problems/")));
        assert!(self.body["detail"].as_str().is_some_and(|d| !d.is_empty()));
        self
    }

    /// Fields named in a 422's `errors`.
    pub fn fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| e["field"].as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl TestApp {
    pub async fn get(&self, path: &str) -> Answer {
        Answer::checked(
            "GET",
            self.client
                .get(format!("{}{path}", self.base))
                .send()
                .await
                .expect("GET"),
        )
        .await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Answer {
        self.post_raw(path, token, None, body.to_string()).await
    }

    pub async fn post_raw(
        &self,
        path: &str,
        token: Option<&str>,
        key: Option<&str>,
        body: String,
    ) -> Answer {
        let mut req = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(k) = key {
            req = req.header("idempotency-key", k);
        }
        Answer::checked("POST", req.send().await.expect("POST")).await
    }

    /// Creates committee `code` under `parent`.
    pub async fn committee(&self, code: &str, parent: Option<&str>) {
        let a = self
            .post("/committees", Some(&self.admin), &json!({"code": code, "name": format!("Ủy ban MTTQ {code}"), "parent_code": parent}))
            .await;
        assert_eq!(a.status, 201, "{}", a.text);
    }

    /// Opens fund `code` of committee `committee`.
    pub async fn fund(&self, code: &str, committee: &str) -> Value {
        let a = self
            .post(
                "/funds",
                Some(&self.admin),
                &json!({"code": code, "committee_code": committee, "kind": "for_the_poor"}),
            )
            .await;
        assert_eq!(a.status, 201, "{}", a.text);
        a.body
    }

    /// A new token with `role` for `committee`.
    pub async fn token(&self, role: &str, committee: &str) -> String {
        let a = self
            .post("/tokens", Some(&self.admin), &json!({"name": format!("{role} {committee}"), "role": role, "committee_code": committee}))
            .await;
        assert_eq!(a.status, 201, "{}", a.text);
        a.body["token"].as_str().expect("token").to_owned()
    }

    /// A token made by the holder of `issuer` (an admin token).
    pub async fn token_from(&self, issuer: &str, role: &str, committee: &str) -> String {
        let a = self
            .post("/tokens", Some(issuer), &json!({"name": format!("{role} {committee}"), "role": role, "committee_code": committee}))
            .await;
        assert_eq!(a.status, 201, "{}", a.text);
        a.body["token"].as_str().expect("token").to_owned()
    }

    /// Waits until the latest signed checkpoint of `fund` covers every
    /// entry (checkpoints are signed at most once per
    /// `ledger.checkpoint_interval_ms`).
    pub async fn signed(&self, fund: &str) {
        let size = self.size(fund).await;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let note = self.get(&format!("/funds/{fund}/checkpoint")).await.text;
            if note.lines().nth(1).and_then(|l| l.parse::<u64>().ok()) == Some(size) {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "fund {fund} is not signed at {size}: {note}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
    }

    /// Committee HN with fund HN-VNN and a clerk token for it.
    pub async fn with_fund(&self) -> String {
        self.committee("HN", None).await;
        self.fund("HN-VNN", "HN").await;
        self.token("clerk", "HN").await
    }

    /// GET with a bearer token.
    pub async fn get_as(&self, path: &str, token: &str) -> Answer {
        Answer::checked(
            "GET",
            self.client
                .get(format!("{}{path}", self.base))
                .bearer_auth(token)
                .send()
                .await
                .expect("GET"),
        )
        .await
    }

    /// Posts one entry of `kind` to `fund`.
    pub async fn entry(&self, fund: &str, token: &str, kind: &str, body: Value) -> Answer {
        self.post(
            &format!("/funds/{fund}/entries"),
            Some(token),
            &json!({"kind": kind, "body": body}),
        )
        .await
    }

    /// Posts one entry that must be recorded; returns the answer's body.
    pub async fn record(&self, fund: &str, token: &str, kind: &str, body: Value) -> Value {
        let a = self.entry(fund, token, kind, body).await;
        assert_eq!(a.status, 201, "{kind}: {}", a.text);
        a.body
    }

    /// Posts a batch that must be recorded; returns its entries.
    pub async fn record_batch(&self, fund: &str, token: &str, entries: Vec<Value>) -> Vec<Value> {
        let a = self
            .post(
                &format!("/funds/{fund}/entries/batch"),
                Some(token),
                &json!({ "entries": entries }),
            )
            .await;
        assert_eq!(a.status, 201, "batch: {}", a.text);
        a.body["entries"].as_array().expect("entries").clone()
    }

    /// Approves, as `approver`, every outflow of `fund` that waits for a
    /// second person (SPEC §9), in one batch; returns how many.
    pub async fn approve_pending(&self, fund: &str, approver: &str) -> usize {
        self.approve_listed(fund, approver, &["distributions", "outflows"])
            .await
    }

    /// [`TestApp::approve_pending`] for the outflows of the given
    /// listings only (`distributions`, `outflows`).
    pub async fn approve_listed(&self, fund: &str, approver: &str, lists: &[&str]) -> usize {
        let mut seqs = Vec::new();
        for list in lists {
            let a = self
                .get(&format!("/funds/{fund}/{list}?status=pending&limit=1000"))
                .await;
            assert_eq!(a.status, 200, "{}", a.text);
            seqs.extend(
                a.body[*list]
                    .as_array()
                    .expect("listing")
                    .iter()
                    .map(|o| o["seq"].as_u64().expect("seq")),
            );
        }
        seqs.sort_unstable();
        if !seqs.is_empty() {
            let batch = seqs
                .iter()
                .map(|s| json!({"kind": "outflow_approved", "body": {"of_seq": s}}))
                .collect();
            self.record_batch(fund, approver, batch).await;
        }
        seqs.len()
    }

    /// The fund as the public sees it.
    pub async fn fund_view(&self, fund: &str) -> Value {
        let a = self.get(&format!("/funds/{fund}")).await;
        assert_eq!(a.status, 200, "{}", a.text);
        a.body
    }

    /// The inspector's replay must find the live books equal to the
    /// ledger's; returns how many derived objects it compared.
    pub async fn assert_replay_consistent(&self, fund: &str, inspector: &str) -> u64 {
        let a = self
            .get_as(&format!("/funds/{fund}/audit/replay"), inspector)
            .await;
        assert_eq!(a.status, 200, "{}", a.text);
        assert_eq!(a.body["consistent"], true, "replay of {fund}: {}", a.text);
        assert_eq!(a.body["size"], self.size(fund).await);
        a.body["objects_compared"]
            .as_u64()
            .expect("objects_compared")
    }

    /// Number of entries of a fund, as the public sees it.
    pub async fn size(&self, fund: &str) -> u64 {
        let a = self.get(&format!("/funds/{fund}")).await;
        assert_eq!(a.status, 200, "{}", a.text);
        a.body["size"].as_u64().expect("size")
    }

    /// Stops the service cleanly, handing back its data directory and
    /// database for a look after the fact.
    pub async fn stop(mut self) -> TestDb {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.expect("join").expect("clean stop");
        }
        self.db
    }
}

/// A valid cash gift body.
pub fn gift(amount: Value) -> Value {
    json!({"kind": "donation_cash", "body": {
        "donor": {"display": "Nguyễn Văn A", "kind": "individual"},
        "amount_vnd": amount, "channel": "bank_transfer", "received_on": "2026-11-01",
        "bank_ref": "FT26305000001"
    }})
}

/// A `sovang serve` child process.
pub struct ServerProcess {
    pub child: tokio::process::Child,
    pub base: String,
}

pub async fn spawn_process(data_dir: &std::path::Path, database_url: &str) -> ServerProcess {
    spawn_process_with(data_dir, database_url, &[], Stdio::inherit()).await
}

/// [`spawn_process`] with more environment (settings as `SOVANG__…`, a
/// log filter) and the server's log sent to `stderr`.
pub async fn spawn_process_with(
    data_dir: &std::path::Path,
    database_url: &str,
    env: &[(&str, &str)],
    stderr: Stdio,
) -> ServerProcess {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_sovang"))
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--database-url",
            database_url,
            "--data-dir",
        ])
        .arg(data_dir)
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .kill_on_drop(true)
        .spawn()
        .expect("spawn sovang");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let line = tokio::time::timeout(std::time::Duration::from_secs(60), lines.next_line())
        .await
        .expect("server started in time")
        .expect("read stdout")
        .expect("a line");
    let addr = line
        .strip_prefix("sovang listening on ")
        .expect("listening line")
        .to_owned();
    ServerProcess {
        child,
        base: format!("{addr}/api/v1"),
    }
}

/// Runs a test body on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(app) = $crate::helpers::spawn_app($crate::helpers::Db::Sqlite).await {
                        super::$name(app).await;
                    }
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(app) = $crate::helpers::spawn_app($crate::helpers::Db::Postgres).await {
                        super::$name(app).await;
                    }
                }
            )*
        }
    };
}

/// The cells of the first sheet of an XLSX file, as text (numbers without
/// a fraction as integers), row by row.
pub fn xlsx_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    use calamine::{Data, Reader, Xlsx};
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).expect("an XLSX file");
    let sheet = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&sheet).expect("first sheet");
    range
        .rows()
        .map(|row| {
            row.iter()
                .map(|c| match c {
                    Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
                    Data::Int(i) => i.to_string(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

/// The cells of the first sheet of an XLSX file, as calamine reads them:
/// what a spreadsheet program sees (numbers, dates, text).
pub fn xlsx_cells(bytes: &[u8]) -> Vec<Vec<calamine::Data>> {
    use calamine::{Reader, Xlsx};
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).expect("an XLSX file");
    let sheet = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&sheet).expect("first sheet");
    range.rows().map(<[calamine::Data]>::to_vec).collect()
}

/// How many rows of the first sheet stay in view as the reader scrolls
/// (its frozen pane), read from the sheet's XML: `None` when none do.
pub fn xlsx_frozen_rows(bytes: &[u8]) -> Option<u32> {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).expect("a zip");
    let mut xml = String::new();
    zip.by_name("xl/worksheets/sheet1.xml")
        .expect("the first sheet")
        .read_to_string(&mut xml)
        .expect("its XML");
    let pane = &xml[xml.find("<pane ")?..];
    let pane = &pane[..pane.find("/>")?];
    let split = &pane[pane.find("ySplit=\"")? + 8..];
    let frozen = pane.contains("state=\"frozen\"");
    frozen.then(|| split[..split.find('"')?].parse().ok())?
}

/// Today in Vietnam, `YYYY-MM-DD`: the month and year a test runs in.
pub fn today_vn() -> String {
    let now = time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+7));
    format!(
        "{:04}-{:02}-{:02}",
        now.year(),
        u8::from(now.month()),
        now.day()
    )
}

/// What someone with the database's password does to entry `seq` of
/// `fund` behind the service's back, once the table's guard is dropped:
/// reads its text, replaces `from` with `to`, and writes it back as plain
/// text (the stored form readers take beside the packed one). Returns the
/// rows changed.
pub async fn rewrite_entry(
    store: &sovang::store::Store,
    fund: &str,
    seq: u64,
    from: &str,
    to: &str,
) -> u64 {
    let entry = store.entries(fund, seq, 1).await.unwrap().pop().unwrap();
    assert!(entry.canonical.contains(from), "{}", entry.canonical);
    let text = entry.canonical.replace(from, to).replace('\'', "''");
    store
        .execute_raw(&format!(
            "UPDATE entries SET canonical = '{text}', packed = NULL \
             WHERE fund_code = '{fund}' AND seq = {seq}"
        ))
        .await
        .unwrap()
}
