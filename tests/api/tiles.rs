//! A fund's log as C2SP tiles (SPEC §12): served under `/fund/{code}/`,
//! exported for a static host by `sovang tiles export`, and read by Go's
//! reference packages (`tests/go/tilecheck`).

use std::path::Path;

use base64::Engine as _;
use serde_json::{json, Value};
use sovang::ledger::merkle::{leaf_hash, Frontier, Hash};
use sovang::ledger::tiles::unbundle;
use tlog_tiles::tile::Tile;

use crate::helpers::{gift, TestApp};

const F: &str = "HN-VNN";

/// `n` gifts, recorded a thousand at a time.
async fn gifts(app: &TestApp, clerk: &str, n: usize) {
    let mut left = n;
    while left > 0 {
        let batch = left.min(1000);
        let entries: Vec<Value> = (0..batch)
            .map(|i| gift(json!((1000 + i % 97 * 1000).to_string())))
            .collect();
        app.record_batch(F, clerk, entries).await;
        left -= batch;
    }
    app.signed(F).await;
}

/// A GET beside the API: (status, headers, bytes).
async fn raw(app: &TestApp, path: &str) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let root = app.base.trim_end_matches("/api/v1");
    let r = app
        .client
        .get(format!("{root}{path}"))
        .send()
        .await
        .expect("GET");
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.bytes().await.expect("body").to_vec())
}

fn header<'a>(h: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// A checkpoint's size and root.
fn size_and_root(note: &[u8]) -> (u64, Hash) {
    let text = std::str::from_utf8(note).expect("UTF-8");
    let mut lines = text.lines().skip(1);
    let size = lines.next().unwrap().parse().unwrap();
    let root = base64::engine::general_purpose::STANDARD
        .decode(lines.next().unwrap())
        .unwrap();
    (size, Hash(root.try_into().unwrap()))
}

fn hashes(tile: &[u8]) -> Vec<Hash> {
    assert_eq!(tile.len() % 32, 0);
    tile.chunks(32)
        .map(|c| Hash(c.try_into().unwrap()))
        .collect()
}

async fn tiles_are_served_at_their_c2sp_paths(app: TestApp) {
    let clerk = app.with_fund().await;
    gifts(&app, &clerk, 600).await;
    let (status, h, note) = raw(&app, &format!("/fund/{F}/checkpoint")).await;
    assert_eq!(status, 200);
    assert_eq!(header(&h, "content-type"), "text/plain; charset=utf-8");
    assert_eq!(header(&h, "cache-control"), "no-cache");
    assert_eq!(
        note,
        app.get(&format!("/funds/{F}/checkpoint"))
            .await
            .text
            .as_bytes(),
        "the API's checkpoint is the same"
    );
    let (size, root) = size_and_root(&note);
    assert_eq!(size, 601);

    // Level 0: two full tiles and a partial one; each bundle's entries hash
    // to its tile, and are the entries the API serves.
    let mut leaves = Vec::new();
    for (tile, bundle, width) in [
        ("tile/0/000", "tile/entries/000", 256),
        ("tile/0/001", "tile/entries/001", 256),
        ("tile/0/002.p/89", "tile/entries/002.p/89", 89),
    ] {
        let (status, h, bytes) = raw(&app, &format!("/fund/{F}/{tile}")).await;
        assert_eq!(status, 200, "{tile}");
        assert_eq!(header(&h, "content-type"), "application/octet-stream");
        assert_eq!(
            header(&h, "cache-control"),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(header(&h, "access-control-allow-origin"), "*");
        let tile_hashes = hashes(&bytes);
        assert_eq!(tile_hashes.len(), width);
        let (status, _, b) = raw(&app, &format!("/fund/{F}/{bundle}")).await;
        assert_eq!(status, 200, "{bundle}");
        let entries = unbundle(&b).expect("a bundle");
        assert_eq!(entries.len(), width);
        let first = leaves.len();
        for (i, e) in entries.iter().enumerate() {
            assert_eq!(leaf_hash(e), tile_hashes[i], "{bundle} entry {i}");
        }
        for i in [0, width - 1] {
            let seq = first + i;
            let api = app.get(&format!("/funds/{F}/entries/{seq}")).await;
            assert_eq!(
                api.body["canonical"].as_str().unwrap().as_bytes(),
                entries[i]
            );
        }
        leaves.extend(tile_hashes);
    }
    // Level 1: the roots of the two full level-0 tiles.
    let (status, _, bytes) = raw(&app, &format!("/fund/{F}/tile/1/000.p/2")).await;
    assert_eq!(status, 200);
    let level1 = hashes(&bytes);
    for (i, h) in level1.iter().enumerate() {
        let below: Vec<u8> = leaves[i * 256..(i + 1) * 256]
            .iter()
            .flat_map(|h| h.0)
            .collect();
        assert_eq!(*h, Tile::subtree_hash(&below), "level 1 hash {i}");
    }
    // And every leaf together is the signed root.
    let mut tree = Frontier::new();
    for l in &leaves {
        tree.push(*l);
    }
    assert_eq!(tree.root(), root);

    // What the signed tree does not hold, or no C2SP path names, is not
    // there.
    for missing in [
        "tile/0/002",
        "tile/0/002.p/90",
        "tile/entries/002",
        "tile/entries/002.p/90",
        "tile/1/000",
        "tile/1/000.p/3",
        "tile/2/000.p/1",
        "tile/0/003.p/1",
        "tile/8/0/000",
        "tile/data/000",
        "tile/0/0000",
        "tile/0/000.p/256",
        "tile/0/000.p/0",
        "tile/0/x000/000",
        "tile/",
    ] {
        let (status, _, _) = raw(&app, &format!("/fund/{F}/{missing}")).await;
        assert_eq!(status, 404, "{missing}");
    }
    for unknown in ["/fund/HN-XX/checkpoint", "/fund/HN-XX/tile/0/000.p/1"] {
        assert_eq!(raw(&app, unknown).await.0, 404, "{unknown}");
    }
    let post = app
        .client
        .post(format!(
            "{}/fund/{F}/tile/0/000",
            app.base.trim_end_matches("/api/v1")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status().as_u16(), 405);
}

/// Every file under `dir`, as a path relative to it.
fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.push(rel);
            }
        }
    }
    out.sort();
    out
}

async fn an_export_is_what_the_server_serves_and_grows_by_what_is_new(app: TestApp) {
    let clerk = app.with_fund().await;
    gifts(&app, &clerk, 300).await;
    let dir = tempfile::tempdir().unwrap();
    let store = app.db.store().await;
    let first = sovang::cli::tiles::export(&store, F, dir.path())
        .await
        .unwrap();
    assert_eq!((first.from, first.to), (0, 301));
    assert_eq!((first.tiles, first.bundles), (3, 2));
    let written = files(dir.path());
    assert_eq!(
        written,
        [
            "checkpoint",
            "tile/0/000",
            "tile/0/001.p/45",
            "tile/1/000.p/1",
            "tile/entries/000",
            "tile/entries/001.p/45"
        ]
    );
    for f in &written {
        let (status, _, served) = raw(&app, &format!("/fund/{F}/{f}")).await;
        assert_eq!(status, 200, "{f}");
        assert_eq!(std::fs::read(dir.path().join(f)).unwrap(), served, "{f}");
    }

    // Nothing new: only the checkpoint is written again.
    let again = sovang::cli::tiles::export(&store, F, dir.path())
        .await
        .unwrap();
    assert_eq!(
        (again.from, again.to, again.tiles, again.bundles),
        (301, 301, 0, 0)
    );

    // More gifts: the new full tile, the new partials, nothing else; the
    // old partial stays for clients of the old checkpoint.
    gifts(&app, &clerk, 300).await;
    let full = dir.path().join("tile/0/000");
    let before = std::fs::metadata(&full).unwrap().modified().unwrap();
    let grown = sovang::cli::tiles::export(&store, F, dir.path())
        .await
        .unwrap();
    assert_eq!((grown.from, grown.to), (301, 601));
    assert_eq!((grown.tiles, grown.bundles), (3, 2));
    assert_eq!(
        std::fs::metadata(&full).unwrap().modified().unwrap(),
        before
    );
    let now = files(dir.path());
    for f in [
        "tile/0/001",
        "tile/0/002.p/89",
        "tile/1/000.p/2",
        "tile/entries/001",
        "tile/entries/002.p/89",
        "tile/0/001.p/45",
    ] {
        assert!(now.contains(&f.to_owned()), "{f}: {now:?}");
    }
    let (_, _, served) = raw(&app, &format!("/fund/{F}/checkpoint")).await;
    assert_eq!(
        std::fs::read(dir.path().join("checkpoint")).unwrap(),
        served
    );

    // A directory of another log, a newer checkpoint (a rollback) and
    // another root at the same size (a fork) are refused, and left as
    // they are.
    let at = dir.path().join("checkpoint");
    let good = std::fs::read_to_string(&at).unwrap();
    let (size, root) = size_and_root(good.as_bytes());
    let b64 = |h: &Hash| base64::engine::general_purpose::STANDARD.encode(h.0);
    for (bad, says) in [
        (
            good.replacen("sovang.local/fund/HN-VNN", "example.org/log", 1),
            "not of fund",
        ),
        (
            good.replacen(&format!("\n{size}\n"), &format!("\n{}\n", size + 1), 1),
            "roll it back",
        ),
        (
            good.replacen(&b64(&root), &b64(&Hash([7; 32])), 1),
            "a fork",
        ),
    ] {
        std::fs::write(&at, &bad).unwrap();
        let e = sovang::cli::tiles::export(&store, F, dir.path())
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains(says), "{e}");
        assert_eq!(std::fs::read_to_string(&at).unwrap(), bad);
    }
    std::fs::write(&at, &good).unwrap();
    let e = sovang::cli::tiles::export(&store, "HN-XX", dir.path())
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("no fund"), "{e}");
}

/// The commands, as an operator and a watcher type them.
async fn the_commands_export_and_verify_tiles(app: TestApp) {
    use crate::cli::sovang;
    let clerk = app.with_fund().await;
    gifts(&app, &clerk, 20).await;
    let key = app.get(&format!("/funds/{F}")).await.body["verifier_key"]
        .as_str()
        .unwrap()
        .to_owned();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("fund").join(F);
    let out_s = out.to_str().unwrap();
    let (code, said, err) = sovang(&app, &["tiles", "export", "--fund", F, "--out", out_s]).await;
    assert_eq!(code, 0, "{said}{err}");
    assert!(
        said.contains("tree 0 → 21: wrote 1 hash tiles and 1 entry bundles"),
        "{said}"
    );
    let (code, said, _) = sovang(&app, &["tiles", "export", "--fund", F, "--out", out_s]).await;
    assert_eq!(code, 0);
    assert!(said.contains("tree 21 → 21: wrote 0 hash tiles"), "{said}");
    let (code, _, err) = sovang(
        &app,
        &["tiles", "export", "--fund", "HN-XX", "--out", out_s],
    )
    .await;
    assert_ne!(code, 0);
    assert!(err.contains("no fund"), "{err}");

    let url = serve_dir(dir.path().join("fund").join(F)).await;
    let state = dir.path().join("state.json");
    let state_s = state.to_str().unwrap();
    let verify = |extra: Vec<String>| {
        let mut args: Vec<String> = ["verify", "--tiles", &url, "--state", state_s]
            .iter()
            .map(|s| s.to_string())
            .collect();
        args.extend(extra);
        args
    };
    let app = &app;
    let run = |args: Vec<String>| async move {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        sovang(app, &refs).await
    };
    let (code, said, err) = run(verify(vec![])).await;
    assert_ne!(code, 0);
    assert!(err.contains("--verifier-key"), "{said}{err}");
    let (code, said, err) = run(verify(vec!["--verifier-key".into(), key.clone()])).await;
    assert_eq!(code, 0, "{said}{err}");
    assert!(said.contains("OK: 21 entries (21 new)"), "{said}");
    let (code, said, _) = run(verify(vec![])).await;
    assert_eq!(code, 0);
    assert!(said.contains("OK: 21 entries (0 new)"), "{said}");
    std::fs::write(out.join("checkpoint"), "not a checkpoint\n").unwrap();
    let (code, said, err) = run(verify(vec![])).await;
    assert_ne!(code, 0, "{said}{err}");
    // --tiles does not go with --url, and needs --state.
    let (code, _, _) = run(vec!["verify".into(), "--tiles".into(), url.clone()]).await;
    assert_eq!(code, 2);
}

crate::both!(
    the_commands_export_and_verify_tiles,
    tiles_are_served_at_their_c2sp_paths,
    an_export_is_what_the_server_serves_and_grows_by_what_is_new,
    verify_from_tiles_finds_rollbacks_forks_and_altered_tiles
);

/// Go's toolchain with golang.org/x/mod in GOPATH (Debian's `golang-go`
/// and `golang-golang-x-mod-dev`); `None`, or a failure when
/// `SOVANG_TEST_REQUIRE_GO=1`, where it is missing.
pub(crate) fn go() -> Option<(String, String)> {
    let gopath = std::env::var("SOVANG_TEST_GOPATH").unwrap_or_else(|_| "/usr/share/gocode".into());
    let found = std::process::Command::new("go")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
        && Path::new(&gopath)
            .join("src/golang.org/x/mod/sumdb/tlog")
            .is_dir();
    if !found {
        assert!(
            std::env::var("SOVANG_TEST_REQUIRE_GO").as_deref() != Ok("1"),
            "Go with golang.org/x/mod is required (SOVANG_TEST_REQUIRE_GO=1) but missing"
        );
        eprintln!("skipped: Go with golang.org/x/mod not found (apt install golang-go golang-golang-x-mod-dev)");
        return None;
    }
    Some(("go".into(), gopath))
}

/// Runs `tests/go/tilecheck` on `dir`: its stdout, or its complaint.
fn tilecheck(dir: &Path, vkey: &str, origin: &str) -> Result<String, String> {
    let (go, gopath) = go().expect("go");
    let cache = std::env::temp_dir().join("sovang-go-cache");
    let out = std::process::Command::new(go)
        .args(["run", "tests/go/tilecheck/main.go"])
        .arg("-dir")
        .arg(dir)
        .args(["-vkey", vkey, "-origin", origin, "-samples", "300"])
        .env("GO111MODULE", "off")
        .env("GOPATH", gopath)
        .env("GOCACHE", cache)
        .env("GOFLAGS", "")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("go run");
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// 70,000 entries, so that full level-0 and level-1 tiles and partial
/// tiles at three levels all occur; exported, served by a plain static file
/// server, and read by Go's TileHashReader.
#[tokio::test]
async fn go_proves_records_from_the_exported_tiles_of_70000_entries() {
    if go().is_none() {
        return;
    }
    let Some(app) = crate::helpers::spawn_app(crate::helpers::Db::Sqlite).await else {
        return;
    };
    let clerk = app.with_fund().await;
    gifts(&app, &clerk, 69_999).await;
    let fund = app.get(&format!("/funds/{F}")).await.body;
    let (vkey, origin) = (
        fund["verifier_key"].as_str().unwrap().to_owned(),
        fund["origin"].as_str().unwrap().to_owned(),
    );
    let dir = tempfile::tempdir().unwrap();
    let store = app.db.store().await;
    let done = sovang::cli::tiles::export(&store, F, dir.path())
        .await
        .unwrap();
    assert_eq!(done.to, 70_000);
    // 273 full and 1 partial at level 0, 1 and 1 at level 1, 1 at level 2.
    assert_eq!((done.tiles, done.bundles), (277, 274));
    for f in [
        "tile/0/272",
        "tile/0/273.p/112",
        "tile/1/000",
        "tile/1/001.p/17",
        "tile/2/000.p/1",
    ] {
        assert!(dir.path().join(f).is_file(), "{f}");
    }

    let said = tilecheck(dir.path(), &vkey, &origin).unwrap_or_else(|e| panic!("{e}"));
    let said: Value = serde_json::from_str(said.trim()).unwrap();
    assert_eq!(said["size"], 70_000);
    assert_eq!(said["bundles"], 274);
    assert_eq!(said["proved"], 302);

    // The check is real: an altered hash tile, an altered entry, and a
    // checkpoint signed by another key each fail it.
    for (file, at) in [
        ("tile/0/100", 5_000),
        ("tile/entries/042", 700),
        ("tile/1/000", 33),
    ] {
        let path = dir.path().join(file);
        let good = std::fs::read(&path).unwrap();
        let mut bad = good.clone();
        bad[at] ^= 1;
        std::fs::write(&path, &bad).unwrap();
        assert!(
            tilecheck(dir.path(), &vkey, &origin).is_err(),
            "{file} altered"
        );
        std::fs::write(&path, &good).unwrap();
    }
    let other = app.fund("HN-CT", "HN").await;
    let other_key = other["verifier_key"].as_str().unwrap();
    let e = tilecheck(dir.path(), other_key, &origin).unwrap_err();
    assert!(e.contains("signature"), "{e}");
}

/// A plain static file server over `dir`: what a CDN would be.
async fn serve_dir(dir: std::path::PathBuf) -> String {
    use axum::response::IntoResponse as _;
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
        let path = dir.join(uri.path().trim_start_matches('/'));
        async move {
            match std::fs::read(&path) {
                Ok(b) => b.into_response(),
                Err(_) => axum::http::StatusCode::NOT_FOUND.into_response(),
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// The class of a lie `verify --tiles` found, or "OK".
async fn verdict(url: &str, state: &Path, key: Option<&str>) -> String {
    use sovang::cli::watch::{watch_tiles, Outcome};
    match watch_tiles(url, state, key).await {
        Ok(Outcome::Sound { .. }) => "OK".into(),
        Ok(Outcome::Lie { class, detail }) => format!("{class}: {detail}"),
        Err(e) => format!("error: {e:#}"),
    }
}

/// `sovang verify --tiles` checks a fund from its tiles alone, run after
/// run, and names a rolled-back, a forked and an altered tile set.
async fn verify_from_tiles_finds_rollbacks_forks_and_altered_tiles(app: TestApp) {
    let clerk = app.with_fund().await;
    gifts(&app, &clerk, 600).await;
    let fund = app.get(&format!("/funds/{F}")).await.body;
    let key = fund["verifier_key"].as_str().unwrap().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let store = app.db.store().await;
    sovang::cli::tiles::export(&store, F, dir.path())
        .await
        .unwrap();
    let url = serve_dir(dir.path().to_owned()).await;
    let states = tempfile::tempdir().unwrap();
    let state = states.path().join("tiles.json");

    // The first run needs the published key; then it verifies everything.
    let first = verdict(&url, &state, None).await;
    assert!(first.contains("--verifier-key"), "{first}");
    assert_eq!(verdict(&url, &state, Some(&key)).await, "OK");
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    assert_eq!(
        (saved["fund"].as_str(), saved["size"].as_u64()),
        (Some(F), Some(601))
    );
    let old_checkpoint = std::fs::read(dir.path().join("checkpoint")).unwrap();
    // The service's own tiles say the same.
    let served = format!("{}/fund/{F}", app.base.trim_end_matches("/api/v1"));
    let served_state = states.path().join("served.json");
    assert_eq!(verdict(&served, &served_state, Some(&key)).await, "OK");

    // It grows: only the new entries are read; another key is refused.
    gifts(&app, &clerk, 300).await;
    sovang::cli::tiles::export(&store, F, dir.path())
        .await
        .unwrap();
    match sovang::cli::watch::watch_tiles(&url, &state, None)
        .await
        .unwrap()
    {
        sovang::cli::watch::Outcome::Sound { state, new_entries } => {
            assert_eq!((state.size, new_entries), (901, 300));
        }
        sovang::cli::watch::Outcome::Lie { class, detail } => panic!("{class}: {detail}"),
    }
    let other = app.fund("HN-CT", "HN").await;
    let e = verdict(&url, &state, other["verifier_key"].as_str()).await;
    assert!(e.contains("differs"), "{e}");

    // A rollback: the host serves the older checkpoint again.
    let good_checkpoint = std::fs::read(dir.path().join("checkpoint")).unwrap();
    std::fs::write(dir.path().join("checkpoint"), &old_checkpoint).unwrap();
    assert!(verdict(&url, &state, None).await.starts_with("ROLLBACK"));
    std::fs::write(dir.path().join("checkpoint"), &good_checkpoint).unwrap();
    assert_eq!(verdict(&url, &state, None).await, "OK");

    // Altered tiles, each read by a verifier starting afresh.
    for (file, at) in [
        ("tile/entries/001", 100),
        ("tile/0/002", 40),
        ("tile/0/003.p/133", 0),
        ("tile/1/000.p/3", 70),
    ] {
        let path = dir.path().join(file);
        let good = std::fs::read(&path).unwrap();
        let mut bad = good.clone();
        bad[at] ^= 0x20;
        std::fs::write(&path, &bad).unwrap();
        let fresh = states
            .path()
            .join(format!("fresh-{}.json", file.replace('/', "-")));
        let v = verdict(&url, &fresh, Some(&key)).await;
        assert!(v.starts_with("ALTERED"), "{file}: {v}");
        assert!(!fresh.exists(), "{file}: nothing is remembered of a lie");
        std::fs::write(&path, &good).unwrap();
    }
    // A checkpoint signed by another key.
    let forged = String::from_utf8(good_checkpoint.clone())
        .unwrap()
        .replacen("— ", "— x", 1);
    std::fs::write(dir.path().join("checkpoint"), forged).unwrap();
    let v = verdict(&url, &state, None).await;
    assert!(
        v.starts_with("BAD SIGNATURE") || v.starts_with("error"),
        "{v}"
    );
    std::fs::write(dir.path().join("checkpoint"), &good_checkpoint).unwrap();

    // A fork: a second server with the deployment's master key signs
    // another history of the same fund. Its tiles at the state's size, and
    // at a larger one, are refused.
    let forked_db = crate::helpers::TestDb::new(
        app.db
            .pg
            .as_ref()
            .map_or(crate::helpers::Db::Sqlite, |_| crate::helpers::Db::Postgres),
    )
    .await
    .unwrap();
    std::fs::copy(
        app.db.data_dir().join("master.key"),
        forked_db.data_dir().join("master.key"),
    )
    .unwrap();
    let settings = forked_db.settings();
    let fork = crate::helpers::spawn_on(forked_db, settings).await;
    let fork_clerk = fork.with_fund().await;
    let fork_key = fork.get(&format!("/funds/{F}")).await.body["verifier_key"].clone();
    assert_eq!(fork_key, key.as_str(), "the same fund, the same key");
    gifts(&fork, &fork_clerk, 900).await;
    assert_eq!(fork.size(F).await, 901);
    let fork_dir = tempfile::tempdir().unwrap();
    let fork_store = fork.db.store().await;
    sovang::cli::tiles::export(&fork_store, F, fork_dir.path())
        .await
        .unwrap();
    let fork_url = serve_dir(fork_dir.path().to_owned()).await;
    let v = verdict(&fork_url, &state, None).await;
    assert!(v.starts_with("FORK"), "{v}");
    gifts(&fork, &fork_clerk, 50).await;
    sovang::cli::tiles::export(&fork_store, F, fork_dir.path())
        .await
        .unwrap();
    let v = verdict(&fork_url, &state, None).await;
    assert!(v.starts_with("FORK"), "{v}");
    // The state still trusts the true history.
    assert_eq!(verdict(&url, &state, None).await, "OK");
}
