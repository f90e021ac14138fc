//! `docs/deploy/nginx.conf`, the operator's example, run in front of the
//! service with a throwaway certificate: HTTPS reaches the API, pages and
//! console; plain HTTP is sent to HTTPS; a large upload reaches the
//! service; receipts' links and the session cookie carry HTTPS.
//!
//! Skipped with a message where nginx or openssl is missing, unless
//! `SOVANG_TEST_REQUIRE_NGINX=1` (`.ci/run` installs nginx and sets it).

use std::process::Stdio;

use serde_json::json;

use crate::console::{login_token, user};
use crate::helpers::{spawn_on, Db, TestDb};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn have(tool: &str) -> bool {
    std::process::Command::new(tool)
        .arg("-v")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// nginx, stopped with its workers (SIGTERM to the master; SIGKILL would
/// leave the workers running) when the test ends, however it ends.
struct Nginx(std::process::Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_nginx_example_serves_the_service_over_https() {
    let required = std::env::var("SOVANG_TEST_REQUIRE_NGINX").is_ok_and(|v| v == "1");
    if !have("nginx") || !have("openssl") {
        assert!(!required, "nginx and openssl are required");
        eprintln!("SKIPPED: nginx or openssl is not installed");
        return;
    }
    let Some(db) = TestDb::new(Db::Sqlite).await else {
        return;
    };
    let (https, http) = (free_port(), free_port());
    let mut settings = db.settings();
    settings.server.public_base_url = format!("https://localhost:{https}");
    let app = spawn_on(db, settings).await;
    let upstream = app
        .base
        .trim_start_matches("http://")
        .trim_end_matches("/api/v1")
        .to_owned();

    // The example, with this test's names, ports and certificate.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    let made = std::process::Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=localhost", "-keyout"])
        .arg(dir.path().join("key.pem"))
        .arg("-out")
        .arg(dir.path().join("cert.pem"))
        .stderr(Stdio::null())
        .status()
        .expect("openssl");
    assert!(made.success());
    let example = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/deploy/nginx.conf"),
    )
    .expect("the example");
    let site = example
        .replace("sovang.example.vn;", "localhost;")
        .replace(
            "/etc/letsencrypt/live/sovang.example.vn/fullchain.pem",
            &format!("{d}/cert.pem"),
        )
        .replace(
            "/etc/letsencrypt/live/sovang.example.vn/privkey.pem",
            &format!("{d}/key.pem"),
        )
        .replace("listen 443 ssl", &format!("listen 127.0.0.1:{https} ssl"))
        .replace("listen 80;", &format!("listen 127.0.0.1:{http};"))
        .replace("127.0.0.1:8080", &upstream);
    let directives: String = site
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect();
    assert!(
        !directives.contains("example.vn") && !directives.contains(":8080"),
        "{site}"
    );
    std::fs::write(dir.path().join("site.conf"), site).unwrap();
    std::fs::write(
        dir.path().join("nginx.conf"),
        format!(
            "user root;\nworker_processes 1;\nerror_log {d}/error.log;\npid {d}/nginx.pid;\n\
             events {{ worker_connections 64; }}\n\
             http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
               fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
               include {d}/site.conf;\n}}\n"
        ),
    )
    .unwrap();
    let _nginx = Nginx(
        std::process::Command::new("nginx")
            .args([
                "-p",
                &d,
                "-c",
                &format!("{d}/nginx.conf"),
                "-g",
                "daemon off;",
            ])
            .spawn()
            .expect("nginx"),
    );
    let client = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .timeout(std::time::Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let root = format!("https://localhost:{https}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let health = loop {
        match client.get(format!("{root}/api/v1/health")).send().await {
            Ok(r) => break r,
            Err(e) => {
                assert!(
                    std::time::Instant::now() < deadline,
                    "nginx did not answer: {e}; {}",
                    std::fs::read_to_string(dir.path().join("error.log")).unwrap_or_default()
                );
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    };
    assert_eq!(health.status(), 200);
    assert_eq!(
        health.json::<serde_json::Value>().await.unwrap(),
        json!({"status": "ok"})
    );

    // Plain HTTP is sent to HTTPS, path kept.
    let plain = client
        .get(format!("http://localhost:{http}/f/HN-VNN?lang=en"))
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 301);
    assert_eq!(
        plain.headers()["location"],
        "https://localhost/f/HN-VNN?lang=en"
    );

    // A clerk records a gift through the proxy; its receipt's link is the
    // HTTPS address, and the receipt page answers there.
    let clerk = app.with_fund().await;
    let gift = client
        .post(format!("{root}/api/v1/funds/HN-VNN/entries"))
        .bearer_auth(&clerk)
        .json(&crate::helpers::gift(json!("500000")))
        .send()
        .await
        .unwrap();
    assert_eq!(gift.status(), 201);
    let gift: serde_json::Value = gift.json().await.unwrap();
    let url = gift["receipt"]["url"].as_str().unwrap();
    assert!(url.starts_with(&format!("{root}/r/")), "{url}");
    let page = client.get(url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("500.000"));

    // A large upload reaches the service, which answers it, not nginx's
    // default limit of 1 MB.
    let big = client
        .post(format!(
            "{root}/api/v1/funds/HN-VNN/bank-statements?account=0011001234567"
        ))
        .bearer_auth(&clerk)
        .body(vec![b'x'; 3 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_ne!(big.status(), 413);
    let kind = big.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(
        kind.starts_with("application/problem+json"),
        "the service's answer, not nginx's: {kind} {}",
        big.status()
    );
    assert_eq!(app.size("HN-VNN").await, 2, "nothing recorded");

    // Signing in to the console through it: the session cookie is Secure.
    user(&app, "lan", "clerk", "HN").await;
    let (cookie, csrf) = login_token(&client, &root).await;
    let signed = client
        .post(format!("{root}/login"))
        .header("cookie", cookie)
        .form(&[
            ("login_csrf", csrf.as_str()),
            ("username", "lan"),
            ("password", "mật khẩu dài 123"),
        ])
        .send()
        .await
        .unwrap();
    let set = signed
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| !c.starts_with("sv_login="))
        .unwrap_or_else(|| panic!("no session cookie: {signed:?}"))
        .to_owned();
    assert!(set.contains("; Secure"), "{set}");
}
