//! The service between the edges and the store: what the JSON API and the
//! pages share. It holds the store, the writer and the caches of reads
//! ([`AppState`]), the one write path ([`append`]) and the read models
//! both edges render. Neither edge imports the other; both import this.

/// The one write path: scope, idempotency, the writer's answer.
pub mod append;
/// Bank intake's decisions shared by the API and the pages.
pub mod bank;
/// The typed read models both edges render.
pub mod reads;
/// Roll-ups up the committee tree.
pub mod rollup;
/// Back-off for sign-ins.
pub mod throttle;
/// Tiles and entry bundles of a fund, read from the database.
pub mod tiles;
/// Witnessing: judging for the committees here, pushing for the funds.
pub mod witness;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use time::Date;

use crate::config::Settings;
use crate::ledger::checkpoint::MasterSecret;
use crate::ledger::findings::{Auditor, Options};
use crate::ledger::ids::format_date;
use crate::ledger::statement::{Statement, StatementBuilder};
use crate::store::writer::Writer;
use crate::store::{FundInfo, RecordKey, Store, StoreError};

/// Why the service could not answer. Each edge renders it its own way:
/// problem details for the API, an HTML page for people.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// What was asked for does not exist; the text names it.
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A fault of the server; logged where it is rendered, never sent.
    #[error("{0}")]
    Internal(String),
}

/// What every handler may use.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub writer: Writer,
    pub secret: MasterSecret,
    /// Opens households' private records (derived from `secret`).
    pub record_key: RecordKey,
    pub settings: Arc<Settings>,
    /// The policy in force, read from the settings when the service was
    /// built (they were checked then).
    pub policy: Arc<crate::ledger::policy::Policy>,
    /// The witnessing policy (`witnessing.policy_file`), if one is named:
    /// read once, by `Application::build`, which refuses to start on one
    /// that does not read. Commands that only write the ledger leave it
    /// out (they offer nothing to witnesses).
    pub witness_policy: Option<Arc<crate::ledger::tlog_policy::TlogPolicy>>,
    /// Funds by code. A fund never changes once opened, so a cached copy is
    /// never stale.
    funds: Arc<RwLock<HashMap<String, FundInfo>>>,
    /// Token holders by SHA-256 of the secret, each with when it was read.
    /// A holder is read again once [`PRINCIPAL_FRESH`] has passed, so a
    /// token revoked by any process sharing the database is refused within
    /// that time; one revoked here is dropped at once. Bounded by the token
    /// count.
    principals: Arc<RwLock<HashMap<[u8; 32], Trusted>>>,
    /// Failed sign-ins by name and by address, for back-off.
    pub sign_ins: Arc<throttle::Throttle>,
    /// Password checks (Argon2, slow and memory-hungry by design) running
    /// at once: as many as the machine has cores, the rest wait their
    /// turn, so a flood of sign-ins cannot take every blocking thread.
    pub password_checks: Arc<tokio::sync::Semaphore>,
    /// Each fund's books as the read pages use them (see
    /// [`AppState::page_books`]): its figures, campaigns, households,
    /// distributions and stock, read again when the fund grows. Memory
    /// grows with those, not with the gifts.
    page_books: Arc<RwLock<HashMap<String, Arc<tokio::sync::Mutex<PageBooks>>>>>,
    /// Statements already built, by fund and period, with the fund's size
    /// then. One stays good while the fund has not grown, or for good once
    /// its build saw an entry recorded after the period: entries are
    /// recorded in seq order, so none can join an ended period after that.
    /// At most [`STATEMENTS_KEPT`] are kept.
    statements: Arc<std::sync::Mutex<HashMap<StatementKey, KeptStatement>>>,
    /// Each campaign's gifts by day as last added up, with when and the
    /// fund's size then (see [`AppState::campaign_days`]).
    campaign_days: Arc<std::sync::Mutex<HashMap<(String, String), KeptDays>>>,
    /// Each fund's private hamlets as last read, with the fund's size then:
    /// private records change only with entries, so they stay good while
    /// the fund has not grown, and a public page does not decrypt every
    /// household's record on every view.
    hamlets: Arc<std::sync::Mutex<HashMap<String, KeptHamlets>>>,
    /// One lock per fund and receiving account: a statement's import and
    /// a webhook's line are taken in one at a time, so no line is keyed
    /// twice. (Processes sharing a PostgreSQL database do not share it:
    /// run imports from one of them.)
    intake_locks: Arc<std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
    /// Committees' witness keys by code, derived once (the pusher asks for
    /// them every round, for every fund). Bounded by the committees.
    witness_keys: Arc<std::sync::RwLock<HashMap<String, crate::ledger::witness::WitnessKey>>>,
    /// Each fund's line of a roll-up, by fund and period, with the fund's
    /// size then (see [`rollup`]): good while the fund has not grown, so a
    /// report asked again reads only what changed. At most
    /// [`rollup::LINES_KEPT`] are kept.
    pub(crate) rollup_lines: Arc<std::sync::Mutex<HashMap<StatementKey, rollup::KeptLine>>>,
}

/// A fund's private hamlets by household, and the fund's size when read.
type KeptHamlets = (u64, Arc<HashMap<String, String>>);

/// A token's holder and when it was read from the database.
type Trusted = (crate::store::Principal, std::time::Instant);

/// How long a token's holder is trusted from memory before it is read
/// again (SPEC §9: a revocation takes effect within 5 seconds everywhere).
pub const PRINCIPAL_FRESH: std::time::Duration = std::time::Duration::from_secs(4);

/// A fund and a period.
type StatementKey = (String, Date, Date);

/// How many built statements are kept.
const STATEMENTS_KEPT: usize = 64;

/// A campaign's gifts by day, as added up at `at` when its fund had `size`
/// entries.
#[derive(Clone)]
struct KeptDays {
    at: std::time::Instant,
    size: u64,
    days: Arc<Vec<crate::store::donations::CampaignDay>>,
}

/// How long a campaign's days are shown as added up, while its fund grows.
const CAMPAIGN_DAYS_FRESH: std::time::Duration = std::time::Duration::from_secs(60);

/// Most campaigns whose days are kept.
const CAMPAIGN_DAYS_KEPT: usize = 256;

struct KeptStatement {
    size: u64,
    /// An entry recorded after the period was seen: the statement is final.
    sealed: bool,
    statement: Arc<crate::ledger::statement::Statement>,
}

/// A fund's books as of its first `size` entries, for reading only.
#[derive(Default)]
pub struct PageBooks {
    pub size: u64,
    pub book: crate::ledger::book::Book,
    /// Read at least once.
    pub read: bool,
}

impl AppState {
    /// Committee `code`'s witness key, derived from the master secret the
    /// first time it is asked for.
    pub fn witness_key(
        &self,
        code: &str,
    ) -> Result<crate::ledger::witness::WitnessKey, crate::ledger::checkpoint::CheckpointError>
    {
        if let Some(k) = self
            .witness_keys
            .read()
            .ok()
            .and_then(|m| m.get(code).cloned())
        {
            return Ok(k);
        }
        let name = crate::ledger::witness::witness_name(&self.settings.ledger.origin_prefix, code);
        let key = crate::ledger::witness::WitnessKey::derive(&self.secret, &name)?;
        if let Ok(mut m) = self.witness_keys.write() {
            m.insert(code.to_owned(), key.clone());
        }
        Ok(key)
    }

    pub fn new(store: Store, writer: Writer, secret: MasterSecret, settings: Settings) -> Self {
        Self {
            store,
            writer,
            record_key: RecordKey::new(&secret),
            secret,
            policy: Arc::new(
                settings
                    .policy()
                    .unwrap_or_else(|_| crate::ledger::policy::Policy::permissive(0)),
            ),
            witness_policy: None,
            settings: Arc::new(settings),
            funds: Arc::default(),
            principals: Arc::default(),
            sign_ins: Arc::default(),
            password_checks: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            )),
            page_books: Arc::default(),
            statements: Arc::default(),
            campaign_days: Arc::default(),
            hamlets: Arc::default(),
            intake_locks: Arc::default(),
            witness_keys: Arc::default(),
            rollup_lines: Arc::default(),
        }
    }

    /// The intake lock of a fund's receiving account.
    pub fn intake_lock(&self, fund: &str, account: &str) -> Arc<tokio::sync::Mutex<()>> {
        let key = format!("{fund} {account}");
        match self.intake_locks.lock() {
            Ok(mut m) => m.entry(key).or_default().clone(),
            // A poisoned map still hands out a lock of its own; the map's
            // entries are plain locks, nothing half-written.
            Err(p) => p.into_inner().entry(key).or_default().clone(),
        }
    }

    /// The hamlets of the households of `fund` registered from entry
    /// version 2, kept in their private records, for the public figures
    /// by hamlet (see [`crate::ledger::uses::Places`]).
    pub async fn private_hamlets(
        &self,
        fund: &str,
    ) -> Result<Arc<HashMap<String, String>>, ServiceError> {
        let size = self.store.fund_head(fund).await?.map_or(0, |h| h.size);
        if let Ok(kept) = self.hamlets.lock() {
            if let Some((at, h)) = kept.get(fund) {
                if *at == size {
                    return Ok(h.clone());
                }
            }
        }
        let read = Arc::new(self.store.private_hamlets(fund, &self.record_key).await?);
        if let Ok(mut kept) = self.hamlets.lock() {
            kept.insert(fund.to_owned(), (size, read.clone()));
        }
        Ok(read)
    }

    /// Fewest households a hamlet shows in public figures.
    pub fn min_public_households(&self) -> u64 {
        u64::from(self.policy.min_public_households)
    }

    /// The statement of `fund` for `from..=to`, built once and kept while
    /// it stays true (see [`AppState::statements`]).
    pub async fn statement(
        &self,
        fund: &str,
        from: Date,
        to: Date,
    ) -> Result<Arc<crate::ledger::statement::Statement>, ServiceError> {
        let size = self.store.fund_head(fund).await?.map_or(0, |h| h.size);
        let key = (fund.to_owned(), from, to);
        if let Ok(kept) = self.statements.lock() {
            if let Some(k) = kept.get(&key) {
                if k.size == size || k.sealed {
                    return Ok(k.statement.clone());
                }
            }
        }
        let (st, sealed) = build_statement(&self.store, fund, from, to).await?;
        let st = Arc::new(st);
        if let Ok(mut kept) = self.statements.lock() {
            if kept.len() >= STATEMENTS_KEPT {
                kept.clear();
            }
            kept.insert(
                key,
                KeptStatement {
                    size,
                    sealed,
                    statement: st.clone(),
                },
            );
        }
        Ok(st)
    }

    /// What a campaign received each day (the campaign page's chart):
    /// added up again when the fund has grown and the last sum is a
    /// minute old. A campaign of a national appeal takes a million gifts;
    /// adding them up on every view of its page would cost a second each,
    /// so the chart may lag the figures above it by up to a minute.
    pub async fn campaign_days(
        &self,
        fund: &str,
        campaign: &str,
    ) -> Result<Arc<Vec<crate::store::donations::CampaignDay>>, ServiceError> {
        let size = self.store.fund_head(fund).await?.map_or(0, |h| h.size);
        let key = (fund.to_owned(), campaign.to_owned());
        let kept = self
            .campaign_days
            .lock()
            .ok()
            .and_then(|m| m.get(&key).cloned());
        if let Some(k) = kept {
            if k.size == size || k.at.elapsed() < CAMPAIGN_DAYS_FRESH {
                return Ok(k.days);
            }
        }
        let days = Arc::new(self.store.campaign_days(fund, campaign).await?);
        if let Ok(mut m) = self.campaign_days.lock() {
            if m.len() >= CAMPAIGN_DAYS_KEPT {
                m.clear();
            }
            m.insert(
                key,
                KeptDays {
                    at: std::time::Instant::now(),
                    size,
                    days: days.clone(),
                },
            );
        }
        Ok(days)
    }

    /// The books of `fund` as the pages read them, as of its head now:
    /// read again from the figures and objects the writer stored (see
    /// [`crate::ledger::book::Book::from_stored`]) when the fund has grown
    /// since the last read. Neither the time nor the memory this takes
    /// grows with the number of gifts.
    pub async fn page_books(
        &self,
        fund: &str,
    ) -> Result<tokio::sync::OwnedMutexGuard<PageBooks>, ServiceError> {
        let cell = {
            let found = self
                .page_books
                .read()
                .ok()
                .and_then(|m| m.get(fund).cloned());
            match found {
                Some(c) => c,
                None => {
                    let mut m = self.page_books.write().map_err(|_| {
                        ServiceError::Internal("folded books: lock poisoned".into())
                    })?;
                    m.entry(fund.to_owned()).or_default().clone()
                }
            }
        };
        let mut f = cell.lock_owned().await;
        let size = self.store.fund_head(fund).await?.map_or(0, |h| h.size);
        if f.read && f.size == size {
            return Ok(f);
        }
        let (size, summary, objects) = self.store.read_model(fund).await?;
        f.book = crate::ledger::book::Book::from_stored(&summary, &objects)
            .map_err(|e| ServiceError::Internal(format!("fund {fund}: {e}")))?;
        f.size = size;
        f.read = true;
        Ok(f)
    }

    /// The holder of the token whose secret hashes to `hash`, if any and
    /// not revoked.
    pub async fn principal(
        &self,
        hash: &[u8; 32],
    ) -> Result<Option<crate::store::Principal>, ServiceError> {
        let today = crate::ledger::ids::format_date(crate::ledger::ids::today_in_vietnam(
            time::OffsetDateTime::now_utc(),
        ));
        let cached = self
            .principals
            .read()
            .ok()
            .and_then(|m| m.get(hash).cloned());
        if let Some((p, read_at)) = cached {
            if read_at.elapsed() < PRINCIPAL_FRESH {
                // A token whose last day passed is refused at once.
                return Ok(Some(p).filter(|p| p.valid_on(&today)));
            }
        }
        let found = self
            .store
            .principal(hash)
            .await?
            .filter(|p| p.valid_on(&today));
        if let Ok(mut m) = self.principals.write() {
            match &found {
                Some(p) => {
                    m.insert(*hash, (p.clone(), std::time::Instant::now()));
                }
                None => {
                    m.remove(hash);
                }
            }
        }
        Ok(found)
    }

    /// Forgets the holder of token `id` at once, after it was revoked.
    pub fn forget_token(&self, id: &str) {
        if let Ok(mut m) = self.principals.write() {
            m.retain(|_, (p, _)| p.id != id);
        }
    }

    /// The fund named `code`, or 404.
    pub async fn fund(&self, code: &str) -> Result<FundInfo, ServiceError> {
        if let Some(f) = self.funds.read().ok().and_then(|m| m.get(code).cloned()) {
            return Ok(f);
        }
        let f = self
            .store
            .fund(code)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("no fund {code:?}")))?;
        if let Ok(mut m) = self.funds.write() {
            m.insert(code.to_owned(), f.clone());
        }
        Ok(f)
    }
}

impl AppState {
    /// Reads a fund's whole ledger through the [`Auditor`] under today's
    /// policy: (findings, entries read).
    pub async fn audit_findings(
        &self,
        fund: &str,
        options: Options,
    ) -> Result<(Vec<crate::ledger::findings::Finding>, u64), ServiceError> {
        let policy = self
            .settings
            .policy()
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        let mut auditor = Auditor::new(policy, options);
        let mut next = 0;
        loop {
            let page = self
                .store
                .entries(fund, next, crate::store::REPLAY_PAGE)
                .await?;
            for e in &page {
                auditor.push(&e.canonical);
            }
            next += page.len() as u64;
            if (page.len() as u64) < crate::store::REPLAY_PAGE {
                break;
            }
        }
        let mut found = auditor.finish();
        found.extend(self.bank_findings(fund).await?);
        found.extend(self.snapshot_findings(fund).await?);
        found.extend(self.witness_findings(fund).await?);
        Ok((found, next))
    }

    /// What the bank lines say that the ledger cannot (SPEC §10): a debit
    /// still in review past `intake.debit_grace_days` is money that left
    /// the account with no entry.
    pub async fn bank_findings(
        &self,
        fund: &str,
    ) -> Result<Vec<crate::ledger::findings::Finding>, ServiceError> {
        let grace = self.settings.intake.debit_grace_days;
        let today = crate::ledger::ids::today_in_vietnam(time::OffsetDateTime::now_utc());
        let before = today - time::Duration::days(i64::from(grace));
        let waiting = self.store.lines_waiting(fund, &format_date(before)).await?;
        let mut found = statement_gaps(&self.sealed_statements(fund).await?);
        found.extend(waiting
            .iter()
            .map(|l| crate::ledger::findings::Finding {
                kind: "bank_debit_unsettled",
                severity: "high",
                seqs: Vec::new(),
                message: format!(
                    "{} đồng left account {} on {} (bank reference {}) and no entry accounts for it after {grace} days: settle bank line {} with its outflow, or as a withdrawal to the fund's own cash",
                    l.amount_vnd,
                    l.account_no,
                    l.day,
                    l.bank_ref.as_deref().unwrap_or("none"),
                    l.line_id
                ),
            }));
        Ok(found)
    }

    /// Snapshots of the fund's books a writer refused: someone or
    /// something changed a saved copy of the books behind the service's
    /// back (see `store::snapshots`).
    pub async fn snapshot_findings(
        &self,
        fund: &str,
    ) -> Result<Vec<crate::ledger::findings::Finding>, ServiceError> {
        Ok(self
            .store
            .refused_snapshots(fund)
            .await?
            .into_iter()
            .map(|r| crate::ledger::findings::Finding {
                kind: "books_snapshot_refused",
                severity: "high",
                seqs: vec![r.size.saturating_sub(1)],
                message: format!(
                    "the saved copy of the books at entry {} was refused on {} ({}); the books were rebuilt from the ledger. Find out who changed the database",
                    r.size.saturating_sub(1),
                    r.refused_at,
                    r.reason
                ),
            })
            .collect())
    }

    /// Checkpoints a witness refused (SPEC §12): a 422 says the fund showed
    /// the committee above a history that does not extend what it cosigned
    /// (a split view, or a database rolled back or rewritten): `high`. A
    /// 403 says the witness does not hold the fund's key: `medium`.
    pub async fn witness_findings(
        &self,
        fund: &str,
    ) -> Result<Vec<crate::ledger::findings::Finding>, ServiceError> {
        Ok(self
            .store
            .witness_refusals(fund)
            .await?
            .into_iter()
            .map(|r| crate::ledger::findings::Finding {
                kind: "witness_refused",
                severity: if r.status == 422 { "high" } else { "medium" },
                seqs: vec![r.size.saturating_sub(1)],
                message: format!(
                    "witness {} refused the checkpoint of size {} ({}, {}): {}",
                    r.witness,
                    r.size,
                    r.status,
                    r.reason,
                    if r.status == 422 {
                        "the fund's history does not extend the one it cosigned; find out whether the database was restored, rolled back or rewritten"
                    } else {
                        "it does not hold the fund's verifier key"
                    }
                ),
            })
            .collect())
    }

    /// The fund's sealed statements, as the books keep them.
    pub async fn sealed_statements(
        &self,
        fund: &str,
    ) -> Result<Vec<crate::ledger::book::SealedStatement>, ServiceError> {
        let mut out = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let filter = crate::store::ObjectFilter {
                after: after.as_deref(),
                ..Default::default()
            };
            let rows = self
                .store
                .objects(fund, "bank_statement", filter, 1000)
                .await?;
            for (id, data) in &rows {
                out.push(
                    serde_json::from_str(data)
                        .map_err(|e| ServiceError::Internal(format!("bank statement {id}: {e}")))?,
                );
            }
            if rows.len() < 1000 {
                break;
            }
            after = rows.last().map(|r| r.0.clone());
        }
        Ok(out)
    }
}

/// Statements of an account that do not follow one another (SPEC §10):
/// days no sealed statement covers (a statement left out), or a statement
/// that starts the day after another ends with another balance than that
/// one closed with (lines taken out of a file and the rest re-balanced).
fn statement_gaps(
    sealed: &[crate::ledger::book::SealedStatement],
) -> Vec<crate::ledger::findings::Finding> {
    let mut by_account: std::collections::BTreeMap<
        &str,
        Vec<&crate::ledger::book::SealedStatement>,
    > = std::collections::BTreeMap::new();
    for st in sealed {
        by_account
            .entry(st.account_no.as_str())
            .or_default()
            .push(st);
    }
    let day =
        |d: &str| Date::parse(d, time::macros::format_description!("[year]-[month]-[day]")).ok();
    let mut out = Vec::new();
    for (account, mut list) in by_account {
        list.sort_by(|a, b| (a.first_day.as_str(), a.seq).cmp(&(b.first_day.as_str(), b.seq)));
        let mut covered: Option<&crate::ledger::book::SealedStatement> = None;
        for st in list {
            if let Some(prev) = covered {
                let (end, start) = (day(&prev.last_day), day(&st.first_day));
                let next_day = end.and_then(|e| e.next_day());
                if let (Some(next), Some(start)) = (next_day, start) {
                    if start > next {
                        out.push(crate::ledger::findings::Finding {
                            kind: "bank_statement_gap",
                            severity: "medium",
                            seqs: vec![prev.seq, st.seq],
                            message: format!(
                                "account {account}: no sealed statement covers {} to {}; take that statement in",
                                format_date(next),
                                format_date(start.previous_day().unwrap_or(start))
                            ),
                        });
                    } else if start == next && st.opening_balance_vnd != prev.closing_balance_vnd {
                        out.push(crate::ledger::findings::Finding {
                            kind: "bank_statement_break",
                            severity: "high",
                            seqs: vec![prev.seq, st.seq],
                            message: format!(
                                "account {account}: the statement from {} opens at {} đồng, but the one before it closed at {} đồng on {}",
                                st.first_day, st.opening_balance_vnd, prev.closing_balance_vnd, prev.last_day
                            ),
                        });
                    }
                }
            }
            if covered.is_none_or(|c| st.last_day > c.last_day) {
                covered = Some(st);
            }
        }
    }
    out
}

/// A period's statement, read from the fund's stored totals by day, and
/// whether an entry recorded after the period was seen: then the
/// statement is final. The writer stamps entries once it holds the fund,
/// so entries are recorded in seq order, and none dated in the period can
/// come after one dated later.
pub async fn build_statement(
    store: &Store,
    fund: &str,
    from: Date,
    to: Date,
) -> Result<(Statement, bool), ServiceError> {
    let (first, last) = (format_date(from), format_date(to));
    let d = store.period_days(fund, &first, &last).await?;
    let st = crate::ledger::statement::from_days(fund, from, to, d.before.as_ref(), d.days);
    Ok((st, d.ended))
}

/// The statement of `from..=to` folded from the fund's first entry: what
/// the stored totals are checked against.
pub async fn fold_statement(
    store: &Store,
    fund: &str,
    from: Date,
    to: Date,
) -> Result<Statement, ServiceError> {
    let mut b = StatementBuilder::new(fund, from, to);
    let mut next = 0;
    loop {
        let page = store.entries(fund, next, crate::store::REPLAY_PAGE).await?;
        for e in &page {
            b.push(&e.canonical).map_err(|err| {
                ServiceError::Internal(format!("fund {fund}: the ledger does not replay: {err}"))
            })?;
            if b.done() {
                return Ok(b.finish());
            }
        }
        if (page.len() as u64) < crate::store::REPLAY_PAGE {
            return Ok(b.finish());
        }
        next += crate::store::REPLAY_PAGE;
    }
}
