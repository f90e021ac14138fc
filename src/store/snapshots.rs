//! Snapshots of each fund's books (`book_snapshots`): saved by the writer
//! every [`SNAPSHOT_EVERY`] entries and when it stops, read when it starts
//! on a fund, so that it folds only the entries after the snapshot.
//!
//! A snapshot is trusted only when it is bound to the ledger and to this
//! server: the hash it names must be the stored hash of its last entry,
//! and its MAC (HMAC-SHA256 under a key derived from the server's
//! secret) must hold. Anything else (a row edited in the database, a copy
//! from another server, a layout this build does not read) is refused:
//! the writer folds the whole ledger, the refusal is written to
//! `book_snapshot_refusals` and shown to inspectors as a finding. What a
//! snapshot holds is checked against the ledger itself by
//! `verify --deep` and `audit/replay`, which fold to its size and compare.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use sqlx::{Any, Executor, Row, Transaction};

use super::{to_i64, Result, StoreError};
use crate::ledger::book::saved::Saved;
use crate::ledger::book::Book;
use crate::ledger::checkpoint::MasterSecret;
use crate::ledger::merkle::Hash;

/// Entries folded since a fund's last snapshot before the writer saves
/// another: a start then folds at most this many (some 0.2 s).
pub const SNAPSHOT_EVERY: u64 = 50_000;

/// HKDF info of the MAC key. It holds spaces, which no origin may, so no
/// fund's signing seed is this key.
const KEY_INFO: &str = "sovang book snapshots v1";

/// The key snapshots are bound to this server with. Its `Debug` form
/// never shows it.
#[derive(Clone)]
pub struct SnapshotKey([u8; 32]);

impl std::fmt::Debug for SnapshotKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SnapshotKey(..)")
    }
}

impl SnapshotKey {
    pub fn new(secret: &MasterSecret) -> Self {
        Self(secret.derive_seed(KEY_INFO))
    }

    fn mac(&self, fund: &str, size: u64, last_hash: &[u8], saved: &Saved) -> Vec<u8> {
        // A 32-byte key is always a valid HMAC key.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
        mac.update(KEY_INFO.as_bytes());
        for part in [fund.as_bytes(), &size.to_be_bytes(), last_hash] {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        mac.update(&Sha256::digest(saved.books.as_bytes()));
        mac.update(&Sha256::digest(&saved.gifts));
        mac.finalize().into_bytes().to_vec()
    }
}

/// A snapshot as stored.
#[derive(Debug, Clone)]
pub struct StoredSnapshot {
    pub size: u64,
    pub last_hash: Vec<u8>,
    pub saved: Saved,
    mac: Vec<u8>,
}

/// A snapshot refused when a writer read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub size: u64,
    pub reason: String,
    pub refused_at: String,
}

/// Saves `book`, whose last entry has hash `last_hash`, as `fund`'s
/// snapshot, replacing the one before.
pub(crate) async fn save(
    tx: &mut Transaction<'static, Any>,
    key: &SnapshotKey,
    fund: &str,
    book: &Book,
    last_hash: &Hash,
) -> Result<()> {
    let saved = book
        .save()
        .map_err(|e| StoreError::Corrupt(format!("fund {fund}: the books do not save: {e}")))?;
    let mac = key.mac(fund, book.size, &last_hash.0, &saved);
    sqlx::query(
        "INSERT INTO book_snapshots (fund_code, size, last_hash, books, gifts, mac, saved_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (fund_code) DO UPDATE SET size = excluded.size, \
         last_hash = excluded.last_hash, books = excluded.books, gifts = excluded.gifts, \
         mac = excluded.mac, saved_at = excluded.saved_at",
    )
    .bind(fund)
    .bind(to_i64(book.size)?)
    .bind(last_hash.0.to_vec())
    .bind(saved.books)
    .bind(saved.gifts)
    .bind(mac)
    .bind(super::now_text())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// `fund`'s snapshot as stored, if it has one.
pub async fn stored<'e, E: Executor<'e, Database = Any>>(
    db: E,
    fund: &str,
) -> Result<Option<StoredSnapshot>> {
    let row = sqlx::query(
        "SELECT size, last_hash, books, gifts, mac FROM book_snapshots WHERE fund_code = $1",
    )
    .bind(fund)
    .fetch_optional(db)
    .await?;
    row.map(|r| {
        let size: i64 = r.try_get("size")?;
        Ok(StoredSnapshot {
            size: u64::try_from(size)
                .map_err(|_| StoreError::Corrupt(format!("fund {fund}: snapshot size {size}")))?,
            last_hash: r.try_get("last_hash")?,
            saved: Saved {
                books: r.try_get("books")?,
                gifts: r.try_get("gifts")?,
            },
            mac: r.try_get("mac")?,
        })
    })
    .transpose()
}

/// What a writer found of a fund's snapshot.
#[derive(Debug)]
pub(crate) enum Loaded {
    Books(Box<Book>),
    Missing,
    /// There was one, and it was refused.
    Refused,
}

/// The books of `fund`'s snapshot, if it has one the writer may start
/// from: at most `head_size` entries, bound to the ledger and to this
/// server. A snapshot that is not is refused, and the refusal recorded.
pub(crate) async fn books_for_writer(
    tx: &mut Transaction<'static, Any>,
    key: &SnapshotKey,
    fund: &str,
    head_size: u64,
) -> Result<Loaded> {
    let Some(snap) = stored(&mut **tx, fund).await? else {
        return Ok(Loaded::Missing);
    };
    match check(tx, key, fund, head_size, &snap).await? {
        Ok(book) => Ok(Loaded::Books(Box::new(book))),
        Err(reason) => {
            tracing::error!(fund, size = snap.size, reason = %reason, "a snapshot of the fund's books was refused; folding the whole ledger");
            sqlx::query(
                "INSERT INTO book_snapshot_refusals (fund_code, size, reason, refused_at) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(fund)
            .bind(to_i64(snap.size)?)
            .bind(reason)
            .bind(super::now_text())
            .execute(&mut **tx)
            .await?;
            Ok(Loaded::Refused)
        }
    }
}

/// The snapshot's books, or why they may not be trusted.
async fn check(
    tx: &mut Transaction<'static, Any>,
    key: &SnapshotKey,
    fund: &str,
    head_size: u64,
    snap: &StoredSnapshot,
) -> Result<std::result::Result<Book, String>> {
    if snap.size == 0 || snap.size > head_size {
        return Ok(Err(format!(
            "it claims {} entries; the ledger holds {head_size}",
            snap.size
        )));
    }
    let entry: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT hash FROM entries WHERE fund_code = $1 AND seq = $2")
            .bind(fund)
            .bind(to_i64(snap.size - 1)?)
            .fetch_optional(&mut **tx)
            .await?;
    if entry.as_deref() != Some(snap.last_hash.as_slice()) {
        return Ok(Err(format!(
            "it names another hash than the ledger's entry {}",
            snap.size - 1
        )));
    }
    let want = key.mac(fund, snap.size, &snap.last_hash, &snap.saved);
    if !subtle_eq(&want, &snap.mac) {
        return Ok(Err(
            "its MAC does not hold: it was not saved by this server as it stands".into(),
        ));
    }
    let book = match Book::from_saved(&snap.saved) {
        Ok(b) => b,
        Err(e) => return Ok(Err(format!("it does not read back: {e}"))),
    };
    if book.size != snap.size {
        return Ok(Err(format!(
            "its books hold {} entries, its row says {}",
            book.size, snap.size
        )));
    }
    Ok(Ok(book))
}

/// Compares two MACs in time that does not depend on where they differ.
fn subtle_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl super::Store {
    /// `fund`'s snapshot of its books as stored, if it has one.
    pub async fn saved_books(&self, fund: &str) -> Result<Option<StoredSnapshot>> {
        stored(&self.read, fund).await
    }

    /// Snapshots of `fund` a writer refused, oldest first.
    pub async fn refused_snapshots(&self, fund: &str) -> Result<Vec<Refusal>> {
        refusals(&self.read, fund).await
    }
}

/// Snapshots of `fund` refused by a writer, oldest first.
pub async fn refusals<'e, E: Executor<'e, Database = Any>>(
    db: E,
    fund: &str,
) -> Result<Vec<Refusal>> {
    let rows = sqlx::query(
        "SELECT size, reason, refused_at FROM book_snapshot_refusals \
         WHERE fund_code = $1 ORDER BY refused_at",
    )
    .bind(fund)
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|r| {
            let size: i64 = r.try_get("size")?;
            Ok(Refusal {
                size: u64::try_from(size).unwrap_or(0),
                reason: r.try_get("reason")?,
                refused_at: r.try_get("refused_at")?,
            })
        })
        .collect()
}
