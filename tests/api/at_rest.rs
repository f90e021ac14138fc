//! Private records at rest (SPEC §9): households' private records and the
//! salts of their commitments are stored encrypted with a key derived from
//! `master.key`, so the database alone, its files or its rows, shows none
//! of them; records stored in plaintext before are encrypted when the
//! service starts; a value that does not decrypt for its row is refused
//! cleanly, never shown.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sovang::ledger::checkpoint::MasterSecret;
use sovang::store::at_rest::{RecordKey, Slot};
use sqlx::Row;

use crate::helpers::{spawn_on, TestApp, TestDb};

const NAME: &str = "Lương Thị Quỳnh Hoa";
const CCCD: &str = "001190045678";
const PHONE: &str = "0912345670";
const ADDRESS: &str = "Số 7, ngõ 12, thôn Đông Lỗ";
const F: &str = "HN-VNN";

/// What a copy of the database must never show.
const SECRETS: [&str; 4] = [NAME, CCCD, PHONE, ADDRESS];

fn register(id: &str, cccd: &str) -> Value {
    json!({"kind": "household_registered",
        "body": {"household_id": id, "commune_code": "HN", "hamlet": "Thôn Đông",
                 "category": "poor", "members": 4, "review_year": 2026},
        "private": {"head_name": NAME, "cccd": cccd, "phone": PHONE, "address": ADDRESS}})
}

/// A household's row as stored: (record, salt).
type Stored = (String, String);

async fn pool(db: &TestDb) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    sqlx::AnyPool::connect(&db.database_url())
        .await
        .expect("connect to the test database")
}

async fn stored(db: &TestDb, household_id: &str) -> Stored {
    let pool = pool(db).await;
    let row = sqlx::query(
        "SELECT record, salt FROM household_private WHERE fund_code = $1 AND household_id = $2",
    )
    .bind(F)
    .bind(household_id)
    .fetch_one(&pool)
    .await
    .expect("the household's row");
    let found = (row.get("record"), row.get("salt"));
    pool.close().await;
    found
}

async fn store_raw(db: &TestDb, household_id: &str, (record, salt): &Stored) {
    let pool = pool(db).await;
    let done = sqlx::query(
        "UPDATE household_private SET record = $1, salt = $2 WHERE fund_code = $3 AND household_id = $4",
    )
    .bind(record.as_str())
    .bind(salt.as_str())
    .bind(F)
    .bind(household_id)
    .execute(&pool)
    .await
    .expect("rewrite the row");
    assert_eq!(done.rows_affected(), 1);
    pool.close().await;
}

/// On PostgreSQL, the file that holds `household_private`'s rows.
async fn pg_table_file(db: &TestDb) -> Option<i64> {
    db.pg.as_ref()?;
    let pool = pool(db).await;
    let row = sqlx::query("SELECT pg_relation_filenode('household_private')::BIGINT AS node")
        .fetch_one(&pool)
        .await
        .expect("the table's file");
    pool.close().await;
    Some(row.get("node"))
}

/// The bytes of the SQLite database and its log, or nothing on
/// PostgreSQL.
fn sqlite_files(db: &TestDb) -> Vec<(String, Vec<u8>)> {
    if db.pg.is_some() {
        return Vec::new();
    }
    ["sovang.db", "sovang.db-wal", "sovang.db-shm"]
        .into_iter()
        .filter_map(|name| {
            let bytes = std::fs::read(db.data_dir().join(name)).ok()?;
            Some((name.to_owned(), bytes))
        })
        .collect()
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// Neither the row nor (on SQLite) the database's files hold `secrets`.
async fn nothing_shows(db: &TestDb, household_id: &str, secrets: &[&str]) {
    let (record, salt) = stored(db, household_id).await;
    assert!(record.starts_with("sv1:"), "record stored as {record}");
    assert!(salt.starts_with("sv1:"), "salt stored as {salt}");
    for s in secrets {
        assert!(!record.contains(s) && !salt.contains(s), "{s:?} in the row");
    }
    for (name, bytes) in sqlite_files(db) {
        for s in secrets {
            assert!(!contains(&bytes, s), "{s:?} in {name}");
        }
    }
}

/// Reads the household's record as `token`: (private record, salt).
async fn read(app: &TestApp, token: &str, household_id: &str) -> (Value, String) {
    let a = app
        .get_as(&format!("/households/{household_id}?fund={F}"), token)
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let r = &a.body["records"][0];
    (
        r["private"].clone(),
        r["salt"].as_str().expect("salt").to_owned(),
    )
}

/// The ledger's commitment to the household equals SHA-256(salt, "\n",
/// canonical record) of what was read.
async fn commitment_holds(app: &TestApp, household_id: &str, (record, salt): &(Value, String)) {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update(b"\n");
    h.update(record.to_string().as_bytes());
    let households = app.get(&format!("/funds/{F}/households")).await.body;
    let listed = households["households"]
        .as_array()
        .expect("households")
        .iter()
        .find(|h| h["household_id"] == household_id)
        .expect("the household is listed")
        .clone();
    assert_eq!(listed["commitment"], hex::encode(h.finalize()));
}

async fn access_log_len(app: &TestApp, inspector: &str) -> usize {
    let log = app.get_as("/audit/access-log", inspector).await;
    assert_eq!(log.status, 200, "{}", log.text);
    log.body["access_log"].as_array().expect("log").len()
}

async fn private_records_are_stored_encrypted_and_read_back_logged(app: TestApp) {
    let clerk = app.with_fund().await;
    let inspector = app.token("inspector", "HN").await;
    app.record_batch(F, &clerk, vec![register("ho-hoa", CCCD)])
        .await;

    let read_back = read(&app, &clerk, "ho-hoa").await;
    assert_eq!(read_back.0["head_name"], NAME);
    assert_eq!(read_back.0["cccd"], CCCD);
    assert_eq!(read_back.0["address"], ADDRESS);
    commitment_holds(&app, "ho-hoa", &read_back).await;
    // Nor does the salt show: with it, a guessed record could be tested
    // against the public commitment.
    let salt = read_back.1.clone();
    let mut secrets = SECRETS.to_vec();
    secrets.push(&salt);
    nothing_shows(&app.db, "ho-hoa", &secrets).await;
    assert_eq!(access_log_len(&app, &inspector).await, 1);
    let again = read(&app, &inspector, "ho-hoa").await;
    assert_eq!(again, read_back);
    assert_eq!(access_log_len(&app, &inspector).await, 2);

    // The row opens with the key derived from this deployment's
    // master.key, and only for its own row.
    let secret = sovang::app::master_secret(&app.db.data_dir()).expect("master.key");
    let key = RecordKey::new(&secret);
    let (record, _) = stored(&app.db, "ho-hoa").await;
    let slot = |household_id| Slot {
        column: "record",
        fund: F,
        household_id,
    };
    let opened: Value = serde_json::from_str(&key.open(slot("ho-hoa"), &record).expect("opens"))
        .expect("a JSON record");
    assert_eq!(opened, read_back.0);
    assert!(key.open(slot("ho-other"), &record).is_err());

    // Still nothing in the files once the log is copied into the database.
    let db = app.stop().await;
    nothing_shows(&db, "ho-hoa", &secrets).await;
}

async fn plaintext_records_are_encrypted_when_the_service_starts(app: TestApp) {
    let clerk = app.with_fund().await;
    let inspector = app.token("inspector", "HN").await;
    const OTHER_CCCD: &str = "001190045679";
    app.record_batch(
        F,
        &clerk,
        vec![register("ho-1", CCCD), register("ho-2", OTHER_CCCD)],
    )
    .await;
    let first = read(&app, &clerk, "ho-1").await;
    let second = read(&app, &clerk, "ho-2").await;

    // A database written before records were encrypted: the same rows in
    // plaintext, as that version stored them.
    let db = app.stop().await;
    let legacy = |(record, salt): &(Value, String)| (record.to_string(), salt.clone());
    store_raw(&db, "ho-1", &legacy(&first)).await;
    store_raw(&db, "ho-2", &legacy(&second)).await;
    assert_eq!(stored(&db, "ho-1").await, legacy(&first));
    if db.pg.is_none() {
        let files = sqlite_files(&db);
        assert!(
            files.iter().any(|(_, b)| contains(b, CCCD)),
            "the plaintext was written to the files"
        );
    }
    let table_file = pg_table_file(&db).await;

    // The service encrypts them on start, compacts the database, and the
    // records read back as they were, their commitments holding.
    let settings = db.settings();
    let app = spawn_on(db, settings).await;
    let mut secrets = SECRETS.to_vec();
    secrets.extend([OTHER_CCCD, first.1.as_str(), second.1.as_str()]);
    nothing_shows(&app.db, "ho-1", &secrets).await;
    nothing_shows(&app.db, "ho-2", &secrets).await;
    // On PostgreSQL the table was rewritten (VACUUM FULL) into a new file.
    if app.db.pg.is_some() {
        assert_ne!(pg_table_file(&app.db).await, table_file);
    }
    let sealed = (stored(&app.db, "ho-1").await, stored(&app.db, "ho-2").await);
    assert_eq!(read(&app, &clerk, "ho-1").await, first);
    assert_eq!(read(&app, &inspector, "ho-2").await, second);
    commitment_holds(&app, "ho-1", &first).await;
    commitment_holds(&app, "ho-2", &second).await;
    assert_eq!(
        access_log_len(&app, &inspector).await,
        4,
        "every read logged"
    );

    // Once is enough: the next start finds nothing to encrypt and leaves
    // the sealed rows as they are.
    let db = app.stop().await;
    let settings = db.settings();
    let app = spawn_on(db, settings).await;
    assert_eq!(
        (stored(&app.db, "ho-1").await, stored(&app.db, "ho-2").await),
        sealed
    );
    assert_eq!(read(&app, &clerk, "ho-1").await, first);
    nothing_shows(&app.db, "ho-2", &secrets).await;
}

async fn a_record_that_does_not_decrypt_for_its_row_is_refused_not_shown(app: TestApp) {
    let clerk = app.with_fund().await;
    let inspector = app.token("inspector", "HN").await;
    const OTHER_CCCD: &str = "001190045679";
    app.record_batch(
        F,
        &clerk,
        vec![register("ho-a", CCCD), register("ho-b", OTHER_CCCD)],
    )
    .await;
    let a = read(&app, &clerk, "ho-a").await;
    let b_stored = stored(&app.db, "ho-b").await;
    let logged = access_log_len(&app, &inspector).await;

    let mut secrets = SECRETS.to_vec();
    secrets.extend([OTHER_CCCD, a.1.as_str()]);
    let refused = |answer: &crate::helpers::Answer| {
        answer.problem(500);
        for s in &secrets {
            assert!(!answer.text.contains(s), "{s:?} shown: {}", answer.text);
        }
    };
    let path = format!("/households/ho-b?fund={F}");

    // Household a's sealed record copied into household b's row.
    store_raw(&app.db, "ho-b", &stored(&app.db, "ho-a").await).await;
    refused(&app.get_as(&path, &clerk).await);
    refused(&app.get_as("/households/ho-b", &inspector).await);

    // b's own record sealed with a key from another master.key.
    let plain = (
        json!({"head_name": NAME, "cccd": OTHER_CCCD, "phone": PHONE, "address": ADDRESS})
            .to_string(),
        "00".repeat(16),
    );
    let other = RecordKey::new(&MasterSecret::generate());
    let seal = |column, text: &str| {
        let slot = Slot {
            column,
            fund: F,
            household_id: "ho-b",
        };
        other.seal(slot, text).expect("seals")
    };
    let foreign = (seal("record", &plain.0), seal("salt", &plain.1));
    store_raw(&app.db, "ho-b", &foreign).await;
    refused(&app.get_as(&path, &clerk).await);

    // A plaintext value slipped into the row after the start is not shown
    // either: only what this deployment sealed is read.
    store_raw(&app.db, "ho-b", &plain).await;
    refused(&app.get_as(&path, &clerk).await);

    // A refused read read nothing, so logged no read; the other household
    // still reads, and b reads again once its own row is back.
    assert_eq!(access_log_len(&app, &inspector).await, logged);
    assert_eq!(read(&app, &clerk, "ho-a").await, a);
    store_raw(&app.db, "ho-b", &b_stored).await;
    assert_eq!(read(&app, &clerk, "ho-b").await.0["cccd"], OTHER_CCCD);
    assert_eq!(access_log_len(&app, &inspector).await, logged + 2);
}

crate::both!(
    private_records_are_stored_encrypted_and_read_back_logged,
    plaintext_records_are_encrypted_when_the_service_starts,
    a_record_that_does_not_decrypt_for_its_row_is_refused_not_shown
);
