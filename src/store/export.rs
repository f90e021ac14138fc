//! Writing a fund's export bundle (see [`crate::ledger::bundle`]) a page at
//! a time, for `GET /funds/{fund}/export` and `sovang export` alike:
//! memory is bounded by one page, whatever the fund's size.

use time::OffsetDateTime;

use super::{FundInfo, Result, Store, StoreError};
use crate::ledger::bundle::{Line, FORMAT};
use crate::ledger::ids::format_timestamp;
use crate::ledger::merkle::from_slice;

/// Entries per page.
pub const EXPORT_PAGE: u64 = 1_000;

/// The bundle of one fund, as far as its latest checkpoint when the export
/// began: appends that land meanwhile are left for the next export.
#[derive(Debug)]
pub struct Exporter {
    store: Store,
    fund: FundInfo,
    size: u64,
    next_seq: u64,
    header_sent: bool,
}

impl Exporter {
    /// Starts an export of fund `code`; `None` when there is no such fund.
    pub async fn start(store: &Store, code: &str) -> Result<Option<Self>> {
        let Some(fund) = store.fund(code).await? else {
            return Ok(None);
        };
        let size = store
            .latest_checkpoint(code)
            .await?
            .map(|(size, _)| size)
            .ok_or_else(|| StoreError::Corrupt(format!("fund {code} has no checkpoint")))?;
        Ok(Some(Self {
            store: store.clone(),
            fund,
            size,
            next_seq: 0,
            header_sent: false,
        }))
    }

    /// Entries the bundle holds.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The next piece of the bundle's text, `None` once it is all out.
    pub async fn next_chunk(&mut self) -> Result<Option<String>> {
        if !self.header_sent {
            self.header_sent = true;
            return Ok(Some(
                Line::Header {
                    format: FORMAT.to_owned(),
                    fund: self.fund.code.clone(),
                    origin: self.fund.origin.clone(),
                    verifier_key: self.fund.verifier_key.clone(),
                    size: self.size,
                    exported_at: format_timestamp(OffsetDateTime::now_utc()),
                }
                .to_ndjson(),
            ));
        }
        if self.next_seq >= self.size {
            return Ok(None);
        }
        let code = self.fund.code.as_str();
        let want = EXPORT_PAGE.min(self.size - self.next_seq);
        let entries = self.store.entries(code, self.next_seq, want).await?;
        if entries.len() as u64 != want || entries.first().map(|e| e.seq) != Some(self.next_seq) {
            return Err(StoreError::Corrupt(format!(
                "fund {code}: entries {}..{} are missing",
                self.next_seq,
                self.next_seq + want
            )));
        }
        let end = self.next_seq + want;
        let checkpoints = self
            .store
            .checkpoint_rows(code, self.next_seq + 1, end)
            .await?;
        // Each checkpoint with the cosignatures its witnesses gave it.
        let mut cosignatures = self
            .store
            .cosignature_rows(code, self.next_seq + 1, end)
            .await?
            .into_iter()
            .peekable();
        let mut checkpoints = checkpoints.into_iter().peekable();
        let mut out = String::with_capacity(entries.iter().map(|e| e.canonical.len() + 128).sum());
        for e in &entries {
            let hash = from_slice(&e.hash)
                .ok_or_else(|| StoreError::Corrupt(format!("entry {} has no hash", e.seq)))?;
            out.push_str(&Line::entry(e.seq, &hash, &e.canonical).to_ndjson());
            while let Some((size, mut note)) = checkpoints.next_if(|(size, _)| *size == e.seq + 1) {
                while cosignatures.next_if(|(at, _)| *at < size).is_some() {}
                while let Some((_, line)) = cosignatures.next_if(|(at, _)| *at == size) {
                    note.push_str(&line);
                }
                out.push_str(&Line::Checkpoint { size, note }.to_ndjson());
            }
        }
        self.next_seq = end;
        Ok(Some(out))
    }
}
