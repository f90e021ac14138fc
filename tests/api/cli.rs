//! The `sovang` command line beside a running service.

use serde_json::json;

use crate::helpers::{gift, spawn_process, Db, TestApp, TestDb};

pub(crate) async fn sovang(app: &TestApp, args: &[&str]) -> (i32, String, String) {
    sovang_with(app, args, &[]).await
}

async fn sovang_with(app: &TestApp, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_sovang"))
        .args(args)
        .envs(env.iter().copied())
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

    // Every fund at once: one line each and a count; --all takes no --fund.
    app.fund("HN-CT", "HN").await;
    let (code, out, err) = sovang(&app, &["verify", "--all", "--deep"]).await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("fund HN-VNN: OK") && out.contains("fund HN-CT: OK"),
        "{out}"
    );
    assert!(out.contains("2 funds verified, 0 failed"), "{out}");
    let (code, out, _) = sovang(&app, &["verify", "--all", "--fund", "HN-VNN"]).await;
    assert_ne!(code, 0, "{out}");

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

/// `sovang user passwd` changes a password and ends the user's sessions;
/// admins disable users over the API too; every such action is in the
/// admin log, which inspectors of the scope read and nobody changes.
async fn passwords_change_users_are_disabled_and_the_admin_log_keeps_it(app: TestApp) {
    app.with_fund().await;
    app.committee("HP", None).await;
    crate::console::user(&app, "lan", "clerk", "HN").await;
    crate::console::user(&app, "hoa", "clerk", "HP").await;
    let mut b = crate::console::Browser::new(&app);
    assert_eq!(b.sign_in("lan", "mật khẩu dài 123").await.status, 303);

    for (who, password) in [("lan", "ngắn"), ("nobody", "mật khẩu mới 456")] {
        let (code, _, err) = sovang_with(
            &app,
            &["user", "passwd", who],
            &[("SOVANG_PASSWORD", password)],
        )
        .await;
        assert_ne!(code, 0, "{who}: {err}");
    }
    assert_eq!(b.get("/console").await.status, 200, "nothing changed yet");
    let (code, _, err) = sovang_with(
        &app,
        &["user", "passwd", "lan"],
        &[("SOVANG_PASSWORD", "mật khẩu mới 456")],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(b.get("/console").await.status, 303, "the session ended");
    assert_eq!(b.sign_in("lan", "mật khẩu dài 123").await.status, 401);
    assert_eq!(b.sign_in("lan", "mật khẩu mới 456").await.status, 303);

    // A province admin disables its own users only.
    let hn_admin = app.token("admin", "HN").await;
    let clerk = app.token("clerk", "HN").await;
    let (client, base) = (app.client.clone(), app.base.clone());
    let disable = |who: &str, token: &str| {
        let request = client
            .post(format!("{base}/users/{who}/disable"))
            .bearer_auth(token);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(disable("hoa", &hn_admin).await, 403);
    assert_eq!(disable("lan", &clerk).await, 403);
    assert_eq!(disable("khong-co", &hn_admin).await, 404);
    assert_eq!(b.get("/console").await.status, 200, "still signed in");
    assert_eq!(disable("lan", &hn_admin).await, 204);
    assert_eq!(b.get("/console").await.status, 303, "the session ended");
    assert_eq!(b.sign_in("lan", "mật khẩu mới 456").await.status, 401);
    assert_eq!(
        disable("lan", &hn_admin).await,
        204,
        "again, nothing changes"
    );
    let users = app.get_as("/users", &hn_admin).await;
    assert_eq!(users.status, 200, "{}", users.text);
    let listed: Vec<&str> = users.body["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(listed, ["lan"], "only the subtree's users");
    assert!(!users.text.contains("argon2"));

    // The admin log: what was done, by whom, in the reader's scope.
    let inspector = app.token("inspector", "HN").await;
    let log = app.get_as("/audit/admin-log", &inspector).await;
    assert_eq!(log.status, 200, "{}", log.text);
    let actions: Vec<(String, String)> = log.body["admin_log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["action"].as_str().unwrap().to_owned(),
                l["target"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        actions.contains(&("user_password_changed".into(), "lan".into())),
        "{actions:?}"
    );
    assert!(
        actions.contains(&("user_disabled".into(), "lan".into())),
        "{actions:?}"
    );
    assert!(
        actions.contains(&("fund_opened".into(), "HN-VNN".into())),
        "{actions:?}"
    );
    assert!(
        !actions.iter().any(|(_, t)| t == "hoa" || t == "HP"),
        "{actions:?}"
    );
    assert!(!log.text.contains("mật khẩu"), "no password is logged");
    let disabled = log.body["admin_log"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["action"] == "user_disabled")
        .unwrap();
    assert_eq!(
        disabled["person_id"].as_str().map(|p| p.starts_with("pe-")),
        Some(true)
    );
    let all = app.get_as("/audit/admin-log", &app.admin).await.body;
    assert!(all["admin_log"].as_array().unwrap().len() > actions.len());
    app.get_as("/audit/admin-log", &clerk).await.problem(403);
    app.get_as("/audit/admin-log?after=-1", &inspector)
        .await
        .problem(400);
    app.get_as("/audit/admin-log?colour=red", &inspector)
        .await
        .problem(400);
    // Append-only: the database itself refuses to change a line.
    let store = app.db.store().await;
    for sql in ["UPDATE admin_log SET target = 'x'", "DELETE FROM admin_log"] {
        assert!(store.execute_raw(sql).await.is_err(), "{sql} was allowed");
    }
    store.close().await;
}

crate::both!(
    passwords_change_users_are_disabled_and_the_admin_log_keeps_it,
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

/// `sovang serve` warns an operator whose public address would not reach
/// the server or would be plain HTTP outside this machine, and only then.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_warns_about_a_public_address_that_is_wrong_or_plain_http() {
    let Some(db) = TestDb::new(Db::Sqlite).await else {
        return;
    };
    let dir = db.data_dir();
    let warnings = |public: &'static str, n: u32| {
        let (dir, url) = (dir.clone(), db.database_url());
        async move {
            let name = format!("serve-{n}.log");
            let log = std::fs::File::create(dir.join(&name)).expect("a log file");
            let mut server = crate::helpers::spawn_process_with(
                &dir,
                &url,
                &[
                    ("SOVANG__SERVER__PUBLIC_BASE_URL", public),
                    ("SOVANG__LOG__FORMAT", "json"),
                ],
                std::process::Stdio::from(log),
            )
            .await;
            server.child.kill().await.expect("stop");
            std::fs::read_to_string(dir.join(&name))
                .expect("the log")
                .lines()
                .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                .filter(|l| l["level"] == "WARN")
                .map(|l| {
                    l["fields"]["message"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned()
                })
                .collect::<Vec<String>>()
        }
    };
    let plain = "is plain http outside this machine";
    let port = "does not name the port the server listens on";
    let says = |w: &[String], what: &str| w.iter().any(|m| m.contains(what));

    let w = warnings("http://sovang.mttq.vn", 1).await;
    assert!(says(&w, plain) && !says(&w, port), "{w:?}");
    let w = warnings("https://sovang.mttq.vn", 2).await;
    assert!(!says(&w, plain) && !says(&w, port), "{w:?}");
    // Port 8080 named, port 0 bound: a free one, never 8080 here.
    let w = warnings("http://127.0.0.1:8080", 3).await;
    assert!(!says(&w, plain) && says(&w, port), "{w:?}");
}

/// Settings are read from the data directory whatever the working
/// directory; a `config/local.toml` left in the working directory, where
/// earlier versions read it, is read below it and named in a warning.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_come_from_the_data_directory_not_the_working_directory() {
    use tokio::io::AsyncBufReadExt as _;
    let Some(db) = TestDb::new(Db::Sqlite).await else {
        return;
    };
    let data = db.data_dir();
    std::fs::write(
        data.join("local.toml"),
        "[server]\npublic_base_url = \"http://sovang.mttq.vn\"\n",
    )
    .unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::create_dir(elsewhere.path().join("config")).unwrap();
    std::fs::write(
        elsewhere.path().join("config/local.toml"),
        "[server]\npublic_base_url = \"https://old.example\"\n",
    )
    .unwrap();
    let log = data.join("serve.log");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_sovang"))
        .current_dir(elsewhere.path())
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--database-url",
            &db.database_url(),
            "--data-dir",
        ])
        .arg(&data)
        .env("SOVANG__LOG__FORMAT", "json")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn sovang");
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(std::time::Duration::from_secs(60), lines.next_line())
        .await
        .expect("started in time")
        .unwrap()
        .unwrap_or_default();
    assert!(first.starts_with("sovang listening on "), "{first}");
    child.kill().await.unwrap();
    let warnings: Vec<serde_json::Value> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .filter(|l: &serde_json::Value| l["level"] == "WARN")
        .collect();
    let said = |what: &str| {
        warnings
            .iter()
            .find(|w| {
                w["fields"]["message"]
                    .as_str()
                    .unwrap_or_default()
                    .contains(what)
            })
            .cloned()
    };
    // The data directory's local.toml won: its plain-http address is warned about.
    let plain =
        said("is plain http outside this machine").unwrap_or_else(|| panic!("{warnings:?}"));
    assert_eq!(plain["fields"]["public_base_url"], "http://sovang.mttq.vn");
    let moved = said("read from the working directory").unwrap_or_else(|| panic!("{warnings:?}"));
    assert_eq!(moved["fields"]["file"], "config/local.toml");
}
