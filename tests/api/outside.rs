//! Verification from outside: the export bundle checked offline by
//! `sovang verify --bundle`, and a running server watched by `sovang verify
//! --url --state`; both pass on honest data and name each kind of lie.

use std::path::Path;

use serde_json::{json, Value};
use sovang::store::{Backend, Store};

use crate::helpers::{gift, TestApp};

async fn sovang(args: &[&str]) -> (i32, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_sovang"))
        .args(args)
        .env("RUST_LOG", "error")
        .output()
        .await
        .expect("run sovang");
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

async fn verify_bundle(path: &Path, extra: &[&str]) -> (i32, String) {
    let mut args = vec!["verify", "--bundle", path.to_str().unwrap()];
    args.extend_from_slice(extra);
    sovang(&args).await
}

/// A fund with gifts, a household, a distribution and a reversal.
async fn some_history(app: &TestApp, clerk: &str, gifts: u64) {
    let batch: Vec<Value> = (1..=gifts).map(|i| gift(json!(i * 10_000))).collect();
    let written = app.record_batch("HN-VNN", clerk, batch).await;
    app.record_batch("HN-VNN", clerk, vec![json!({"kind": "household_registered",
        "body": {"commune_code": "HN", "hamlet": "Thôn 1", "category": "poor", "members": 2, "review_year": 2026},
        "private": {"head_name": "Mai Văn Tư", "cccd": "001085000999", "address": "Thôn 1"}})]).await;
    let household = app.get("/funds/HN-VNN/households?limit=1000").await.body["households"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()["household_id"]
        .clone();
    app.record(
        "HN-VNN",
        clerk,
        "distribution",
        json!({"household_id": household, "support_type": "tet_gift",
        "cash_vnd": "50000", "decision_ref": "QĐ 1"}),
    )
    .await;
    app.record(
        "HN-VNN",
        clerk,
        "reversal",
        json!({"reverses_seq": written[1]["seq"], "reason": "Ghi nhầm"}),
    )
    .await;
    // What an outside reader checks is what a checkpoint signs.
    app.signed("HN-VNN").await;
}

fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_owned).collect()
}

fn write(dir: &Path, name: &str, lines: &[String]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

async fn an_export_verifies_offline_and_each_lie_is_named(app: TestApp) {
    let clerk = app.with_fund().await;
    for _ in 0..3 {
        some_history(&app, &clerk, 20).await;
    }
    let size = app.size("HN-VNN").await;
    let r = app
        .client
        .get(format!("{}/funds/HN-VNN/export", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/x-ndjson");
    let text = r.text().await.unwrap();
    let honest = lines(&text);
    let header: Value = serde_json::from_str(&honest[0]).unwrap();
    assert_eq!(header["type"], "header");
    assert_eq!(header["size"], size);
    assert_eq!(
        header["verifier_key"],
        app.fund_view("HN-VNN").await["verifier_key"]
    );
    let entries: Vec<usize> = (0..honest.len())
        .filter(|&i| {
            honest[i].starts_with("{\"canonical\"") || honest[i].contains("\"type\":\"entry\"")
        })
        .collect();
    assert_eq!(entries.len() as u64, size);
    assert!(honest.last().unwrap().contains("\"type\":\"checkpoint\""));
    // Nothing private leaves with the export.
    assert!(!text.contains("Mai Văn Tư") && !text.contains("001085000999"));

    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "honest.ndjson", &honest);
    let (code, out) = verify_bundle(&path, &[]).await;
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!("OK: fund HN-VNN, {size} entries")),
        "{out}"
    );
    let key = header["verifier_key"].as_str().unwrap();
    assert!(out.contains(key), "the key trusted is shown: {out}");
    let (code, out) = verify_bundle(&path, &["--verifier-key", key]).await;
    assert_eq!(code, 0, "{out}");

    // The same bundle from the command line, entry for entry.
    let cli_path = dir.path().join("cli.ndjson");
    let (code, out) = sovang(&[
        "export",
        "--fund",
        "HN-VNN",
        "--out",
        cli_path.to_str().unwrap(),
        "--database-url",
        &app.db.database_url(),
        "--data-dir",
        app.db.data_dir().to_str().unwrap(),
    ])
    .await;
    assert_eq!(code, 0, "{out}");
    let from_cli = lines(&std::fs::read_to_string(&cli_path).unwrap());
    assert_eq!(from_cli[1..], honest[1..]);

    // Each lie, and what verification says of it.
    let seq_line = |seq: u64| {
        honest
            .iter()
            .position(|l| {
                l.contains("\"type\":\"entry\"") && l.contains(&format!("\"seq\":{seq},"))
            })
            .unwrap()
    };
    let mut edited = honest.clone();
    let i = seq_line(5);
    edited[i] = edited[i].replace("\\\"50000\\\"", "\\\"500000\\\"");
    assert_ne!(edited[i], honest[i]);
    let mut rehashed = edited.clone();
    {
        let mut v: Value = serde_json::from_str(&rehashed[i]).unwrap();
        let canonical = v["canonical"].as_str().unwrap().to_owned();
        v["hash"] = json!(sovang::ledger::merkle::to_hex(
            &sovang::ledger::merkle::leaf_hash(canonical.as_bytes())
        ));
        rehashed[i] = v.to_string();
    }
    let mut dropped = honest.clone();
    dropped.remove(seq_line(7));
    let mut reordered = honest.clone();
    reordered.swap(seq_line(8), seq_line(9));
    let mut bad_signature = honest.clone();
    let last = bad_signature.len() - 1;
    {
        let mut v: Value = serde_json::from_str(&bad_signature[last]).unwrap();
        let note = v["note"].as_str().unwrap();
        let (text, sig) = note.trim_end().rsplit_once(' ').unwrap();
        let mut sig: Vec<char> = sig.chars().collect();
        let k = sig.len() - 5;
        sig[k] = if sig[k] == 'A' { 'B' } else { 'A' };
        v["note"] = json!(format!("{text} {}\n", sig.into_iter().collect::<String>()));
        bad_signature[last] = v.to_string();
    }
    let mut truncated = honest.clone();
    truncated.pop();
    let mut forged_header = honest.clone();
    forged_header[0] = forged_header[0].replace(
        &format!("\"size\":{size}"),
        &format!("\"size\":{}", size + 1),
    );

    for (name, bundle, expect) in [
        (
            "edited",
            &edited,
            "FAILED at seq 5: stored hash does not match",
        ),
        ("rehashed", &rehashed, "FAILED at seq 6: prev does not name"),
        ("dropped", &dropped, "FAILED at seq 7: entry missing"),
        ("reordered", &reordered, "FAILED at seq 8: entry missing"),
        ("bad-signature", &bad_signature, "signature does not verify"),
        ("truncated", &truncated, "no signed checkpoint covers"),
        (
            "forged-header",
            &forged_header,
            &format!("promises {} entries", size + 1),
        ),
    ] {
        let path = write(dir.path(), &format!("{name}.ndjson"), bundle);
        let (code, out) = verify_bundle(&path, &[]).await;
        assert_eq!(code, 1, "{name}: {out}");
        assert!(out.contains(expect), "{name}: expected {expect:?} in {out}");
    }
    // A bundle signed by another key than the one the committee published.
    let (code, out) = verify_bundle(
        &path,
        &["--verifier-key", "sovang.local/fund/HN-VNN+00000000+AQ=="],
    )
    .await;
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("not the trusted"), "{out}");
    app.get("/funds/NO-SUCH/export").await.problem(404);
}

/// Drops the triggers that keep `checkpoints` append-only.
async fn unguard_checkpoints(store: &Store) {
    let sqls: &[&str] = match store.backend() {
        Backend::Sqlite => &[
            "DROP TRIGGER checkpoints_no_update",
            "DROP TRIGGER checkpoints_no_delete",
        ],
        Backend::Postgres => &["DROP TRIGGER checkpoints_append_only ON checkpoints"],
    };
    for sql in sqls {
        store.execute_raw(sql).await.unwrap();
    }
}

/// Stores `note` as the fund's checkpoint of `size`, in place of the real
/// one, as a server that lies would serve it.
async fn serve_checkpoint(store: &Store, fund: &str, size: u64, note: &str) {
    store
        .execute_raw(&format!(
            "DELETE FROM checkpoints WHERE fund_code = '{fund}' AND size >= {size}"
        ))
        .await
        .unwrap();
    store
        .execute_raw(&format!(
            "INSERT INTO checkpoints (fund_code, size, note, created_at) VALUES ('{fund}', {size}, '{}', '2026-11-23T00:00:00Z')",
            note.replace('\'', "''")
        ))
        .await
        .unwrap();
}

async fn a_watcher_follows_an_honest_server_and_names_each_lie(app: TestApp) {
    let clerk = app.with_fund().await;
    let dir = tempfile::tempdir().unwrap();
    let root = app.base.trim_end_matches("/api/v1").to_owned();
    let state = dir.path().join("HN-VNN.state.json");
    let watch = |state: std::path::PathBuf| {
        let root = root.clone();
        async move {
            sovang(&[
                "verify",
                "--url",
                &root,
                "--fund",
                "HN-VNN",
                "--state",
                state.to_str().unwrap(),
            ])
            .await
        }
    };

    some_history(&app, &clerk, 10).await;
    let (code, out) = watch(state.clone()).await;
    assert_eq!(code, 0, "{out}");
    let first = app.size("HN-VNN").await;
    assert!(
        out.contains(&format!("OK: {first} entries ({first} new)")),
        "{out}"
    );
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    assert_eq!(saved["size"], first);

    some_history(&app, &clerk, 5).await;
    let (code, out) = watch(state.clone()).await;
    assert_eq!(code, 0, "{out}");
    let second = app.size("HN-VNN").await;
    assert!(
        out.contains(&format!("OK: {second} entries ({} new)", second - first)),
        "{out}"
    );
    let trusted = std::fs::read_to_string(&state).unwrap();

    let store = app.db.store().await;
    let secret = sovang::app::master_secret(&app.db.data_dir()).unwrap();
    let origin = app.fund_view("HN-VNN").await["origin"]
        .as_str()
        .unwrap()
        .to_owned();
    let key = secret.log_key(&origin).unwrap();
    unguard_checkpoints(&store).await;
    let lie = |name: &str| dir.path().join(format!("{name}.state.json"));

    // A fork: another root signed for the size already verified.
    std::fs::write(lie("fork"), &trusted).unwrap();
    let forged = key
        .sign(
            second,
            &sovang::ledger::merkle::leaf_hash(b"another history"),
        )
        .unwrap();
    let real = store.latest_checkpoint("HN-VNN").await.unwrap().unwrap().1;
    serve_checkpoint(&store, "HN-VNN", second, &forged).await;
    let (code, out) = watch(lie("fork")).await;
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FORK: two signed checkpoints of size"),
        "{out}"
    );
    assert_eq!(
        std::fs::read_to_string(lie("fork")).unwrap(),
        trusted,
        "a lie is never remembered"
    );

    // A bad signature.
    let (text, sig) = real.trim_end().rsplit_once(' ').unwrap();
    let mut sig: Vec<char> = sig.chars().collect();
    let k = sig.len() - 10;
    sig[k] = if sig[k] == 'A' { 'B' } else { 'A' };
    let broken = format!("{text} {}\n", sig.into_iter().collect::<String>());
    assert_ne!(broken, real);
    serve_checkpoint(&store, "HN-VNN", second, &broken).await;
    std::fs::write(lie("signature"), &trusted).unwrap();
    let (code, out) = watch(lie("signature")).await;
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("BAD SIGNATURE"), "{out}");

    // A rollback: the server shows an older, smaller tree.
    serve_checkpoint(&store, "HN-VNN", second, &real).await;
    let older = store
        .checkpoints("HN-VNN", 0, 1000)
        .await
        .unwrap()
        .into_iter()
        .rev()
        .nth(1)
        .unwrap();
    store
        .execute_raw(&format!(
            "DELETE FROM checkpoints WHERE fund_code = 'HN-VNN' AND size > {}",
            older.0
        ))
        .await
        .unwrap();
    std::fs::write(lie("rollback"), &trusted).unwrap();
    let (code, out) = watch(lie("rollback")).await;
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "ROLLBACK: the server's latest checkpoint has {} entries; it signed {second} before",
            older.0
        )),
        "{out}"
    );
    serve_checkpoint(&store, "HN-VNN", second, &real).await;

    // History rewritten: a larger tree whose root does not extend the one
    // verified (the key signed whatever it was given).
    some_history(&app, &clerk, 3).await;
    let third = app.size("HN-VNN").await;
    let rewritten = key
        .sign(third, &sovang::ledger::merkle::leaf_hash(b"rewritten"))
        .unwrap();
    let honest_third = store.latest_checkpoint("HN-VNN").await.unwrap().unwrap().1;
    serve_checkpoint(&store, "HN-VNN", third, &rewritten).await;
    std::fs::write(lie("rewrite"), &trusted).unwrap();
    let (code, out) = watch(lie("rewrite")).await;
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FORK: the checkpoint of size") && out.contains("history was rewritten"),
        "{out}"
    );
    serve_checkpoint(&store, "HN-VNN", third, &honest_third).await;

    // An entry rewritten after it was signed, among the new ones.
    let entries_guard = match store.backend() {
        Backend::Sqlite => "DROP TRIGGER entries_no_update",
        Backend::Postgres => "DROP TRIGGER entries_append_only ON entries",
    };
    store.execute_raw(entries_guard).await.unwrap();
    let target = second;
    let changed =
        crate::helpers::rewrite_entry(&store, "HN-VNN", target, "\"10000\"", "\"90000\"").await;
    assert_eq!(changed, 1);
    std::fs::write(lie("entry"), &trusted).unwrap();
    let (code, out) = watch(lie("entry")).await;
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&format!("REWRITTEN: seq {target}")), "{out}");

    // The honest state file still holds what was verified.
    assert_eq!(std::fs::read_to_string(&state).unwrap(), trusted);
    store.close().await;
}

crate::both!(
    an_export_verifies_offline_and_each_lie_is_named,
    a_watcher_follows_an_honest_server_and_names_each_lie
);
