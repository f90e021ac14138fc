//! `sovang backup` and `sovang restore`: a copy taken while gifts are being
//! recorded is restored on a fresh machine (its database and the
//! `master.key` kept apart), verifies, and takes new gifts; what either
//! command refuses changes nothing.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use serde_json::json;

use crate::helpers::{gift, spawn_on, Db, TestApp, TestDb};

/// Runs `sovang` on `db`'s database and data directory.
async fn sovang(db: &TestDb, args: &[&str]) -> (i32, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_sovang"))
        .args(args)
        .args(["--database-url", &db.database_url(), "--data-dir"])
        .arg(db.data_dir())
        .env("RUST_LOG", "error")
        .output()
        .await
        .expect("run sovang");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// The entries `verify` counted in a fund, from its OK line.
fn verified_size(out: &str, fund: &str) -> u64 {
    let line = out
        .lines()
        .find(|l| l.starts_with(&format!("fund {fund}: OK: ")))
        .unwrap_or_else(|| panic!("no OK line for {fund}: {out}"));
    line.split_whitespace()
        .nth(3)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{line}"))
}

fn kind(app: &TestApp) -> Db {
    if app.db.database_url().starts_with("sqlite:") {
        Db::Sqlite
    } else {
        Db::Postgres
    }
}

async fn a_backup_taken_while_gifts_come_in_restores_verifies_and_goes_on(app: TestApp) {
    let clerk = app.with_fund().await;
    let fund = "HN-VNN";
    for n in 1..=5 {
        let g = gift(json!((n * 100_000).to_string()));
        app.record(fund, &clerk, "donation_cash", g["body"].clone())
            .await;
    }
    let before = app.size(fund).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(match kind(&app) {
        Db::Sqlite => "sovang-backup.db",
        Db::Postgres => "sovang-backup.dump",
    });
    let file_arg = file.to_str().unwrap();

    // A clerk goes on recording gifts while the operator takes the copy.
    let done = AtomicBool::new(false);
    let during = AtomicU64::new(0);
    let writing = async {
        while !done.load(Ordering::SeqCst) {
            let g = gift(json!("250000"));
            app.record(fund, &clerk, "donation_cash", g["body"].clone())
                .await;
            during.fetch_add(1, Ordering::SeqCst);
        }
    };
    let copying = async {
        let out = sovang(&app.db, &["backup", "--out", file_arg]).await;
        done.store(true, Ordering::SeqCst);
        out
    };
    let ((code, out), ()) = tokio::join!(copying, writing);
    assert_eq!(code, 0, "{out}");
    assert!(
        during.load(Ordering::SeqCst) >= 1,
        "gifts were recorded while the copy was taken"
    );
    assert!(out.contains("master.key is not in the backup"), "{out}");
    let part = dir.path().join(format!(
        "{}.part",
        file.file_name().unwrap().to_str().unwrap()
    ));
    assert!(file.exists() && !part.exists());
    let after = app.size(fund).await;

    // SQLite copies are verified as they are made; the size they hold is
    // the ledger as of one moment between the first gifts and the last.
    let restored_db = TestDb::new(kind(&app)).await.expect("a second database");
    // The operator puts back the master.key kept apart, and the first
    // admin token they were given.
    for file in ["master.key", "admin.token"] {
        std::fs::copy(
            app.db.data_dir().join(file),
            restored_db.data_dir().join(file),
        )
        .expect("a file kept apart");
    }
    if kind(&app) == Db::Sqlite {
        assert!(out.contains("1 funds verified, 0 failed"), "{out}");
        let (code, checked) =
            sovang(&restored_db, &["restore", "--check", "--from", file_arg]).await;
        assert_eq!(code, 0, "{checked}");
        assert!(
            checked.contains("verifies; nothing was changed"),
            "{checked}"
        );
        assert!(!restored_db.data_dir().join("sovang.db").exists());
    }
    let (code, out) = sovang(&restored_db, &["restore", "--from", file_arg]).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("1 funds verified, 0 failed"), "{out}");
    assert!(
        out.contains("only with the master.key of the server"),
        "{out}"
    );
    let size = verified_size(&out, fund);
    assert!(
        (before..=after).contains(&size),
        "{before} <= {size} <= {after}"
    );

    // The restored service answers with the copied ledger, knows the
    // clerk's token, and takes the next gift on the same chain.
    let settings = restored_db.settings();
    let restored = spawn_on(restored_db, settings).await;
    assert_eq!(restored.size(fund).await, size);
    let g = gift(json!("300000"));
    let next = restored
        .record(fund, &clerk, "donation_cash", g["body"].clone())
        .await;
    assert_eq!(next["seq"], size, "{next}");
    restored.signed(fund).await;
    let (code, out) = sovang(&restored.db, &["verify", "--all", "--deep"]).await;
    assert_eq!(code, 0, "{out}");
    assert_eq!(verified_size(&out, fund), size + 1);

    // A backup is never written over a file, and a restore never over a
    // ledger: both refuse, and nothing changes.
    let kept = std::fs::read(&file).unwrap();
    let (code, out) = sovang(&app.db, &["backup", "--out", file_arg]).await;
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("exists already"), "{out}");
    assert_eq!(std::fs::read(&file).unwrap(), kept);
    let (code, out) = sovang(&restored.db, &["restore", "--from", file_arg]).await;
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("nothing was changed"), "{out}");
    assert_eq!(restored.size(fund).await, size + 1);
    assert_eq!(app.size(fund).await, after);
}

async fn what_is_not_a_good_backup_is_refused_and_changes_nothing(app: TestApp) {
    let clerk = app.with_fund().await;
    for n in 1..=3 {
        let g = gift(json!((n * 100_000).to_string()));
        app.record("HN-VNN", &clerk, "donation_cash", g["body"].clone())
            .await;
    }
    let dir = tempfile::tempdir().unwrap();
    let target = TestDb::new(kind(&app)).await.expect("a second database");
    let no_ledger = |target: &TestDb| match kind(&app) {
        Db::Sqlite => assert!(!target.data_dir().join("sovang.db").exists()),
        // The PostgreSQL database is left as it was: no table made.
        Db::Postgres => {}
    };

    // A file that is no backup, an empty one, a missing one.
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "sao kê tháng 11").unwrap();
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, "").unwrap();
    for (from, says) in [
        (&text, "neither an SQLite database nor a pg_dump archive"),
        (&empty, "neither an SQLite database nor a pg_dump archive"),
        (&dir.path().join("missing.db"), "opening"),
    ] {
        let (code, out) = sovang(&target, &["restore", "--from", from.to_str().unwrap()]).await;
        assert_ne!(code, 0, "{out}");
        assert!(out.contains(says), "{out}");
        no_ledger(&target);
    }

    // A backup of the other database kind.
    let other = dir.path().join("other");
    let (magic, says) = match kind(&app) {
        Db::Sqlite => (
            &b"PGDMP\x01\x0e\x00"[..],
            "is a pg_dump archive and the database is SQLite",
        ),
        Db::Postgres => (
            &b"SQLite format 3\0"[..],
            "is an SQLite backup and the database is PostgreSQL",
        ),
    };
    std::fs::write(&other, magic).unwrap();
    let (code, out) = sovang(&target, &["restore", "--from", other.to_str().unwrap()]).await;
    assert_ne!(code, 0, "{out}");
    assert!(out.contains(says), "{out}");
    no_ledger(&target);

    // A backup in a directory that does not exist is not written.
    let nowhere = dir.path().join("no-such-dir").join("b.db");
    let (code, out) = sovang(&app.db, &["backup", "--out", nowhere.to_str().unwrap()]).await;
    assert_ne!(code, 0, "{out}");
    assert!(!nowhere.exists());

    if kind(&app) == Db::Postgres {
        let file = dir.path().join("b.dump");
        let (code, out) = sovang(&app.db, &["backup", "--out", file.to_str().unwrap()]).await;
        assert_eq!(code, 0, "{out}");
        let (code, out) = sovang(
            &target,
            &["restore", "--check", "--from", file.to_str().unwrap()],
        )
        .await;
        assert_ne!(code, 0, "{out}");
        assert!(out.contains("--check reads SQLite backups"), "{out}");
        return;
    }

    // A backup someone changed afterwards: a gift of 200.000 made 2.000.000.
    let file = dir.path().join("b.db");
    let (code, out) = sovang(&app.db, &["backup", "--out", file.to_str().unwrap()]).await;
    assert_eq!(code, 0, "{out}");
    let store = sovang::store::Store::open(&format!("sqlite://{}", file.display()))
        .await
        .unwrap();
    store
        .execute_raw("DROP TRIGGER entries_no_update")
        .await
        .unwrap();
    let gifts: Vec<u64> = store
        .entries("HN-VNN", 0, 1_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.canonical.contains("\"donation_cash\"") && e.canonical.contains("\"200000\""))
        .map(|e| e.seq)
        .collect();
    assert_eq!(gifts.len(), 1);
    let changed =
        crate::helpers::rewrite_entry(&store, "HN-VNN", gifts[0], "\"200000\"", "\"2000000\"")
            .await;
    assert_eq!(changed, 1);
    // Into the database file itself, not left in its write-ahead log,
    // which a copy of the file alone would not carry.
    store
        .execute_raw("PRAGMA wal_checkpoint(TRUNCATE)")
        .await
        .unwrap();
    store.close().await;
    let damaged = std::fs::read(&file).unwrap();
    let (code, out) = sovang(
        &target,
        &["restore", "--check", "--from", file.to_str().unwrap()],
    )
    .await;
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("fund HN-VNN: FAILED at seq"), "{out}");
    assert!(
        out.contains("does not verify; nothing was changed"),
        "{out}"
    );
    let (code, out) = sovang(&target, &["restore", "--from", file.to_str().unwrap()]).await;
    assert_ne!(code, 0, "{out}");
    assert!(
        out.contains("does not verify, so it was not restored"),
        "{out}"
    );
    no_ledger(&target);
    assert!(!target.data_dir().join("sovang.db.part").exists());
    assert_eq!(
        std::fs::read(&file).unwrap(),
        damaged,
        "the backup is left as it was"
    );
}

crate::both!(
    a_backup_taken_while_gifts_come_in_restores_verifies_and_goes_on,
    what_is_not_a_good_backup_is_refused_and_changes_nothing,
);
