//! A database written by the version-1 code (commit b8244e3, entries
//! `"v":1`) opened by this code: the migrations run, every fund still
//! verifies and replays, its size and root are the ones the old server
//! published, every closed period keeps its sealed statement hash, the old
//! tokens still work and still name the same actor, and what is appended
//! now is written as version 2 beside the version-1 history (SPEC §3).
//!
//! The fixture, `tests/fixtures/v1-demo/`, is the old server's
//! `serve --demo` (seeded with the clock at 2026-11-25), then, with the
//! clock at 2026-12-01, 2026-10 closed in HN-PX-VNN and 2026-11 closed in
//! every fund, and a gift, an expense, spoiled goods and the reversal of a
//! November gift recorded in HN-PX-VNN after the closings. `expected.json`
//! holds what the old server answered: each fund's size, root, balance and
//! signed checkpoint, each closed period's entry and statement hash, a
//! demo clerk token with its id, and one household's private record as
//! the old code stored it.
//!
//! The fixture is a SQLite file. On PostgreSQL the same test runs on the
//! database the old code would have kept there: the schema its migrations
//! (1 to 7) made, with every row of the fixture copied in, each value
//! read by PostgreSQL from its JSON form into the column's own type.

use std::path::Path;

use serde_json::{json, Value};
use sovang::store::{new_person_id, NewToken};

use crate::helpers::{spawn_on, today_vn, Db, TestApp, TestDb};

fn fixture_dir() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/v1-demo"
    ))
}

/// Every entry of `fund`, each as its canonical JSON with its hash.
async fn all_entries(app: &TestApp, fund: &str) -> Vec<(Value, String)> {
    let mut out = Vec::new();
    loop {
        let a = app
            .get(&format!(
                "/funds/{fund}/entries?from={}&limit=1000",
                out.len()
            ))
            .await;
        assert_eq!(a.status, 200, "{}", a.text);
        let page = a.body["entries"].as_array().expect("entries").clone();
        for e in &page {
            let canonical: Value =
                serde_json::from_str(e["canonical"].as_str().expect("canonical")).expect("JSON");
            out.push((canonical, e["hash"].as_str().expect("hash").to_owned()));
        }
        if page.len() < 1000 {
            return out;
        }
    }
}

/// The last migration the version-1 code had.
const V1_MIGRATIONS: i64 = 7;

/// Makes the version-1 schema in the empty PostgreSQL database at `url`
/// with the old code's migrations, and copies every row of the fixture
/// into it, as that code would have stored them there.
async fn v1_on_postgres(url: &str) {
    use rusqlite::types::ValueRef;
    let mut migrator = sqlx::migrate::Migrator::new(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/migrations/postgres"
    )))
    .await
    .expect("the PostgreSQL migrations");
    migrator.migrations = migrator
        .migrations
        .iter()
        .filter(|m| m.version <= V1_MIGRATIONS)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    let pool = sqlx::PgPool::connect(url).await.expect("PostgreSQL");
    migrator.run(&pool).await.expect("the version-1 migrations");

    let src = rusqlite::Connection::open_with_flags(
        fixture_dir().join("sovang.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("the fixture");
    let tables: Vec<String> = src
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations' ORDER BY name",
        )
        .and_then(|mut q| q.query_map([], |r| r.get(0))?.collect())
        .expect("the fixture's tables");
    assert!(tables.len() >= 15, "{tables:?}");
    let mut tx = pool.begin().await.expect("a transaction");
    // Rows go in table by table; foreign keys are the fixture's own.
    sqlx::query("SET LOCAL session_replication_role = replica")
        .execute(&mut *tx)
        .await
        .expect("replica role");
    for table in &tables {
        let mut q = src
            .prepare(&format!("SELECT * FROM \"{table}\""))
            .expect("select");
        let names: Vec<String> = q.column_names().iter().map(|n| (*n).to_owned()).collect();
        let mut rows = q.query([]).expect("rows");
        let mut out = Vec::new();
        while let Some(row) = rows.next().expect("a row") {
            let mut m = serde_json::Map::new();
            for (i, name) in names.iter().enumerate() {
                let v = match row.get_ref(i).expect("a value") {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(n) => json!(n),
                    ValueRef::Real(x) => json!(x),
                    ValueRef::Text(t) => json!(String::from_utf8_lossy(t)),
                    ValueRef::Blob(b) => json!(format!("\\x{}", hex::encode(b))),
                };
                m.insert(name.clone(), v);
            }
            out.push(Value::Object(m));
        }
        let copied = sqlx::query(&format!(
            "INSERT INTO {table} SELECT * FROM json_populate_recordset(NULL::{table}, $1::json)"
        ))
        .bind(Value::Array(out.clone()).to_string())
        .execute(&mut *tx)
        .await
        .unwrap_or_else(|e| panic!("copying {table}: {e}"));
        assert_eq!(copied.rows_affected(), out.len() as u64, "{table}");
    }
    sqlx::query(
        "SELECT setval(pg_get_serial_sequence('access_log', 'id'), \
         COALESCE((SELECT MAX(id) FROM access_log), 0) + 1, false)",
    )
    .execute(&mut *tx)
    .await
    .expect("the access log's sequence");
    tx.commit().await.expect("commit");
    pool.close().await;
}

/// The fixture copied into a fresh data directory (and, on PostgreSQL,
/// into a fresh database), with a new admin token stored beside the old
/// ones (the service writes `admin.token` only into a database without
/// tokens). Opening the store runs the migrations. None when PostgreSQL
/// is asked for and cannot be had.
async fn v1_data_dir(kind: Db) -> Option<TestDb> {
    let db = TestDb::new(kind).await?;
    std::fs::copy(
        fixture_dir().join("master.key"),
        db.data_dir().join("master.key"),
    )
    .expect("copying the fixture's master.key");
    match &db.pg {
        None => {
            std::fs::copy(
                fixture_dir().join("sovang.db"),
                db.data_dir().join("sovang.db"),
            )
            .expect("copying the fixture's database");
        }
        Some(pg) => v1_on_postgres(&pg.url).await,
    }
    let store = db.store().await;
    let (id, token, hash) = sovang::auth::new_token();
    let person = new_person_id();
    store
        .create_token(
            &NewToken {
                id: &id,
                name: "test admin",
                role: "admin",
                committee_code: None,
                secret_sha256: &hash,
                expires_on: None,
                person_id: &person,
                new_person: true,
            },
            None,
            &sovang::store::AdminAction::cli("token_created", &id, "", serde_json::json!({})),
        )
        .await
        .expect("store an admin token");
    store.close().await;
    std::fs::write(db.data_dir().join("admin.token"), format!("{token}\n")).expect("admin.token");
    Some(db)
}

/// The fund's audit: verify (shallow and deep) must be sound at `size`
/// and `root`; replay must find the books equal to the ledger's.
async fn assert_sound(app: &TestApp, fund: &str, size: u64, root: &str) {
    for deep in ["false", "true"] {
        let v = app
            .get_as(
                &format!("/funds/{fund}/audit/verify?deep={deep}"),
                &app.admin,
            )
            .await;
        assert_eq!(v.status, 200, "{}", v.text);
        assert_eq!(
            v.body["sound"], true,
            "verify of {fund} (deep {deep}): {}",
            v.text
        );
        assert_eq!(v.body["size"], size, "verify of {fund}: {}", v.text);
        assert_eq!(v.body["root"], root, "verify of {fund}: {}", v.text);
    }
    let r = app
        .get_as(&format!("/funds/{fund}/audit/replay"), &app.admin)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.body["replay_error"],
        Value::Null,
        "replay of {fund}: {}",
        r.text
    );
    assert_eq!(
        r.body["differences"],
        json!([]),
        "replay of {fund}: {}",
        r.text
    );
    assert_eq!(r.body["consistent"], true, "replay of {fund}: {}", r.text);
    assert_eq!(r.body["size"], size, "replay of {fund}: {}", r.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_1_database_migrates_and_keeps_its_hashes_on_sqlite() {
    migrates_and_keeps_its_hashes(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_1_database_migrates_and_keeps_its_hashes_on_postgres() {
    migrates_and_keeps_its_hashes(Db::Postgres).await;
}

async fn migrates_and_keeps_its_hashes(kind: Db) {
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture_dir().join("expected.json")).expect("expected.json"),
    )
    .expect("expected.json is JSON");
    let Some(db) = v1_data_dir(kind).await else {
        return;
    };
    let settings = db.settings();
    let app = spawn_on(db, settings).await;

    // Every fund: the size, root, balance and signed checkpoint the old
    // server published; sound and consistent; every entry still version 1.
    let funds = expected["funds"].as_object().expect("funds");
    let listed = app.get("/funds").await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert_eq!(
        listed.body["funds"].as_array().expect("funds").len(),
        funds.len()
    );
    for (fund, want) in funds {
        let view = app.fund_view(fund).await;
        assert_eq!(view["size"], want["size"], "{fund}: {view}");
        assert_eq!(view["root"], want["root"], "{fund}: {view}");
        assert_eq!(view["balance_vnd"], want["balance_vnd"], "{fund}: {view}");
        assert_eq!(
            view["periods_closed"], want["periods_closed"],
            "{fund}: {view}"
        );
        // The same signed checkpoint; the committee above may have
        // cosigned it since the service started (SPEC §12).
        let checkpoint = app.get(&format!("/funds/{fund}/checkpoint")).await;
        let signed = want["checkpoint"].as_str().expect("checkpoint");
        let cosignatures = checkpoint
            .text
            .strip_prefix(signed)
            .unwrap_or_else(|| panic!("{fund}: {} is not {signed}", checkpoint.text));
        assert!(
            cosignatures
                .lines()
                .all(|l| l.starts_with("— sovang.local/committee/")),
            "{fund}: {cosignatures}"
        );
        let size = want["size"].as_u64().expect("size");
        assert_sound(&app, fund, size, want["root"].as_str().expect("root")).await;
        let entries = all_entries(&app, fund).await;
        assert_eq!(entries.len() as u64, size, "{fund}");
        for (e, _) in &entries {
            assert_eq!(e["v"], 1, "{fund} seq {}: {e}", e["seq"]);
        }
    }

    // Every receipt the old code gave out (its own table then, a column of
    // the gift's row in the statement now) still opens, with a proof, and
    // each gift is found by its donor's name in the statement.
    let old = rusqlite::Connection::open_with_flags(
        fixture_dir().join("sovang.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("the fixture");
    let receipts: Vec<(String, String, String, i64, String)> = old
        .prepare(
            "SELECT r.code, r.receipt_no, r.fund_code, r.seq, d.donor_search FROM receipts r \
             JOIN donations d ON d.fund_code = r.fund_code AND d.seq = r.seq ORDER BY r.code",
        )
        .expect("receipts")
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .expect("receipts")
        .collect::<Result<_, _>>()
        .expect("receipts");
    assert!(receipts.len() >= 5, "the fixture gives receipts");
    for (code, receipt_no, fund, seq, donor) in &receipts {
        let r = app.get(&format!("/receipts/{code}")).await;
        assert_eq!(r.status, 200, "{code}: {}", r.text);
        assert_eq!(
            (&r.body["receipt_no"], &r.body["fund"], &r.body["seq"]),
            (&json!(receipt_no), &json!(fund), &json!(seq)),
            "{}",
            r.text
        );
        let hex = |v: &Value| sovang::ledger::merkle::from_hex(v.as_str().unwrap()).unwrap();
        let view = app.fund_view(fund).await;
        let size = view["size"].as_u64().unwrap();
        assert_eq!(r.body["proof"]["size"], size, "{}", r.text);
        let path: Vec<_> = r.body["proof"]["path"]
            .as_array()
            .unwrap()
            .iter()
            .map(hex)
            .collect();
        sovang::ledger::merkle::verify_inclusion(
            *seq as u64,
            size,
            &hex(&r.body["leaf_hash"]),
            &path,
            &hex(&view["root"]),
        )
        .unwrap_or_else(|e| panic!("{code}: {e:?}"));
        let found = app
            .get(&format!(
                "/funds/{fund}/donations?q={}&receipt_no={receipt_no}",
                donor.replace(' ', "%20")
            ))
            .await;
        assert_eq!(found.status, 200, "{}", found.text);
        assert_eq!(
            found.body["donations"][0]["receipt_no"],
            json!(receipt_no),
            "{donor:?}: {}",
            found.text
        );
    }

    // A household's private record, stored by the old code in plaintext,
    // reads back as it was (whatever the new code does to it at rest).
    let private = &expected["household_private"];
    let h = app
        .get_as(
            &format!(
                "/households/{}?fund={}",
                private["household_id"].as_str().expect("household_id"),
                private["fund"].as_str().expect("fund")
            ),
            &app.admin,
        )
        .await;
    assert_eq!(h.status, 200, "{}", h.text);
    assert_eq!(
        h.body["records"][0]["private"], private["private"],
        "{}",
        h.text
    );
    assert_eq!(h.body["records"][0]["salt"], private["salt"], "{}", h.text);

    // Every closed period: its entry unchanged, and the statement the
    // service makes of it now hashes as it did when it was sealed.
    let closed = expected["closed_periods"]
        .as_array()
        .expect("closed_periods");
    assert!(closed.len() >= 2, "the fixture closes periods");
    for want in closed {
        let (fund, period, seq) = (
            want["fund"].as_str().expect("fund"),
            want["period"].as_str().expect("period"),
            want["seq"].as_u64().expect("seq"),
        );
        let e = app.get(&format!("/funds/{fund}/entries/{seq}")).await;
        assert_eq!(e.status, 200, "{}", e.text);
        assert_eq!(e.body["hash"], want["entry_hash"], "{fund} {period}");
        let canonical: Value =
            serde_json::from_str(e.body["canonical"].as_str().expect("canonical")).expect("JSON");
        assert_eq!(canonical["kind"], "period_closed");
        assert_eq!(canonical["body"]["period"], period);
        assert_eq!(
            canonical["body"]["statement_sha256"],
            want["statement_sha256"]
        );
        let st = app
            .get(&format!("/funds/{fund}/statement?period={period}"))
            .await;
        assert_eq!(st.status, 200, "{}", st.text);
        if st.body["statement_sha256"] != want["statement_sha256"] {
            // Show what changed before failing on the hash.
            assert_eq!(
                st.body, want["statement"],
                "statement of {fund} {period} changed"
            );
        }
        assert_eq!(
            st.body["statement_sha256"], want["statement_sha256"],
            "statement hash of {fund} {period}"
        );
        assert_eq!(
            st.body["closing"]["balance_vnd"], want["closing_balance_vnd"],
            "{fund} {period}"
        );
    }

    // An old token: its entries name it as their actor (its person has
    // its id), it still works, and what it writes now is version 2.
    let old = &expected["tokens"]["clerk_hn_px"];
    let (old_id, old_token) = (
        old["id"].as_str().expect("id"),
        old["token"].as_str().expect("token"),
    );
    let fund = expected["sample_entries"]["fund"].as_str().expect("fund");
    let before = funds[fund].clone();
    let entries = all_entries(&app, fund).await;
    let december = expected["sample_entries"]["december_gift_seq"]
        .as_u64()
        .expect("seq") as usize;
    assert_eq!(entries[december].0["actor"], old_id);
    let written_by_old = entries.iter().filter(|(e, _)| e["actor"] == old_id).count();
    assert!(written_by_old > 100, "{written_by_old} entries by {old_id}");
    let store = app.db.store().await;
    assert!(
        store.person_exists(old_id).await.expect("persons"),
        "the old token {old_id} became a person of its own"
    );
    store.close().await;

    let new = app
        .record(
            fund,
            old_token,
            "donation_cash",
            json!({"donor": {"display": "Trần Thị Sau Nâng Cấp", "kind": "individual"},
                   "amount_vnd": "700000", "channel": "bank_transfer",
                   "received_on": today_vn(), "bank_ref": "FT26336000001"}),
        )
        .await;
    let canonical: Value =
        serde_json::from_str(new["canonical"].as_str().expect("canonical")).expect("JSON");
    let old_size = before["size"].as_u64().expect("size");
    assert_eq!(canonical["v"], 2, "{canonical}");
    assert_eq!(canonical["seq"], old_size);
    assert_eq!(
        canonical["actor"], old_id,
        "the old token's person is its own id"
    );
    assert_eq!(canonical["prev"], entries.last().expect("entries").1);

    // The new entry extends the old tree: a consistency proof from the old
    // root, and the whole fund, both versions, verifies and replays.
    let view = app.fund_view(fund).await;
    assert_eq!(view["size"], old_size + 1);
    let root = view["root"].as_str().expect("root").to_owned();
    let proof = app
        .get(&format!(
            "/funds/{fund}/proof/consistency?from={old_size}&to={}",
            old_size + 1
        ))
        .await;
    assert_eq!(proof.status, 200, "{}", proof.text);
    assert_eq!(proof.body["from_root"], before["root"]);
    assert_eq!(proof.body["to_root"], root.as_str());
    // The checkpoint covering the new entry is signed within the interval.
    let mut signed = false;
    for _ in 0..50 {
        let cp = app.get(&format!("/funds/{fund}/checkpoint")).await.text;
        if cp.lines().nth(1) == Some((old_size + 1).to_string().as_str()) {
            signed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(signed, "a checkpoint covers the new entry");
    assert_sound(&app, fund, old_size + 1, &root).await;
    let versions: Vec<u64> = all_entries(&app, fund)
        .await
        .iter()
        .map(|(e, _)| e["v"].as_u64().expect("v"))
        .collect();
    assert!(versions[..old_size as usize].iter().all(|v| *v == 1));
    assert_eq!(versions[old_size as usize], 2);

    // The closed periods of that fund are as they were.
    for want in closed.iter().filter(|c| c["fund"] == fund) {
        let st = app
            .get(&format!(
                "/funds/{fund}/statement?period={}",
                want["period"].as_str().unwrap()
            ))
            .await;
        assert_eq!(st.body["statement_sha256"], want["statement_sha256"]);
    }

    app.stop().await;
}
