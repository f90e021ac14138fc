//! `sovang serve --demo`: a living ledger for a newcomer to look at. Into
//! an empty database only, it records, through the service's own API and
//! so under every rule, the central committee, three provinces and their
//! communes, a peak-month campaign and a typhoon campaign, about a
//! thousand gifts from people and businesses (cash and in kind), pledges,
//! households of each class, solidarity houses with their approvals, Tet
//! gifts, cows for livelihood, a transfer, a reversal and a pending
//! approval. The tokens it makes, and the console users with their
//! passwords, are written to `demo-tokens.txt` in the data directory
//! (mode 0600), to try the API and the console with.
//!
//! The picture is made from a fixed seed, so every demo is the same.

use std::path::Path;

use anyhow::Context as _;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use tower::ServiceExt;

const FAMILY: [&str; 14] = [
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
    "Hồ", "Ngô",
];
const MIDDLE: [&str; 8] = ["Văn", "Thị", "Minh", "Hữu", "Thu", "Đức", "Ngọc", "Quang"];
const GIVEN: [&str; 20] = [
    "An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hoa", "Hùng", "Lan", "Linh",
    "Long", "Mai", "Nam", "Phương", "Quân", "Sơn", "Thảo", "Tuấn",
];
const BUSINESSES: [&str; 10] = [
    "Công ty TNHH Thương mại An Phát",
    "Công ty Cổ phần Xây dựng Hòa Bình",
    "Ngân hàng TMCP Sài Gòn Hà Nội – Chi nhánh Hoàn Kiếm",
    "Công ty TNHH Dược phẩm Minh Long",
    "Hợp tác xã Nông nghiệp Tân Tiến",
    "Công ty Cổ phần Thực phẩm Đại Việt",
    "Tập đoàn Điện lực – Điện lực Hạ Long",
    "Công ty TNHH Vận tải Hồng Hà",
    "Siêu thị Hòa Bình",
    "Trường THPT Chu Văn An – Hội Cha mẹ học sinh",
];

/// (code, name, parent)
const COMMITTEES: [(&str, &str, Option<&str>); 8] = [
    ("TW", "Ủy ban Trung ương MTTQ Việt Nam", None),
    ("HN", "Ủy ban MTTQ Việt Nam thành phố Hà Nội", Some("TW")),
    ("QNI", "Ủy ban MTTQ Việt Nam tỉnh Quảng Ninh", Some("TW")),
    ("HUE", "Ủy ban MTTQ Việt Nam thành phố Huế", Some("TW")),
    ("HN-PX", "Ủy ban MTTQ Việt Nam xã Phú Xuyên", Some("HN")),
    ("HN-SS", "Ủy ban MTTQ Việt Nam xã Sóc Sơn", Some("HN")),
    ("QNI-HL", "Ủy ban MTTQ Việt Nam phường Hạ Long", Some("QNI")),
    ("HUE-PV", "Ủy ban MTTQ Việt Nam xã Phong Điền", Some("HUE")),
];

const COMMUNES: [&str; 4] = ["HN-PX", "HN-SS", "QNI-HL", "HUE-PV"];
const HAMLETS: [&str; 4] = ["Thôn Đông", "Thôn Tây", "Thôn Trung", "Xóm Bãi"];
const PEAK: &str = "cao-diem-2026";
const STORM: &str = "bao-so-3-2026";

/// Sends requests to the service's own router, as a client would.
struct Client {
    router: Router,
    /// Requests sent, to name idempotency keys.
    sent: u64,
}

impl Client {
    async fn post(&mut self, path: &str, token: &str, body: Value) -> anyhow::Result<Value> {
        self.sent += 1;
        let request = Request::post(format!("/api/v1{path}"))
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {token}"))
            .header("idempotency-key", format!("demo-{}", self.sent))
            .body(Body::from(body.to_string()))?;
        let response = self.router.clone().oneshot(request).await?;
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 16 * 1024 * 1024).await?;
        anyhow::ensure!(
            status == StatusCode::CREATED || status == StatusCode::OK,
            "demo: POST {path}: {status}: {}",
            String::from_utf8_lossy(&bytes)
        );
        Ok(serde_json::from_slice(&bytes)?)
    }

    async fn get(&mut self, path: &str) -> anyhow::Result<Value> {
        let request = Request::get(format!("/api/v1{path}")).body(Body::empty())?;
        let response = self.router.clone().oneshot(request).await?;
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 16 * 1024 * 1024).await?;
        anyhow::ensure!(
            status == StatusCode::OK,
            "demo: GET {path}: {status}: {}",
            String::from_utf8_lossy(&bytes)
        );
        Ok(serde_json::from_slice(&bytes)?)
    }

    /// The approver approves every outflow of `fund` that waits for a
    /// second person (SPEC §9), but the distributions in `keep`.
    async fn approve_waiting(
        &mut self,
        fund: &str,
        approver: &str,
        keep: &[&str],
    ) -> anyhow::Result<()> {
        let mut seqs = Vec::new();
        for list in ["distributions", "outflows"] {
            let page = self
                .get(&format!("/funds/{fund}/{list}?status=pending&limit=1000"))
                .await?;
            for o in page[list].as_array().into_iter().flatten() {
                let kept = o["distribution_id"]
                    .as_str()
                    .is_some_and(|id| keep.contains(&id));
                if let (false, Some(seq)) = (kept, o["seq"].as_u64()) {
                    seqs.push(seq);
                }
            }
        }
        seqs.sort_unstable();
        let approvals = seqs
            .into_iter()
            .map(|s| {
                json!({"kind": "outflow_approved", "body": {"of_seq": s,
                "decision_ref": "Thường trực Ủy ban họp ngày 20/11/2026"}})
            })
            .collect();
        self.batch(fund, approver, approvals).await?;
        Ok(())
    }

    async fn batch(
        &mut self,
        fund: &str,
        token: &str,
        entries: Vec<Value>,
    ) -> anyhow::Result<Vec<Value>> {
        let mut out = Vec::new();
        for chunk in entries.chunks(500) {
            let a = self
                .post(
                    &format!("/funds/{fund}/entries/batch"),
                    token,
                    json!({ "entries": chunk }),
                )
                .await?;
            out.extend(a["entries"].as_array().cloned().unwrap_or_default());
        }
        Ok(out)
    }
}

fn person(rng: &mut StdRng) -> String {
    format!(
        "{} {} {}",
        FAMILY[rng.gen_range(0..FAMILY.len())],
        MIDDLE[rng.gen_range(0..MIDDLE.len())],
        GIVEN[rng.gen_range(0..GIVEN.len())]
    )
}

/// A cash gift's amount: mostly modest, a few large.
fn amount(rng: &mut StdRng) -> u64 {
    let steps = [
        50_000, 100_000, 200_000, 300_000, 500_000, 1_000_000, 2_000_000, 5_000_000,
    ];
    match rng.gen_range(0..100) {
        0..=89 => steps[rng.gen_range(0..steps.len())],
        90..=98 => rng.gen_range(1..=20) * 1_000_000,
        _ => rng.gen_range(5..=10) * 10_000_000,
    }
}

fn gift(rng: &mut StdRng, day: String, campaign: &str) -> Value {
    let company = rng.gen_range(0..10) == 0;
    let anonymous = !company && rng.gen_range(0..12) == 0;
    let donor = if anonymous {
        json!({"kind": "anonymous"})
    } else if company {
        json!({"display": BUSINESSES[rng.gen_range(0..BUSINESSES.len())], "kind": "organization"})
    } else {
        json!({"display": person(rng), "kind": "individual"})
    };
    let channel = [
        "cash",
        "bank_transfer",
        "bank_transfer",
        "qr_transfer",
        "e_wallet",
    ][rng.gen_range(0..5)];
    let mut body = json!({"donor": donor, "amount_vnd": amount(rng).to_string(), "channel": channel,
        "received_on": day, "campaign_id": campaign});
    if channel != "cash" {
        body["bank_ref"] = json!(format!("FT26{:09}", rng.gen_range(0..1_000_000_000u64)));
    }
    json!({"kind": "donation_cash", "body": body})
}

/// Seeds the demo into an empty database. Returns false, doing nothing,
/// when the database already holds committees.
pub async fn seed(
    router: Router,
    store: &crate::store::Store,
    data_dir: &Path,
) -> anyhow::Result<bool> {
    if !store.committees().await?.is_empty() {
        return Ok(false);
    }
    let admin = std::fs::read_to_string(data_dir.join("admin.token"))
        .context("reading admin.token")?
        .trim()
        .to_owned();
    let mut c = Client { router, sent: 0 };
    let mut rng = StdRng::seed_from_u64(2026);
    let mut tokens = String::from("# Demo tokens: role committee token\n");
    let mut users = String::from("\n# Demo console users (/login): username password\n");
    // A gift's receipt, to open and see verified.
    let mut try_receipt: Option<String> = None;
    let mut clerks = std::collections::HashMap::new();
    let mut approvers = std::collections::HashMap::new();
    let mut registrars = std::collections::HashMap::new();

    for (code, name, parent) in COMMITTEES {
        c.post(
            "/committees",
            &admin,
            json!({"code": code, "name": name, "parent_code": parent}),
        )
        .await?;
        c.post(
            "/funds",
            &admin,
            json!({"code": format!("{code}-VNN"), "committee_code": code, "kind": "for_the_poor"}),
        )
        .await?;
        // A second clerk registers households.
        let r = c
            .post("/tokens", &admin, json!({"name": format!("Demo registrar {code}"), "role": "clerk", "committee_code": code}))
            .await?;
        registrars.insert(code, r["token"].as_str().unwrap_or_default().to_owned());
        for role in ["clerk", "approver", "inspector"] {
            let t = c
                .post("/tokens", &admin, json!({"name": format!("Demo {role} {code}"), "role": role, "committee_code": code}))
                .await?;
            let token = t["token"].as_str().unwrap_or_default().to_owned();
            tokens.push_str(&format!("{role} {code} {token}\n"));
            match role {
                "clerk" => clerks.insert(code, token),
                "approver" => approvers.insert(code, token),
                _ => None,
            };
            // A console user too, with a password of its own.
            let username = format!("{role}.{}", code.to_ascii_lowercase());
            let password = crate::web::console::random_password();
            let hash = crate::auth::hash_password(&password)?;
            let id = format!("us-{}", hex::encode(rng.gen::<[u8; 8]>()));
            store
                .create_user(
                    &id,
                    &username,
                    &format!("Demo {role} {code}"),
                    role,
                    Some(code),
                    &hash,
                    &crate::store::AdminAction {
                        actor: "demo".into(),
                        person_id: None,
                        action: "user_created",
                        target: username.clone(),
                        committee_path: String::new(),
                        detail: json!({"role": role, "committee_code": code}),
                    },
                )
                .await?;
            users.push_str(&format!("{username} {password}\n"));
        }
    }
    // Provinces keep a Relief fund too, for the typhoon.
    for code in ["HN", "QNI", "HUE"] {
        c.post(
            "/funds",
            &admin,
            json!({"code": format!("{code}-CT"), "committee_code": code, "kind": "relief"}),
        )
        .await?;
    }

    // The typhoon: gifts to the provinces' relief funds, money sent down.
    for (i, province) in ["QNI", "HUE", "HN"].into_iter().enumerate() {
        let clerk = &clerks[province];
        let fund = format!("{province}-CT");
        c.post(&format!("/funds/{fund}/entries"), clerk, json!({"kind": "campaign_opened", "body": {
            "campaign_id": STORM, "name": "Ủng hộ đồng bào bị thiệt hại do bão số 3", "kind": "disaster_relief",
            "starts_on": "2026-09-08", "ends_on": "2026-10-15", "target_vnd": "5000000000"}})).await?;
        let gifts: Vec<Value> = (0..[120, 80, 60][i])
            .map(|_| {
                let day = format!("2026-09-{:02}", rng.gen_range(8..=30));
                gift(&mut rng, day, STORM)
            })
            .collect();
        c.batch(&fund, clerk, gifts).await?;
        c.post(
            &format!("/funds/{fund}/entries"),
            clerk,
            json!({"kind": "campaign_closed",
            "body": {"campaign_id": STORM, "reason": "Kết thúc đợt vận động"}}),
        )
        .await?;
    }
    let t = c
        .post("/funds/QNI-CT/entries", &clerks["QNI"], json!({"kind": "transfer_out", "body": {
            "counterparty_fund": "QNI-HL-VNN", "amount_vnd": "100000000", "decision_ref": "QĐ 45/QĐ-MTTQ",
            "purpose": "Hỗ trợ sửa nhà cho hộ bị bão làm hư hại"}}))
        .await?;
    tracing::debug!(seq = %t["seq"], "demo transfer");
    // 100,000,000 waits for the province's approver.
    c.approve_waiting("QNI-CT", &approvers["QNI"], &[]).await?;

    // The peak month in every commune.
    for (n, commune) in COMMUNES.into_iter().enumerate() {
        let clerk = clerks[commune].clone();
        let approver = approvers[commune].clone();
        let fund = format!("{commune}-VNN");
        let path = format!("/funds/{fund}/entries");
        c.post(
            &path,
            &clerk,
            json!({"kind": "campaign_opened", "body": {"campaign_id": PEAK,
            "name": "Tháng cao điểm \"Vì người nghèo\" 2026", "kind": "peak_month",
            "starts_on": "2026-10-17", "ends_on": "2026-11-18", "target_vnd": "800000000"}}),
        )
        .await?;
        c.post(
            &path,
            &clerk,
            json!({"kind": "pledge", "body": {"pledge_id": "cam-ket-1",
            "donor": {"display": BUSINESSES[n], "kind": "organization"}, "amount_vnd": "100000000",
            "campaign_id": PEAK, "due_on": "2026-11-15"}}),
        )
        .await?;
        let mut gifts: Vec<Value> = (0..160)
            .map(|_| {
                let day = format!("2026-{}", day_in_peak(&mut rng));
                gift(&mut rng, day, PEAK)
            })
            .collect();
        gifts.push(json!({"kind": "donation_cash", "body": {"donor": {"display": BUSINESSES[n], "kind": "organization"},
            "amount_vnd": "60000000", "channel": "bank_transfer", "received_on": "2026-10-20", "campaign_id": PEAK,
            "pledge_id": "cam-ket-1", "earmark": "house_new", "bank_ref": format!("FT26293{n:06}")}}));
        // Goods: Tet packs, rice and a breeding cow.
        for k in 0..6 {
            gifts.push(json!({"kind": "donation_in_kind", "body": {"donor": {"display": BUSINESSES[(n + k) % 10], "kind": "organization"},
                "items": [{"item": "QUA-TET", "description": "Gói quà Tết", "quantity": "10", "unit": "gói", "unit_value_vnd": "500000", "value_vnd": "5000000"},
                          {"item": "GAO", "quantity": "100", "unit": "kg", "unit_value_vnd": "18000", "value_vnd": "1800000"}],
                "total_value_vnd": "6800000", "received_on": "2026-11-05", "campaign_id": PEAK}}));
        }
        gifts.push(json!({"kind": "donation_in_kind", "body": {"donor": {"display": "Hợp tác xã Nông nghiệp Tân Tiến", "kind": "organization"},
            "items": [{"item": "BO-GIONG", "description": "Bò cái giống", "quantity": "2", "unit": "con", "unit_value_vnd": "15000000", "value_vnd": "30000000"}],
            "total_value_vnd": "30000000", "received_on": "2026-11-06", "campaign_id": PEAK}}));
        let written = c.batch(&fund, &clerk, gifts).await?;
        if try_receipt.is_none() {
            try_receipt = written
                .first()
                .and_then(|e| e["receipt"]["url"].as_str())
                .map(str::to_owned);
        }

        // Households of each class.
        let categories = ["poor", "poor", "near_poor", "newly_escaped", "hardship"];
        let households: Vec<Value> = (1..=25)
            .map(|h| json!({"kind": "household_registered",
                "body": {"household_id": format!("ho-{h:03}"), "commune_code": commune,
                         "hamlet": HAMLETS[h % HAMLETS.len()], "category": categories[h % categories.len()],
                         "members": 2 + h % 5, "review_year": 2026},
                "private": {"head_name": person(&mut rng), "cccd": format!("0{:02}0850{h:05}", n + 1),
                            "address": format!("{}, {}", HAMLETS[h % HAMLETS.len()], COMMITTEES[4 + n].1)}}))
            .collect();
        // Registered by a second clerk, another person than the clerk
        // who pays them: a person does not pay alone a household they
        // registered (SPEC §9).
        c.batch(&fund, &registrars[commune], households).await?;

        // Solidarity houses: two approved and handed over, one waiting.
        for (h, id) in [(5, "nha-1"), (10, "nha-2"), (15, "nha-3")] {
            c.post(&path, &clerk, json!({"kind": "distribution", "body": {"distribution_id": id,
                "household_id": format!("ho-{h:03}"), "support_type": "house_new", "cash_vnd": "50000000",
                "decision_ref": format!("QĐ {h}/QĐ-MTTQ"), "campaign_id": PEAK}})).await?;
        }
        for id in ["nha-1", "nha-2"] {
            c.post(
                &path,
                &approver,
                json!({"kind": "distribution_approved", "body": {"distribution_id": id,
                "decision_ref": "Thường trực Ủy ban họp ngày 15/11/2026"}}),
            )
            .await?;
            c.post(
                &path,
                &clerk,
                json!({"kind": "distribution_acknowledged", "body": {"distribution_id": id,
                "method": "signature", "acknowledged_on": "2026-11-20"}}),
            )
            .await?;
        }
        // Tet gifts from stock, and a cow for livelihood.
        let tet: Vec<Value> = (1..=20)
            .map(|h| json!({"kind": "distribution", "body": {"household_id": format!("ho-{h:03}"),
                "support_type": "tet_gift", "cash_vnd": "300000", "decision_ref": "QĐ 20/QĐ-MTTQ", "campaign_id": PEAK,
                "items": [{"item": "QUA-TET", "quantity": "1", "unit": "gói", "unit_value_vnd": "500000", "value_vnd": "500000"},
                          {"item": "GAO", "quantity": "10", "unit": "kg", "unit_value_vnd": "18000", "value_vnd": "180000"}]}}))
            .collect();
        c.batch(&fund, &clerk, tet).await?;
        c.post(&path, &clerk, json!({"kind": "distribution", "body": {"household_id": "ho-003",
            "support_type": "livelihood", "cash_vnd": "0", "decision_ref": "QĐ 31/QĐ-MTTQ",
            "items": [{"item": "BO-GIONG", "quantity": "1", "unit": "con", "unit_value_vnd": "15000000", "value_vnd": "15000000"}]}})).await?;
        // A gift recorded twice, reversed.
        if let Some(twice) = written.get(7) {
            c.post(
                &path,
                &clerk,
                json!({"kind": "reversal", "body": {"reverses_seq": twice["seq"],
                "reason": "Ghi trùng với biên lai trước"}}),
            )
            .await?;
        }
        // The clerk's day passed the threshold: what waits is approved,
        // but the third house, which waits for the committee's meeting.
        c.approve_waiting(&fund, &approver, &["nha-3"]).await?;
    }
    let path = data_dir.join("demo-tokens.txt");
    tokens.push_str(&users);
    std::fs::write(&path, tokens).with_context(|| format!("writing {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    }
    tracing::info!(requests = c.sent, tokens = %path.display(), "demo data recorded");
    if let Some(url) = &try_receipt {
        tracing::info!(receipt = %url, "open this gift's receipt to see it verified");
    }
    Ok(true)
}

/// A day of the peak month, 17 October to 18 November: `MM-DD`.
fn day_in_peak(rng: &mut StdRng) -> String {
    let d = rng.gen_range(0..33);
    if d < 15 {
        format!("10-{:02}", 17 + d)
    } else {
        format!("11-{:02}", d - 14)
    }
}
