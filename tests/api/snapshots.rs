//! Snapshots of the books: a writer starts from the fund's snapshot and
//! folds only the entries after it; a snapshot changed behind the
//! service's back is refused (the books are folded from the ledger), shown
//! as a finding, and named by `verify --deep` and `audit/replay`.

use serde_json::{json, Value};
use sovang::store::{Backend, Store};

use crate::helpers::{gift, spawn_on, TestApp, TestDb};

const F: &str = "HN-VNN";

/// The service again on the same database, saving the books every
/// `every` entries.
async fn restart(app: TestApp, every: u64) -> TestApp {
    let db: TestDb = app.stop().await;
    let mut settings = db.settings();
    settings.ledger.snapshot_every = every;
    spawn_on(db, settings).await
}

async fn snapshot_size(store: &Store) -> u64 {
    store
        .saved_books(F)
        .await
        .expect("read")
        .map_or(0, |s| s.size)
}

/// A campaign, `n` gifts (bank transfers to the campaign every other
/// one) and the seq of each gift.
async fn gifts(app: &TestApp, clerk: &str, n: u64) -> Vec<u64> {
    let mut seqs = Vec::new();
    for i in 1..=n {
        let mut g = gift(json!((i * 100_000).to_string()));
        if i % 2 == 0 {
            g["body"]["campaign_id"] = json!("tet-2027");
        } else {
            g["body"]["channel"] = json!("cash");
            g["body"]
                .as_object_mut()
                .expect("a body")
                .remove("bank_ref");
        }
        let a = app
            .post(&format!("/funds/{F}/entries"), Some(clerk), &g)
            .await;
        assert_eq!(a.status, 201, "{}", a.text);
        seqs.push(a.body["seq"].as_u64().expect("seq"));
    }
    seqs
}

async fn balance(app: &TestApp) -> String {
    app.fund_view(F).await["balance_vnd"]
        .as_str()
        .expect("balance")
        .to_owned()
}

async fn replay_names(app: &TestApp, inspector: &str) -> Vec<(String, String)> {
    let r = app
        .get_as(&format!("/funds/{F}/audit/replay"), inspector)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["differences"]
        .as_array()
        .expect("differences")
        .iter()
        .map(|d| {
            (
                d["object"].as_str().unwrap_or_default().to_owned(),
                d["field"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

async fn refusal_findings(app: &TestApp, inspector: &str) -> Vec<Value> {
    let f = app
        .get_as(&format!("/funds/{F}/audit/findings"), inspector)
        .await;
    assert_eq!(f.status, 200, "{}", f.text);
    f.body["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["kind"] == "books_snapshot_refused")
        .cloned()
        .collect()
}

/// Writes the snapshot's gifts as a literal of the backend's.
async fn set_gifts(store: &Store, bytes: &[u8]) {
    let hex = hex::encode(bytes);
    let literal = match store.backend() {
        Backend::Sqlite => format!("X'{hex}'"),
        Backend::Postgres => format!("decode('{hex}', 'hex')"),
    };
    store
        .execute_raw(&format!(
            "UPDATE book_snapshots SET gifts = {literal} WHERE fund_code = '{F}'"
        ))
        .await
        .expect("edit the snapshot");
}

async fn the_writer_starts_from_its_snapshot_and_reverses_a_gift_the_snapshot_holds(app: TestApp) {
    let app = restart(app, 5).await;
    let clerk = app.with_fund().await;
    let a = app
        .post(
            &format!("/funds/{F}/entries"),
            Some(&clerk),
            &json!({"kind": "campaign_opened", "body": {"campaign_id": "tet-2027",
                "name": "Tết 2027", "kind": "tet", "starts_on": "2026-10-01", "ends_on": "2027-02-28", "window_reason": "Vận động cả năm"}}),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    let seqs = gifts(&app, &clerk, 12).await;
    let store = app.db.store().await;
    let at = snapshot_size(&store).await;
    assert!(at >= 10, "a snapshot every 5 entries: {at}");
    store.close().await;

    // After a restart the writer starts from the snapshot: a gift inside
    // it (a bank transfer to the campaign) is reversed with its figures.
    let app = restart(app, 5).await;
    let inspector = app.token("inspector", "HN").await;
    assert_eq!(balance(&app).await, "7800000");
    let reversal = app
        .post(
            &format!("/funds/{F}/entries"),
            Some(&clerk),
            &json!({"kind": "reversal", "body": {"reverses_seq": seqs[3], "reason": "Ghi nhầm số tiền"}}),
        )
        .await;
    assert_eq!(reversal.status, 201, "{}", reversal.text);
    assert_eq!(balance(&app).await, "7400000");
    let campaign = app.get(&format!("/funds/{F}/campaigns")).await.body["campaigns"][0].clone();
    assert_eq!(campaign["gifts"], 5, "{campaign}");
    assert_eq!(campaign["cash_received_vnd"], "3800000", "{campaign}");
    // Reversed twice: the snapshot remembers the first.
    let again = app
        .post(
            &format!("/funds/{F}/entries"),
            Some(&clerk),
            &json!({"kind": "reversal", "body": {"reverses_seq": seqs[3], "reason": "Ghi nhầm số tiền"}}),
        )
        .await;
    assert_eq!(again.status, 422, "{}", again.text);
    assert_eq!(balance(&app).await, "7400000");
    app.assert_replay_consistent(F, &inspector).await;
    let store = app.db.store().await;
    store.verify_fund(F, true).await.expect("sound");
    assert!(refusal_findings(&app, &inspector).await.is_empty());
    store.close().await;
    app.stop().await;
}

async fn a_snapshot_changed_behind_the_service_s_back_is_named_refused_and_never_trusted(
    app: TestApp,
) {
    let app = restart(app, 5).await;
    let clerk = app.with_fund().await;
    let a = app
        .post(
            &format!("/funds/{F}/entries"),
            Some(&clerk),
            &json!({"kind": "campaign_opened", "body": {"campaign_id": "tet-2027",
                "name": "Tết 2027", "kind": "tet", "starts_on": "2026-10-01", "ends_on": "2027-02-28", "window_reason": "Vận động cả năm"}}),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    let seqs = gifts(&app, &clerk, 8).await;
    let inspector = app.token("inspector", "HN").await;
    let store = app.db.store().await;
    let saved = store
        .saved_books(F)
        .await
        .expect("read")
        .expect("a snapshot");
    let size = saved.size;
    let object = format!("snapshot/{size}");
    store.verify_fund(F, true).await.expect("sound before");

    // 1. Someone raises the balance the snapshot holds by a million.
    let books: Value = serde_json::from_str(&saved.saved.books).expect("json");
    let held = books["book"]["balance_vnd"]
        .as_str()
        .expect("balance")
        .to_owned();
    let raised = (held.parse::<u64>().expect("a number") + 1_000_000).to_string();
    assert_eq!(
        store
            .execute_raw(&format!(
                "UPDATE book_snapshots SET books = replace(books, '\"balance_vnd\":\"{held}\"', '\"balance_vnd\":\"{raised}\"') WHERE fund_code = '{F}'"
            ))
            .await
            .expect("edit"),
        1
    );
    let fault = store.verify_fund(F, true).await.unwrap_err().to_string();
    assert!(
        fault.contains(&object) && fault.contains("book.balance_vnd"),
        "{fault}"
    );
    // Plain verification does not read snapshots; the ledger is sound.
    store
        .verify_fund(F, false)
        .await
        .expect("the ledger itself is sound");
    let named = replay_names(&app, &inspector).await;
    assert!(
        named.contains(&(object.clone(), "book.balance_vnd".into())),
        "{named:?}"
    );

    // A start does not trust it: the books come from the ledger, the
    // next gift lands on the true balance, and inspectors are told.
    let app = restart(app, 5).await;
    let before = balance(&app).await;
    gifts(&app, &clerk, 1).await;
    assert_eq!(
        balance(&app).await,
        (before.parse::<u64>().unwrap() + 100_000).to_string()
    );
    let found = refusal_findings(&app, &inspector).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["severity"], "high");
    assert_eq!(found[0]["seqs"], json!([size - 1]));
    assert!(
        found[0]["message"].as_str().unwrap().contains("MAC"),
        "{}",
        found[0]
    );
    // The writer saved the books again with that commit; all is sound.
    let now = store
        .saved_books(F)
        .await
        .expect("read")
        .expect("a snapshot");
    assert!(now.size > size);
    store.verify_fund(F, true).await.expect("sound again");
    app.assert_replay_consistent(F, &inspector).await;

    // 2. A gift's amount in the snapshot's figures is changed.
    let size = now.size;
    let object = format!("snapshot/{size}");
    let mut bytes = now.saved.gifts.clone();
    let last = bytes.len() - sovang::ledger::book::saved::GIFT_BYTES;
    let seq = u64::from_le_bytes(bytes[last..last + 8].try_into().unwrap());
    bytes[last + 8..last + 16].copy_from_slice(&1u64.to_le_bytes());
    set_gifts(&store, &bytes).await;
    let fault = store.verify_fund(F, true).await.unwrap_err().to_string();
    assert!(
        fault.contains(&object) && fault.contains(&format!("gifts/{seq}")),
        "{fault}"
    );
    let named = replay_names(&app, &inspector).await;
    assert!(
        named.contains(&(object, format!("gifts/{seq}"))),
        "{named:?}"
    );
    // Reversing that gift after a restart takes back what it gave, not 1.
    let app = restart(app, 5).await;
    let before = balance(&app).await.parse::<u64>().unwrap();
    let entry = app.get(&format!("/funds/{F}/entries/{seq}")).await;
    let canonical: Value =
        serde_json::from_str(entry.body["canonical"].as_str().expect("canonical")).expect("json");
    let given = canonical["body"]["amount_vnd"]
        .as_str()
        .expect("amount")
        .parse::<u64>()
        .unwrap();
    let r = app
        .post(
            &format!("/funds/{F}/entries"),
            Some(&clerk),
            &json!({"kind": "reversal", "body": {"reverses_seq": seq, "reason": "Ghi nhầm số tiền"}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(balance(&app).await, (before - given).to_string());
    assert_eq!(refusal_findings(&app, &inspector).await.len(), 2);

    // 3. A snapshot bound to another history: its last hash is not the
    // ledger's. Refused as well, whatever it holds.
    store
        .execute_raw(&format!(
            "UPDATE book_snapshots SET last_hash = {} WHERE fund_code = '{F}'",
            match store.backend() {
                Backend::Sqlite => format!("X'{}'", "00".repeat(32)),
                Backend::Postgres => format!("decode('{}', 'hex')", "00".repeat(32)),
            }
        ))
        .await
        .expect("edit");
    let app = restart(app, 5).await;
    gifts(&app, &clerk, 1).await;
    let found = refusal_findings(&app, &inspector).await;
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(
        found[2]["message"]
            .as_str()
            .unwrap()
            .contains("another hash"),
        "{}",
        found[2]
    );
    app.assert_replay_consistent(F, &inspector).await;
    store.verify_fund(F, true).await.expect("sound at the end");
    assert!(seqs.len() == 8);
    store.close().await;
    app.stop().await;
}

crate::both!(
    the_writer_starts_from_its_snapshot_and_reverses_a_gift_the_snapshot_holds,
    a_snapshot_changed_behind_the_service_s_back_is_named_refused_and_never_trusted,
    killed_while_appending_a_start_uses_the_snapshot_and_the_tail,
);

/// `kill -9` while clients append, then a start: the writer reads the
/// snapshot, folds the entries after it, and the books are right.
async fn killed_while_appending_a_start_uses_the_snapshot_and_the_tail(app: TestApp) {
    let clerk = app.with_fund().await;
    let db = app.stop().await;
    let dir = db.data_dir();
    let env = [
        ("SOVANG__LEDGER__SNAPSHOT_EVERY", "50"),
        ("SOVANG__LOG__FORMAT", "json"),
        ("RUST_LOG", "warn,sovang::store::writer=info"),
    ];
    let log = |name: &str| std::fs::File::create(dir.join(name)).expect("a log file");
    let mut server = crate::helpers::spawn_process_with(
        &dir,
        &db.database_url(),
        &env,
        std::process::Stdio::from(log("first.log")),
    )
    .await;
    let client = reqwest::Client::new();
    let post_gifts = |base: String| {
        let (client, clerk) = (client.clone(), clerk.clone());
        async move {
            loop {
                let sent = client
                    .post(format!("{base}/funds/{F}/entries"))
                    .bearer_auth(&clerk)
                    .json(&gift(json!("1000")))
                    .send()
                    .await;
                if sent.is_err() {
                    return;
                }
            }
        }
    };
    let clients: Vec<_> = (0..8)
        .map(|_| tokio::spawn(post_gifts(server.base.clone())))
        .collect();
    let size = |base: String| {
        let client = client.clone();
        async move {
            let v: Value = client
                .get(format!("{base}/funds/{F}"))
                .send()
                .await
                .expect("GET")
                .json()
                .await
                .expect("json");
            v["size"].as_u64().expect("size")
        }
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while size(server.base.clone()).await < 180 {
        assert!(std::time::Instant::now() < deadline, "appends too slow");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    server.child.kill().await.expect("kill -9");
    for c in clients {
        let _ = c.await;
    }

    let server = crate::helpers::spawn_process_with(
        &dir,
        &db.database_url(),
        &env,
        std::process::Stdio::from(log("second.log")),
    )
    .await;
    let stored = size(server.base.clone()).await;
    let a = client
        .post(format!("{}/funds/{F}/entries", server.base))
        .bearer_auth(&clerk)
        .json(&gift(json!("1000")))
        .send()
        .await
        .expect("POST");
    assert_eq!(a.status(), 201);
    // Every gift, those before the kill and the one after, is in the
    // balance once: 1,000 đồng for each entry but the opening.
    let v: Value = client
        .get(format!("{}/funds/{F}", server.base))
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("json");
    assert_eq!(v["size"], stored + 1);
    assert_eq!(v["balance_vnd"], (stored * 1000).to_string(), "{v}");
    // The start read the snapshot and folded only what came after it.
    let started: Vec<Value> = std::fs::read_to_string(dir.join("second.log"))
        .expect("the log")
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l["fields"]["message"] == "the fund's books start from its snapshot")
        .collect();
    assert_eq!(started.len(), 1, "{started:?}");
    let at = started[0]["fields"]["at"].as_u64().expect("at");
    assert!(at >= 150 && at <= stored, "snapshot at {at} of {stored}");
    assert_eq!(started[0]["fields"]["head"], stored);
    drop(server);
    let store = db.store().await;
    store.verify_fund(F, true).await.expect("sound");
    store.close().await;
}
