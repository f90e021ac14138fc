//! Households' private records stay off the ledger and out of every public
//! answer; only the clerks of the household's committee and the inspectors
//! above it read them, and every read is logged. Who may do what with the
//! fund's books (SPEC §5).

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::helpers::TestApp;

const NAME: &str = "Hoàng Thị Nguyệt";
const CCCD: &str = "036184009876";
const PHONE: &str = "0987654321";
const ADDRESS: &str = "Xóm 4, thôn Hạ, xã Phú Xuyên";

fn register(id: &str) -> Value {
    json!({"kind": "household_registered",
        "body": {"household_id": id, "commune_code": "HN-PX", "hamlet": "Thôn Hạ",
                 "category": "poor", "members": 5, "review_year": 2026},
        "private": {"head_name": NAME, "cccd": CCCD, "phone": PHONE, "address": ADDRESS}})
}

async fn private_records_stay_off_the_ledger_and_every_read_is_logged(app: TestApp) {
    app.committee("HN", None).await;
    app.committee("HN-PX", Some("HN")).await;
    app.committee("HP", None).await;
    app.fund("PX-VNN", "HN-PX").await;
    let clerk = app.token("clerk", "HN-PX").await;
    let approver = app.token("approver", "HN-PX").await;
    let inspector = app.token("inspector", "HN").await;
    let other_inspector = app.token("inspector", "HP").await;
    let other_clerk = app.token("clerk", "HP").await;
    let province_clerk = app.token("clerk", "HN").await;
    const F: &str = "PX-VNN";
    // Registered by another clerk than the one who pays the household.
    let registrar = app.token("clerk", "HN-PX").await;
    app.record_batch(F, &registrar, vec![register("ho-nguyet")])
        .await;
    app.record(
        F,
        &clerk,
        "donation_cash",
        json!({"donor": {"display": "Ẩn danh", "kind": "anonymous"},
        "amount_vnd": "3000000", "channel": "cash", "received_on": "2026-11-02"}),
    )
    .await;
    app.record(
        F,
        &clerk,
        "distribution",
        json!({"distribution_id": "tet-nguyet", "household_id": "ho-nguyet",
        "support_type": "tet_gift", "cash_vnd": "1000000", "decision_ref": "QĐ 1"}),
    )
    .await;
    app.record(
        F,
        &clerk,
        "distribution_acknowledged",
        json!({"distribution_id": "tet-nguyet",
        "method": "thumbprint", "acknowledged_on": "2026-11-03"}),
    )
    .await;

    // Nothing private in any public answer, in the ledger's canonical
    // text, nor in what an inspector's replay shows.
    let mut seen = String::new();
    for path in [
        "/committees",
        "/funds",
        "/funds/PX-VNN",
        "/funds/PX-VNN/entries?limit=1000",
        "/funds/PX-VNN/entries/1",
        "/funds/PX-VNN/households",
        "/funds/PX-VNN/distributions",
        "/funds/PX-VNN/campaigns",
        "/funds/PX-VNN/pledges",
        "/funds/PX-VNN/stock",
        "/funds/PX-VNN/checkpoint",
        "/funds/PX-VNN/proof/inclusion?seq=1",
    ] {
        let a = app.get(path).await;
        assert_eq!(a.status, 200, "{path}: {}", a.text);
        seen.push_str(&a.text);
    }
    seen.push_str(
        &app.get_as("/funds/PX-VNN/audit/replay", &inspector)
            .await
            .text,
    );
    let entries = app.get("/funds/PX-VNN/entries?limit=1000").await.body;
    for e in entries["entries"].as_array().unwrap() {
        seen.push_str(e["canonical"].as_str().unwrap());
    }
    for secret in [NAME, CCCD, PHONE, ADDRESS, "Hoàng", "09876"] {
        assert!(
            !seen.contains(secret),
            "{secret:?} leaked into a public answer or the ledger"
        );
    }

    // Public and approvers may not read the record; other committees'
    // clerks and inspectors do not see it.
    let path = "/households/ho-nguyet";
    app.get(path).await.problem(401);
    app.get_as(path, &approver).await.problem(403);
    app.get_as(&format!("{path}?fund=PX-VNN"), &other_inspector)
        .await
        .problem(403);
    app.get_as(&format!("{path}?fund=PX-VNN"), &other_clerk)
        .await
        .problem(403);
    app.get_as(path, &other_inspector).await.problem(404);
    app.get_as(path, &province_clerk).await.problem(404);
    app.get_as("/audit/access-log", &clerk).await.problem(403);
    app.get("/audit/access-log").await.problem(401);
    let log = app.get_as("/audit/access-log", &inspector).await;
    assert_eq!(log.status, 200, "{}", log.text);
    assert_eq!(
        log.body["access_log"].as_array().unwrap().len(),
        0,
        "refused reads read nothing"
    );

    // The commune's clerk and the province's inspector read it.
    let a = app.get_as(path, &clerk).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let r = &a.body["records"][0];
    assert_eq!(r["fund"], "PX-VNN");
    assert_eq!(r["private"]["head_name"], NAME);
    assert_eq!(r["private"]["cccd"], CCCD);
    // The ledger's commitment is SHA-256(salt, "\n", canonical record).
    let mut h = Sha256::new();
    h.update(r["salt"].as_str().unwrap().as_bytes());
    h.update(b"\n");
    h.update(r["private"].to_string().as_bytes());
    let commitment = hex::encode(h.finalize());
    let households = app.get("/funds/PX-VNN/households").await.body;
    assert_eq!(households["households"][0]["commitment"], commitment);
    let a = app.get_as(&format!("{path}?fund=PX-VNN"), &inspector).await;
    assert_eq!(a.status, 200, "{}", a.text);

    let log = app.get_as("/audit/access-log", &inspector).await.body;
    let lines = log["access_log"].as_array().unwrap();
    assert_eq!(lines.len(), 2, "{log}");
    assert_eq!(lines[0]["role"], "inspector");
    assert_eq!(lines[0]["committee_code"], "HN");
    assert_eq!(lines[1]["role"], "clerk");
    assert_eq!(lines[1]["household_id"], "ho-nguyet");
    assert_eq!(lines[1]["fund"], "PX-VNN");
    assert!(lines[1]["actor"].as_str().unwrap().starts_with("tk-"));
    // Another province's inspector sees none of this committee's log.
    let other = app.get_as("/audit/access-log", &other_inspector).await.body;
    assert_eq!(other["access_log"].as_array().unwrap().len(), 0);
}

async fn each_role_does_only_its_part(app: TestApp) {
    app.committee("HN", None).await;
    app.committee("HN-PX", Some("HN")).await;
    app.committee("HP", None).await;
    app.fund("PX-VNN", "HN-PX").await;
    let clerk = app.token("clerk", "HN-PX").await;
    let approver = app.token("approver", "HN-PX").await;
    let inspector = app.token("inspector", "HN").await;
    let other_approver = app.token("approver", "HP").await;
    let other_inspector = app.token("inspector", "HP").await;
    const F: &str = "PX-VNN";
    app.record_batch(F, &clerk, vec![register("ho-1")]).await;
    app.record(
        F,
        &clerk,
        "donation_cash",
        json!({"donor": {"display": "Công ty Hòa Bình", "kind": "organization"},
        "amount_vnd": "50000000", "channel": "bank_transfer", "received_on": "2026-11-02"}),
    )
    .await;
    app.record(
        F,
        &clerk,
        "distribution",
        json!({"distribution_id": "nha-1", "household_id": "ho-1",
        "support_type": "house_new", "cash_vnd": "50000000", "decision_ref": "QĐ 5"}),
    )
    .await;
    let size = app.size(F).await;

    let approve = json!({"distribution_id": "nha-1"});
    // Clerks record but do not approve; approvers approve but record
    // nothing else; inspectors write nothing; other committees nothing.
    app.entry(F, &clerk, "distribution_approved", approve.clone())
        .await
        .problem(403);
    app.entry(
        F,
        &clerk,
        "distribution_voided",
        json!({"distribution_id": "nha-1", "reason": "x"}),
    )
    .await
    .problem(403);
    app.entry(
        F,
        &approver,
        "expense",
        json!({"category": "bank_fee", "amount_vnd": "1000", "decision_ref": "x"}),
    )
    .await
    .problem(403);
    app.entry(F, &inspector, "distribution_approved", approve.clone())
        .await
        .problem(403);
    app.entry(F, &other_approver, "distribution_approved", approve.clone())
        .await
        .problem(403);
    let batch = app.post(&format!("/funds/{F}/entries/batch"), Some(&approver), &json!({"entries": [
        {"kind": "distribution_approved", "body": approve},
        {"kind": "expense", "body": {"category": "bank_fee", "amount_vnd": "1000", "decision_ref": "x"}}]})).await;
    batch.problem(403);
    assert_eq!(app.size(F).await, size, "refused writes recorded nothing");
    let f = app.fund_view(F).await;
    assert_eq!(f["reserved_vnd"], "50000000");

    // Audit endpoints: the inspector of the subtree only.
    app.get("/funds/PX-VNN/audit/replay").await.problem(401);
    app.get_as("/funds/PX-VNN/audit/replay", &clerk)
        .await
        .problem(403);
    app.get_as("/funds/PX-VNN/audit/replay", &other_inspector)
        .await
        .problem(403);
    app.assert_replay_consistent(F, &inspector).await;

    app.record(
        F,
        &approver,
        "distribution_approved",
        json!({"distribution_id": "nha-1"}),
    )
    .await;
    let f = app.fund_view(F).await;
    assert_eq!(f["reserved_vnd"], "0");
    assert_eq!(f["balance_vnd"], "0");
}

/// Listings take only the parameters they know, and bounded pages.
async fn listings_refuse_unknown_parameters_and_page_with_a_cursor(app: TestApp) {
    let clerk = app.with_fund().await;
    let households: Vec<Value> = (0..5)
        .map(|i| {
            let mut h = register(&format!("ho-{i}"));
            h["body"]["commune_code"] = json!("HN");
            h
        })
        .collect();
    app.record_batch("HN-VNN", &clerk, households).await;
    app.get("/funds/HN-VNN/households?colour=red")
        .await
        .problem(400);
    app.get("/funds/HN-VNN/distributions?status=lost")
        .await
        .problem(400);
    app.get("/funds/HN-VNN/households?limit=0")
        .await
        .problem(400);
    app.get("/funds/HN-VNN/households?limit=1001")
        .await
        .problem(400);
    app.get("/funds/NO-SUCH/households").await.problem(404);
    let first = app.get("/funds/HN-VNN/households?limit=2").await.body;
    assert_eq!(first["households"].as_array().unwrap().len(), 2);
    assert_eq!(first["next"], "ho-1");
    let second = app
        .get("/funds/HN-VNN/households?limit=2&cursor=ho-1")
        .await
        .body;
    assert_eq!(second["households"][0]["household_id"], "ho-2");
    let last = app
        .get("/funds/HN-VNN/households?limit=2&cursor=ho-3")
        .await
        .body;
    assert_eq!(last["households"].as_array().unwrap().len(), 1);
    assert_eq!(last["next"], Value::Null);
}

/// The data directory holds the master key, the first admin token and,
/// on SQLite, the database with households' private records: only its
/// owner may enter it or read any file in it, even after a restart.
async fn the_data_directory_and_its_files_are_the_owners_alone(app: TestApp) {
    use std::os::unix::fs::PermissionsExt;
    let clerk = app.with_fund().await;
    let gift = crate::helpers::gift(serde_json::json!("100000"))["body"].clone();
    app.record("HN-VNN", &clerk, "donation_cash", gift).await;
    let db = app.stop().await;
    let settings = db.settings();
    let app = crate::helpers::spawn_on(db, settings).await;
    let dir = app.db.data_dir();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700, "{}", dir.display());
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| e.path())
        .collect();
    assert!(files.iter().any(|f| f.ends_with("master.key")), "{files:?}");
    for f in &files {
        assert_eq!(mode(f), 0o600, "{}", f.display());
    }
    // Opened up behind the service's back: the next start says so, by
    // path, and makes them private again.
    let key = dir.join("master.key");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let widened = sovang::app::private_data_dir(&dir).unwrap();
    assert_eq!(widened, vec![dir.clone(), key.clone()]);
    assert_eq!((mode(&dir), mode(&key)), (0o700, 0o600));
    assert_eq!(
        sovang::app::private_data_dir(&dir).unwrap(),
        Vec::<std::path::PathBuf>::new()
    );
}

crate::both!(
    the_data_directory_and_its_files_are_the_owners_alone,
    private_records_stay_off_the_ledger_and_every_read_is_logged,
    each_role_does_only_its_part,
    listings_refuse_unknown_parameters_and_page_with_a_cursor
);
