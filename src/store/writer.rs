//! The single writer of a process: group commit of appends.
//!
//! Every append request becomes a [`Job`] on a channel. The writer takes
//! whatever has queued up (up to a bound), opens one transaction, locks the
//! funds involved, applies each job in arrival order with the pure core,
//! writes all rows with multi-row statements, signs each fund's checkpoint
//! when it is due (below), commits (fsync) and only then answers every job. One fsync thus serves
//! many requests, which is how appends outrun the disk's commit rate.
//!
//! A fund's checkpoint is signed at most once per `checkpoint_interval`
//! (SPEC §3). A commit less than that after the fund's last signature
//! signs nothing; the fund is then due, and the writer signs its head,
//! covering every entry committed since, when the interval has passed,
//! with the next commit to that fund or on its own. Heads left unsigned
//! (by a writer that was killed, here or in another process sharing
//! PostgreSQL) are found on start and every 10 seconds, and a writer that
//! stops cleanly signs what waits first.
//!
//! A job that breaks a rule is answered with its rejection and leaves no
//! trace; the others in the same transaction go on. A database failure fails
//! the whole transaction and every job in it is told to retry (503).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use super::durable::LogSync;
use super::snapshots::{Loaded, SnapshotKey, SNAPSHOT_EVERY};
use super::{
    entries_between, fetch_idempotent, insert_idempotency, lock_head, FundWrites,
    IdempotencyRecord, IdempotentResponse, RecordKey, Store,
};
use crate::ledger::checkpoint::{LogKey, MasterSecret};
use crate::ledger::ids::{verification_code, Code};
use crate::ledger::kinds::corrections::Reversal;
use crate::ledger::kinds::spending::{OutflowStatus, Transfer};
use crate::ledger::kinds::Body;
use crate::ledger::merkle::to_hex;
use crate::ledger::policy::Policy;
use crate::ledger::replay::fold;
use crate::ledger::state::{apply, Appended, Context, Draft, FundState, Rejection, Savepoint};

/// How often a writer looks for heads that no checkpoint covers.
const UNSIGNED_SWEEP: Duration = Duration::from_secs(10);

/// How soon a checkpoint that failed to be signed is tried again, at least.
const RETRY_SIGNING: Duration = Duration::from_millis(200);

/// Most jobs in one transaction.
pub const JOBS_PER_COMMIT_MAX: usize = 512;
/// Most entries in one transaction (a full batch request is 1,000).
pub const ENTRIES_PER_COMMIT_MAX: usize = 4_000;
/// Jobs waiting for the writer before senders wait too (back-pressure).
pub const QUEUE_LEN: usize = 4_096;
/// Funds whose books the writer keeps in memory; past this the cache is
/// emptied and books are read again from the ledger as needed.
pub const FUNDS_CACHED_MAX: usize = 4_096;

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

/// A successful answer, fresh or replayed: what was written, typed. The
/// API renders it with [`Outcome::to_bytes`] (which is also what an
/// idempotency key stores); the console reads its fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub status: u16,
    /// One entry, or each entry of a batch, in order.
    pub entries: Vec<WrittenEntry>,
    /// Answered as a batch (`{"entries": [...]}`) rather than one entry.
    pub batch: bool,
    pub replayed: bool,
}

/// One written entry as its writer is told of it.
///
/// The fields of this and the structs in it stand in alphabetical order:
/// an answer is written straight from them ([`Outcome::to_bytes`]) in the
/// order a replay, read back through a JSON value, writes them, so that a
/// replay is the first answer byte for byte.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WrittenEntry {
    /// The entry's canonical text, as hashed.
    pub canonical: String,
    /// For a transfer: the entry written in the other fund.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counterpart: Option<Counterpart>,
    /// Hex leaf hash.
    pub hash: String,
    pub id: String,
    pub kind: String,
    /// For a gift: its receipt number and verification code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<ReceiptLink>,
    pub seq: u64,
}

/// A gift's receipt: what the donor is given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReceiptLink {
    pub code: String,
    pub receipt_no: String,
    pub url: String,
}

/// The other side of a transfer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Counterpart {
    pub fund: String,
    pub hash: String,
    pub kind: String,
    pub seq: u64,
}

/// A batch's answer as written.
#[derive(Serialize)]
struct BatchAnswer<'a> {
    entries: &'a [WrittenEntry],
}

impl Outcome {
    /// The API's answer: the entry, or `{"entries": [...]}` for a batch,
    /// written straight to JSON text (a batch of a thousand gifts is some
    /// 800 KB; going through a JSON value first doubled its cost).
    pub fn to_bytes(&self) -> Vec<u8> {
        // Structs of strings and integers always serialise.
        match (self.batch, self.entries.as_slice()) {
            (false, [one]) => serde_json::to_vec(one),
            (_, all) => serde_json::to_vec(&BatchAnswer { entries: all }),
        }
        .unwrap_or_default()
    }

    /// Reads an answer stored under an idempotency key.
    fn from_stored(status: u16, response: &str) -> Option<Self> {
        let value: Value = serde_json::from_str(response).ok()?;
        let (batch, entries) = match value.get("entries") {
            Some(all) => (true, serde_json::from_value(all.clone()).ok()?),
            None => (false, vec![serde_json::from_value(value).ok()?]),
        };
        Some(Self {
            status,
            entries,
            batch,
            replayed: true,
        })
    }

    /// The first (for a single request, the only) entry written.
    pub fn first(&self) -> Option<&WrittenEntry> {
        self.entries.first()
    }
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
    /// The writer failed on this job (a panic); nothing of it was written
    /// and the writer went on with its books read again from the ledger.
    Failed,
}

/// Handle for sending jobs to the writer.
#[derive(Clone, Debug)]
pub struct Writer {
    tx: mpsc::Sender<Job>,
    /// Syncs of the log made after commits that left it unsynced.
    log_syncs: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Writer {
    /// Starts the writer task. It ends when every handle is dropped, after
    /// finishing the jobs already queued.
    pub fn spawn(
        store: Store,
        secret: MasterSecret,
        public_base_url: String,
        policy: Policy,
        cadence: Cadence,
    ) -> (Self, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(QUEUE_LEN);
        let mut task = WriterTask {
            store,
            record_key: RecordKey::new(&secret),
            snapshot_key: SnapshotKey::new(&secret),
            snapshot_every: cadence.snapshot_every.max(1),
            snapshotted: HashMap::new(),
            secret,
            public_base_url,
            policy,
            keys: HashMap::new(),
            cache: HashMap::new(),
            checkpoint_interval: cadence.checkpoint_interval,
            signed_at: HashMap::new(),
            due: BTreeMap::new(),
            stages: Stages::default(),
            syncer: None,
        };
        let log_syncs = std::sync::Arc::default();
        if let Some(log) = task.store.log_sync() {
            match Syncer::start(log, std::sync::Arc::clone(&log_syncs)) {
                Ok(syncer) => task.syncer = Some(syncer),
                Err(error) => {
                    tracing::warn!(%error, "the log's syncing thread could not start; every commit syncs its log itself");
                }
            }
        }
        // The writer runs on a thread and runtime of its own. On the shared
        // runtime it queued behind every HTTP connection's task each time
        // the database answered one of its statements (a dozen times a
        // commit), and under load that wait, not the work, set the commit
        // rate.
        let handle = tokio::task::spawn_blocking(move || {
            match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime.block_on(task.run(rx)),
                Err(error) => {
                    tracing::error!(%error, "the writer's runtime could not start; appends are refused");
                }
            }
        });
        (Self { tx, log_syncs }, handle)
    }

    /// How many times the log was synced after commits that left it
    /// unsynced (SQLite; always 0 on PostgreSQL).
    pub fn log_syncs(&self) -> u64 {
        self.log_syncs.load(std::sync::atomic::Ordering::Relaxed)
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
        // A job with no entries would have nothing to commit, and every
        // later step assumes at least one.
        if drafts.is_empty() {
            return Err(JobError::Rejected {
                index: 0,
                rejection: Rejection::field("entries", "must hold at least one entry"),
            });
        }
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
        // The writer drops a job's answer only when it failed on it.
        answer.await.unwrap_or(Err(JobError::Failed))
    }
}

/// How often the writer signs and saves.
#[derive(Debug, Clone, Copy)]
pub struct Cadence {
    /// At most one checkpoint per fund in this time (0: one per commit).
    pub checkpoint_interval: Duration,
    /// Entries folded since a fund's snapshot before another is saved.
    pub snapshot_every: u64,
}

impl Cadence {
    /// A checkpoint at most every `checkpoint_interval`, a snapshot every
    /// [`SNAPSHOT_EVERY`] entries.
    pub fn every(checkpoint_interval: Duration) -> Self {
        Self {
            checkpoint_interval,
            snapshot_every: SNAPSHOT_EVERY,
        }
    }
}

/// At a clean stop, a fund at least this many entries ahead of its
/// snapshot is saved, so that the next start folds nothing.
const SNAPSHOT_AT_STOP_MIN: u64 = 1_000;

/// Where a fund's snapshot stands, as this writer knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Snapshotted {
    /// Saved at this size (0: none).
    At(u64),
    /// Refused when read: saved again with the next commit.
    Refused,
}

struct WriterTask {
    store: Store,
    secret: MasterSecret,
    /// Seals households' private records (derived from `secret` once).
    record_key: RecordKey,
    /// Binds snapshots of the books to this server.
    snapshot_key: SnapshotKey,
    snapshot_every: u64,
    /// Each fund's snapshot, as far as this writer knows.
    snapshotted: HashMap<Code, Snapshotted>,
    public_base_url: String,
    /// Distribution policy judged on every append.
    policy: Policy,
    /// Signing keys by origin; deriving one costs an HKDF and a scalar
    /// multiplication, so each is made once.
    keys: HashMap<String, LogKey>,
    /// Each fund's books as of its last commit here, so that an append
    /// need not read them; checked against the locked head every time.
    cache: HashMap<Code, FundState>,
    /// At most one checkpoint per fund in this time (0: one per commit).
    checkpoint_interval: Duration,
    /// When this writer last signed each fund's checkpoint.
    signed_at: HashMap<Code, Instant>,
    /// Funds with entries no checkpoint covers yet, and when to sign them.
    due: BTreeMap<Code, Instant>,
    /// Where the last commit's time went, for the operator's debug log.
    stages: Stages,
    /// On SQLite, the thread that syncs the log after commits that left
    /// it unsynced, and answers their jobs (`durable`).
    syncer: Option<Syncer>,
}

/// What one transaction did.
struct Committed {
    /// Each job's answer, in order (or one shared by all).
    answers: Vec<Result<Outcome, JobError>>,
    /// Entries written.
    written: usize,
    /// Whether the commit synced the log; if not, no job may be answered
    /// before the log is synced.
    synced: bool,
}

/// Jobs committed with their log not yet synced, and their answers.
struct Unsynced {
    jobs: Vec<Job>,
    answers: Vec<Result<Outcome, JobError>>,
}

/// The writer's end of the thread that syncs the log and then answers
/// (see `super::durable`).
struct Syncer {
    queue: std::sync::mpsc::Sender<Unsynced>,
    log: LogSync,
}

impl Syncer {
    /// Starts the syncing thread. It ends when the writer drops its end,
    /// after answering what was queued.
    fn start(
        log: LogSync,
        count: std::sync::Arc<std::sync::atomic::AtomicU64>,
    ) -> std::io::Result<Self> {
        let (queue, commits) = std::sync::mpsc::channel();
        let sync = log.clone();
        std::thread::Builder::new()
            .name("sovang-log-sync".into())
            .spawn(move || {
                sync_then_answer(&commits, || {
                    let synced = sync.sync();
                    if synced.is_ok() {
                        count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                    synced
                })
            })?;
        Ok(Self { queue, log })
    }

    /// Queues a commit's jobs to be answered once the log is synced. If
    /// the thread is gone, syncs here.
    fn hand_over(&self, jobs: Vec<Job>, answers: Vec<Result<Outcome, JobError>>) {
        if let Err(std::sync::mpsc::SendError(back)) = self.queue.send(Unsynced { jobs, answers }) {
            tracing::error!("the log's syncing thread is gone; syncing on the writer");
            answer_synced(self.log.sync(), vec![back]);
        }
    }
}

/// The syncing thread's loop: takes every commit queued so far, syncs the
/// log once for all of them (each was committed before the sync began),
/// then answers their jobs.
fn sync_then_answer(
    commits: &std::sync::mpsc::Receiver<Unsynced>,
    mut sync: impl FnMut() -> std::io::Result<()>,
) {
    while let Ok(first) = commits.recv() {
        let mut taken = vec![first];
        taken.extend(commits.try_iter());
        answer_synced(sync(), taken);
    }
}

/// Answers committed jobs after a sync of their log: as committed if it
/// succeeded, otherwise 503 (their entries may or may not survive a power
/// cut; a retry with the same Idempotency-Key is answered from what was
/// stored, if it was).
fn answer_synced(synced: std::io::Result<()>, taken: Vec<Unsynced>) {
    match synced {
        Ok(()) => {
            for u in taken {
                answer_all(u.jobs, u.answers);
            }
        }
        Err(e) => {
            let jobs: usize = taken.iter().map(|u| u.jobs.len()).sum();
            tracing::error!(error = %e, jobs, "syncing the SQLite log failed; the jobs of the commits before it are answered as unavailable");
            for u in taken {
                answer_all(u.jobs, vec![Err(JobError::Unavailable)]);
            }
        }
    }
}

/// Microseconds a commit spent in each stage: opening the transaction and
/// locking the funds, applying the jobs, writing the rows, committing.
#[derive(Debug, Default, Clone, Copy)]
struct Stages {
    lock_us: u64,
    apply_us: u64,
    write_us: u64,
    commit_us: u64,
}

fn micros_since(t: Instant) -> u64 {
    u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// Waits until `when`, or for ever when there is nothing to wait for.
async fn until(when: Option<Instant>) {
    match when {
        Some(t) => tokio::time::sleep_until(tokio::time::Instant::from_std(t)).await,
        None => std::future::pending().await,
    }
}

impl WriterTask {
    async fn run(mut self, mut rx: mpsc::Receiver<Job>) {
        // What an earlier writer left unsigned is signed first, and every
        // so often what another process (killed, on PostgreSQL) left.
        self.find_unsigned().await;
        let mut next_sweep = Instant::now() + UNSIGNED_SWEEP;
        loop {
            if Instant::now() >= next_sweep {
                self.find_unsigned().await;
                next_sweep = Instant::now() + UNSIGNED_SWEEP;
            }
            let next_due = self.due.values().copied().chain([next_sweep]).min();
            let first = tokio::select! {
                biased;
                job = rx.recv() => match job {
                    Some(job) => job,
                    None => break,
                },
                () = until(next_due) => {
                    self.sign_due().await;
                    continue;
                }
            };
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
            // Under a steady stream of jobs the timer is never the first
            // thing ready: funds that are due are signed here too.
            if next_due.is_some_and(|t| t <= Instant::now()) {
                self.sign_due().await;
            }
        }
        // A clean stop leaves every entry under a signed checkpoint, and
        // the books of large funds saved.
        let now = Instant::now();
        for t in self.due.values_mut() {
            *t = now;
        }
        self.sign_due().await;
        self.save_at_stop().await;
        tracing::info!("writer stopped: no more senders");
    }

    /// Whether `fund`'s books, at `size` entries, are to be saved now.
    fn snapshot_due(&self, fund: &Code, size: u64) -> bool {
        match self.snapshotted.get(fund) {
            Some(Snapshotted::Refused) => true,
            Some(Snapshotted::At(at)) => size.saturating_sub(*at) >= self.snapshot_every,
            None => size >= self.snapshot_every,
        }
    }

    /// Saves the books of every fund held here that has grown well past
    /// its snapshot, each in a transaction of its own, under its lock.
    async fn save_at_stop(&mut self) {
        let funds: Vec<Code> = self
            .cache
            .iter()
            .filter(|(fund, state)| match self.snapshotted.get(*fund) {
                Some(Snapshotted::Refused) => state.size() > 0,
                Some(Snapshotted::At(at)) => {
                    state.size().saturating_sub(*at) >= SNAPSHOT_AT_STOP_MIN
                }
                None => state.size() >= SNAPSHOT_AT_STOP_MIN,
            })
            .map(|(fund, _)| fund.clone())
            .collect();
        for fund in funds {
            if let Err(e) = self.save_one(&fund).await {
                tracing::error!(fund = %fund, error = %e, "saving the fund's books at stop failed; the next start folds more");
            }
        }
    }

    async fn save_one(&mut self, fund: &Code) -> Result<(), super::StoreError> {
        let mut tx = self.store.begin_write().await?;
        let Some((state, _)) = self.load(&mut tx, fund).await? else {
            return Ok(());
        };
        super::snapshots::save(
            &mut tx,
            &self.snapshot_key,
            fund.as_str(),
            &state.book,
            &state.last_hash,
        )
        .await?;
        tx.commit().await?;
        self.snapshotted
            .insert(fund.clone(), Snapshotted::At(state.size()));
        self.cache.insert(fund.clone(), state);
        Ok(())
    }

    /// Whether a commit to `fund` now signs its checkpoint.
    fn signs_now(&self, fund: &Code, now: Instant) -> bool {
        self.signed_at
            .get(fund)
            .is_none_or(|last| now.saturating_duration_since(*last) >= self.checkpoint_interval)
    }

    /// Signs the head of every fund that is due, each in a transaction of
    /// its own. A fund that fails stays due, a little later.
    async fn sign_due(&mut self) {
        let now = Instant::now();
        let due: Vec<Code> = self
            .due
            .iter()
            .filter(|(_, t)| **t <= now)
            .map(|(fund, _)| fund.clone())
            .collect();
        for fund in due {
            match self.sign_head(&fund).await {
                Ok(()) => {
                    self.due.remove(&fund);
                    self.signed_at.insert(fund, Instant::now());
                }
                Err(e) => {
                    tracing::error!(fund = %fund, error = %e, "signing the fund's checkpoint failed; trying again");
                    let later = Instant::now() + self.checkpoint_interval.max(RETRY_SIGNING);
                    self.due.insert(fund, later);
                }
            }
        }
    }

    /// Signs `fund`'s head as it stands, under its lock, and stores the
    /// checkpoint. Signing needs the head's size and tree, not the books:
    /// nothing is folded here.
    async fn sign_head(&mut self, fund: &Code) -> Result<(), super::StoreError> {
        let mut tx = self.store.begin_write().await?;
        let Some(head) = lock_head(&mut tx, self.store.backend(), fund).await? else {
            return Ok(());
        };
        let note = self.sign_tree(&head.origin, head.frontier.size(), &head.frontier.root())?;
        super::insert_checkpoint(
            &mut tx,
            self.store.backend(),
            fund.as_str(),
            head.frontier.size(),
            &note,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Marks as due every fund whose head is ahead of its latest
    /// checkpoint: what another process, or a commit whose outcome was
    /// not known, left unsigned.
    async fn find_unsigned(&mut self) {
        match super::funds_unsigned(&self.store.write).await {
            Ok(funds) => {
                let now = Instant::now();
                for fund in funds {
                    match Code::parse(&fund, "fund") {
                        Ok(code) => {
                            self.due.entry(code).or_insert(now);
                        }
                        Err(e) => {
                            tracing::error!(fund, error = %e.message, "a fund head with a bad code")
                        }
                    }
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "could not read which funds wait for a checkpoint")
            }
        }
    }

    async fn commit_group(&mut self, jobs: Vec<Job>) {
        let started = std::time::Instant::now();
        match self.guarded_commit(&jobs, true).await {
            Ok(Ok(Committed {
                answers,
                written,
                synced,
            })) => {
                let st = self.stages;
                tracing::debug!(
                    jobs = jobs.len(),
                    entries = written,
                    synced,
                    elapsed_us = micros_since(started),
                    lock_us = st.lock_us,
                    apply_us = st.apply_us,
                    write_us = st.write_us,
                    commit_us = st.commit_us,
                    "group committed"
                );
                match (&self.syncer, synced) {
                    (Some(syncer), false) => syncer.hand_over(jobs, answers),
                    _ => answer_all(jobs, answers),
                }
            }
            Ok(Err(_)) | Err(Panicked) if jobs.len() > 1 => {
                // One fund's trouble, or one job that makes the writer fail,
                // must not stop the others: try each job in a transaction of
                // its own.
                tracing::warn!(
                    jobs = jobs.len(),
                    "group commit failed; retrying job by job"
                );
                for job in jobs {
                    // Each synced before it is answered.
                    let answer = match self.guarded_commit(std::slice::from_ref(&job), false).await
                    {
                        Ok(Ok(Committed { mut answers, .. })) => {
                            answers.pop().unwrap_or(Err(JobError::Unavailable))
                        }
                        Ok(Err(error)) => {
                            tracing::error!(fund = %job.fund, error = %error, "append failed; nothing written");
                            Err(JobError::Unavailable)
                        }
                        Err(Panicked) => Err(JobError::Failed),
                    };
                    // A client that went away no longer waits; its entry is
                    // committed all the same and a retry replays it.
                    let _ = job.reply.send(answer);
                }
            }
            Ok(Err(error)) => {
                tracing::error!(error = %error, "append transaction failed; nothing written");
                answer_all(jobs, vec![Err(JobError::Unavailable)]);
            }
            Err(Panicked) => answer_all(jobs, vec![Err(JobError::Failed)]),
        }
    }

    /// Runs [`Self::try_commit`], surviving a panic in it: the transaction
    /// is rolled back as it is dropped, and the books, which may be half
    /// changed, are forgotten, so that every fund is read again from its
    /// stored head. The writer then goes on with the next job.
    async fn guarded_commit(
        &mut self,
        jobs: &[Job],
        may_leave_unsynced: bool,
    ) -> Result<Result<Committed, super::StoreError>, Panicked> {
        let result = AssertUnwindSafe(self.try_commit(jobs, may_leave_unsynced))
            .catch_unwind()
            .await;
        result.map_err(|panic| {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!(jobs = jobs.len(), panic = %what, "the writer failed on a job; nothing of it was written; reading the funds again");
            self.cache.clear();
            Panicked
        })
    }

    /// Runs one transaction for `jobs`, returning each job's answer in order.
    /// Nothing is written unless it returns `Ok`.
    ///
    /// With `may_leave_unsynced`, on SQLite, a commit that signs no
    /// checkpoint leaves its log unsynced (`durable`): its jobs are then
    /// answered only after [`Syncer`] has synced it.
    async fn try_commit(
        &mut self,
        jobs: &[Job],
        may_leave_unsynced: bool,
    ) -> Result<Committed, super::StoreError> {
        let started = Instant::now();
        // Lock the funds in code order, so that two processes never wait on
        // each other in a cycle. The receiving funds of transfers are known
        // from the requests and locked with the rest.
        let mut wanted: BTreeSet<Code> = jobs.iter().map(|j| j.fund.clone()).collect();
        for d in jobs.iter().flat_map(|j| &j.drafts) {
            if let Body::TransferOut(t) = &d.body {
                wanted.insert(t.counterparty_fund.clone());
            }
        }
        // Which funds this commit signs is settled before it begins: a
        // commit that signs a checkpoint syncs its log before anyone can
        // read the checkpoint. A fund found only later (the other side of
        // a reversed transfer) is signed in a commit of its own right after.
        let signing_at = Instant::now();
        let signing: BTreeSet<Code> = wanted
            .iter()
            .filter(|fund| self.signs_now(fund, signing_at))
            .cloned()
            .collect();
        let synced = !(may_leave_unsynced && self.syncer.is_some() && signing.is_empty());
        let mut tx = if synced {
            self.store.begin_write().await?
        } else {
            self.store.begin_write_unsynced().await?
        };
        #[cfg(test)]
        tests::fault(jobs);
        let backend = self.store.backend();

        let mut states: BTreeMap<Code, Option<FundState>> = BTreeMap::new();
        let mut origins: BTreeMap<Code, String> = BTreeMap::new();
        for fund in &wanted {
            if let Some((state, origin)) = self.load(&mut tx, fund).await? {
                states.insert(fund.clone(), Some(state));
                origins.insert(fund.clone(), origin);
            }
        }
        // Reversing a transfer reverses both sides; the other fund is known
        // only from the books. Locking it out of order may deadlock with
        // another process on PostgreSQL, which then aborts one of the two;
        // the writer retries and, at worst, the client is asked to.
        let mut extra = BTreeSet::new();
        for job in jobs {
            let Some(Some(state)) = states.get(&job.fund) else {
                continue;
            };
            for d in &job.drafts {
                if let Some(other) = other_fund(state, &d.body) {
                    if !states.contains_key(&other) {
                        extra.insert(other);
                    }
                }
            }
        }
        for fund in &extra {
            if let Some((state, origin)) = self.load(&mut tx, fund).await? {
                states.insert(fund.clone(), Some(state));
                origins.insert(fund.clone(), origin);
            }
        }

        // Stamped once every fund is held: entries of a fund are then
        // recorded in seq order, even across processes, which lets a
        // statement of an ended period be final.
        let now = time::OffsetDateTime::now_utc();
        let keys: Vec<&str> = jobs
            .iter()
            .filter_map(|j| j.idempotency.as_ref().map(|k| k.scope_key.as_str()))
            .collect();
        let mut known = if keys.is_empty() {
            HashMap::new()
        } else {
            fetch_idempotent(&mut tx, backend, &keys).await?
        };

        let locked = Instant::now();
        let mut appended: BTreeMap<Code, Vec<Appended>> = BTreeMap::new();
        let mut receipts: BTreeMap<Code, Vec<(String, u64)>> = BTreeMap::new();
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
        let signed_now = Instant::now();
        let applied = signed_now;
        let mut signed = Vec::new();
        let mut saved = Vec::new();
        for (fund, entries) in &appended {
            let (Some(Some(state)), Some(origin)) = (states.get_mut(fund), origins.get(fund))
            else {
                continue;
            };
            let objects = state.book.take_dirty();
            let note = if signing.contains(fund) {
                signed.push(fund.clone());
                Some(self.sign(origin, state)?)
            } else {
                None
            };
            let writes = FundWrites {
                backend,
                fund: fund.as_str(),
                entries,
                receipts: receipts.get(fund).map_or(&[], |r| r.as_slice()),
                objects: &objects,
                state,
                checkpoint: note.as_deref(),
                record_key: &self.record_key,
            };
            writes.insert(&mut tx).await?;
            written += entries.len();
            if self.snapshot_due(fund, state.size()) {
                super::snapshots::save(
                    &mut tx,
                    &self.snapshot_key,
                    fund.as_str(),
                    &state.book,
                    &state.last_hash,
                )
                .await?;
                saved.push((fund.clone(), state.size()));
            }
        }
        insert_idempotency(&mut tx, backend, &records).await?;
        let rows_written = Instant::now();
        tx.commit().await?;
        self.stages = Stages {
            lock_us: u64::try_from((locked - started).as_micros()).unwrap_or(u64::MAX),
            apply_us: u64::try_from((applied - locked).as_micros()).unwrap_or(u64::MAX),
            write_us: u64::try_from((rows_written - applied).as_micros()).unwrap_or(u64::MAX),
            commit_us: micros_since(rows_written),
        };
        for (fund, size) in saved {
            self.snapshotted.insert(fund, Snapshotted::At(size));
        }
        for fund in appended.keys() {
            if signed.contains(fund) {
                self.due.remove(fund);
                self.signed_at.insert(fund.clone(), signed_now);
            } else {
                // Due when its interval has passed; a fund never signed
                // here (one not foreseen before the commit began) at once.
                let due = self
                    .signed_at
                    .get(fund)
                    .map_or(signed_now, |last| *last + self.checkpoint_interval);
                self.due.entry(fund.clone()).or_insert(due);
            }
        }
        // Only committed books are kept: after a failure the funds are read
        // again from the ledger.
        if self.cache.len() + states.len() > FUNDS_CACHED_MAX {
            self.cache.clear();
        }
        for (fund, state) in states {
            if let Some(state) = state {
                self.cache.insert(fund, state);
            }
        }
        Ok(Committed {
            answers,
            written,
            synced,
        })
    }

    /// Locks a fund's head and brings its books up to it: from the cache,
    /// folding in entries other processes appended since, or from the
    /// whole ledger.
    async fn load(
        &mut self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        fund: &Code,
    ) -> Result<Option<(FundState, String)>, super::StoreError> {
        let Some(head) = lock_head(tx, self.store.backend(), fund).await? else {
            return Ok(None);
        };
        let size = head.frontier.size();
        let mut state = match self.cache.remove(fund) {
            Some(s) if s.size() < size || (s.size() == size && s.last_hash == head.last_hash) => s,
            _ => FundState::empty(fund.clone()),
        };
        // Books not held here start from the fund's snapshot, if it may be
        // trusted, and fold only the entries after it.
        if state.book.size == 0 && size > 0 {
            let known = match super::snapshots::books_for_writer(
                tx,
                &self.snapshot_key,
                fund.as_str(),
                size,
            )
            .await?
            {
                Loaded::Books(book) => {
                    tracing::info!(fund = %fund, at = book.size, head = size, "the fund's books start from its snapshot");
                    let at = book.size;
                    state.book = *book;
                    Snapshotted::At(at)
                }
                Loaded::Missing => Snapshotted::At(0),
                Loaded::Refused => Snapshotted::Refused,
            };
            self.snapshotted.insert(fund.clone(), known);
        }
        let mut from = state.book.size;
        if from < size {
            tracing::debug!(fund = %fund, from, to = size, "reading the fund's books from its ledger");
        }
        let read_day = from < size || state.day.is_none();
        while from < size {
            let to = size.min(from + super::REPLAY_PAGE);
            let page = entries_between(&mut **tx, fund.as_str(), from, to).await?;
            if page.len() as u64 != to - from {
                return Err(super::StoreError::Corrupt(format!(
                    "fund {fund}: entries {from}..{to} are missing"
                )));
            }
            for e in &page {
                fold(&mut state.book, &e.canonical)
                    .map_err(|err| super::StoreError::Corrupt(format!("fund {fund}: {err}")))?;
            }
            from = to;
        }
        // The totals of the last day are the stored ones: whoever wrote
        // its entries saved them.
        if read_day {
            state.day = super::days::last_day(tx, fund.as_str()).await?;
            state.last_recorded_at = super::days::last_recorded_at(tx, fund.as_str(), size).await?;
        }
        state.frontier = head.frontier;
        state.last_hash = head.last_hash;
        // Whoever appended those entries saved their objects already.
        state.book.take_dirty();
        Ok(Some((state, head.origin)))
    }

    #[allow(clippy::too_many_arguments)]
    fn apply_job(
        &self,
        job: &Job,
        now: time::OffsetDateTime,
        states: &mut BTreeMap<Code, Option<FundState>>,
        known: &mut HashMap<String, IdempotentResponse>,
        appended: &mut BTreeMap<Code, Vec<Appended>>,
        receipts: &mut BTreeMap<Code, Vec<(String, u64)>>,
        records: &mut Vec<IdempotencyRecord>,
    ) -> Result<Outcome, JobError> {
        if let Some(key) = &job.idempotency {
            if let Some(prior) = known.get(&key.scope_key) {
                return replay(prior, key);
            }
        }
        if !matches!(states.get(&job.fund), Some(Some(_))) {
            return Err(JobError::UnknownFund);
        }
        let ctx = Context {
            actor: &job.actor,
            now,
            policy: &self.policy,
        };
        // Entries are applied in place. A single entry that touches one
        // fund needs nothing more: `apply` leaves the state as it was when
        // it refuses. Anything larger is all or nothing, so each fund it
        // touches is saved first and restored if a later entry is refused.
        let save = job.drafts.len() > 1
            || job.drafts.iter().any(|d| {
                matches!(
                    d.body,
                    Body::TransferOut(_) | Body::Reversal(_) | Body::OutflowApproved(_)
                )
            });
        let mut saved: BTreeMap<Code, Savepoint> = BTreeMap::new();
        let written = match apply_drafts(job, &ctx, states, &mut saved, save) {
            Ok(written) => written,
            Err(e) => {
                for (fund, savepoint) in saved {
                    if let Some(Some(state)) = states.get_mut(&fund) {
                        state.restore(savepoint);
                    }
                }
                return Err(e);
            }
        };

        let mut entries = Vec::with_capacity(written.len());
        for (a, counterpart) in written {
            let receipt = a.receipt_no.as_ref().map(|no| {
                let code = verification_code(a.seq);
                receipts
                    .entry(job.fund.clone())
                    .or_default()
                    .push((code.clone(), a.seq));
                ReceiptLink {
                    receipt_no: no.clone(),
                    url: format!("{}/r/{code}", self.public_base_url.trim_end_matches('/')),
                    code,
                }
            });
            let counterpart = counterpart.map(|(fund, c)| {
                let link = Counterpart {
                    fund: fund.as_str().to_owned(),
                    seq: c.seq,
                    kind: c.kind.as_str().to_owned(),
                    hash: to_hex(&c.hash),
                };
                appended.entry(fund).or_default().push(c);
                link
            });
            entries.push(WrittenEntry {
                seq: a.seq,
                id: a.id.clone(),
                kind: a.kind.as_str().to_owned(),
                hash: to_hex(&a.hash),
                canonical: a.canonical.clone(),
                receipt,
                counterpart,
            });
            appended.entry(job.fund.clone()).or_default().push(a);
        }
        let outcome = Outcome {
            status: 201,
            entries,
            batch: job.batch,
            replayed: false,
        };
        if let Some(key) = &job.idempotency {
            let response = String::from_utf8(outcome.to_bytes()).unwrap_or_default();
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
        Ok(outcome)
    }

    fn sign(&mut self, origin: &str, state: &FundState) -> Result<String, super::StoreError> {
        self.sign_tree(origin, state.size(), &state.frontier.root())
    }

    fn sign_tree(
        &mut self,
        origin: &str,
        size: u64,
        root: &crate::ledger::merkle::Hash,
    ) -> Result<String, super::StoreError> {
        let corrupt = |e: crate::ledger::checkpoint::CheckpointError| {
            super::StoreError::Corrupt(e.to_string())
        };
        if !self.keys.contains_key(origin) {
            let key = self.secret.log_key(origin).map_err(corrupt)?;
            self.keys.insert(origin.to_owned(), key);
        }
        let key = &self.keys[origin];
        key.sign(size, root).map_err(corrupt)
    }
}

/// The writer panicked while committing jobs.
struct Panicked;

/// An entry written for a job, with the entry it caused in another fund.
type Written = (Appended, Option<(Code, Appended)>);

/// Applies every draft of `job` in place, saving each fund it touches
/// into `saved` first when `save` is set.
fn apply_drafts(
    job: &Job,
    ctx: &Context<'_>,
    states: &mut BTreeMap<Code, Option<FundState>>,
    saved: &mut BTreeMap<Code, Savepoint>,
    save: bool,
) -> Result<Vec<Written>, JobError> {
    let mut written = Vec::with_capacity(job.drafts.len());
    for (index, draft) in job.drafts.iter().enumerate() {
        let refuse = |rejection| JobError::Rejected { index, rejection };
        let state = fetch(states, saved, &job.fund, save).ok_or(JobError::UnknownFund)?;
        let pair = transfer_pair(state, &draft.body);
        let a = apply(state, draft.clone(), ctx).map_err(refuse)?;
        // What takes effect now: the entry itself, or the pending outflow
        // it approves. A pending transfer, or the pending reversal of
        // one, reaches the other fund only when approved (SPEC §9).
        let effect = match &a.body {
            Body::OutflowApproved(o) => state.book.approved_effect(o.of_seq),
            Body::TransferOut(t) if t.status == Some(OutflowStatus::Pending) => None,
            Body::Reversal(r) if r.status == Some(OutflowStatus::Pending) => None,
            other => Some(other.clone()),
        };
        let pair = match &a.body {
            Body::OutflowApproved(_) => match &effect {
                Some(b) => transfer_pair(state, b),
                None => None,
            },
            _ => pair,
        };
        let counterpart = match (effect.as_ref(), pair) {
            (Some(Body::TransferOut(t)), _) => {
                let other = &t.counterparty_fund;
                let mirror = Transfer {
                    counterparty_fund: job.fund.clone(),
                    status: None,
                    ..t.clone()
                };
                let state = fetch(states, saved, other, save)
                    .ok_or_else(|| refuse(unknown_counterparty(other)))?;
                let draft = Draft {
                    body: Body::TransferIn(mirror),
                    private: None,
                    bank_line: None,
                };
                let c = apply(state, draft, ctx).map_err(|r| refuse(in_fund(other, r)))?;
                Some((other.clone(), c))
            }
            (Some(Body::Reversal(r)), Some((other, transfer_id))) => {
                let state = fetch(states, saved, &other, save).ok_or_else(|| {
                    refuse(Rejection::rule(
                        "reverse_transfer_alone",
                        "body.reverses_seq",
                        "reverse a transfer in a request of its own",
                    ))
                })?;
                let seq = state.book.transfer_seq(&transfer_id).ok_or_else(|| {
                    refuse(Rejection::rule(
                        "unknown_transfer",
                        "body.reverses_seq",
                        format!("fund {other} has no side of transfer {transfer_id:?}"),
                    ))
                })?;
                // Approved with the side it answers, never pending twice.
                let draft = Draft {
                    body: Body::Reversal(Reversal {
                        reverses_seq: seq,
                        status: Some(OutflowStatus::Approved),
                        ..r.clone()
                    }),
                    private: None,
                    bank_line: None,
                };
                let c = apply(state, draft, ctx).map_err(|r| refuse(in_fund(&other, r)))?;
                Some((other, c))
            }
            _ => None,
        };
        written.push((a, counterpart));
    }
    Ok(written)
}

/// The state of `fund`, saved into `saved` the first time when `save`.
fn fetch<'s>(
    states: &'s mut BTreeMap<Code, Option<FundState>>,
    saved: &mut BTreeMap<Code, Savepoint>,
    fund: &Code,
    save: bool,
) -> Option<&'s mut FundState> {
    let state = states.get_mut(fund)?.as_mut()?;
    if save && !saved.contains_key(fund) {
        saved.insert(fund.clone(), state.savepoint());
    }
    Some(state)
}

/// The other fund an entry known only from the books reaches: the other
/// side of a transfer it reverses, or of the pending transfer (or
/// reversal of one) it approves.
fn other_fund(state: &FundState, body: &Body) -> Option<Code> {
    match body {
        Body::OutflowApproved(o) => match state.book.approved_effect(o.of_seq)? {
            Body::TransferOut(t) => Some(t.counterparty_fund),
            effect => transfer_pair(state, &effect).map(|(other, _)| other),
        },
        _ => transfer_pair(state, body).map(|(other, _)| other),
    }
}

/// For a reversal of one side of a transfer: the other fund and the
/// transfer's id.
fn transfer_pair(state: &FundState, body: &Body) -> Option<(Code, String)> {
    let Body::Reversal(r) = body else {
        return None;
    };
    match state.book.posted(r.reverses_seq)?.as_ref() {
        Body::TransferOut(t) | Body::TransferIn(t) => Some((
            t.counterparty_fund.clone(),
            t.transfer_id.as_ref()?.as_str().to_owned(),
        )),
        _ => None,
    }
}

fn unknown_counterparty(fund: &Code) -> Rejection {
    Rejection::rule(
        "unknown_fund",
        "body.counterparty_fund",
        format!("there is no fund {fund}"),
    )
}

/// A refusal from the other fund of a transfer, saying so.
fn in_fund(fund: &Code, r: Rejection) -> Rejection {
    match r {
        Rejection::Rule {
            rule,
            field,
            message,
        } => Rejection::Rule {
            rule,
            field,
            message: format!("in fund {fund}: {message}"),
        },
        other => other,
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
    if prior.request_sha256 != key.request_sha256 {
        let original = serde_json::from_str(&prior.response).unwrap_or(Value::Null);
        return Err(JobError::KeyReused { original });
    }
    Outcome::from_stored(prior.status, &prior.response).ok_or(JobError::Failed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::kinds::FundKind;
    use crate::store::FundInfo;

    /// The actor whose jobs make the writer panic, standing for any bug
    /// an input might still find in the core.
    const PANICKING_ACTOR: &str = "test-panics";

    /// Called at the start of every commit in unit tests.
    pub(super) fn fault(jobs: &[Job]) {
        if jobs.iter().any(|j| j.actor == PANICKING_ACTOR) {
            panic!("a job this writer cannot survive, for the test");
        }
    }

    fn gift(amount: u64) -> Draft {
        let body = serde_json::json!({
            "donor": {"display": "Nguyễn Văn A", "kind": "individual"},
            "amount_vnd": amount.to_string(), "channel": "cash", "received_on": "2026-11-20"
        });
        Draft::parse("donation_cash", body, None, time::OffsetDateTime::now_utc())
            .expect("a valid gift")
    }

    async fn fund_with_writer() -> (tempfile::TempDir, Store, Writer, Code) {
        fund_with_writer_every(Duration::ZERO).await
    }

    /// A fund, and a writer that signs its checkpoint at most once per
    /// `checkpoint_interval`.
    async fn fund_with_writer_every(
        checkpoint_interval: Duration,
    ) -> (tempfile::TempDir, Store, Writer, Code) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let store = Store::open(&url).await.expect("the store opens");
        let secret = MasterSecret::from_bytes([7; crate::ledger::checkpoint::MASTER_SECRET_LEN]);
        store
            .create_committee(
                "HN",
                "Ủy ban MTTQ Hà Nội",
                None,
                None,
                &crate::store::AdminAction::cli(
                    "committee_created",
                    "HN",
                    "",
                    serde_json::json!({}),
                ),
            )
            .await
            .expect("a committee");
        let origin = "sovang.test/fund/HN-VNN".to_owned();
        let key = secret.log_key(&origin).expect("a key");
        let info = FundInfo {
            code: "HN-VNN".into(),
            committee_code: "HN".into(),
            committee_path: "/HN/".into(),
            kind: "for_the_poor".into(),
            name: "Quỹ Vì người nghèo".into(),
            origin,
            verifier_key: key.verifier_key().to_owned(),
        };
        store
            .open_fund(
                &info,
                FundKind::ForThePoor,
                "Ủy ban MTTQ Hà Nội",
                "admin",
                &secret,
                |_| None,
                &crate::store::AdminAction::cli(
                    "fund_opened",
                    "HN-VNN",
                    "/HN/",
                    serde_json::json!({}),
                ),
            )
            .await
            .expect("the fund opens");
        let (writer, _task) = Writer::spawn(
            store.clone(),
            secret,
            "http://localhost".into(),
            Policy::from_settings(20_000_000, &Default::default(), &Default::default(), 0)
                .expect("a policy"),
            Cadence::every(checkpoint_interval),
        );
        let fund = Code::parse("HN-VNN", "fund").expect("a code");
        (dir, store, writer, fund)
    }

    #[tokio::test]
    async fn a_job_that_makes_the_writer_panic_fails_alone_and_the_writer_goes_on() {
        let (_dir, store, writer, fund) = fund_with_writer().await;
        let first = writer
            .submit(
                fund.clone(),
                "clerk".into(),
                vec![gift(100_000)],
                false,
                None,
            )
            .await
            .expect("a gift is written");
        assert_eq!(first.first().map(|e| e.seq), Some(1));

        let failed = writer
            .submit(
                fund.clone(),
                PANICKING_ACTOR.into(),
                vec![gift(200_000)],
                false,
                None,
            )
            .await;
        assert_eq!(failed, Err(JobError::Failed));
        assert_eq!(store.fund_head("HN-VNN").await.unwrap().unwrap().size, 2);

        // The writer still answers, from the stored head: the failed gift
        // left no trace and the next takes the next seq.
        let next = writer
            .submit(
                fund.clone(),
                "clerk".into(),
                vec![gift(300_000)],
                false,
                None,
            )
            .await
            .expect("the writer survived");
        assert_eq!(next.first().map(|e| e.seq), Some(2));
        let head = store.fund_head("HN-VNN").await.unwrap().unwrap();
        assert_eq!(head.size, 3);
        let entries = store.entries("HN-VNN", 0, 10).await.unwrap();
        assert_eq!(entries.len(), 3);
        assert!(entries[2].canonical.contains("\"amount_vnd\":\"300000\""));
        assert!(!entries.iter().any(|e| e.canonical.contains("200000")));
    }

    #[tokio::test]
    async fn an_empty_job_is_refused_before_the_writer() {
        let (_dir, store, writer, fund) = fund_with_writer().await;
        let refused = writer
            .submit(fund, "clerk".into(), Vec::new(), true, None)
            .await;
        assert!(
            matches!(&refused, Err(JobError::Rejected { index: 0, rejection: Rejection::Invalid(e) }) if e.0[0].field == "entries"),
            "{refused:?}"
        );
        assert_eq!(store.fund_head("HN-VNN").await.unwrap().unwrap().size, 1);
    }

    /// A job whose answer is read from `answer`, for the syncing thread.
    fn waiting_job() -> (Job, oneshot::Receiver<Result<Outcome, JobError>>) {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            fund: Code::parse("HN-VNN", "fund").expect("a code"),
            actor: "clerk".into(),
            drafts: vec![gift(1_000)],
            batch: false,
            idempotency: None,
            reply,
        };
        (job, answer)
    }

    /// Waits up to a second for an answer.
    fn answered(
        answer: &mut oneshot::Receiver<Result<Outcome, JobError>>,
    ) -> Option<Result<Outcome, JobError>> {
        for _ in 0..100 {
            if let Ok(a) = answer.try_recv() {
                return Some(a);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }

    #[test]
    fn a_commit_is_answered_only_by_a_sync_that_began_after_it() {
        let (queue, commits) = std::sync::mpsc::channel::<Unsynced>();
        // Each sync reports that it began, then waits to be let go.
        let (began, sync_began) = std::sync::mpsc::channel();
        let (let_go, go) = std::sync::mpsc::channel::<std::io::Result<()>>();
        let thread = std::thread::spawn(move || {
            sync_then_answer(&commits, || {
                began.send(()).expect("the test listens");
                go.recv().expect("the test lets go")
            })
        });
        // The job's answer stands for a committed job's: whatever the
        // writer decided is passed on unchanged.
        let (a, mut answer_a) = waiting_job();
        queue
            .send(Unsynced {
                jobs: vec![a],
                answers: vec![Err(JobError::UnknownFund)],
            })
            .expect("queued");
        sync_began.recv().expect("a sync began");
        // Committed while the first sync runs: that sync does not cover it.
        let (b, mut answer_b) = waiting_job();
        queue
            .send(Unsynced {
                jobs: vec![b],
                answers: vec![Err(JobError::UnknownFund)],
            })
            .expect("queued");
        std::thread::sleep(Duration::from_millis(50));
        assert!(
            answer_a.try_recv().is_err(),
            "answered before its sync ended"
        );
        let_go.send(Ok(())).expect("let go");
        assert_eq!(answered(&mut answer_a), Some(Err(JobError::UnknownFund)));
        sync_began
            .recv()
            .expect("a second sync began, for the second commit");
        std::thread::sleep(Duration::from_millis(50));
        assert!(
            answer_b.try_recv().is_err(),
            "answered by a sync that began before its commit"
        );
        // A failed sync answers 503: the entry may not survive a power cut.
        let_go
            .send(Err(std::io::Error::other("the disk failed")))
            .expect("let go");
        assert_eq!(answered(&mut answer_b), Some(Err(JobError::Unavailable)));
        drop(queue);
        thread
            .join()
            .expect("the thread ends when the writer's end is dropped");
    }

    #[tokio::test]
    async fn commits_between_checkpoints_are_answered_after_the_log_is_synced() {
        let (_dir, store, writer, fund) = fund_with_writer_every(Duration::from_secs(3600)).await;
        // The fund's first commit here signs its checkpoint, and syncs.
        let first = writer
            .submit(
                fund.clone(),
                "clerk".into(),
                vec![gift(100_000)],
                false,
                None,
            )
            .await
            .expect("a gift is written");
        assert_eq!(first.first().map(|e| e.seq), Some(1));
        assert_eq!(writer.log_syncs(), 0);
        // The next two sign nothing: their log is synced after them.
        for (seq, amount) in [(2, 200_000), (3, 300_000)] {
            let next = writer
                .submit(
                    fund.clone(),
                    "clerk".into(),
                    vec![gift(amount)],
                    false,
                    None,
                )
                .await
                .expect("a gift is written");
            assert_eq!(next.first().map(|e| e.seq), Some(seq));
        }
        assert_eq!(writer.log_syncs(), 2);
        assert_eq!(store.fund_head("HN-VNN").await.unwrap().unwrap().size, 4);
        // The connection every other writer uses is back to syncing its
        // commits itself.
        let level: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(&store.write)
            .await
            .expect("the level");
        assert_eq!(level, 2, "synchronous = FULL");
    }
}
