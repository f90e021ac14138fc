//! The `sovang` command line beside a running service.

use serde_json::json;

use crate::helpers::{gift, spawn_process, Db, TestApp, TestDb};

async fn sovang(app: &TestApp, args: &[&str]) -> (i32, String, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_sovang"))
        .args(args)
        .args(["--database-url", &app.db.database_url(), "--data-dir"])
        .arg(app.db.data_dir())
        .env("RUST_LOG", "error")
        .output()
        .await
        .expect("run sovang");
    let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
    (
        out.status.code().unwrap_or(-1),
        text(out.stdout),
        text(out.stderr),
    )
}

async fn token_create_prints_a_token_that_works_once(app: TestApp) {
    app.with_fund().await;
    let (code, out, err) = sovang(
        &app,
        &[
            "token",
            "create",
            "--role",
            "clerk",
            "--committee",
            "HN",
            "--name",
            "Chị Lan",
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let token = out.trim();
    assert!(token.starts_with("svt_"), "{out}");
    assert!(
        !err.contains(token),
        "the secret is printed once, on stdout only"
    );
    let a = app
        .post("/funds/HN-VNN/entries", Some(token), &gift(json!("50000")))
        .await;
    assert_eq!(a.status, 201, "{}", a.text);

    for bad in [
        vec![
            "token",
            "create",
            "--role",
            "king",
            "--committee",
            "HN",
            "--name",
            "x",
        ],
        vec![
            "token",
            "create",
            "--role",
            "clerk",
            "--committee",
            "NOPE",
            "--name",
            "x",
        ],
        vec![
            "token",
            "create",
            "--role",
            "clerk",
            "--committee",
            "HN",
            "--name",
            "",
        ],
    ] {
        let (code, out, err) = sovang(&app, &bad).await;
        assert_ne!(code, 0, "{bad:?} succeeded");
        assert!(out.is_empty(), "{out}");
        assert!(err.contains("error"), "{err}");
    }
    let (code, _, err) = sovang(&app, &["verify", "--fund", "NOPE"]).await;
    assert_ne!(code, 0);
    assert!(err.contains("NOPE"), "{err}");

    // The operator lists tokens (never a secret) and withdraws one.
    let (code, listed, err) = sovang(&app, &["token", "list"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(!listed.contains("svt_"), "{listed}");
    let line = listed
        .lines()
        .find(|l| l.contains("Chị Lan"))
        .unwrap_or_else(|| panic!("{listed}"));
    assert!(line.ends_with("in use"), "{line}");
    let id = line.split('\t').next().unwrap();
    let (code, _, err) = sovang(&app, &["token", "revoke", "tk-0000000000000000"]).await;
    assert_ne!(code, 0, "an unknown token");
    assert!(err.contains("tk-0000000000000000"), "{err}");
    let (code, _, err) = sovang(&app, &["token", "revoke", id]).await;
    assert_eq!(code, 0, "{err}");
    let (_, listed, _) = sovang(&app, &["token", "list"]).await;
    let line = listed.lines().find(|l| l.contains("Chị Lan")).unwrap();
    assert!(!line.ends_with("in use"), "{line}");
    // Within the seconds a holder is trusted from memory, then refused.
    let mut status = 0;
    for _ in 0..60 {
        let a = app
            .post(
                "/funds/HN-VNN/entries",
                Some(token),
                &json!({"kind": "donation_cash", "body": {}}),
            )
            .await;
        status = a.status.as_u16();
        if status == 401 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, 401);
    app.stop().await;
}

/// A departed clerk's console account is disabled from the command line:
/// their open session ends at once and the right password no longer
/// signs them in; the account stays listed, with when it was disabled.
async fn a_disabled_user_is_signed_out_and_cannot_sign_in(app: TestApp) {
    app.with_fund().await;
    crate::console::user(&app, "lan", "clerk", "HN").await;
    let mut b = crate::console::Browser::new(&app);
    let p = b.sign_in("lan", "mật khẩu dài 123").await;
    assert_eq!(p.status, 303);
    assert_eq!(b.get("/console").await.status, 200);

    let (code, _, err) = sovang(&app, &["user", "disable", "nobody"]).await;
    assert_ne!(code, 0);
    assert!(err.contains("nobody"), "{err}");
    let (code, _, err) = sovang(&app, &["user", "disable", "lan"]).await;
    assert_eq!(code, 0, "{err}");

    let p = b.get("/console").await;
    assert_eq!(
        (p.status, p.location.as_deref()),
        (303, Some("/login?lang=vi")),
        "the session ended"
    );
    assert_eq!(b.sign_in("lan", "mật khẩu dài 123").await.status, 401);
    let (code, listed, err) = sovang(&app, &["user", "list"]).await;
    assert_eq!(code, 0, "{err}");
    let line = listed
        .lines()
        .find(|l| l.starts_with("lan\t"))
        .unwrap_or_else(|| panic!("{listed}"));
    assert!(!line.ends_with("active"), "{line}");
    assert!(!listed.contains("argon2"), "{listed}");
    let (code, _, err) = sovang(&app, &["user", "disable", "lan"]).await;
    assert_eq!(code, 0, "disabling again changes nothing: {err}");
}

crate::both!(
    token_create_prints_a_token_that_works_once,
    a_disabled_user_is_signed_out_and_cannot_sign_in
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_the_server_cleanly() {
    let Some(db) = TestDb::new(Db::Sqlite).await else {
        return;
    };
    let mut server = spawn_process(&db.data_dir(), &db.database_url()).await;
    let health = reqwest::get(format!("{}/health", server.base))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let pid = server.child.id().expect("pid").to_string();
    let sent = tokio::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .unwrap();
    assert!(sent.success());
    let status = tokio::time::timeout(std::time::Duration::from_secs(20), server.child.wait())
        .await
        .expect("stopped in time")
        .unwrap();
    assert!(status.success(), "{status:?}");
    // The admin token file is private to its owner.
    use std::os::unix::fs::PermissionsExt;
    for f in ["admin.token", "master.key"] {
        let mode = std::fs::metadata(db.data_dir().join(f))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{f}");
    }
}
