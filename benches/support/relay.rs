//! A stand-in in front of a tlog witness, for the tests and the witness
//! bench: it forwards `add-checkpoint` calls to the witness, or answers as
//! a witness that is down (503), slow (answers after `slow`), or forging
//! (200 with a cosignature line in the witness's name by another key). It
//! counts the calls, and the most it held at once.

use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode};
use sovang::ledger::checkpoint::MasterSecret;
use sovang::ledger::witness::{parse_request, WitnessKey};

/// Forwards to the witness.
pub const UP: u8 = 0;
/// 503 at once.
pub const DOWN: u8 = 1;
/// Waits `slow`, then forwards.
pub const SLOW: u8 = 2;
/// 200 with a cosignature in the witness's name by another key.
pub const FORGE: u8 = 3;
/// 200 with the witness's own last answer, a valid cosignature of an
/// earlier checkpoint.
pub const REPLAY: u8 = 4;

pub struct Relay {
    pub mode: AtomicU8,
    /// The witness's submission prefix.
    target: String,
    slow: Duration,
    forger: WitnessKey,
    client: reqwest::Client,
    pub calls: AtomicU64,
    in_flight: AtomicU64,
    pub most_in_flight: AtomicU64,
    /// 409s the witness answered through the relay.
    pub conflicts: AtomicU64,
    /// The witness's last 200 answer.
    last_cosigned: std::sync::Mutex<String>,
}

impl Relay {
    /// A relay to the witness at `target` (its submission prefix), named
    /// `name`, starting in `mode`.
    pub fn new(target: &str, name: &str, mode: u8, slow: Duration) -> Arc<Self> {
        Arc::new(Self {
            mode: AtomicU8::new(mode),
            target: target.trim_end_matches('/').to_owned(),
            slow,
            forger: WitnessKey::derive(&MasterSecret::from_bytes([7; 32]), name)
                .expect("a witness name"),
            client: reqwest::Client::new(),
            calls: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            most_in_flight: AtomicU64::new(0),
            conflicts: AtomicU64::new(0),
            last_cosigned: std::sync::Mutex::default(),
        })
    }

    pub fn set(&self, mode: u8) {
        self.mode.store(mode, Ordering::SeqCst);
    }

    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }
}

/// Counts a call out when it ends, answered or dropped because the caller
/// gave up.
struct InFlight(Arc<Relay>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn add_checkpoint(
    State(r): State<Arc<Relay>>,
    body: String,
) -> (StatusCode, [(header::HeaderName, String); 1], String) {
    r.calls.fetch_add(1, Ordering::SeqCst);
    let now = r.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    r.most_in_flight.fetch_max(now, Ordering::SeqCst);
    let _counted = InFlight(Arc::clone(&r));
    let plain = |status, body: &str| {
        (
            status,
            [(header::CONTENT_TYPE, "text/plain".to_owned())],
            body.to_owned(),
        )
    };
    match r.mode.load(Ordering::SeqCst) {
        DOWN => plain(StatusCode::SERVICE_UNAVAILABLE, "down\n"),
        REPLAY => {
            let last = r
                .last_cosigned
                .lock()
                .map(|l| l.clone())
                .unwrap_or_default();
            plain(StatusCode::OK, &last)
        }
        FORGE => {
            let Some(req) = parse_request(&body) else {
                return plain(StatusCode::BAD_REQUEST, "bad request\n");
            };
            let note_body = match req.checkpoint.split_once("\n\n") {
                Some((b, _)) => format!("{b}\n"),
                None => return plain(StatusCode::BAD_REQUEST, "bad checkpoint\n"),
            };
            plain(StatusCode::OK, &r.forger.cosign(&note_body, 1))
        }
        mode => {
            if mode == SLOW {
                tokio::time::sleep(r.slow).await;
            }
            let sent = r
                .client
                .post(format!("{}/add-checkpoint", r.target))
                .body(body)
                .send()
                .await;
            let Ok(a) = sent else {
                return plain(StatusCode::BAD_GATEWAY, "the witness did not answer\n");
            };
            let status = a.status();
            let ct = a
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("text/plain")
                .to_owned();
            let text = a.text().await.unwrap_or_default();
            if status == StatusCode::OK {
                if let Ok(mut last) = r.last_cosigned.lock() {
                    last.clone_from(&text);
                }
            } else if status == StatusCode::CONFLICT {
                r.conflicts.fetch_add(1, Ordering::SeqCst);
            }
            (status, [(header::CONTENT_TYPE, ct)], text)
        }
    }
}

/// Serves `r` on `listener`; the relay's submission prefix.
pub fn serve(r: Arc<Relay>, listener: tokio::net::TcpListener) -> String {
    let at = listener.local_addr().expect("relay address");
    let app = axum::Router::new()
        .route(
            "/witness/add-checkpoint",
            axum::routing::post(add_checkpoint),
        )
        .with_state(r);
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{at}/witness")
}
