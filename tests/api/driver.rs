//! A small W3C WebDriver client for the browser tests that click: it
//! starts Debian's `chromedriver` on a free port, opens headless
//! Chromium through it, and speaks the protocol's JSON over HTTP.
//!
//! `None` where chromedriver or Chromium is missing (the test says it is
//! skipped), unless `SOVANG_TEST_REQUIRE_BROWSER=1`, where that fails.

use std::path::PathBuf;
use std::time::Duration;

use base64::Engine;
use serde_json::{json, Value};

/// The key under which WebDriver names an element.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Driver {
    /// Kept so the driver process ends with the test.
    _process: tokio::process::Child,
    _profile: tempfile::TempDir,
    http: reqwest::Client,
    session: String,
}

pub struct Element<'a> {
    driver: &'a Driver,
    id: String,
}

fn installed(command: &str) -> bool {
    std::process::Command::new(command)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Where screenshots and printed receipts go for review.
pub fn shots() -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    dir
}

impl Driver {
    pub async fn start() -> Option<Driver> {
        let browser = ["chromium", "chromium-browser"]
            .into_iter()
            .find(|c| installed(c));
        let ready = installed("chromedriver") && browser.is_some();
        if !ready {
            assert!(
                std::env::var("SOVANG_TEST_REQUIRE_BROWSER").as_deref() != Ok("1"),
                "chromium and chromedriver are required (SOVANG_TEST_REQUIRE_BROWSER=1) but not installed"
            );
            eprintln!("SKIPPED: chromium and chromedriver are not installed (apt-get install chromium chromium-driver)");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let process = tokio::process::Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start chromedriver");
        let http = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            let up = http.get(format!("{base}/status")).send().await;
            if up.is_ok_and(|r| r.status().is_success()) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().expect("profile dir");
        let binary = which(browser.unwrap_or("chromium"));
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": binary,
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                    "--window-size=420,1400",
                    format!("--user-data-dir={}", profile.path().display())]
            }
        }}});
        let r: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .await
            .expect("new session")
            .json()
            .await
            .expect("session JSON");
        let session = r["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {r}"))
            .to_owned();
        Some(Driver {
            _process: process,
            _profile: profile,
            http,
            session: format!("{base}/session/{session}"),
        })
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.session))
            .timeout(Duration::from_secs(60));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r: Value = req
            .send()
            .await
            .expect("webdriver call")
            .json()
            .await
            .expect("webdriver JSON");
        if r["value"]["error"].is_string() {
            panic!("webdriver {path}: {}", r["value"]);
        }
        r["value"].clone()
    }

    /// Sets the window's outer size in CSS pixels: 375 wide is a phone.
    pub async fn resize(&self, width: u32, height: u32) {
        self.call(
            reqwest::Method::POST,
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        )
        .await;
    }

    /// Forgets every cookie: whoever was signed in is signed out.
    pub async fn clear_cookies(&self) {
        self.call(reqwest::Method::DELETE, "/cookie", None).await;
    }

    /// Runs `script` in the page and returns what it returns.
    pub async fn eval(&self, script: &str) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
        .await
    }

    pub async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({"url": url})))
            .await;
    }

    pub async fn url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub async fn source(&self) -> String {
        self.call(reqwest::Method::GET, "/source", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The first element matching the CSS selector, waiting up to 10 s
    /// for it to appear.
    pub async fn find(&self, css: &str) -> Element<'_> {
        for _ in 0..100 {
            let r: Value = self
                .http
                .post(format!("{}/element", self.session))
                .json(&json!({"using": "css selector", "value": css}))
                .send()
                .await
                .expect("find")
                .json()
                .await
                .expect("find JSON");
            if let Some(id) = r["value"][ELEMENT].as_str() {
                return Element {
                    driver: self,
                    id: id.to_owned(),
                };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no element {css} in {}", self.source().await)
    }

    /// Waits up to 20 s for the script to return true.
    pub async fn wait_for(&self, script: &str) {
        for _ in 0..200 {
            let v = self
                .call(
                    reqwest::Method::POST,
                    "/execute/sync",
                    Some(json!({"script": script, "args": []})),
                )
                .await;
            if v == json!(true) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("never true: {script}\n{}", self.source().await)
    }

    pub async fn screenshot(&self, name: &str) {
        let png = self.call(reqwest::Method::GET, "/screenshot", None).await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap_or_default())
            .expect("screenshot base64");
        std::fs::write(shots().join(name), bytes).expect("save screenshot");
    }

    /// Prints the page as the browser would, on A5 paper; returns the PDF.
    pub async fn print_a5(&self, name: &str) -> Vec<u8> {
        self.print(name, 14.8, 21.0).await
    }

    /// Prints the page on A4 paper; returns the PDF.
    pub async fn print_a4(&self, name: &str) -> Vec<u8> {
        self.print(name, 21.0, 29.7).await
    }

    /// Prints the page on paper `width` by `height` cm, saves the PDF as
    /// `name` for review, and returns it.
    async fn print(&self, name: &str, width: f64, height: f64) -> Vec<u8> {
        let pdf = self
            .call(
                reqwest::Method::POST,
                "/print",
                Some(json!({"page": {"width": width, "height": height}, "background": true})),
            )
            .await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(pdf.as_str().unwrap_or_default())
            .expect("pdf base64");
        std::fs::write(shots().join(name), &bytes).expect("save pdf");
        bytes
    }
}

impl Element<'_> {
    pub async fn click(&self) {
        self.driver
            .call(
                reqwest::Method::POST,
                &format!("/element/{}/click", self.id),
                Some(json!({})),
            )
            .await;
    }

    pub async fn clear(&self) {
        self.driver
            .call(
                reqwest::Method::POST,
                &format!("/element/{}/clear", self.id),
                Some(json!({})),
            )
            .await;
    }

    pub async fn type_text(&self, text: &str) {
        self.driver
            .call(
                reqwest::Method::POST,
                &format!("/element/{}/value", self.id),
                Some(json!({"text": text})),
            )
            .await;
    }

    /// Clears the field and types `text`.
    pub async fn fill(&self, text: &str) {
        self.clear().await;
        self.type_text(text).await;
    }

    /// The field's current value.
    pub async fn value(&self) -> String {
        self.driver
            .call(
                reqwest::Method::GET,
                &format!("/element/{}/property/value", self.id),
                None,
            )
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub async fn text(&self) -> String {
        self.driver
            .call(
                reqwest::Method::GET,
                &format!("/element/{}/text", self.id),
                None,
            )
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

/// The full path of a command on PATH.
fn which(command: &str) -> String {
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|p| p.join(command))
                .find(|p| p.is_file())
        })
        .map_or_else(|| command.to_owned(), |p| p.display().to_string())
}
