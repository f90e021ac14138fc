//! Witnessing (SPEC §12), both sides.
//!
//! - As a witness: [`add_checkpoint`] judges a request for every committee
//!   here that witnesses the log, and cosigns for those that accept; the
//!   HTTP handler (`POST /witness/add-checkpoint`) and the pusher share it.
//! - As a log: each fund's witnesses ([`fund_witnesses`]) are those of
//!   `witnessing.policy_file` when it covers the fund, else the committees
//!   here that witness it (its parent's). [`push_round`] offers each the
//!   fund's latest checkpoint with the consistency proof from the size it
//!   cosigned (once more from the size a 409 names): in this process to a
//!   committee here, over HTTP (`witnessing.timeout_ms`) to one elsewhere,
//!   whose cosignature is kept only if it verifies. A refusal is kept (a
//!   422 is a fork: a `high` finding). [`spawn_pusher`] makes each offer
//!   in a task of its own, one per fund and witness, so an append never
//!   waits for a witness and a slow one holds up no other; a witness that
//!   did not answer is offered the newest checkpoint on a later round, so
//!   it catches up when it returns.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use super::AppState;
use crate::ledger::merkle::{self, Hash};
use crate::ledger::tlog_policy::TlogPolicy;
use crate::ledger::witness::{judge, witness_name, AddCheckpoint, CosignerKey, Refusal};
use crate::store::witness::WitnessRefusal;
use crate::store::{Store, StoreError};

/// Times a request is judged again after another process moved the state.
const RACES_MAX: usize = 8;

/// What the witnesses here answered.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// Cosignature lines, one per witness that accepted.
    Cosigned(String),
    /// Every witness refused; they judge alike, so the first speaks.
    Refused(Refusal),
    /// No committee here witnesses the log.
    UnknownLog,
    /// The state moved under every try.
    Busy,
}

/// Judges `req` for every committee here that witnesses its log.
pub async fn add_checkpoint(s: &AppState, req: &AddCheckpoint) -> Result<Answer, StoreError> {
    add_checkpoint_as(s, req, None).await
}

/// Judges `req` for the committees here that witness its log, or only for
/// `only` among them.
async fn add_checkpoint_as(
    s: &AppState,
    req: &AddCheckpoint,
    only: Option<&str>,
) -> Result<Answer, StoreError> {
    let origin = req.checkpoint.lines().next().unwrap_or_default().to_owned();
    // SPEC §12 puts old > new first: it needs no key, only the size the
    // checkpoint claims (the signature over it is checked next).
    let claimed: Option<u64> = req.checkpoint.lines().nth(1).and_then(|l| l.parse().ok());
    if let Some(size) = claimed.filter(|size| req.old > *size) {
        return Ok(Answer::Refused(Refusal::BadRequest(format!(
            "old size {} is larger than the checkpoint's {size}",
            req.old
        ))));
    }
    let mut witnesses = s.store.witnesses_of(&origin).await?;
    if let Some(code) = only {
        witnesses.retain(|w| w.witness == code);
    }
    if witnesses.is_empty() {
        return Ok(Answer::UnknownLog);
    }
    let now = time::OffsetDateTime::now_utc().unix_timestamp().max(1) as u64;
    let mut lines = String::new();
    let mut refusals = Vec::new();
    for w in &witnesses {
        let key = s
            .witness_key(&w.witness)
            .map_err(|e| StoreError::Corrupt(format!("witness key of {}: {e}", w.witness)))?;
        let mut judged = None;
        for _ in 0..RACES_MAX {
            let last = s.store.cosigned(&w.witness, &origin).await?;
            match judge(req, &origin, &w.vkey, last.as_ref()) {
                Err(r) => {
                    judged = Some(Err(r));
                    break;
                }
                Ok(accepted) => {
                    let line = key.cosign(&accepted.body, now);
                    let cp = &accepted.checkpoint;
                    let moved = s
                        .store
                        .advance_witness(
                            &w.witness,
                            &origin,
                            last.as_ref(),
                            cp.size,
                            &cp.root,
                            &req.checkpoint,
                            &line,
                        )
                        .await?;
                    if moved {
                        judged = Some(Ok(line));
                        break;
                    }
                }
            }
        }
        match judged {
            Some(Ok(line)) => {
                tracing::info!(witness = %w.witness, origin = %origin, "checkpoint cosigned");
                lines.push_str(&line);
            }
            Some(Err(r)) => {
                if let Refusal::Unprocessable(m) = &r {
                    tracing::warn!(witness = %w.witness, origin = %origin, reason = %m, "a log's checkpoint does not extend what was cosigned");
                }
                refusals.push(r);
            }
            None => return Ok(Answer::Busy),
        }
    }
    if !lines.is_empty() {
        return Ok(Answer::Cosigned(lines));
    }
    Ok(refusals
        .into_iter()
        .next()
        .map_or(Answer::UnknownLog, Answer::Refused))
}

/// The RFC 9162 consistency proof of `fund` from `from` to `to`.
pub async fn consistency(
    store: &Store,
    fund: &str,
    from: u64,
    to: u64,
) -> Result<Vec<Hash>, StoreError> {
    let bad = |e: merkle::ProofError| StoreError::Corrupt(format!("fund {fund}: {e}"));
    let mut all = merkle::consistency_indexes(from, to).map_err(bad)?;
    all.sort_unstable();
    all.dedup();
    let hashes = store.merkle_hashes(fund, &all).await?;
    merkle::consistency_proof(from, to, &hashes).map_err(bad)
}

/// Where a fund's witness is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// A committee of this deployment, judged in this process.
    Here(String),
    /// A witness elsewhere: its tlog-witness submission prefix.
    Url(String),
    /// A policy's witness with no URL that is no committee here: its
    /// cosignatures count when they come, but nothing is pushed to it.
    Nowhere,
}

/// One of a fund's witnesses.
#[derive(Debug, Clone)]
pub struct Witness {
    /// The name on its cosignature lines (its key's name).
    pub name: String,
    /// Its cosignature/v1 verifier key.
    pub vkey: String,
    pub key: CosignerKey,
    pub reach: Reach,
}

/// A fund's witnesses and the quorum they must make: the policy's
/// (`witnessing.policy_file`, when it covers the fund), else every
/// committee here that witnesses the fund, all of them.
#[derive(Debug, Clone)]
pub struct FundWitnesses {
    pub witnesses: Vec<Witness>,
    policy: Option<Arc<TlogPolicy>>,
}

impl FundWitnesses {
    /// Whether cosignatures by the witnesses named `names` make the
    /// quorum. Without a policy, no witness is no quorum (a fund of the
    /// top committee is `unmet`).
    pub fn met(&self, names: &[&str]) -> bool {
        match &self.policy {
            Some(p) => p.met(|i| names.contains(&p.witnesses[i].key.name.as_str())),
            None => {
                !self.witnesses.is_empty()
                    && self
                        .witnesses
                        .iter()
                        .all(|w| names.contains(&w.name.as_str()))
            }
        }
    }
}

/// The witnesses of the fund `origin`, given the committees here that
/// witness it (`local`).
pub fn fund_witnesses(
    s: &AppState,
    origin: &str,
    local: &[String],
) -> Result<FundWitnesses, StoreError> {
    let prefix = &s.settings.ledger.origin_prefix;
    let derive = |code: &str| {
        s.witness_key(code)
            .map_err(|e| StoreError::Corrupt(format!("witness key of {code}: {e}")))
    };
    if let Some(policy) = s.witness_policy.as_ref().filter(|p| p.covers(origin)) {
        let mut witnesses = Vec::with_capacity(policy.witnesses.len());
        for w in &policy.witnesses {
            let reach = match &w.url {
                Some(url) => Reach::Url(url.clone()),
                None => {
                    let here = w
                        .key
                        .name
                        .strip_prefix(&witness_name(prefix, ""))
                        .filter(|code| local.iter().any(|l| l == code));
                    match here {
                        Some(code) if derive(code)?.verifier_key() == w.vkey => {
                            Reach::Here(code.to_owned())
                        }
                        _ => Reach::Nowhere,
                    }
                }
            };
            witnesses.push(Witness {
                name: w.key.name.clone(),
                vkey: w.vkey.clone(),
                key: w.key.clone(),
                reach,
            });
        }
        return Ok(FundWitnesses {
            witnesses,
            policy: Some(Arc::clone(policy)),
        });
    }
    let mut witnesses = Vec::with_capacity(local.len());
    for code in local {
        let key = derive(code)?;
        let vkey = key.verifier_key().to_owned();
        witnesses.push(Witness {
            name: key.name().to_owned(),
            key: CosignerKey::parse(&vkey)
                .ok_or_else(|| StoreError::Corrupt(format!("witness key {vkey}")))?,
            vkey,
            reach: Reach::Here(code.clone()),
        });
    }
    Ok(FundWitnesses {
        witnesses,
        policy: None,
    })
}

/// One offer to make: a fund's latest checkpoint to one witness, from the
/// size it cosigned.
#[derive(Debug, Clone)]
struct Offer {
    fund: String,
    size: u64,
    note: String,
    witness: Witness,
    old: u64,
}

/// What a witness made of an offer.
#[derive(Debug, Clone, PartialEq)]
enum Reply {
    /// Its cosignature line, checked.
    Cosigned(String),
    /// 409: the size it holds.
    Conflict(u64),
    /// Any other refusal: status and reason. Kept; the next checkpoint is
    /// offered again.
    Refused(u16, String),
    /// No answer, an error of its own (5xx), or an answer that is no
    /// valid cosignature: offered again on a later round.
    Unreachable(String),
}

/// The offers due: each fund's latest checkpoint to each witness that can
/// be reached and has neither cosigned nor refused it.
async fn plan(s: &AppState) -> Result<Vec<Offer>, StoreError> {
    let mut offers = Vec::new();
    for work in s.store.push_work().await? {
        let fw = fund_witnesses(s, &work.origin, &work.local)?;
        for w in fw.witnesses {
            if w.reach == Reach::Nowhere || work.refused.contains(&w.name) {
                continue;
            }
            let old = work
                .cosigned
                .iter()
                .find(|(name, _)| *name == w.name)
                .map_or(0, |(_, size)| *size);
            if old < work.size {
                offers.push(Offer {
                    fund: work.fund.clone(),
                    size: work.size,
                    note: work.note.clone(),
                    witness: w,
                    old: old.min(work.size),
                });
            }
        }
    }
    Ok(offers)
}

/// Asks a witness of this deployment.
async fn ask_here(s: &AppState, code: &str, req: &AddCheckpoint) -> Result<Reply, StoreError> {
    Ok(match add_checkpoint_as(s, req, Some(code)).await? {
        Answer::Cosigned(lines) => Reply::Cosigned(lines),
        Answer::Refused(Refusal::Conflict(size)) => Reply::Conflict(size),
        Answer::Refused(r) => Reply::Refused(r.status(), format!("{r:?}")),
        Answer::UnknownLog => Reply::Refused(404, "the committee does not witness the log".into()),
        Answer::Busy => Reply::Unreachable("its state kept moving".into()),
    })
}

/// Asks a witness at `url` (`POST <url>/add-checkpoint`), within the
/// client's timeout. A cosignature is kept only when it verifies with the
/// witness's key over this checkpoint.
async fn ask_there(client: &reqwest::Client, url: &str, w: &Witness, req: &AddCheckpoint) -> Reply {
    let sent = client
        .post(format!("{url}/add-checkpoint"))
        .header(reqwest::header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(req.encode())
        .send()
        .await;
    let r = match sent {
        Ok(r) => r,
        Err(e) => return Reply::Unreachable(e.to_string()),
    };
    let status = r.status().as_u16();
    let body = match read_capped(r).await {
        Ok(b) => b,
        Err(e) => return Reply::Unreachable(e),
    };
    match status {
        200 => {
            let line = body
                .lines()
                .filter(|l| l.starts_with(&format!("— {} ", w.name)))
                .map(|l| format!("{l}\n"))
                .find(|l| w.key.verify(&format!("{}{l}", req.checkpoint)).is_some());
            match line {
                Some(l) => Reply::Cosigned(l),
                None => Reply::Unreachable("its answer holds no valid cosignature".into()),
            }
        }
        409 => match body.trim().parse() {
            Ok(size) => Reply::Conflict(size),
            Err(_) => Reply::Unreachable(format!("409 without a size: {body:.80}")),
        },
        400 | 403 | 404 | 422 => Reply::Refused(status, body.trim().chars().take(500).collect()),
        _ => Reply::Unreachable(format!("status {status}")),
    }
}

/// Most bytes of a witness's answer that are read: cosignature lines of a
/// few witnesses, or a size. A longer answer is no answer.
const ANSWER_BYTES_MAX: usize = 16 * 1024;

/// A witness's answer, as text, read no further than [`ANSWER_BYTES_MAX`].
async fn read_capped(mut r: reqwest::Response) -> Result<String, String> {
    let mut body = Vec::new();
    while let Some(chunk) = r.chunk().await.map_err(|e| e.to_string())? {
        if body.len() + chunk.len() > ANSWER_BYTES_MAX {
            return Err(format!("an answer over {ANSWER_BYTES_MAX} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    String::from_utf8(body).map_err(|_| "an answer that is not UTF-8".to_owned())
}

/// What came of an offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Cosigned,
    /// Refused, or a size that cannot be offered from: kept, not offered
    /// again until the next checkpoint.
    Refused,
    /// No usable answer: offered again later.
    Unreachable,
}

/// Makes an offer, once more from the witness's size on a 409; keeps a
/// cosignature or a refusal.
async fn make(s: &AppState, client: &reqwest::Client, o: &Offer) -> Result<Outcome, StoreError> {
    let mut old = o.old;
    for _ in 0..2 {
        let req = AddCheckpoint {
            old,
            proof: consistency(&s.store, &o.fund, old, o.size).await?,
            checkpoint: o.note.clone(),
        };
        let reply = match &o.witness.reach {
            Reach::Here(code) => ask_here(s, code, &req).await?,
            Reach::Url(url) => ask_there(client, url, &o.witness, &req).await,
            Reach::Nowhere => return Ok(Outcome::Unreachable),
        };
        match reply {
            Reply::Cosigned(lines) => {
                for line in lines
                    .lines()
                    .filter(|l| l.starts_with(&format!("— {} ", o.witness.name)))
                {
                    s.store
                        .add_cosignature(&o.fund, o.size, &o.witness.name, &format!("{line}\n"))
                        .await?;
                }
                tracing::debug!(fund = %o.fund, size = o.size, witness = %o.witness.name, "cosigned");
                return Ok(Outcome::Cosigned);
            }
            // A 409 names the size the witness holds: once more from there.
            Reply::Conflict(size) if size != old && size <= o.size => old = size,
            // It holds a size larger than the fund's latest checkpoint (a
            // checkpoint this log never signed, or a database restored
            // behind what the public saw), or it refused the size it
            // named: kept as a refusal, as a 409.
            Reply::Conflict(size) => {
                let reason = if size > o.size {
                    format!("the witness holds size {size}, past the fund's latest checkpoint")
                } else {
                    format!("the witness named size {size} and refused an offer from it")
                };
                return refused(s, o, 409, reason).await;
            }
            Reply::Refused(status, reason) => return refused(s, o, status, reason).await,
            Reply::Unreachable(why) => {
                tracing::warn!(fund = %o.fund, size = o.size, witness = %o.witness.name, reason = %why, "the witness did not cosign; offered again later");
                return Ok(Outcome::Unreachable);
            }
        }
    }
    Ok(Outcome::Unreachable)
}

/// Keeps a witness's refusal of the offer's checkpoint.
async fn refused(
    s: &AppState,
    o: &Offer,
    status: u16,
    reason: String,
) -> Result<Outcome, StoreError> {
    let refusal = WitnessRefusal {
        size: o.size,
        witness: o.witness.name.clone(),
        status,
        reason,
    };
    tracing::error!(fund = %o.fund, size = o.size, witness = %refusal.witness, status, reason = %refusal.reason, "the witness refused the fund's checkpoint");
    s.store.add_witness_refusal(&o.fund, &refusal).await?;
    Ok(Outcome::Refused)
}

/// The client that calls witnesses elsewhere: each call bounded by
/// `witnessing.timeout_ms`, connecting included; no redirects (a witness
/// answers at its submission prefix, or not at all).
pub fn client(s: &AppState) -> Result<reqwest::Client, StoreError> {
    let timeout = Duration::from_millis(s.settings.witnessing.timeout_ms);
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| StoreError::Corrupt(format!("the witnesses' HTTP client: {e}")))
}

/// Offers every fund's latest checkpoint to each witness that has neither
/// cosigned nor refused it, all at once, and waits for them; returns how
/// many were cosigned.
pub async fn push_round(s: &AppState) -> Result<usize, StoreError> {
    let client = client(s)?;
    let offers = plan(s).await?;
    let made = futures_util::future::join_all(offers.iter().map(|o| make(s, &client, o))).await;
    let mut cosigned = 0;
    for m in made {
        cosigned += usize::from(m? == Outcome::Cosigned);
    }
    Ok(cosigned)
}

/// Longest a witness that does not answer is left alone before it is
/// offered checkpoints again: a minute, or 32 ticks if that is less.
const BACKOFF_MAX: Duration = Duration::from_secs(60);
const BACKOFF_TICKS_MAX: u32 = 32;

/// When each witness that did not answer is offered checkpoints again:
/// after two ticks, then twice as long after each further miss, up to
/// [`BACKOFF_MAX`]; any answer ends it. So a witness that is down gets a
/// few calls a minute per fund, not one a tick.
#[derive(Debug, Default)]
struct Backoff {
    by_witness: std::collections::HashMap<String, (u32, tokio::time::Instant)>,
}

impl Backoff {
    fn waiting(&self, witness: &str, now: tokio::time::Instant) -> bool {
        self.by_witness
            .get(witness)
            .is_some_and(|(_, until)| now < *until)
    }

    fn note(&mut self, witness: &str, outcome: Outcome, tick: Duration, now: tokio::time::Instant) {
        if outcome != Outcome::Unreachable {
            self.by_witness.remove(witness);
            return;
        }
        let misses = self.by_witness.get(witness).map_or(0, |(m, _)| *m) + 1;
        let wait = tick
            .saturating_mul(1 << misses.min(16))
            .min(BACKOFF_MAX.min(tick.saturating_mul(BACKOFF_TICKS_MAX)))
            .max(tick);
        self.by_witness
            .insert(witness.to_owned(), (misses, now + wait));
    }
}

/// Plans a round every `tick` until the task is aborted, and makes each
/// offer in a task of its own: one in flight per fund and witness, so a
/// slow or silent witness holds up neither the others nor any append; the
/// newest checkpoint is what the next round offers it. A witness that did
/// not answer waits out its back-off.
pub fn spawn_pusher(s: AppState, tick: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let client = match client(&s) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "no checkpoint is offered to any witness");
                return;
            }
        };
        if let Some(p) = &s.witness_policy {
            for w in p.witnesses.iter().filter(|w| w.url.is_none()) {
                tracing::info!(witness = %w.key.name, "a policy witness without a URL: checkpoints are offered to it only if it is a committee here");
            }
        }
        let mut interval = tokio::time::interval(tick);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut in_flight: HashMap<tokio::task::Id, (String, String)> = HashMap::new();
        let mut busy: HashSet<(String, String)> = HashSet::new();
        let mut tasks = tokio::task::JoinSet::new();
        let mut backoff = Backoff::default();
        loop {
            tokio::select! {
                _ = interval.tick() => {
                    let offers = match plan(&s).await {
                        Ok(o) => o,
                        Err(e) => {
                            tracing::warn!(error = %e, "planning a witnessing round failed; it is tried again");
                            continue;
                        }
                    };
                    let now = tokio::time::Instant::now();
                    for o in offers {
                        let key = (o.fund.clone(), o.witness.name.clone());
                        if backoff.waiting(&key.1, now) || !busy.insert(key.clone()) {
                            continue;
                        }
                        let (s, client) = (s.clone(), client.clone());
                        let task = tasks.spawn(async move {
                            make(&s, &client, &o).await.unwrap_or_else(|e| {
                                tracing::warn!(error = %e, fund = %o.fund, witness = %o.witness.name, "an offer to a witness failed; it is tried again");
                                Outcome::Unreachable
                            })
                        });
                        in_flight.insert(task.id(), key);
                    }
                }
                Some(done) = tasks.join_next_with_id() => {
                    // A task that panicked frees its place too.
                    let (id, outcome) = match done {
                        Ok((id, outcome)) => (id, outcome),
                        Err(e) => (e.id(), Outcome::Unreachable),
                    };
                    if let Some(key) = in_flight.remove(&id) {
                        backoff.note(&key.1, outcome, tick, tokio::time::Instant::now());
                        busy.remove(&key);
                    }
                }
            }
        }
    })
}

/// `fund`'s latest signed checkpoint with the cosignatures it has: what
/// `GET /funds/{fund}/checkpoint` and `/fund/{code}/checkpoint` serve.
pub async fn latest_checkpoint(
    store: &Store,
    fund: &str,
) -> Result<Option<(u64, String)>, StoreError> {
    let Some((size, mut note)) = store.latest_checkpoint(fund).await? else {
        return Ok(None);
    };
    for (_, line) in store.cosignatures(fund, size).await? {
        note.push_str(&line);
    }
    Ok(Some((size, note)))
}
