//! Taking a bank statement in (SPEC §10): the file is read and checked in
//! full first; then its lines are recorded a thousand per commit, each
//! credit a gift (or linked to the gift it already is, or set aside for a
//! clerk), and the statement is sealed on the ledger.
//!
//! What makes it safe to run again, after a stop anywhere: a line becomes
//! a gift in the same transaction as its row in `bank_lines`, keyed by
//! what the line is (see [`line_key`]); a line whose key is known is not
//! recorded again. A statement is known by its file's SHA-256: the same
//! file again answers with its seal and records nothing.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::narrative::{self, Reference};
use super::spool::Spool;
use super::statement::{self, Line, ReadError, StatementError, Summary};
use crate::ledger::fields::{Text, NAME_CHARS_MAX};
use crate::ledger::ids::{format_date, Code, Id};
use crate::ledger::kinds::bank::{AccountNo, BankStatementSealed, NotGift, SeqRanges};
use crate::ledger::kinds::{Body, Channel, DonationCash, Donor, DonorKind};
use crate::ledger::money::AmountVnd;
use crate::ledger::state::{BankLine, Draft, Rejection};
use crate::ledger::values::{Day, LongText, Name, Sha256Hex, Vnd};
use crate::service::AppState;
use crate::store::bank::{KnownLine, LineStatus};
use crate::store::writer::JobError;
use crate::store::StoreError;

/// Lines recorded per commit.
pub const LINES_PER_COMMIT: usize = 1000;

/// Why a statement was not taken in. Nothing was recorded, except where
/// said: an import that stops after some commits is finished by running
/// it again.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file is not a statement that adds up (nothing recorded).
    #[error("{0}")]
    Statement(#[from] StatementError),
    #[error("the file is the statement of account {file}, not of account {asked}")]
    WrongAccount { file: String, asked: String },
    #[error("account {0} is not one of this fund's receiving accounts; an admin adds it with POST /funds/{{fund}}/bank-accounts")]
    UnknownAccount(String),
    #[error("{0}")]
    Incomplete(String),
    /// The seal was refused (lines recorded so far stay; run it again).
    #[error("the statement's seal was refused: {0}")]
    Sealing(String),
    #[error("the ledger's writer is not available; run the import again")]
    Unavailable,
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
}

/// What an import did (SPEC §10).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Answer {
    pub statement_id: String,
    pub layout: String,
    pub account_no: String,
    pub first_day: String,
    pub last_day: String,
    pub lines: u64,
    /// Credit lines and debit lines.
    pub credits: u64,
    pub debits: u64,
    pub credits_vnd: String,
    pub debits_vnd: String,
    /// Lines recorded as new gifts now.
    pub recorded: u64,
    /// Lines that are gifts already on the ledger (keyed in by hand, or
    /// taken in by a webhook), linked now.
    pub linked: u64,
    /// Lines taken in before by another statement.
    pub duplicates: u64,
    /// Lines waiting in the review queue.
    pub review: u64,
    pub opening_balance_vnd: String,
    pub closing_balance_vnd: String,
    pub balanced: bool,
    pub sealed_seq: u64,
    /// False when the same file was taken in before: nothing was new.
    #[serde(skip)]
    pub new: bool,
}

/// The key of a line (SPEC §10): with a bank reference, the reference,
/// day, amount and direction, numbered among identical lines (banks repeat
/// references); without one, a hash of the line with its running balance
/// and narrative. The key stays in `bank_lines`, never on the ledger.
pub fn key_prefix(line: &Line) -> String {
    let dir = if line.credit_vnd > 0 { 'C' } else { 'D' };
    let amount = line.credit_vnd.max(line.debit_vnd);
    match line.bank_ref.as_deref() {
        Some(r) => format!("r|{r}|{}|{amount}|{dir}|", format_date(line.date)),
        None => {
            let mut h = Sha256::new();
            h.update(format!(
                "{}|{amount}|{dir}|{}|",
                format_date(line.date),
                line.balance_vnd.map(|b| b.to_string()).unwrap_or_default()
            ));
            h.update(line.narrative.as_bytes());
            format!("h|{}|", hex::encode(&h.finalize()[..16]))
        }
    }
}

/// Numbers identical lines in the order they come: the first is `…|0`.
#[derive(Default)]
pub struct Keys {
    seen: HashMap<u64, u32>,
}

impl Keys {
    pub fn key(&mut self, line: &Line) -> String {
        let prefix = key_prefix(line);
        // Only a 64-bit digest of each prefix is kept, so memory stays
        // small for a quarter of a million lines.
        let digest = u64::from_be_bytes(
            Sha256::digest(prefix.as_bytes())[..8]
                .try_into()
                .unwrap_or([0; 8]),
        );
        let n = self.seen.entry(digest).or_insert(0);
        let key = format!("{prefix}{n}");
        *n += 1;
        key
    }
}

/// A bank reference as the ledger may carry it: the bank's own, when it
/// passes the check a clerk's would (SPEC §9: 4 to 40 letters, digits and
/// `./-`, and nothing that looks like an account number). Another stays
/// in `bank_lines` only.
fn ledger_ref(r: Option<&str>) -> Option<String> {
    r.and_then(|r| crate::ledger::kinds::bank_ref(r).ok())
}

/// What a gift's reference names.
#[derive(Debug, Clone)]
enum Target {
    Campaign {
        id: String,
        open: bool,
    },
    Pledge {
        id: String,
        campaign_id: Option<String>,
        display: String,
        kind: DonorKind,
        cancelled: bool,
    },
}

/// What a credit line becomes.
#[derive(Debug, Clone)]
pub enum Decision {
    Gift {
        campaign_id: Option<String>,
        pledge_id: Option<String>,
        display: String,
        kind: DonorKind,
    },
    Review(String),
}

/// Finds the campaigns and pledges that references name, each looked up
/// once per import.
pub struct Matcher<'a> {
    s: &'a AppState,
    fund: &'a str,
    cache: HashMap<String, Option<Target>>,
}

impl<'a> Matcher<'a> {
    pub fn new(s: &'a AppState, fund: &'a str) -> Self {
        Self {
            s,
            fund,
            cache: HashMap::new(),
        }
    }

    async fn target(&mut self, reference: &str) -> Result<Option<Target>, StoreError> {
        if let Some(t) = self.cache.get(reference) {
            return Ok(t.clone());
        }
        let filter = |r| crate::store::ObjectFilter {
            after: None,
            status: None,
            reference: Some(r),
        };
        let mut found = None;
        for (id, data) in self
            .s
            .store
            .objects(self.fund, "pledge", filter(reference), 1)
            .await?
        {
            let p: crate::ledger::book::PledgeState = serde_json::from_str(&data)
                .map_err(|e| StoreError::Corrupt(format!("pledge {id}: {e}")))?;
            let kind = if p.donor_kind == "organization" {
                DonorKind::Organization
            } else if p.donor_kind == "anonymous" {
                DonorKind::Anonymous
            } else {
                DonorKind::Individual
            };
            found = Some(Target::Pledge {
                id,
                campaign_id: p.campaign_id,
                display: p.donor_display,
                kind,
                cancelled: p.status == crate::ledger::book::PledgeStatus::Cancelled,
            });
        }
        if found.is_none() {
            for (id, data) in self
                .s
                .store
                .objects(self.fund, "campaign", filter(reference), 1)
                .await?
            {
                let c: crate::ledger::book::Campaign = serde_json::from_str(&data)
                    .map_err(|e| StoreError::Corrupt(format!("campaign {id}: {e}")))?;
                found = Some(Target::Campaign {
                    id,
                    open: c.status == crate::ledger::book::CampaignStatus::Open,
                });
            }
        }
        self.cache.insert(reference.to_owned(), found.clone());
        Ok(found)
    }

    /// What a credit with this narrative becomes (SPEC §10).
    pub async fn decide(&mut self, narrative: &str) -> Result<Decision, StoreError> {
        let sender = narrative::sender(narrative);
        let (display, kind) = narrative::display(sender.name.as_deref());
        // Every word after "SV" is looked up (once per import): a pledge's
        // reference a client chose may be all letters.
        for c in narrative::candidates(narrative) {
            self.target(&c).await?;
        }
        let reference = narrative::reference(narrative, |r| {
            self.cache.get(r).is_some_and(Option::is_some)
        });
        let Reference::Named(r) = reference else {
            return Ok(Decision::Gift {
                campaign_id: None,
                pledge_id: None,
                display,
                kind,
            });
        };
        Ok(match self.target(&r).await? {
            None => Decision::Review(format!(
                "the narrative names reference {r}, which is no campaign or pledge of this fund"
            )),
            Some(Target::Campaign { open: false, .. }) => Decision::Review(format!(
                "the narrative names reference {r}, a campaign that is closed"
            )),
            Some(Target::Campaign { id, .. }) => Decision::Gift {
                campaign_id: Some(id),
                pledge_id: None,
                display,
                kind,
            },
            Some(Target::Pledge {
                cancelled: true, ..
            }) => Decision::Review(format!(
                "the narrative names reference {r}, a pledge that was cancelled"
            )),
            Some(Target::Pledge {
                id,
                campaign_id,
                display,
                kind,
                ..
            }) => Decision::Gift {
                campaign_id,
                pledge_id: Some(id),
                display,
                kind,
            },
        })
    }
}

/// The private part of a line: what the bank said of the sender.
pub fn private_json(narrative: &str) -> String {
    let sender = narrative::sender(narrative);
    json!({
        "narrative": narrative,
        "sender_account": sender.account,
        "sender_name": sender.name,
    })
    .to_string()
}

/// A gift's entry for a credit line.
pub fn gift_draft(line: BankLine, decision: &Decision) -> Result<Draft, ImportError> {
    let Decision::Gift {
        campaign_id,
        pledge_id,
        display,
        kind,
    } = decision
    else {
        return Err(ImportError::Internal("a line in review is no gift".into()));
    };
    let id = |s: &Option<String>, f| {
        s.as_deref()
            .map(|s| Id::parse(s, f))
            .transpose()
            .map_err(|e| ImportError::Internal(e.message))
    };
    // A name a bank sent that holds a number (a phone, an account) is not
    // published: "Nhà hảo tâm" instead.
    let display = if crate::ledger::personal::check(display).is_ok() {
        display.as_str()
    } else {
        narrative::NO_NAME
    };
    let display_text = Text::parse_line(display, NAME_CHARS_MAX, "donor.display")
        .or_else(|_| Text::parse_line(narrative::NO_NAME, NAME_CHARS_MAX, "donor.display"))
        .map_err(|e| ImportError::Internal(e.message))?;
    let amount = AmountVnd::new(line.amount_vnd)
        .ok_or_else(|| ImportError::Internal(format!("amount {} out of range", line.amount_vnd)))?;
    let body = Body::DonationCash(DonationCash {
        receipt_no: String::new(),
        donor: Donor {
            display: display_text,
            kind: if *kind == DonorKind::Anonymous {
                DonorKind::Individual
            } else {
                *kind
            },
            donor_ref: None,
        },
        amount_vnd: amount,
        channel: Channel::BankTransfer,
        received_on: Day(line.day),
        campaign_id: id(campaign_id, "campaign_id")?,
        pledge_id: id(pledge_id, "pledge_id")?,
        earmark: None,
        bank_ref: ledger_ref(line.bank_ref.as_deref()),
        original_currency: None,
        note: None,
    });
    Ok(Draft {
        body,
        private: None,
        bank_line: Some(Box::new(line)),
    })
}

/// A rejection in a sentence, for a line set aside.
pub fn describe(r: &Rejection) -> String {
    match r {
        Rejection::Rule { rule, message, .. } => {
            format!("the ledger refused it as a gift ({rule}): {message}")
        }
        Rejection::Invalid(e) => format!("the ledger refused it as a gift: {e:?}"),
        Rejection::Internal(m) => format!("the ledger could not record it: {m}"),
    }
}

/// Submits gift drafts as one batch; a draft a rule refuses is taken out
/// and handed back with the reason, and the rest submitted again.
/// Returns the seqs of the written drafts, in order, and the refused ones.
pub async fn submit_gifts(
    s: &AppState,
    fund: &Code,
    actor: &str,
    mut drafts: Vec<Draft>,
) -> Result<(Vec<(u64, Box<BankLine>)>, Vec<(Box<BankLine>, String)>), ImportError> {
    let mut refused = Vec::new();
    loop {
        if drafts.is_empty() {
            return Ok((Vec::new(), refused));
        }
        match s
            .writer
            .submit(fund.clone(), actor.to_owned(), drafts.clone(), true, None)
            .await
        {
            Ok(outcome) => {
                let seqs = outcome.entries.iter().map(|e| e.seq);
                let lines = drafts.into_iter().filter_map(|d| d.bank_line);
                return Ok((seqs.zip(lines).collect(), refused));
            }
            Err(JobError::Rejected { index, rejection }) if index < drafts.len() => {
                if let Some(line) = drafts.remove(index).bank_line {
                    refused.push((line, describe(&rejection)));
                }
            }
            Err(JobError::Unavailable | JobError::Failed) => return Err(ImportError::Unavailable),
            Err(e) => return Err(ImportError::Internal(format!("{e:?}"))),
        }
    }
}

/// Figures gathered for the seal while lines are taken in.
#[derive(Default)]
struct Tally {
    gift_seqs: Vec<u64>,
    gifts_vnd: u64,
    not_gifts: Vec<NotGift>,
    review_credit_lines: u64,
    review_credits_vnd: u64,
    recorded: u64,
    linked: u64,
    duplicates: u64,
    review: u64,
}

impl Tally {
    /// A line taken in before; `voided` holds the gifts since reversed,
    /// which the seal cannot name: their lines count as waiting.
    fn known(&mut self, line: &Line, k: &KnownLine, voided: &std::collections::HashSet<u64>) {
        let reason = k.reason.as_deref();
        if k.source == "statement" {
            self.duplicates += 1;
        } else {
            self.linked += 1;
        }
        if line.credit_vnd == 0 {
            if k.status == LineStatus::Review {
                self.review += 1;
            }
            return;
        }
        match (k.status, k.seq, Vnd::new(line.credit_vnd)) {
            (LineStatus::Gift, Some(seq), _) if !voided.contains(&seq) => {
                self.gift(seq, line.credit_vnd)
            }
            (LineStatus::NotGift, _, Some(amount_vnd)) => {
                match LongText::parse(reason.unwrap_or_default()) {
                    Ok(reason) => self.not_gifts.push(NotGift {
                        day: Day(line.date),
                        amount_vnd,
                        reason,
                    }),
                    Err(_) => self.in_review(line),
                }
            }
            _ => self.in_review(line),
        }
    }

    fn gift(&mut self, seq: u64, amount: u64) {
        self.gift_seqs.push(seq);
        self.gifts_vnd += amount;
    }

    fn in_review(&mut self, line: &Line) {
        self.review += 1;
        if line.credit_vnd > 0 {
            self.review_credit_lines += 1;
            self.review_credits_vnd += line.credit_vnd;
        }
    }
}

fn vnd(n: i64, what: &str) -> Result<Vnd, ImportError> {
    u64::try_from(n).ok().and_then(Vnd::new).ok_or_else(|| {
        ImportError::Incomplete(format!(
            "the {what} {n} is not a balance the ledger takes (negative or too large)"
        ))
    })
}

/// Reads the whole spool with `visit`, on a blocking thread.
async fn read_spool<F>(spool: Arc<Spool>, mut visit: F) -> Result<Summary, ImportError>
where
    F: FnMut(&Line) -> Result<(), ()> + Send + 'static,
{
    tokio::task::spawn_blocking(move || {
        let reader = spool
            .reader()
            .map_err(|e| ImportError::Internal(format!("the spool: {e}")))?;
        statement::read(reader, &mut visit).map_err(|e| match e {
            ReadError::Statement(e) => ImportError::Statement(e),
            ReadError::Visit(()) => {
                ImportError::Internal("the import stopped while reading".into())
            }
        })
    })
    .await
    .map_err(|e| ImportError::Internal(format!("the statement reader: {e}")))?
}

/// Told how far an import is: (lines taken in, lines in the file).
pub type Progress = dyn Fn(u64, u64) + Send + Sync;

/// Takes statement `spool` in for `account` of `fund`, by `actor`,
/// telling `progress` after each thousand lines.
pub async fn import(
    s: &AppState,
    fund: &str,
    account: &str,
    actor: &str,
    spool: Spool,
    progress: &Progress,
) -> Result<Answer, ImportError> {
    let code = Code::parse(fund, "fund").map_err(|e| ImportError::Internal(e.message))?;
    let account_no =
        AccountNo::parse(account).map_err(|_| ImportError::UnknownAccount(account.to_owned()))?;
    if s.store
        .object(fund, "bank_account", account)
        .await?
        .is_none()
    {
        return Err(ImportError::UnknownAccount(account.to_owned()));
    }
    let sha = hex::encode(spool.sha256);
    if let Some(done) = s.store.statement_by_file(fund, account, &sha).await? {
        if let Some(summary) = done.summary.filter(|_| done.sealed_seq.is_some()) {
            let mut a: Answer = serde_json::from_str(&summary)
                .map_err(|e| ImportError::Internal(format!("a statement's summary: {e}")))?;
            a.duplicates = a.lines;
            a.recorded = 0;
            a.linked = 0;
            a.new = false;
            return Ok(a);
        }
    }
    let spool = Arc::new(spool);
    // First reading: every line, date, amount and balance checked; nothing
    // is recorded if anything is wrong.
    let summary = read_spool(spool.clone(), |_| Ok(())).await?;
    if let Some(file_account) = &summary.account_no {
        if file_account != account {
            return Err(ImportError::WrongAccount {
                file: file_account.clone(),
                asked: account.to_owned(),
            });
        }
    }
    let (Some(first_day), Some(last_day)) = (summary.first_day, summary.last_day) else {
        return Err(ImportError::Incomplete("the statement has no lines".into()));
    };
    let opening = summary
        .opening_balance_vnd
        .ok_or_else(|| ImportError::Incomplete("the statement states no opening balance".into()))?;
    let closing = summary
        .closing_balance_vnd
        .ok_or_else(|| ImportError::Incomplete("the statement states no closing balance".into()))?;
    let (opening_vnd, closing_vnd) = (
        vnd(opening, "opening balance")?,
        vnd(closing, "closing balance")?,
    );
    let started = s
        .store
        .start_statement(fund, account, &sha, Id::generate().as_str(), actor)
        .await?;
    let statement_id = started.statement_id.clone();

    // Second reading: a thousand lines at a time, on a blocking thread,
    // handed over through a channel two chunks deep, so memory holds a
    // few thousand lines whatever the file's length.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<Line>>(2);
    let reader_spool = spool.clone();
    let reading = tokio::task::spawn_blocking(move || -> Result<(), ImportError> {
        let reader = reader_spool
            .reader()
            .map_err(|e| ImportError::Internal(format!("the spool: {e}")))?;
        let mut chunk: Vec<Line> = Vec::with_capacity(LINES_PER_COMMIT);
        let read = statement::read(reader, &mut |line: &Line| {
            chunk.push(line.clone());
            if chunk.len() == LINES_PER_COMMIT {
                let full = std::mem::replace(&mut chunk, Vec::with_capacity(LINES_PER_COMMIT));
                tx.blocking_send(full).map_err(|_| ())?;
            }
            Ok(())
        });
        match read {
            Ok(_) => {
                if !chunk.is_empty() {
                    // The receiver left only if the import failed, and
                    // that failure is what it reports.
                    let _ = tx.blocking_send(chunk);
                }
                Ok(())
            }
            Err(ReadError::Statement(e)) => Err(ImportError::Statement(e)),
            // The receiver stopped: its error is the one to report.
            Err(ReadError::Visit(())) => Ok(()),
        }
    });
    let mut tally = Tally::default();
    let mut keys = Keys::default();
    let mut matcher = Matcher::new(s, fund);
    let mut batch = Batch {
        s,
        code: &code,
        fund,
        account,
        actor,
        statement_id: &statement_id,
    };
    let mut done = 0u64;
    progress(0, summary.lines);
    while let Some(lines) = rx.recv().await {
        let n = lines.len() as u64;
        batch
            .take(lines, &mut keys, &mut matcher, &mut tally)
            .await?;
        done += n;
        progress(done, summary.lines);
        // Statistics of tables growing under the import: after the first
        // thousands of lines, then every 64,000.
        if done == 2 * LINES_PER_COMMIT as u64 || done.is_multiple_of(64 * LINES_PER_COMMIT as u64)
        {
            s.store.refresh_intake_statistics().await?;
        }
    }
    reading
        .await
        .map_err(|e| ImportError::Internal(format!("the statement reader: {e}")))??;

    let gift_seqs = SeqRanges::from_seqs(std::mem::take(&mut tally.gift_seqs));
    let gifts = gift_seqs.count();
    let seal = BankStatementSealed {
        statement_id: Id::parse(&statement_id, "statement_id")
            .map_err(|e| ImportError::Internal(e.message))?,
        account_no,
        layout: Name::parse(summary.layout.name()).map_err(ImportError::Internal)?,
        file_sha256: Sha256Hex::parse(&sha).map_err(ImportError::Internal)?,
        first_day: Day(first_day),
        last_day: Day(last_day),
        lines: summary.lines,
        credit_lines: summary.credit_lines,
        debit_lines: summary.debit_lines,
        credits_vnd: Vnd::new(summary.credits_vnd)
            .ok_or_else(|| ImportError::Incomplete("the credit total is too large".into()))?,
        debits_vnd: Vnd::new(summary.debits_vnd)
            .ok_or_else(|| ImportError::Incomplete("the debit total is too large".into()))?,
        opening_balance_vnd: opening_vnd,
        closing_balance_vnd: closing_vnd,
        gifts,
        gifts_vnd: Vnd::new(tally.gifts_vnd)
            .ok_or_else(|| ImportError::Incomplete("the gift total is too large".into()))?,
        gifts_root: Sha256Hex::parse(&gift_seqs.root()).map_err(ImportError::Internal)?,
        gift_seqs,
        not_gifts: std::mem::take(&mut tally.not_gifts),
        review_credit_lines: tally.review_credit_lines,
        review_credits_vnd: Vnd::new(tally.review_credits_vnd).ok_or_else(|| {
            ImportError::Incomplete("the credits in review are too large a sum".into())
        })?,
    };
    let draft = Draft {
        body: Body::BankStatementSealed(seal),
        private: None,
        bank_line: None,
    };
    // An import stopped after its seal was written, and run again, finds
    // that seal: a statement is sealed once.
    let already = s
        .sealed_statements(fund)
        .await
        .map_err(|e| ImportError::Internal(e.to_string()))?
        .into_iter()
        .find(|st| st.statement_id == statement_id)
        .map(|st| st.seq);
    let submitted = match already {
        Some(seq) => Ok(Some(seq)),
        None => s
            .writer
            .submit(code, actor.to_owned(), vec![draft], false, None)
            .await
            .map(|o| o.first().map(|e| e.seq)),
    };
    let sealed_seq = match submitted {
        Ok(seq) => seq.ok_or_else(|| ImportError::Internal("the seal was not written".into()))?,
        Err(JobError::Rejected { rejection, .. }) => {
            return Err(ImportError::Sealing(describe(&rejection)))
        }
        Err(JobError::Unavailable | JobError::Failed) => return Err(ImportError::Unavailable),
        Err(e) => return Err(ImportError::Internal(format!("{e:?}"))),
    };
    let answer = Answer {
        statement_id: statement_id.clone(),
        layout: summary.layout.name().to_owned(),
        account_no: account.to_owned(),
        first_day: format_date(first_day),
        last_day: format_date(last_day),
        lines: summary.lines,
        credits: summary.credit_lines,
        debits: summary.debit_lines,
        credits_vnd: summary.credits_vnd.to_string(),
        debits_vnd: summary.debits_vnd.to_string(),
        recorded: tally.recorded,
        linked: tally.linked,
        duplicates: tally.duplicates,
        review: tally.review,
        opening_balance_vnd: opening.to_string(),
        closing_balance_vnd: closing.to_string(),
        balanced: true,
        sealed_seq,
        new: true,
    };
    let text = serde_json::to_string(&answer).map_err(|e| ImportError::Internal(e.to_string()))?;
    s.store
        .statement_sealed(fund, &statement_id, sealed_seq, &text)
        .await?;
    tracing::info!(
        fund,
        account,
        statement = %statement_id,
        lines = answer.lines,
        recorded = answer.recorded,
        linked = answer.linked,
        duplicates = answer.duplicates,
        review = answer.review,
        sealed_seq,
        "bank statement taken in"
    );
    Ok(answer)
}

/// What one chunk of lines needs to be taken in.
struct Batch<'a> {
    s: &'a AppState,
    code: &'a Code,
    fund: &'a str,
    account: &'a str,
    actor: &'a str,
    statement_id: &'a str,
}

impl Batch<'_> {
    fn bank_line(&self, line: &Line, key: String) -> BankLine {
        BankLine {
            account_no: self.account.to_owned(),
            line_key: key,
            line_id: Id::generate().as_str().to_owned(),
            source: "statement",
            provider_id: None,
            statement_id: Some(self.statement_id.to_owned()),
            day: line.date,
            bank_ref: line.bank_ref.clone(),
            credit: line.credit_vnd > 0,
            amount_vnd: line.credit_vnd.max(line.debit_vnd),
            balance_vnd: line.balance_vnd,
            private: private_json(&line.narrative),
        }
    }

    /// Takes one chunk in: known lines counted, hand-entered gifts linked,
    /// new gifts recorded in one commit with their lines, the rest set
    /// aside for review.
    async fn take(
        &mut self,
        lines: Vec<Line>,
        keys: &mut Keys,
        matcher: &mut Matcher<'_>,
        tally: &mut Tally,
    ) -> Result<(), ImportError> {
        let line_keys: Vec<String> = lines.iter().map(|l| keys.key(l)).collect();
        let known = self
            .s
            .store
            .known_lines(self.fund, self.account, &line_keys)
            .await?;
        let mut drafts = Vec::new();
        let mut aside: Vec<(BankLine, LineStatus, Option<u64>, String)> = Vec::new();
        // Gifts keyed in by hand that new credit lines may be, in one query.
        let refs: Vec<&str> = lines
            .iter()
            .zip(&line_keys)
            .filter(|(l, k)| l.credit_vnd > 0 && !known.contains_key(*k))
            .filter_map(|(l, _)| l.bank_ref.as_deref())
            .collect();
        let mut by_hand = self.s.store.unlinked_gifts_of(self.fund, &refs).await?;
        // Gifts of known lines reversed since: the seal cannot name them.
        let known_gifts: Vec<u64> = known
            .values()
            .filter(|k| k.status == LineStatus::Gift)
            .filter_map(|k| k.seq)
            .collect();
        let voided = self.s.store.voided_among(self.fund, &known_gifts).await?;
        for (line, key) in lines.iter().zip(line_keys) {
            if let Some(k) = known.get(&key) {
                tally.known(line, k, &voided);
                continue;
            }
            let bank_line = self.bank_line(line, key);
            if line.credit_vnd == 0 {
                tally.in_review(line);
                aside.push((
                    bank_line,
                    LineStatus::Review,
                    None,
                    "a debit: settle it with the outflow it is, or as a withdrawal to the fund's own cash".into(),
                ));
                continue;
            }
            // A gift keyed in by hand is the line, whatever its narrative
            // names.
            if let Some(r) = &line.bank_ref {
                let found = by_hand
                    .get_mut(&(r.clone(), format_date(line.date), line.credit_vnd))
                    .filter(|seqs| !seqs.is_empty())
                    .map(|seqs| seqs.remove(0));
                if let Some(seq) = found {
                    tally.linked += 1;
                    tally.gift(seq, line.credit_vnd);
                    aside.push((
                        bank_line,
                        LineStatus::Gift,
                        Some(seq),
                        "linked to a gift on the ledger with its bank reference, day and amount"
                            .into(),
                    ));
                    continue;
                }
            }
            let decision = matcher.decide(&line.narrative).await?;
            if let Decision::Review(reason) = decision {
                tally.in_review(line);
                aside.push((bank_line, LineStatus::Review, None, reason));
                continue;
            }
            drafts.push(gift_draft(bank_line, &decision)?);
        }
        let (written, refused) = submit_gifts(self.s, self.code, self.actor, drafts).await?;
        for (seq, line) in &written {
            tally.recorded += 1;
            tally.gift(*seq, line.amount_vnd);
        }
        for (line, reason) in refused {
            tally.review += 1;
            tally.review_credit_lines += 1;
            tally.review_credits_vnd += line.amount_vnd;
            aside.push((*line, LineStatus::Review, None, reason));
        }
        let rows: Vec<_> = aside
            .iter()
            .map(|(l, st, seq, reason)| (l, *st, *seq, Some(reason.as_str())))
            .collect();
        self.s
            .store
            .insert_lines(self.fund, &self.s.record_key, &rows)
            .await?;
        Ok(())
    }
}

/// What a webhook's transaction became.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Taken {
    /// Taken in before (the provider sent it again).
    Known,
    /// A statement's line already: claimed, nothing new recorded.
    OnStatement,
    Gift(u64),
    Review,
}

/// Takes a webhook's transaction in for `fund` (SPEC §10): idempotent on
/// the provider's id; a line a statement brought first is claimed, not
/// recorded again; the key is the one a later statement's line will
/// have, so that statement links it.
pub async fn take_reported(
    s: &AppState,
    fund: &str,
    r: &super::webhook::Reported,
) -> Result<Taken, ImportError> {
    let provider_id = format!("{}:{}", r.provider, r.provider_id);
    if s.store.provider_line_known(&provider_id).await? {
        return Ok(Taken::Known);
    }
    let line = Line {
        row: 0,
        date: r.day,
        bank_ref: r.bank_ref.clone(),
        credit_vnd: if r.credit { r.amount_vnd } else { 0 },
        debit_vnd: if r.credit { 0 } else { r.amount_vnd },
        balance_vnd: r.balance_vnd,
        narrative: r.narrative.clone(),
    };
    let prefix = key_prefix(&line);
    if s.store
        .claim_statement_line(fund, &r.account_no, &prefix, &provider_id)
        .await?
    {
        return Ok(Taken::OnStatement);
    }
    let n = s
        .store
        .lines_with_prefix(fund, &r.account_no, &prefix)
        .await?;
    let mut private = serde_json::json!({
        "narrative": r.narrative,
        "sender_account": r.sender_account,
        "sender_name": r.sender_name,
    });
    let from_text = narrative::sender(&r.narrative);
    if r.sender_name.is_none() {
        private["sender_name"] = serde_json::json!(from_text.name);
    }
    if r.sender_account.is_none() {
        private["sender_account"] = serde_json::json!(from_text.account);
    }
    let bank_line = BankLine {
        account_no: r.account_no.clone(),
        line_key: format!("{prefix}{n}"),
        line_id: Id::generate().as_str().to_owned(),
        source: r.provider,
        provider_id: Some(provider_id),
        statement_id: None,
        day: r.day,
        bank_ref: r.bank_ref.clone(),
        credit: r.credit,
        amount_vnd: r.amount_vnd,
        balance_vnd: r.balance_vnd,
        private: private.to_string(),
    };
    let decision = if r.credit {
        let mut d = Matcher::new(s, fund).decide(&r.narrative).await?;
        if let (
            Decision::Gift {
                display,
                kind,
                pledge_id: None,
                ..
            },
            Some(name),
        ) = (&mut d, r.sender_name.as_deref())
        {
            (*display, *kind) = narrative::display(Some(
                &crate::ledger::saoke::fold_for_search(name).to_ascii_uppercase(),
            ));
        }
        d
    } else {
        Decision::Review(
            "a debit: settle it with the outflow it is, or as a withdrawal to the fund's own cash"
                .into(),
        )
    };
    let code = Code::parse(fund, "fund").map_err(|e| ImportError::Internal(e.message))?;
    let aside = match decision {
        Decision::Review(reason) => reason,
        gift => {
            let draft = gift_draft(bank_line.clone(), &gift)?;
            let (written, refused) =
                submit_gifts(s, &code, &format!("intake:{}", r.provider), vec![draft]).await?;
            if let Some((seq, _)) = written.first() {
                return Ok(Taken::Gift(*seq));
            }
            refused
                .into_iter()
                .next()
                .map(|(_, why)| why)
                .unwrap_or_default()
        }
    };
    s.store
        .insert_lines(
            fund,
            &s.record_key,
            &[(&bank_line, LineStatus::Review, None, Some(&aside))],
        )
        .await?;
    Ok(Taken::Review)
}
