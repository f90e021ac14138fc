//! Witnesses named in `witnessing.policy_file` (C2SP tlog-policy, SPEC
//! §12): a committee here and a witness in another deployment, reached
//! over HTTP through a stand-in that the test turns down, slow, forging or
//! up. Appends never wait for it; what it did not cosign it is offered
//! again until it catches up; an answer that is no valid cosignature is
//! not kept; the receipt is `met` only once the policy's quorum cosigned.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sovang::ledger::witness::CosignerKey;

use crate::helpers::{gift, Db, TestApp};

const F: &str = "PX-VNN";

#[path = "../../benches/support/relay.rs"]
mod relay;
use relay::{Relay, DOWN, FORGE, REPLAY, SLOW, UP};

/// The committees' witness keys, by code.
async fn witness_key(app: &TestApp, code: &str) -> String {
    app.get("/committees").await.body["committees"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == code)
        .unwrap()["witness_key"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The log with `policy` as its witnessing policy file, its pusher every
/// 20 ms and calls bounded at 300 ms.
async fn with_policy(app: TestApp, policy: &str) -> TestApp {
    let db = app.stop().await;
    let file = db.data_dir().join("witnesses.policy");
    std::fs::write(&file, policy).unwrap();
    let mut settings = db.settings();
    settings.witnessing.push_interval_ms = 20;
    settings.witnessing.timeout_ms = 300;
    settings.witnessing.policy_file = file;
    crate::helpers::spawn_on(db, settings).await
}

async fn gifts(app: &TestApp, clerk: &str, n: usize) -> Value {
    let entries: Vec<Value> = (0..n)
        .map(|i| gift(json!((1000 * (i + 1)).to_string())))
        .collect();
    let recorded = app.record_batch(F, clerk, entries).await;
    app.signed(F).await;
    recorded.last().unwrap().clone()
}

/// The receipt of `recorded` (a gift's answer).
async fn receipt(app: &TestApp, recorded: &Value) -> Value {
    let code = recorded["receipt"]["code"].as_str().unwrap();
    app.get(&format!("/receipts/{code}")).await.body
}

/// Waits until `check` holds of the fund's served checkpoint.
async fn wait_for(app: &TestApp, what: &str, check: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let note = app.get(&format!("/funds/{F}/checkpoint")).await.text;
        if check(&note) {
            return note;
        }
        assert!(Instant::now() < deadline, "{what}: {note}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn size_of(note: &str) -> u64 {
    note.lines().nth(1).unwrap().parse().unwrap()
}

/// The policy's two witnesses, the province here and the centre of
/// another deployment, must both cosign; the centre's, reached over HTTP,
/// goes down, slow and forging, and catches up once back.
async fn a_policy_s_witness_elsewhere_cosigns_and_catches_up(app: TestApp) {
    let kind = if app.db.pg.is_some() {
        Db::Postgres
    } else {
        Db::Sqlite
    };
    let Some(centre) = crate::helpers::spawn_app(kind).await else {
        return;
    };
    centre.committee("TW", None).await;
    let tw_key = witness_key(&centre, "TW").await;
    let tw = CosignerKey::parse(&tw_key).unwrap();
    let centre_root = centre.base.trim_end_matches("/api/v1").to_owned();

    app.committee("HN", None).await;
    app.committee("PX", Some("HN")).await;
    let fund = app.fund(F, "PX").await;
    let origin = fund["origin"].as_str().unwrap().to_owned();
    let vkey = fund["verifier_key"].as_str().unwrap().to_owned();
    let hn_key = witness_key(&app, "HN").await;
    let hn = CosignerKey::parse(&hn_key).unwrap();

    let r = Relay::new(
        &format!("{centre_root}/witness"),
        &tw.name,
        UP,
        Duration::from_secs(2),
    );
    let url = relay::serve(
        Arc::clone(&r),
        tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
    );
    let policy = format!(
        "# the province here, the centre over there: both\n\
         witness province {hn_key}\n\
         witness centre {tw_key} {url}/\n\
         group both all province centre\n\
         quorum both\n"
    );
    let app = with_policy(app, &policy).await;
    let clerk = app.token("clerk", "PX").await;

    // The centre does not know the log yet: 404, kept as a refusal of
    // that checkpoint; the province cosigns; the quorum is not met.
    let first = gifts(&app, &clerk, 3).await;
    let s1 = app.size(F).await;
    wait_for(&app, "the province cosigns", |n| {
        size_of(n) == s1 && hn.verify(n).is_some()
    })
    .await;
    let deadline = Instant::now() + Duration::from_secs(15);
    let refused_at_s1 = || async {
        let all = app.db.store().await.witness_refusals(F).await.unwrap();
        all.into_iter().find(|r| r.size == s1)
    };
    while refused_at_s1().await.is_none() {
        assert!(Instant::now() < deadline, "no refusal kept");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let refusal = refused_at_s1().await.unwrap();
    assert_eq!(
        (refusal.status, refusal.witness.as_str()),
        (404, tw.name.as_str())
    );
    let early = receipt(&app, &first).await;
    assert_eq!(early["witness_status"], "pending", "{early}");
    assert_eq!(
        early["witnesses"],
        json!([{"name": hn.name, "vkey": hn_key}, {"name": tw.name, "vkey": tw_key}])
    );
    // A refused checkpoint is not offered again.
    let calls = r.calls();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(r.calls(), calls);

    // The centre adds the log; the next checkpoint is cosigned by both.
    centre
        .db
        .store()
        .await
        .add_witnessed_log("TW", &origin, &vkey)
        .await
        .unwrap();
    let second = gifts(&app, &clerk, 2).await;
    let s2 = app.size(F).await;
    let note = wait_for(&app, "both cosign", |n| {
        size_of(n) == s2 && hn.verify(n).is_some() && tw.verify(n).is_some()
    })
    .await;
    assert!(note.contains(&format!("— {} ", tw.name)), "{note}");
    let met = receipt(&app, &second).await;
    assert_eq!(met["witness_status"], "met", "{met}");
    assert!(tw.verify(met["checkpoint"].as_str().unwrap()).is_some());
    assert!(hn.verify(met["checkpoint"].as_str().unwrap()).is_some());
    // So is the first gift's receipt now: that checkpoint holds it too.
    assert_eq!(receipt(&app, &first).await["witness_status"], "met");

    // Down: appends go on; the province keeps up, the centre does not.
    r.set(DOWN);
    let third = gifts(&app, &clerk, 2).await;
    let s3 = app.size(F).await;
    wait_for(&app, "the province cosigns while the centre is down", |n| {
        size_of(n) == s3 && hn.verify(n).is_some() && tw.verify(n).is_none()
    })
    .await;
    // The newest checkpoint has the province alone; an older one has both:
    // the gifts it holds stay `met`, proved in that one.
    let held = receipt(&app, &second).await;
    assert_eq!(held["witness_status"], "met", "{held}");
    assert_eq!(size_of(held["checkpoint"].as_str().unwrap()), s2);
    assert_eq!(receipt(&app, &first).await["witness_status"], "met");
    // Offered again, but backing off: far fewer calls than the 75 ticks.
    let before = r.calls();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let again = r.calls() - before;
    assert!(
        (2..20).contains(&again),
        "a witness that is down is offered the checkpoint again, backing off: {again} calls"
    );
    assert_eq!(receipt(&app, &third).await["witness_status"], "pending");

    // Slow: every call times out, and only one is ever in flight.
    r.set(SLOW);
    r.most_in_flight.store(0, Ordering::SeqCst);
    let fourth = gifts(&app, &clerk, 2).await;
    let s4 = app.size(F).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receipt(&app, &fourth).await["witness_status"], "pending");
    assert_eq!(r.most_in_flight.load(Ordering::SeqCst), 1);

    // Forging: a 200 whose line is not by the centre's key is not kept,
    // and the checkpoint is offered again.
    r.set(FORGE);
    let before = r.calls();
    let deadline = Instant::now() + Duration::from_secs(15);
    while r.calls() < before + 3 {
        assert!(Instant::now() < deadline, "the forger is not asked again");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Replaying: the centre's own valid cosignature, of an earlier
    // checkpoint, is no cosignature of this one.
    r.set(REPLAY);
    let before = r.calls();
    while r.calls() < before + 2 {
        assert!(Instant::now() < deadline, "the replayer is not asked again");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let store = app.db.store().await;
    let kept = store.cosignatures(F, s4).await.unwrap();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(kept[0].0, hn.name);
    assert_eq!(receipt(&app, &fourth).await["witness_status"], "pending");

    // Meanwhile the centre was given the newest checkpoint by another
    // path: it holds s4 while the log thinks it holds s2. The log's next
    // offer is a 409 naming s4, then cosigned from there.
    let latest = app.get(&format!("/funds/{F}/checkpoint")).await.text;
    // The log's own signature is the first line under the body.
    let (body, signatures) = latest.split_once("\n\n").unwrap();
    let note = format!("{body}\n\n{}", signatures.lines().next().unwrap());
    assert_eq!(size_of(&note), s4);
    let consistency = app
        .get(&format!("/funds/{F}/proof/consistency?from={s2}&to={s4}"))
        .await
        .body;
    let lines: String = consistency["proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            let raw = hex::decode(h.as_str().unwrap()).unwrap();
            format!(
                "{}\n",
                base64::Engine::encode(&base64::engine::general_purpose::STANDARD, raw)
            )
        })
        .collect();
    let direct = centre
        .client
        .post(format!("{centre_root}/witness/add-checkpoint"))
        .body(format!("old {s2}\n{lines}\n{note}\n"))
        .send()
        .await
        .unwrap();
    assert_eq!(direct.status(), 200, "{}", direct.text().await.unwrap());
    assert_eq!(r.conflicts.load(Ordering::SeqCst), 0);

    // Up again: the centre catches up with the newest checkpoint.
    r.set(UP);
    let caught = wait_for(&app, "the centre catches up", |n| {
        size_of(n) == s4 && tw.verify(n).is_some() && hn.verify(n).is_some()
    })
    .await;
    assert_eq!(receipt(&app, &third).await["witness_status"], "met");
    assert_eq!(receipt(&app, &fourth).await["witness_status"], "met");
    assert!(
        r.conflicts.load(Ordering::SeqCst) >= 1,
        "caught up through a 409"
    );
    // The centre's own record agrees.
    let monitor = centre
        .client
        .get(format!(
            "{centre_root}/witness/{}/checkpoint",
            hex::encode(<sha2::Sha256 as sha2::Digest>::digest(origin.as_bytes()))
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(size_of(&monitor), s4, "{monitor}");
    assert!(tw.verify(&monitor).is_some());
    assert!(caught.starts_with(monitor.split_once("\n\n").unwrap().0));
}

crate::both!(a_policy_s_witness_elsewhere_cosigns_and_catches_up);

/// A policy file that is missing or does not read, or a timeout out of
/// range, stops the settings from loading and `sovang serve` from
/// starting, with the file and line named; a good one is read from the
/// settings directory.
#[tokio::test]
async fn a_policy_that_does_not_read_stops_the_start() {
    use sovang::config::{Overrides, Settings};
    let dir = tempfile::tempdir().unwrap();
    let load = |local: &str| {
        std::fs::write(dir.path().join("local.toml"), local).unwrap();
        Settings::load(&Overrides {
            config_file: None,
            data_dir: Some(dir.path().to_path_buf()),
            database_url: None,
            bind: Some("127.0.0.1:0".into()),
        })
    };
    let named = "[witnessing]\npolicy_file = \"w.policy\"\n";
    let e = load(named).unwrap_err().to_string();
    assert!(e.contains("w.policy") && e.contains("No such file"), "{e}");
    let policy = dir.path().join("w.policy");
    std::fs::write(&policy, "quorum none\nwitness W nokey\n").unwrap();
    let e = load(named).unwrap_err().to_string();
    assert!(e.contains("line 2") && e.contains("type 0x04"), "{e}");
    std::fs::write(&policy, "quorum none\n").unwrap();
    let s = load(named).unwrap();
    assert_eq!(s.witnessing.policy_file, policy);
    assert!(s.witness_policy().unwrap().unwrap().asks_nothing());
    for bad in ["0", "600001", "-5"] {
        let e = load(&format!("[witnessing]\ntimeout_ms = {bad}\n"));
        assert!(e.is_err(), "timeout_ms = {bad}");
    }

    // The service says why, on its error output, and does not start.
    std::fs::write(&policy, "witness W nokey\nquorum W\n").unwrap();
    std::fs::write(dir.path().join("local.toml"), named).unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_sovang"))
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let says = String::from_utf8_lossy(&out.stderr);
    assert!(
        says.contains("w.policy") && says.contains("line 1"),
        "{says}"
    );
    assert!(out.stdout.is_empty(), "it never listened");
}
