//! The committee above witnesses a fund's checkpoints (SPEC §12,
//! tlog-witness v1.0.0): cosigns what extends what it cosigned, refuses
//! the rest with the protocol's codes and stores nothing then.

use std::collections::HashMap;

use base64::Engine as _;
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};
use sovang::ledger::checkpoint::MasterSecret;
use sovang::ledger::merkle::Hash;
use sovang::ledger::witness::CosignerKey;

use crate::helpers::{gift, TestApp};

const F: &str = "PX-VNN";

/// The same service with the pusher looking every `ms` milliseconds.
pub(crate) async fn with_pusher_every(app: TestApp, ms: u64) -> TestApp {
    let db = app.stop().await;
    let mut settings = db.settings();
    settings.witnessing.push_interval_ms = ms;
    crate::helpers::spawn_on(db, settings).await
}

/// The same service with the pusher off, so that only the test offers
/// checkpoints to the witness.
async fn without_pusher(app: TestApp) -> TestApp {
    let db = app.stop().await;
    let mut settings = db.settings();
    settings.witnessing.push = false;
    crate::helpers::spawn_on(db, settings).await
}

/// Committees HN above PX, fund PX-VNN with `n` gifts; a clerk's token.
async fn commune(app: &TestApp, n: usize) -> String {
    app.committee("HN", None).await;
    app.committee("PX", Some("HN")).await;
    app.fund(F, "PX").await;
    let clerk = app.token("clerk", "PX").await;
    add_gifts(app, &clerk, n).await;
    clerk
}

async fn add_gifts(app: &TestApp, clerk: &str, n: usize) {
    let entries: Vec<Value> = (0..n)
        .map(|i| gift(json!((1000 * (i + 1)).to_string())))
        .collect();
    if !entries.is_empty() {
        app.record_batch(F, clerk, entries).await;
    }
    app.signed(F).await;
}

/// The fund's latest signed checkpoint and its size.
async fn checkpoint(app: &TestApp) -> (String, u64) {
    let note = app.get(&format!("/funds/{F}/checkpoint")).await.text;
    let size = note.lines().nth(1).unwrap().parse().unwrap();
    (note, size)
}

fn b64(h: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(h)
}

/// The consistency proof from `from` to `to`, as request lines.
async fn proof(app: &TestApp, from: u64, to: u64) -> String {
    if from == 0 || from == to {
        return String::new();
    }
    let p = app
        .get(&format!("/funds/{F}/proof/consistency?from={from}&to={to}"))
        .await
        .body;
    p["proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| format!("{}\n", b64(&hex::decode(h.as_str().unwrap()).unwrap())))
        .collect()
}

/// POST /witness/add-checkpoint: (status, content type, body).
async fn add(app: &TestApp, body: &str) -> (u16, String, String) {
    let root = app.base.trim_end_matches("/api/v1");
    let r = app
        .client
        .post(format!("{root}/witness/add-checkpoint"))
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, ct, r.text().await.unwrap())
}

/// GET /witness/{sha256 of origin}/checkpoint: (status, body).
async fn latest(app: &TestApp, origin: &str) -> (u16, String) {
    let root = app.base.trim_end_matches("/api/v1");
    let r = app
        .client
        .get(format!(
            "{root}/witness/{}/checkpoint",
            hex::encode(Sha256::digest(origin.as_bytes()))
        ))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// The witness keys the committees publish.
async fn witness_keys(app: &TestApp) -> HashMap<String, String> {
    app.get("/committees").await.body["committees"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["code"].as_str().unwrap().to_owned(),
                c["witness_key"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn the_province_cosigns_what_extends_what_it_cosigned(app: TestApp) {
    let app = without_pusher(app).await;
    let clerk = commune(&app, 5).await;
    let keys = witness_keys(&app).await;
    let hn = CosignerKey::parse(&keys["HN"]).expect("HN's witness key");
    assert_eq!(hn.name, "sovang.local/committee/HN");
    let px = CosignerKey::parse(&keys["PX"]).expect("PX's witness key");
    let origin = app.get(&format!("/funds/{F}")).await.body["origin"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(latest(&app, &origin).await.0, 404);

    let (note, size) = checkpoint(&app).await;
    let (status, ct, lines) = add(&app, &format!("old 0\n\n{note}")).await;
    assert_eq!(status, 200, "{lines}");
    assert_eq!(ct, "text/plain; charset=utf-8");
    assert!(lines.starts_with("— sovang.local/committee/HN "), "{lines}");
    assert_eq!(lines.lines().count(), 1, "HN alone witnesses PX's funds");
    let cosigned = format!("{note}{lines}");
    assert!(hn.verify(&cosigned).is_some());
    assert!(px.verify(&cosigned).is_none());
    assert_eq!(latest(&app, &origin).await, (200, cosigned.clone()));

    // The same checkpoint again is cosigned again; a larger one with its
    // proof from the size cosigned is cosigned.
    assert_eq!(add(&app, &format!("old {size}\n\n{note}")).await.0, 200);
    add_gifts(&app, &clerk, 7).await;
    let (newer, new_size) = checkpoint(&app).await;
    let body = format!("old {size}\n{}\n{newer}", proof(&app, size, new_size).await);
    let (status, _, lines) = add(&app, &body).await;
    assert_eq!(status, 200, "{lines}");
    assert!(hn.verify(&format!("{newer}{lines}")).is_some());
    let (_, now) = latest(&app, &origin).await;
    assert!(now.starts_with(&newer), "{now}");
    // A note that carries cosignatures already is read past them.
    let (status, _, _) = add(&app, &format!("old {new_size}\n\n{newer}{lines}")).await;
    assert_eq!(status, 200);
}

async fn the_witness_refuses_with_the_protocol_s_codes_and_stores_nothing(app: TestApp) {
    let app = without_pusher(app).await;
    let clerk = commune(&app, 5).await;
    let origin = app.get(&format!("/funds/{F}")).await.body["origin"]
        .as_str()
        .unwrap()
        .to_owned();
    let (first, size) = checkpoint(&app).await;
    assert_eq!(add(&app, &format!("old 0\n\n{first}")).await.0, 200);
    let stored = latest(&app, &origin).await;
    add_gifts(&app, &clerk, 9).await;
    let (note, new_size) = checkpoint(&app).await;
    let good_proof = proof(&app, size, new_size).await;
    let secret = sovang::app::master_secret(&app.db.data_dir()).unwrap();
    let key = secret.log_key(&origin).unwrap();
    let forged = MasterSecret::from_bytes([7; 32]).log_key(&origin).unwrap();
    let root = |n: &str| -> Hash {
        let line = n.lines().nth(2).unwrap();
        let raw = base64::engine::general_purpose::STANDARD
            .decode(line)
            .unwrap();
        Hash(raw.try_into().unwrap())
    };
    let mut flipped = root(&note);
    flipped.0[0] ^= 1;
    let mut bad_proof = good_proof.clone();
    bad_proof.replace_range(0..1, if bad_proof.starts_with('A') { "B" } else { "A" });

    let hn_fund = {
        app.fund("HN-VNN", "HN").await;
        app.get("/funds/HN-VNN/checkpoint").await.text
    };
    for (what, body, status, says) in [
        (
            "a log nobody here witnesses (HN has no parent)",
            format!("old 0\n\n{hn_fund}"),
            404,
            "witnesses",
        ),
        (
            "a log unknown here",
            format!(
                "old 0\n\n{}",
                MasterSecret::from_bytes([1; 32])
                    .log_key("elsewhere.example/log")
                    .unwrap()
                    .sign(3, &flipped)
                    .unwrap()
            ),
            404,
            "",
        ),
        (
            "a forged signature",
            format!(
                "old {size}\n{good_proof}\n{}",
                forged.sign(new_size, &root(&note)).unwrap()
            ),
            403,
            "",
        ),
        (
            "old > new",
            format!("old {}\n\n{note}", new_size + 1),
            400,
            "",
        ),
        ("a stale old size", format!("old 3\n\n{note}"), 409, ""),
        (
            "old 0 for a log cosigned before",
            format!("old 0\n\n{note}"),
            409,
            "",
        ),
        (
            "a bad proof",
            format!("old {size}\n{bad_proof}\n{note}"),
            422,
            "",
        ),
        ("no proof", format!("old {size}\n\n{note}"), 422, ""),
        (
            "a fork: another root at the size cosigned",
            format!("old {size}\n\n{}", key.sign(size, &flipped).unwrap()),
            422,
            "fork",
        ),
        (
            "a proof between equal sizes",
            format!("old {size}\n{good_proof}\n{first}"),
            422,
            "",
        ),
        (
            "another root further on",
            format!(
                "old {size}\n{good_proof}\n{}",
                key.sign(new_size, &flipped).unwrap()
            ),
            422,
            "",
        ),
        ("not a request", "hello".to_owned(), 400, ""),
        (
            "old > new, for a log unknown here: 400 first",
            format!(
                "old 9\n\n{}",
                MasterSecret::from_bytes([1; 32])
                    .log_key("elsewhere.example/log")
                    .unwrap()
                    .sign(3, &flipped)
                    .unwrap()
            ),
            400,
            "larger",
        ),
        (
            "a leading zero",
            format!("old 0{size}\n{good_proof}\n{note}"),
            400,
            "",
        ),
    ] {
        let (got, ct, text) = add(&app, &body).await;
        assert_eq!(got, status, "{what}: {text}");
        assert!(text.contains(says), "{what}: {text}");
        if status == 409 {
            assert_eq!(ct, "text/x.tlog.size", "{what}");
            assert_eq!(text, format!("{size}\n"), "{what}");
        }
        assert_eq!(
            latest(&app, &origin).await,
            stored,
            "{what}: nothing stored"
        );
    }
    // And the true successor is still taken.
    let (status, _, _) = add(&app, &format!("old {size}\n{good_proof}\n{note}")).await;
    assert_eq!(status, 200);
}

/// A committee witnesses a log of another deployment once it is added
/// with `sovang witness add-log`, and no longer once removed.
async fn logs_are_added_listed_and_removed_from_the_command_line(app: TestApp) {
    let app = without_pusher(app).await;
    use crate::cli::sovang;
    app.committee("HN", None).await;
    let origin = "sovang.quangninh.example/fund/QN-VNN";
    let theirs = MasterSecret::from_bytes([3; 32]).log_key(origin).unwrap();
    let vkey = theirs.verifier_key().to_owned();
    let note = theirs.sign(1, &Hash([5; 32])).unwrap();
    let body = format!("old 0\n\n{note}");
    assert_eq!(add(&app, &body).await.0, 404, "not witnessed yet");

    for (args, says) in [
        (
            vec![
                "witness",
                "add-log",
                "--committee",
                "XX",
                "--origin",
                origin,
                "--vkey",
                &vkey,
            ],
            "no committee",
        ),
        (
            vec![
                "witness",
                "add-log",
                "--committee",
                "HN",
                "--origin",
                origin,
                "--vkey",
                "nonsense",
            ],
            "not an Ed25519",
        ),
        (
            vec![
                "witness",
                "add-log",
                "--committee",
                "HN",
                "--origin",
                "other.example/log",
                "--vkey",
                &vkey,
            ],
            "not the log's origin",
        ),
        (
            vec![
                "witness",
                "remove-log",
                "--committee",
                "HN",
                "--origin",
                origin,
            ],
            "was not asked",
        ),
    ] {
        let (code, out, err) = sovang(&app, &args).await;
        assert_ne!(code, 0, "{args:?}: {out}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
    let (_, listed, _) = sovang(&app, &["witness", "list-logs"]).await;
    assert!(listed.contains("0 logs added"), "{listed}");
    assert_eq!(add(&app, &body).await.0, 404, "nothing was added");

    let (code, out, err) = sovang(
        &app,
        &[
            "witness",
            "add-log",
            "--committee",
            "HN",
            "--origin",
            origin,
            "--vkey",
            &vkey,
        ],
    )
    .await;
    assert_eq!(code, 0, "{out}{err}");
    let (_, listed, _) = sovang(&app, &["witness", "list-logs"]).await;
    assert!(
        listed.contains(&format!("HN\t{origin}\t{vkey}")),
        "{listed}"
    );
    let (status, _, line) = add(&app, &body).await;
    assert_eq!(status, 200, "{line}");
    let hn = CosignerKey::parse(&witness_keys(&app).await["HN"]).unwrap();
    assert!(hn.verify(&format!("{note}{line}")).is_some());

    let (code, _, _) = sovang(
        &app,
        &[
            "witness",
            "remove-log",
            "--committee",
            "HN",
            "--origin",
            origin,
        ],
    )
    .await;
    assert_eq!(code, 0);
    assert_eq!(add(&app, &format!("old 1\n\n{note}")).await.0, 404);
}

/// With the pusher on, each new checkpoint of a commune's fund is
/// cosigned by its province in the background, and served with it.
async fn the_fund_s_checkpoints_are_cosigned_in_the_background(app: TestApp) {
    let app = with_pusher_every(app, 20).await;
    let clerk = commune(&app, 3).await;
    let hn = CosignerKey::parse(&witness_keys(&app).await["HN"]).unwrap();
    let first = wait_cosigned(&app, &hn, app.size(F).await).await;
    assert!(first.contains("— sovang.local/committee/HN "), "{first}");
    // Later checkpoints too, each from the size cosigned before.
    for _ in 0..3 {
        add_gifts(&app, &clerk, 2).await;
        wait_cosigned(&app, &hn, app.size(F).await).await;
    }
    // The tiles' checkpoint carries it as well; HN's own fund, with no
    // committee above, is not witnessed.
    let root = app.base.trim_end_matches("/api/v1");
    let tiles = app
        .client
        .get(format!("{root}/fund/{F}/checkpoint"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(hn.verify(&tiles).is_some(), "{tiles}");
    app.fund("HN-VNN", "HN").await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let top = app.get("/funds/HN-VNN/checkpoint").await.text;
    assert!(!top.contains("committee/"), "{top}");
}

/// Waits until the fund's served checkpoint is of `size` and cosigned by
/// `key`; returns it.
async fn wait_cosigned(app: &TestApp, key: &CosignerKey, size: u64) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let note = app.get(&format!("/funds/{F}/checkpoint")).await.text;
        let at: u64 = note.lines().nth(1).unwrap().parse().unwrap();
        if at == size && key.verify(&note).is_some() {
            return note;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not cosigned at {size}: {note}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Receipts say who witnesses the fund and whether they vouched; a
/// witness that refuses the fund's history (it cosigned another) is a
/// `high` finding and leaves later receipts `unmet`.
async fn receipts_carry_the_witnesses_and_a_refusal_is_a_high_finding(app: TestApp) {
    let app = with_pusher_every(app, 20).await;
    let clerk = commune(&app, 0).await;
    let first = app
        .record(
            F,
            &clerk,
            "donation_cash",
            gift(json!("500000"))["body"].clone(),
        )
        .await;
    app.signed(F).await;
    let keys = witness_keys(&app).await;
    let hn = CosignerKey::parse(&keys["HN"]).unwrap();
    wait_cosigned(&app, &hn, app.size(F).await).await;
    let code = first["receipt"]["code"].as_str().unwrap().to_owned();
    let receipt = app.get(&format!("/receipts/{code}")).await.body;
    assert_eq!(receipt["witness_status"], "met", "{receipt}");
    assert_eq!(
        receipt["witnesses"],
        json!([{"name": "sovang.local/committee/HN", "vkey": keys["HN"]}])
    );
    let checkpoint = receipt["checkpoint"].as_str().unwrap();
    assert!(hn.verify(checkpoint).is_some(), "{checkpoint}");
    // The top committee's fund has nobody above to vouch.
    app.fund("HN-VNN", "HN").await;
    let hn_clerk = app.token("clerk", "HN").await;
    let top = app
        .record(
            "HN-VNN",
            &hn_clerk,
            "donation_cash",
            gift(json!("100000"))["body"].clone(),
        )
        .await;
    let top_code = top["receipt"]["code"].as_str().unwrap();
    let top_receipt = app.get(&format!("/receipts/{top_code}")).await.body;
    assert_eq!(top_receipt["witness_status"], "unmet");
    assert_eq!(top_receipt["witnesses"], json!([]));

    // HN's record now says it cosigned another history of the fund.
    let origin = app.get(&format!("/funds/{F}")).await.body["origin"]
        .as_str()
        .unwrap()
        .to_owned();
    let store = app.db.store().await;
    let seen = store.cosigned("HN", &origin).await.unwrap().unwrap();
    assert!(store
        .advance_witness(
            "HN",
            &origin,
            Some(&seen),
            seen.size,
            &Hash([9; 32]),
            "another history",
            "—"
        )
        .await
        .unwrap());
    let later = app
        .record(
            F,
            &clerk,
            "donation_cash",
            gift(json!("700000"))["body"].clone(),
        )
        .await;
    app.signed(F).await;
    let inspector = app.token("inspector", "PX").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let finding = loop {
        let f = app
            .get_as(&format!("/funds/{F}/audit/findings"), &inspector)
            .await
            .body;
        if let Some(found) = f["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["kind"] == "witness_refused")
        {
            break found.clone();
        }
        assert!(std::time::Instant::now() < deadline, "no finding: {f}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(finding["severity"], "high", "{finding}");
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .contains("committee/HN"),
        "{finding}"
    );
    let later_code = later["receipt"]["code"].as_str().unwrap();
    let r = app.get(&format!("/receipts/{later_code}")).await.body;
    assert_eq!(r["witness_status"], "unmet", "{r}");
    // The first gift is still proved in the checkpoint HN cosigned.
    let r = app.get(&format!("/receipts/{code}")).await.body;
    assert_eq!(r["witness_status"], "met", "{r}");
}

/// `sovang verify --url` and `--tiles` with `--witness-key` require the
/// witness's cosignature on the checkpoint they verify: fail closed.
async fn verifiers_require_the_witnesses_they_are_given(app: TestApp) {
    use crate::cli::sovang;
    let app = with_pusher_every(app, 20).await;
    let clerk = commune(&app, 3).await;
    let keys = witness_keys(&app).await;
    let hn = CosignerKey::parse(&keys["HN"]).unwrap();
    wait_cosigned(&app, &hn, app.size(F).await).await;
    let root = app.base.trim_end_matches("/api/v1").to_owned();
    let dir = tempfile::tempdir().unwrap();
    let state = |n: &str| dir.path().join(n).to_str().unwrap().to_owned();
    let vkey = app.get(&format!("/funds/{F}")).await.body["verifier_key"]
        .as_str()
        .unwrap()
        .to_owned();
    let tiles = format!("{root}/fund/{F}");
    for (args, code, says) in [
        (
            vec![
                "verify",
                "--url",
                &root,
                "--fund",
                F,
                "--state",
                &state("a"),
                "--witness-key",
                &keys["HN"],
            ],
            0,
            "OK",
        ),
        (
            vec![
                "verify",
                "--url",
                &root,
                "--fund",
                F,
                "--state",
                &state("b"),
                "--witness-key",
                &keys["PX"],
            ],
            1,
            "NOT COSIGNED",
        ),
        (
            vec![
                "verify",
                "--url",
                &root,
                "--fund",
                F,
                "--state",
                &state("c"),
                "--witness-key",
                &keys["HN"],
                "--witness-key",
                &keys["PX"],
            ],
            1,
            "committee/PX",
        ),
        (
            vec![
                "verify",
                "--tiles",
                &tiles,
                "--state",
                &state("d"),
                "--verifier-key",
                &vkey,
                "--witness-key",
                &keys["HN"],
            ],
            0,
            "OK",
        ),
        (
            vec![
                "verify",
                "--tiles",
                &tiles,
                "--state",
                &state("e"),
                "--verifier-key",
                &vkey,
                "--witness-key",
                &keys["PX"],
            ],
            1,
            "NOT COSIGNED",
        ),
        (
            vec![
                "verify",
                "--tiles",
                &tiles,
                "--state",
                &state("f"),
                "--verifier-key",
                &vkey,
                "--witness-key",
                &vkey,
            ],
            2,
            "not a cosignature/v1 key",
        ),
    ] {
        let (got, out, err) = sovang(&app, &args).await;
        assert_eq!(got, code, "{args:?}: {out}{err}");
        assert!(
            out.contains(says) || err.contains(says),
            "{args:?}: {out}{err}"
        );
    }

    // The export bundle gives each checkpoint with its cosignatures, and
    // `verify --bundle` asks the last one for the witnesses' keys.
    add_gifts(&app, &clerk, 2).await;
    wait_cosigned(&app, &hn, app.size(F).await).await;
    let bundle = state("bundle.ndjson");
    let (got, out, err) = sovang(&app, &["export", "--fund", F, "--out", &bundle]).await;
    assert_eq!(got, 0, "{out}{err}");
    let text = std::fs::read_to_string(&bundle).unwrap();
    let (rest, last) = text.trim_end().rsplit_once('\n').unwrap();
    let mut last: Value = serde_json::from_str(last).unwrap();
    let note = last["note"].as_str().unwrap().to_owned();
    assert!(hn.verify(&note).is_some(), "{note}");
    let size = last["size"].as_u64().unwrap();
    // The same checkpoint with its province line dropped, and with the
    // line of an earlier checkpoint put in its place.
    let earlier = rest
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l["type"] == "checkpoint" && l["size"].as_u64() < Some(size))
        .filter_map(|l| {
            let n = l["note"].as_str()?.to_owned();
            hn.verify(&n)?;
            n.lines()
                .find(|x| x.contains("committee/HN"))
                .map(str::to_owned)
        })
        .next_back()
        .expect("an earlier cosigned checkpoint");
    let bare: String = note
        .lines()
        .filter(|l| !l.contains("committee/HN"))
        .map(|l| format!("{l}\n"))
        .collect();
    let mut write = |name: &str, note: &str| {
        last["note"] = json!(note);
        let path = state(name);
        std::fs::write(&path, format!("{rest}\n{last}\n")).unwrap();
        path
    };
    let dropped = write("dropped.ndjson", &bare);
    let moved = write("moved.ndjson", &format!("{bare}{earlier}\n"));
    for (file, witness, code, says) in [
        (&bundle, &keys["HN"], 0, "COSIGNED: the last checkpoint"),
        (&bundle, &keys["PX"], 1, "NOT COSIGNED"),
        (&dropped, &keys["HN"], 1, "NOT COSIGNED"),
        (&moved, &keys["HN"], 1, "NOT COSIGNED"),
    ] {
        let args = ["verify", "--bundle", file, "--witness-key", witness];
        let (got, out, err) = sovang(&app, &args).await;
        assert_eq!(got, code, "{args:?}: {out}{err}");
        assert!(out.contains(says), "{args:?}: {out}{err}");
        if code == 1 {
            assert!(out.contains("vouched up to size"), "{out}");
            // The entries themselves are sound: only the witnesses fail.
            assert!(out.contains(": OK: fund"), "{out}");
        }
    }
    let (got, out, _) = sovang(&app, &["verify", "--bundle", &dropped]).await;
    assert_eq!(
        got, 0,
        "without witness keys a bare checkpoint is enough: {out}"
    );
}

crate::both!(
    verifiers_require_the_witnesses_they_are_given,
    receipts_carry_the_witnesses_and_a_refusal_is_a_high_finding,
    the_fund_s_checkpoints_are_cosigned_in_the_background,
    logs_are_added_listed_and_removed_from_the_command_line,
    the_province_cosigns_what_extends_what_it_cosigned,
    the_witness_refuses_with_the_protocol_s_codes_and_stores_nothing
);

/// Two witness processes on one PostgreSQL, asked at once to cosign ten
/// different checkpoints of one size, each twice: one is cosigned, and
/// every other answer is 409 with that size. Never two roots at one size.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_never_cosign_two_roots_at_one_size() {
    use sovang::ledger::merkle::{consistency_proof, leaf_hash, root_from_stored, Frontier};
    let Some(app) = crate::helpers::spawn_app(crate::helpers::Db::Postgres).await else {
        return;
    };
    let app = without_pusher(app).await;
    commune(&app, 5).await;
    let other = crate::helpers::spawn_process_with(
        &app.db.data_dir(),
        &app.db.database_url(),
        &[("SOVANG__WITNESSING__PUSH", "false")],
        std::process::Stdio::inherit(),
    )
    .await;
    let other_root = other.base.trim_end_matches("/api/v1").to_owned();
    let fund = app.get(&format!("/funds/{F}")).await.body;
    let origin = fund["origin"].as_str().unwrap().to_owned();
    let key = sovang::app::master_secret(&app.db.data_dir())
        .unwrap()
        .log_key(&origin)
        .unwrap();
    let (note, size) = checkpoint(&app).await;
    assert_eq!(add(&app, &format!("old 0\n\n{note}")).await.0, 200);

    // Ten trees that each extend the fund's tree by three leaves of their
    // own: all consistent with what was cosigned, all different.
    let entries = app
        .get(&format!("/funds/{F}/entries?limit=1000"))
        .await
        .body;
    let leaves: Vec<Hash> = entries["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| sovang::ledger::merkle::from_hex(e["hash"].as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(leaves.len() as u64, size);
    let new_size = size + 3;
    let bodies: Vec<String> = (0..10u8)
        .map(|v| {
            let mut tree = Frontier::new();
            let mut stored = HashMap::new();
            let extra = (0..3u8).map(|i| leaf_hash(&[v, i]));
            for l in leaves.iter().copied().chain(extra) {
                stored.extend(tree.push(l));
            }
            let root = root_from_stored(new_size, &stored).unwrap();
            let proof: String = consistency_proof(size, new_size, &stored)
                .unwrap()
                .iter()
                .map(|h| format!("{}\n", b64(&h.0)))
                .collect();
            format!(
                "old {size}\n{proof}\n{}",
                key.sign(new_size, &root).unwrap()
            )
        })
        .collect();
    let client = reqwest::Client::new();
    let roots = [app.base.trim_end_matches("/api/v1").to_owned(), other_root];
    let mut calls = Vec::new();
    for (i, body) in bodies.iter().chain(bodies.iter()).enumerate() {
        let url = format!("{}/witness/add-checkpoint", roots[i % 2]);
        let (client, body) = (client.clone(), body.clone());
        calls.push(tokio::spawn(async move {
            let r = client.post(url).body(body.clone()).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap(), body)
        }));
    }
    let mut cosigned = Vec::new();
    for c in calls {
        let (status, text, body) = c.await.unwrap();
        match status {
            200 => cosigned.push(body),
            409 => assert_eq!(text, format!("{new_size}\n")),
            other => panic!("{other}: {text}"),
        }
    }
    assert_eq!(
        cosigned.len(),
        1,
        "exactly one checkpoint of size {new_size} is cosigned"
    );
    let (_, stored) = latest(&app, &origin).await;
    let winner = cosigned[0].split_once("\n\n").unwrap().1;
    assert!(stored.starts_with(winner), "{stored}");
}

/// Go's reference note package verifies both the fund's signature and
/// the province's cosignature on a checkpoint the witness cosigned; a
/// cosignature moved to another checkpoint does not verify.
#[tokio::test]
async fn go_verifies_the_log_s_signature_and_the_province_s_cosignature() {
    let Some((go, gopath)) = crate::tiles::go() else {
        return;
    };
    let Some(app) = crate::helpers::spawn_app(crate::helpers::Db::Sqlite).await else {
        return;
    };
    let app = without_pusher(app).await;
    let clerk = commune(&app, 4).await;
    let fund = app.get(&format!("/funds/{F}")).await.body;
    let log_key = fund["verifier_key"].as_str().unwrap().to_owned();
    let witness_key = witness_keys(&app).await["HN"].clone();
    let (note, _) = checkpoint(&app).await;
    let (status, _, line) = add(&app, &format!("old 0\n\n{note}")).await;
    assert_eq!(status, 200);
    let check = |text: String| {
        let (go, gopath) = (go.clone(), gopath.clone());
        let (log_key, witness_key) = (log_key.clone(), witness_key.clone());
        async move {
            let mut child = tokio::process::Command::new(go)
                .args([
                    "run",
                    "tests/go/cosigcheck/main.go",
                    "-log",
                    &log_key,
                    "-witness",
                    &witness_key,
                ])
                .env("GO111MODULE", "off")
                .env("GOPATH", gopath)
                .env("GOCACHE", std::env::temp_dir().join("sovang-go-cache"))
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            use tokio::io::AsyncWriteExt as _;
            let mut stdin = child.stdin.take().unwrap();
            stdin.write_all(text.as_bytes()).await.unwrap();
            drop(stdin);
            let out = child.wait_with_output().await.unwrap();
            (
                out.status.success(),
                String::from_utf8_lossy(&out.stdout).into_owned()
                    + &String::from_utf8_lossy(&out.stderr),
            )
        }
    };
    let (ok, said) = check(format!("{note}{line}")).await;
    assert!(ok, "{said}");
    assert!(
        said.contains("sovang.local/committee/HN") && said.contains(F),
        "{said}"
    );
    // The cosignature does not follow a line moved to another checkpoint.
    add_gifts(&app, &clerk, 1).await;
    let (newer, _) = checkpoint(&app).await;
    let (ok, said) = check(format!("{newer}{line}")).await;
    assert!(!ok, "{said}");
}
