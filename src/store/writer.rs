//! The single writer of a process: group commit of appends.
//!
//! Every append request becomes a [`Job`] on a channel. The writer takes
//! whatever has queued up (up to a bound), opens one transaction, locks the
//! funds involved, applies each job in arrival order with the pure core,
//! writes all rows with multi-row statements, signs one checkpoint per fund,
//! commits (fsync) and only then answers every job. One fsync thus serves
//! many requests, which is how appends outrun the disk's commit rate.
//!
//! A job that breaks a rule is answered with its rejection and leaves no
//! trace; the others in the same transaction go on. A database failure fails
//! the whole transaction and every job in it is told to retry (503).

use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot};

use super::{
    fetch_idempotent, insert_idempotency, load_state, FundWrites, IdempotencyRecord,
    IdempotentResponse, Store,
};
use crate::ledger::checkpoint::{LogKey, MasterSecret};
use crate::ledger::ids::{verification_code, Code};
use crate::ledger::merkle::to_hex;
use crate::ledger::state::{apply, Appended, Context, Draft, FundState, Rejection};

/// Most jobs in one transaction.
pub const JOBS_PER_COMMIT_MAX: usize = 512;
/// Most entries in one transaction (a full batch request is 1,000).
pub const ENTRIES_PER_COMMIT_MAX: usize = 4_000;
/// Jobs waiting for the writer before senders wait too (back-pressure).
pub const QUEUE_LEN: usize = 4_096;

/// An idempotency key and the request it came with.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    /// `<actor> <key>`.
    pub scope_key: String,
    pub request_sha256: [u8; 32],
}

/// One append request: one entry, or a batch that is all or nothing.
#[derive(Debug)]
pub struct Job {
    pub fund: Code,
    pub actor: String,
    pub drafts: Vec<Draft>,
    /// Answer as a batch (`{"entries": [...]}`) rather than one entry.
    pub batch: bool,
    pub idempotency: Option<IdempotencyKey>,
    pub reply: oneshot::Sender<Result<Outcome, JobError>>,
}

/// A successful answer: HTTP status and JSON body, fresh or replayed.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub status: u16,
    pub body: Value,
    pub replayed: bool,
}

/// Why a job was not written.
#[derive(Debug, Clone, PartialEq)]
pub enum JobError {
    /// Entry `index` of the request broke a rule.
    Rejected {
        index: usize,
        rejection: Rejection,
    },
    /// The idempotency key was used before with another request.
    KeyReused {
        original: Value,
    },
    UnknownFund,
    /// The database failed; nothing was written.
    Unavailable,
}

/// Handle for sending jobs to the writer.
#[derive(Clone, Debug)]
pub struct Writer {
    tx: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer task. It ends when every handle is dropped, after
    /// finishing the jobs already queued.
    pub fn spawn(
        store: Store,
        secret: MasterSecret,
        public_base_url: String,
    ) -> (Self, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(QUEUE_LEN);
        let task = WriterTask {
            store,
            secret,
            public_base_url,
            keys: HashMap::new(),
        };
        let handle = tokio::spawn(task.run(rx));
        (Self { tx }, handle)
    }

    /// Queues a job and waits for its answer.
    pub async fn submit(
        &self,
        fund: Code,
        actor: String,
        drafts: Vec<Draft>,
        batch: bool,
        idempotency: Option<IdempotencyKey>,
    ) -> Result<Outcome, JobError> {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            fund,
            actor,
            drafts,
            batch,
            idempotency,
            reply,
        };
        if self.tx.send(job).await.is_err() {
            return Err(JobError::Unavailable);
        }
        answer.await.unwrap_or(Err(JobError::Unavailable))
    }
}

struct WriterTask {
    store: Store,
    secret: MasterSecret,
    public_base_url: String,
    /// Signing keys by origin; deriving one costs an HKDF and a scalar
    /// multiplication, so each is made once.
    keys: HashMap<String, LogKey>,
}

impl WriterTask {
    async fn run(mut self, mut rx: mpsc::Receiver<Job>) {
        while let Some(first) = rx.recv().await {
            let mut jobs = vec![first];
            let mut entries = jobs[0].drafts.len();
            while jobs.len() < JOBS_PER_COMMIT_MAX && entries < ENTRIES_PER_COMMIT_MAX {
                match rx.try_recv() {
                    Ok(job) => {
                        entries += job.drafts.len();
                        jobs.push(job);
                    }
                    Err(_) => break,
                }
            }
            self.commit_group(jobs).await;
        }
        tracing::info!("writer stopped: no more senders");
    }

    async fn commit_group(&mut self, jobs: Vec<Job>) {
        let started = std::time::Instant::now();
        match self.try_commit(&jobs).await {
            Ok((answers, written)) => {
                tracing::debug!(
                    jobs = jobs.len(),
                    entries = written,
                    elapsed_us = started.elapsed().as_micros() as u64,
                    "group committed"
                );
                answer_all(jobs, answers);
            }
            Err(error) if jobs.len() > 1 => {
                // One fund's trouble must not stop the others: try each job
                // in a transaction of its own.
                tracing::warn!(jobs = jobs.len(), error = %error, "group commit failed; retrying job by job");
                for job in jobs {
                    let answer = match self.try_commit(std::slice::from_ref(&job)).await {
                        Ok((mut answers, _)) => answers.pop().unwrap_or(Err(JobError::Unavailable)),
                        Err(error) => {
                            tracing::error!(fund = %job.fund, error = %error, "append failed; nothing written");
                            Err(JobError::Unavailable)
                        }
                    };
                    // A client that went away no longer waits; its entry is
                    // committed all the same and a retry replays it.
                    let _ = job.reply.send(answer);
                }
            }
            Err(error) => {
                tracing::error!(error = %error, "append transaction failed; nothing written");
                answer_all(jobs, vec![Err(JobError::Unavailable)]);
            }
        }
    }

    /// Runs one transaction for `jobs`, returning each job's answer in order.
    /// Nothing is written unless it returns `Ok`.
    async fn try_commit(
        &mut self,
        jobs: &[Job],
    ) -> Result<(Vec<Result<Outcome, JobError>>, usize), super::StoreError> {
        let mut tx = self.store.begin_write().await?;
        let now = time::OffsetDateTime::now_utc();
        let backend = self.store.backend();

        // Lock the funds in code order, so that two processes never wait on
        // each other in a cycle.
        let mut states: BTreeMap<Code, Option<(FundState, String)>> =
            jobs.iter().map(|j| (j.fund.clone(), None)).collect();
        for (fund, slot) in states.iter_mut() {
            *slot = load_state(&mut tx, backend, fund).await?;
        }
        let keys: Vec<&str> = jobs
            .iter()
            .filter_map(|j| j.idempotency.as_ref().map(|k| k.scope_key.as_str()))
            .collect();
        let mut known = if keys.is_empty() {
            HashMap::new()
        } else {
            fetch_idempotent(&mut tx, backend, &keys).await?
        };

        let mut appended: BTreeMap<Code, Vec<Appended>> = BTreeMap::new();
        let mut receipts: BTreeMap<Code, Vec<(String, String, u64)>> = BTreeMap::new();
        let mut records: Vec<IdempotencyRecord> = Vec::new();
        let answers: Vec<_> = jobs
            .iter()
            .map(|job| {
                self.apply_job(
                    job,
                    now,
                    &mut states,
                    &mut known,
                    &mut appended,
                    &mut receipts,
                    &mut records,
                )
            })
            .collect();

        let mut written = 0;
        for (fund, entries) in &appended {
            let Some(Some((state, origin))) = states.get(fund) else {
                continue;
            };
            let note = self.sign(origin, state)?;
            let writes = FundWrites {
                backend,
                fund: fund.as_str(),
                entries,
                receipts: receipts.get(fund).map_or(&[], |r| r.as_slice()),
                state,
                checkpoint: &note,
            };
            writes.insert(&mut tx).await?;
            written += entries.len();
        }
        insert_idempotency(&mut tx, backend, &records).await?;
        tx.commit().await?;
        Ok((answers, written))
    }

    #[allow(clippy::too_many_arguments)]
    fn apply_job(
        &self,
        job: &Job,
        now: time::OffsetDateTime,
        states: &mut BTreeMap<Code, Option<(FundState, String)>>,
        known: &mut HashMap<String, IdempotentResponse>,
        appended: &mut BTreeMap<Code, Vec<Appended>>,
        receipts: &mut BTreeMap<Code, Vec<(String, String, u64)>>,
        records: &mut Vec<IdempotencyRecord>,
    ) -> Result<Outcome, JobError> {
        if let Some(key) = &job.idempotency {
            if let Some(prior) = known.get(&key.scope_key) {
                return replay(prior, key);
            }
        }
        let Some(Some((state, _))) = states.get_mut(&job.fund) else {
            return Err(JobError::UnknownFund);
        };
        let ctx = Context {
            actor: &job.actor,
            now,
        };
        // Apply to a copy: a batch is all or nothing.
        let mut next = state.clone();
        let mut out = Vec::with_capacity(job.drafts.len());
        for (index, draft) in job.drafts.iter().enumerate() {
            match apply(&mut next, draft.clone(), &ctx) {
                Ok(a) => out.push(a),
                Err(rejection) => return Err(JobError::Rejected { index, rejection }),
            }
        }
        *state = next;
        let mut bodies = Vec::with_capacity(out.len());
        for a in &out {
            let receipt = a.receipt_no.as_ref().map(|no| {
                let code = verification_code();
                receipts.entry(job.fund.clone()).or_default().push((
                    code.clone(),
                    no.clone(),
                    a.seq,
                ));
                json!({
                    "receipt_no": no,
                    "code": code,
                    "url": format!("{}/r/{code}", self.public_base_url.trim_end_matches('/')),
                })
            });
            let mut body = json!({
                "seq": a.seq,
                "id": a.id,
                "kind": a.kind.as_str(),
                "hash": to_hex(&a.hash),
                "canonical": a.canonical,
            });
            if let Some(r) = receipt {
                body["receipt"] = r;
            }
            bodies.push(body);
        }
        appended.entry(job.fund.clone()).or_default().extend(out);
        let body = if job.batch {
            json!({ "entries": bodies })
        } else {
            bodies.pop().unwrap_or(Value::Null)
        };
        if let Some(key) = &job.idempotency {
            let response = body.to_string();
            known.insert(
                key.scope_key.clone(),
                IdempotentResponse {
                    request_sha256: key.request_sha256.to_vec(),
                    status: 201,
                    response: response.clone(),
                },
            );
            records.push(IdempotencyRecord {
                scope_key: key.scope_key.clone(),
                request_sha256: key.request_sha256,
                status: 201,
                response,
            });
        }
        Ok(Outcome {
            status: 201,
            body,
            replayed: false,
        })
    }

    fn sign(&mut self, origin: &str, state: &FundState) -> Result<String, super::StoreError> {
        let corrupt = |e: crate::ledger::checkpoint::CheckpointError| {
            super::StoreError::Corrupt(e.to_string())
        };
        if !self.keys.contains_key(origin) {
            let key = self.secret.log_key(origin).map_err(corrupt)?;
            self.keys.insert(origin.to_owned(), key);
        }
        let key = &self.keys[origin];
        key.sign(state.size(), &state.frontier.root())
            .map_err(corrupt)
    }
}

/// Sends each job its answer; a single answer given for several jobs is
/// sent to all of them.
fn answer_all(jobs: Vec<Job>, answers: Vec<Result<Outcome, JobError>>) {
    let shared = answers.len() == 1 && jobs.len() > 1;
    let mut answers = answers.into_iter();
    let first = if shared { answers.next() } else { None };
    for job in jobs {
        let answer = match &first {
            Some(a) => a.clone(),
            None => answers.next().unwrap_or(Err(JobError::Unavailable)),
        };
        let _ = job.reply.send(answer);
    }
}

/// Answers a retried request from what was stored the first time.
fn replay(prior: &IdempotentResponse, key: &IdempotencyKey) -> Result<Outcome, JobError> {
    let body: Value = serde_json::from_str(&prior.response).unwrap_or(Value::Null);
    if prior.request_sha256 != key.request_sha256 {
        return Err(JobError::KeyReused { original: body });
    }
    Ok(Outcome {
        status: prior.status,
        body,
        replayed: true,
    })
}
