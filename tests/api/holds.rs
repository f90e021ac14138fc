//! The server holds (SPEC §9): limits out of range are refused at start.

use std::time::Duration;

use sovang::config::{Overrides, Settings};

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
