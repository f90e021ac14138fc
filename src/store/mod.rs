//! Every SQL statement of the service, for SQLite and PostgreSQL alike.
//!
//! Both run through sqlx's `Any` driver with the same statement text
//! (`$N` placeholders work on both); the few places that differ ask
//! [`Backend`]. Ledger rows are written only by [`writer`] (appends) and
//! [`Store::open_fund`] (entry 0), each in one transaction with the fund's
//! state; reads never take the write lock.

/// The public statement of gifts: search and pages.
pub mod donations;
/// The export bundle, written a page at a time.
pub mod export;
/// People who sign in to the console, and their sessions.
pub mod users;
pub mod verify;
pub mod writer;

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyPool, Executor, Row, Transaction};

use crate::ledger::checkpoint::MasterSecret;
use crate::ledger::ids::{format_timestamp, Code};
use crate::ledger::kinds::{Body, FundKind, FundOpened};
use crate::ledger::merkle::{self, from_slice, Frontier, Hash};
use crate::ledger::money::SumVnd;
use crate::ledger::policy::Policy;
use crate::ledger::saoke::{donation_row, voiding, DonationRow};
use crate::ledger::state::{apply, Appended, Context, Draft, FundState, Private};
use serde_json::Value;

/// Which database is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A failure of the database, not of the request.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL scheme {0:?}: use sqlite:// or postgres://")]
    UnsupportedUrl(String),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Conflict(String),
}

impl StoreError {
    /// True when a unique or primary-key constraint refused the write.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::Database(e)) => e.is_unique_violation(),
            _ => false,
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Largest number of bound values in one statement: below SQLite's 32,766
/// and PostgreSQL's 65,535.
const BINDS_MAX: usize = 30_000;

/// The database.
#[derive(Clone, Debug)]
pub struct Store {
    /// Connections for reads and for admin writes.
    read: AnyPool,
    /// The connection appends use. One for SQLite, whose single writer would
    /// otherwise make concurrent write transactions wait on each other.
    write: AnyPool,
    backend: Backend,
    /// The SQLite database file, read directly (no async driver) where a
    /// whole fund is read in order: verification.
    sqlite_file: Option<std::sync::Arc<std::path::PathBuf>>,
}

/// A committee as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Committee {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    #[serde(skip)]
    pub path: String,
}

/// A fund's fixed facts. Funds never change once opened, so these are
/// cached by the HTTP layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FundInfo {
    pub code: String,
    pub committee_code: String,
    pub committee_path: String,
    pub kind: String,
    pub name: String,
    pub origin: String,
    pub verifier_key: String,
}

/// A fund's current figures.
#[derive(Debug, Clone, PartialEq)]
pub struct FundHead {
    pub size: u64,
    pub balance_vnd: SumVnd,
    pub root: Hash,
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEntry {
    pub seq: u64,
    pub hash: Vec<u8>,
    pub canonical: String,
}

/// The holder of a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub id: String,
    pub role: String,
    /// None for a deployment-wide admin.
    pub committee_code: Option<String>,
    pub committee_path: Option<String>,
}

/// A receipt and where its entry is.
#[derive(Debug, Clone, PartialEq)]
pub struct Receipt {
    pub code: String,
    pub receipt_no: String,
    pub fund_code: String,
    pub entry: StoredEntry,
    /// The latest signed checkpoint of the fund: (size, signed note).
    pub checkpoint: Option<(u64, String)>,
    /// Set when the gift was reversed: (the reversal's seq, its reason).
    pub voided: Option<(u64, String)>,
}

/// A stored response for an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotentResponse {
    pub request_sha256: Vec<u8>,
    pub status: u16,
    pub response: String,
}

/// What to remember for an idempotency key once a write succeeds.
#[derive(Debug, Clone)]
pub struct IdempotencyRecord {
    pub scope_key: String,
    pub request_sha256: [u8; 32],
    pub status: u16,
    pub response: String,
}

/// How often the SQLite log is copied into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// Copies SQLite's write-ahead log into the database file every
/// [`CHECKPOINT_EVERY`], beside the appends rather than in their commits
/// (`PASSIVE`: it waits for no one and no one waits for it). Durability
/// does not depend on it: a commit is on disk once the log is synced.
/// The log is also copied when the last connection closes. Stops when
/// the pool is closed.
fn checkpoint_in_background(pool: AnyPool) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if pool.is_closed() {
                break;
            }
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&pool)
                .await
            {
                if pool.is_closed() {
                    break;
                }
                tracing::warn!(error = %e, "checkpointing the SQLite log failed; retrying");
            }
        }
    });
}

impl Store {
    /// Connects, creating the SQLite file if needed, and runs migrations.
    pub async fn open(url: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            // Only the scheme: the rest may hold a password.
            let scheme = url.split(':').next().unwrap_or_default();
            return Err(StoreError::UnsupportedUrl(scheme.to_owned()));
        };
        let url = match backend {
            Backend::Sqlite if !url.contains('?') => format!("{url}?mode=rwc"),
            _ => url.to_owned(),
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let sqlite_file = match backend {
            Backend::Sqlite => Some(std::sync::Arc::new(
                sqlx::sqlite::SqliteConnectOptions::from_str(&url)?
                    .get_filename()
                    .to_path_buf(),
            )),
            Backend::Postgres => None,
        };
        let pool = |max: u32, writes: bool| {
            AnyPoolOptions::new()
                .max_connections(max)
                .acquire_timeout(Duration::from_secs(10))
                .after_connect(move |conn, _| {
                    Box::pin(async move {
                        if backend == Backend::Sqlite {
                            // WAL lets readers run beside the writer;
                            // synchronous=FULL makes every commit durable
                            // (fsync) before it is acknowledged.
                            conn.execute("PRAGMA journal_mode = WAL").await?;
                            conn.execute("PRAGMA synchronous = FULL").await?;
                            conn.execute("PRAGMA busy_timeout = 10000").await?;
                            conn.execute("PRAGMA foreign_keys = ON").await?;
                            if writes {
                                // Appends do not copy the log into the
                                // database file on commit: a background
                                // task does (see `checkpoint_in_background`).
                                conn.execute("PRAGMA wal_autocheckpoint = 0").await?;
                            }
                        }
                        Ok(())
                    })
                })
        };
        let (read_max, write_max) = match backend {
            Backend::Sqlite => (4, 1),
            Backend::Postgres => (8, 2),
        };
        let write = pool(write_max, true).connect_with(options.clone()).await?;
        match backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite").run(&write).await?,
            Backend::Postgres => sqlx::migrate!("migrations/postgres").run(&write).await?,
        }
        let read = pool(read_max, false).connect_with(options).await?;
        if backend == Backend::Sqlite {
            checkpoint_in_background(read.clone());
        }
        Ok(Self {
            read,
            write,
            backend,
            sqlite_file,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes both pools, waiting for connections to be returned.
    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    async fn begin_write(&self) -> Result<Transaction<'static, Any>> {
        // SQLite: take the write lock at BEGIN, so a transaction never fails
        // half-way when it first writes.
        let begin = match self.backend {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        };
        Ok(self.write.begin_with(begin).await?)
    }

    // ---- committees -------------------------------------------------------

    pub async fn committee(&self, code: &str) -> Result<Option<Committee>> {
        let row =
            sqlx::query("SELECT code, name, parent_code, path FROM committees WHERE code = $1")
                .bind(code)
                .fetch_optional(&self.read)
                .await?;
        row.map(|r| committee_from_row(&r)).transpose()
    }

    pub async fn committees(&self) -> Result<Vec<Committee>> {
        let rows =
            sqlx::query("SELECT code, name, parent_code, path FROM committees ORDER BY path")
                .fetch_all(&self.read)
                .await?;
        rows.iter().map(committee_from_row).collect()
    }

    /// Creates a committee under `parent` (None for a root).
    pub async fn create_committee(
        &self,
        code: &str,
        name: &str,
        parent: Option<&Committee>,
        idem: Option<IdempotencyRecord>,
    ) -> Result<Committee> {
        let path = format!("{}{code}/", parent.map_or("/", |p| p.path.as_str()));
        let mut tx = self.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO committees (code, name, parent_code, path, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(code)
        .bind(name)
        .bind(parent.map(|p| p.code.clone()))
        .bind(&path)
        .bind(now_text())
        .execute(&mut *tx)
        .await;
        if let Err(e) = inserted {
            let e = StoreError::from(e);
            return Err(if e.is_unique_violation() {
                StoreError::Conflict(format!("committee {code} already exists"))
            } else {
                e
            });
        }
        insert_idempotency(&mut tx, self.backend, idem.as_slice()).await?;
        tx.commit().await?;
        Ok(Committee {
            code: code.to_owned(),
            name: name.to_owned(),
            parent_code: parent.map(|p| p.code.clone()),
            path,
        })
    }

    // ---- funds --------------------------------------------------------------

    pub async fn fund(&self, code: &str) -> Result<Option<FundInfo>> {
        let row = sqlx::query(
            "SELECT f.code, f.committee_code, c.path, f.kind, f.name, f.origin, f.verifier_key \
             FROM funds f JOIN committees c ON c.code = f.committee_code WHERE f.code = $1",
        )
        .bind(code)
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| fund_from_row(&r)).transpose()
    }

    pub async fn funds(&self) -> Result<Vec<(FundInfo, FundHead)>> {
        let rows = sqlx::query(
            "SELECT f.code, f.committee_code, c.path, f.kind, f.name, f.origin, f.verifier_key, \
             h.size, h.balance_vnd, h.frontier \
             FROM funds f JOIN committees c ON c.code = f.committee_code \
             JOIN fund_heads h ON h.fund_code = f.code ORDER BY f.code",
        )
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| Ok((fund_from_row(r)?, head_from_row(r)?)))
            .collect()
    }

    pub async fn fund_head(&self, code: &str) -> Result<Option<FundHead>> {
        let row =
            sqlx::query("SELECT size, balance_vnd, frontier FROM fund_heads WHERE fund_code = $1")
                .bind(code)
                .fetch_optional(&self.read)
                .await?;
        row.map(|r| head_from_row(&r)).transpose()
    }

    /// Opens a fund: its row, its head and its `fund_opened` entry with the
    /// first signed checkpoint, in one transaction.
    pub async fn open_fund(
        &self,
        info: &FundInfo,
        fund_kind: FundKind,
        committee_name: &str,
        actor: &str,
        secret: &MasterSecret,
        idem: impl FnOnce(&Appended) -> Option<IdempotencyRecord>,
    ) -> Result<Appended> {
        let fund = Code::parse(&info.code, "code").map_err(|e| StoreError::Corrupt(e.message))?;
        let now = time::OffsetDateTime::now_utc();
        let mut state = FundState::empty(fund.clone());
        let body = FundOpened {
            committee_code: Code::parse(&info.committee_code, "committee_code")
                .map_err(|e| StoreError::Corrupt(e.message))?,
            committee_name: committee_name.to_owned(),
            fund_code: fund,
            fund_kind,
            origin: info.origin.clone(),
            verifier_key: info.verifier_key.clone(),
        };
        let policy = Policy::permissive(u64::MAX);
        let draft = Draft {
            body: Body::FundOpened(body),
            private: None,
        };
        let appended = apply(
            &mut state,
            draft,
            &Context {
                actor,
                now,
                policy: &policy,
            },
        )
        .map_err(|r| StoreError::Corrupt(format!("fund_opened refused: {r:?}")))?;
        let key = secret
            .log_key(&info.origin)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let note = key
            .sign(state.size(), &state.frontier.root())
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let idem = idem(&appended);

        let mut tx = self.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO funds (code, committee_code, kind, name, origin, verifier_key, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&info.code)
        .bind(&info.committee_code)
        .bind(&info.kind)
        .bind(&info.name)
        .bind(&info.origin)
        .bind(&info.verifier_key)
        .bind(&appended.recorded_at)
        .execute(&mut *tx)
        .await;
        if let Err(e) = inserted {
            let e = StoreError::from(e);
            return Err(if e.is_unique_violation() {
                StoreError::Conflict(format!("fund {} already exists", info.code))
            } else {
                e
            });
        }
        sqlx::query(
            "INSERT INTO fund_heads (fund_code, size, last_hash, frontier, balance_vnd, receipt_year, receipt_last) \
             VALUES ($1, 0, $2, $3, '0', $4, 0)",
        )
        .bind(&info.code)
        .bind(Vec::from(state.last_hash.0))
        .bind(Vec::<u8>::new())
        .bind(i64::from(state.book.receipt_year))
        .execute(&mut *tx)
        .await?;
        let writes = FundWrites {
            backend: self.backend,
            fund: &info.code,
            entries: std::slice::from_ref(&appended),
            receipts: &[],
            objects: &[],
            state: &state,
            checkpoint: &note,
        };
        writes.insert(&mut tx).await?;
        insert_idempotency(&mut tx, self.backend, idem.as_slice()).await?;
        tx.commit().await?;
        Ok(appended)
    }

    // ---- tokens -------------------------------------------------------------

    pub async fn create_token(
        &self,
        id: &str,
        name: &str,
        role: &str,
        committee_code: Option<&str>,
        secret_sha256: &[u8; 32],
        idem: Option<IdempotencyRecord>,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO tokens (id, name, role, committee_code, secret_sha256, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(name)
        .bind(role)
        .bind(committee_code.map(str::to_owned))
        .bind(secret_sha256.to_vec())
        .bind(now_text())
        .execute(&mut *tx)
        .await?;
        insert_idempotency(&mut tx, self.backend, idem.as_slice()).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn principal(&self, secret_sha256: &[u8; 32]) -> Result<Option<Principal>> {
        let row = sqlx::query(
            "SELECT t.id, t.role, t.committee_code, c.path FROM tokens t \
             LEFT JOIN committees c ON c.code = t.committee_code WHERE t.secret_sha256 = $1",
        )
        .bind(secret_sha256.to_vec())
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| {
            Ok(Principal {
                id: r.try_get("id")?,
                role: r.try_get("role")?,
                committee_code: r.try_get("committee_code")?,
                committee_path: r.try_get("path")?,
            })
        })
        .transpose()
    }

    pub async fn token_count(&self) -> Result<u64> {
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM tokens")
            .fetch_one(&self.read)
            .await?
            .try_get("n")?;
        Ok(n as u64)
    }

    // ---- idempotency --------------------------------------------------------

    pub async fn idempotent_response(&self, scope_key: &str) -> Result<Option<IdempotentResponse>> {
        let row = sqlx::query(
            "SELECT request_sha256, status, response FROM idempotency WHERE scope_key = $1",
        )
        .bind(scope_key)
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| idempotent_from_row(&r)).transpose()
    }

    // ---- entries and proofs ---------------------------------------------------

    /// At most `limit` entries of `fund` from seq `from` on.
    pub async fn entries(&self, fund: &str, from: u64, limit: u64) -> Result<Vec<StoredEntry>> {
        entries_between(&self.read, fund, from, from.saturating_add(limit)).await
    }

    /// Stored Merkle hashes by index; every index must be present.
    pub async fn merkle_hashes(&self, fund: &str, indexes: &[u64]) -> Result<HashMap<u64, Hash>> {
        let mut out = HashMap::with_capacity(indexes.len());
        for chunk in indexes.chunks(BINDS_MAX - 1) {
            let sql = format!(
                "SELECT idx, hash FROM merkle_hashes WHERE fund_code = {} AND idx IN ({})",
                placeholders(self.backend, 1, 1),
                placeholders(self.backend, 2, chunk.len())
            );
            let mut q = sqlx::query(&sql).bind(fund);
            for i in chunk {
                q = q.bind(to_i64(*i)?);
            }
            for r in q.fetch_all(&self.read).await? {
                let idx: i64 = r.try_get("idx")?;
                let hash: Vec<u8> = r.try_get("hash")?;
                let hash = from_slice(&hash).ok_or_else(|| {
                    StoreError::Corrupt(format!("merkle hash {idx} is not 32 bytes"))
                })?;
                out.insert(idx as u64, hash);
            }
        }
        if let Some(missing) = indexes.iter().find(|i| !out.contains_key(i)) {
            return Err(StoreError::Corrupt(format!(
                "merkle hash {missing} of fund {fund} is missing"
            )));
        }
        Ok(out)
    }

    /// The latest signed checkpoint: (size, signed note).
    pub async fn latest_checkpoint(&self, fund: &str) -> Result<Option<(u64, String)>> {
        let row = sqlx::query(
            "SELECT size, note FROM checkpoints WHERE fund_code = $1 ORDER BY size DESC LIMIT 1",
        )
        .bind(fund)
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| Ok((r.try_get::<i64, _>("size")? as u64, r.try_get("note")?)))
            .transpose()
    }

    /// Checkpoints with size in `[from, ..)`, in size order, at most `limit`.
    pub async fn checkpoints(
        &self,
        fund: &str,
        from: u64,
        limit: u64,
    ) -> Result<Vec<(u64, String)>> {
        let rows = sqlx::query(
            "SELECT size, note FROM checkpoints WHERE fund_code = $1 AND size >= $2 ORDER BY size LIMIT $3",
        )
        .bind(fund)
        .bind(to_i64(from)?)
        .bind(to_i64(limit)?)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get::<i64, _>("size")? as u64, r.try_get("note")?)))
            .collect()
    }

    pub async fn receipt(&self, code: &str) -> Result<Option<Receipt>> {
        // One statement: a receipt lookup is the donors' hot path.
        let row = sqlx::query(
            "SELECT r.code, r.receipt_no, r.fund_code, e.seq, e.hash, e.canonical, \
             d.voided_by_seq, d.voided_reason, c.size AS cp_size, c.note AS cp_note \
             FROM receipts r JOIN entries e ON e.fund_code = r.fund_code AND e.seq = r.seq \
             LEFT JOIN donations d ON d.fund_code = r.fund_code AND d.seq = r.seq \
             LEFT JOIN checkpoints c ON c.fund_code = r.fund_code AND c.size = \
               (SELECT MAX(size) FROM checkpoints m WHERE m.fund_code = r.fund_code) \
             WHERE r.code = $1",
        )
        .bind(code)
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| {
            let voided_by: Option<i64> = r.try_get("voided_by_seq")?;
            let cp_size: Option<i64> = r.try_get("cp_size")?;
            Ok(Receipt {
                code: r.try_get("code")?,
                receipt_no: r.try_get("receipt_no")?,
                fund_code: r.try_get("fund_code")?,
                entry: entry_from_row(&r)?,
                checkpoint: match (cp_size, r.try_get::<Option<String>, _>("cp_note")?) {
                    (Some(size), Some(note)) => Some((size as u64, note)),
                    _ => None,
                },
                voided: match (voided_by, r.try_get::<Option<String>, _>("voided_reason")?) {
                    (Some(by), Some(reason)) => Some((by as u64, reason)),
                    _ => None,
                },
            })
        })
        .transpose()
    }

    // ---- the fund's books ---------------------------------------------------

    /// Derived objects of one kind, in id order after `after`, filtered by
    /// status or reference: (id, JSON text).
    pub async fn objects(
        &self,
        fund: &str,
        kind: &str,
        filter: ObjectFilter<'_>,
        limit: u64,
    ) -> Result<Vec<(String, String)>> {
        let mut sql = String::from(
            "SELECT id, data FROM fund_objects WHERE fund_code = $1 AND kind = $2 AND id > $3",
        );
        let mut n = 4;
        if filter.status.is_some() {
            sql.push_str(&format!(" AND status = ${n}"));
            n += 1;
        }
        if filter.reference.is_some() {
            sql.push_str(&format!(" AND ref = ${n}"));
            n += 1;
        }
        sql.push_str(&format!(" ORDER BY id LIMIT ${n}"));
        let mut q = sqlx::query(&sql)
            .bind(fund)
            .bind(kind)
            .bind(filter.after.unwrap_or(""));
        if let Some(st) = filter.status {
            q = q.bind(st);
        }
        if let Some(r) = filter.reference {
            q = q.bind(r);
        }
        let rows = q.bind(to_i64(limit)?).fetch_all(&self.read).await?;
        rows.iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("data")?)))
            .collect()
    }

    /// One derived object's JSON text.
    pub async fn object(&self, fund: &str, kind: &str, id: &str) -> Result<Option<String>> {
        let row = sqlx::query(
            "SELECT data FROM fund_objects WHERE fund_code = $1 AND kind = $2 AND id = $3",
        )
        .bind(fund)
        .bind(kind)
        .bind(id)
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| r.try_get("data").map_err(StoreError::from))
            .transpose()
    }

    /// The fund's figures as the books last saved them.
    pub async fn summary(&self, fund: &str) -> Result<Option<Value>> {
        let row = sqlx::query("SELECT summary FROM fund_heads WHERE fund_code = $1")
            .bind(fund)
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| {
            let text: String = r.try_get("summary")?;
            serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(e.to_string()))
        })
        .transpose()
    }

    /// Reads, in one snapshot, every entry of a fund (handed to `each` in
    /// order, a page at a time) and the live books: derived objects and the
    /// summary. The snapshot keeps appends that land meanwhile out of both.
    pub async fn books_snapshot(
        &self,
        fund: &str,
        mut each: impl FnMut(&StoredEntry) -> std::result::Result<(), String>,
    ) -> Result<Snapshot> {
        let mut tx = self.read.begin().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                .execute(&mut *tx)
                .await?;
        }
        let size: i64 = sqlx::query("SELECT size FROM fund_heads WHERE fund_code = $1")
            .bind(fund)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get("size"))
            .transpose()?
            .unwrap_or(0);
        let size = size as u64;
        let mut from = 0;
        let mut failure = None;
        while from < size && failure.is_none() {
            let to = size.min(from + REPLAY_PAGE);
            for e in &entries_between(&mut *tx, fund, from, to).await? {
                if let Err(e) = each(e) {
                    failure = Some(e);
                    break;
                }
            }
            from = to;
        }
        let rows = sqlx::query(
            "SELECT kind, id, data FROM fund_objects WHERE fund_code = $1 ORDER BY kind, id",
        )
        .bind(fund)
        .fetch_all(&mut *tx)
        .await?;
        let mut objects = Vec::with_capacity(rows.len());
        for r in &rows {
            let data: String = r.try_get("data")?;
            let value = serde_json::from_str(&data).unwrap_or(Value::String(data));
            objects.push((r.try_get("kind")?, r.try_get("id")?, value));
        }
        let summary: String = sqlx::query("SELECT summary FROM fund_heads WHERE fund_code = $1")
            .bind(fund)
            .fetch_one(&mut *tx)
            .await?
            .try_get("summary")?;
        tx.commit().await?;
        Ok(Snapshot {
            size,
            failure,
            objects,
            summary: serde_json::from_str(&summary).unwrap_or(Value::String(summary)),
        })
    }

    /// Reads a household's private record and logs the read, in one
    /// transaction: no read without its log line. Returns (fund, record
    /// JSON, salt) for each fund in `funds` that registered the household.
    pub async fn read_private(
        &self,
        household_id: &str,
        funds: &[String],
        reader: &Reader<'_>,
    ) -> Result<Vec<(String, String, String)>> {
        if funds.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.begin_write().await?;
        // One placeholder style per statement: SQLite numbers `?` after
        // the largest `$n` it has seen, not by position.
        let sql = format!(
            "SELECT fund_code, record, salt FROM household_private WHERE household_id = {} AND fund_code IN ({}) ORDER BY fund_code",
            placeholders(self.backend, 1, 1),
            placeholders(self.backend, 2, funds.len())
        );
        let mut q = sqlx::query(&sql).bind(household_id);
        for f in funds {
            q = q.bind(f.as_str());
        }
        let rows = q.fetch_all(&mut *tx).await?;
        let found: Vec<(String, String, String)> = rows
            .iter()
            .map(|r| {
                Ok((
                    r.try_get("fund_code")?,
                    r.try_get("record")?,
                    r.try_get("salt")?,
                ))
            })
            .collect::<Result<_>>()?;
        for (fund, _, _) in &found {
            sqlx::query(
                "INSERT INTO access_log (at, actor, role, committee_code, fund_code, household_id, action) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(now_text())
            .bind(reader.actor)
            .bind(reader.role)
            .bind(reader.committee_code)
            .bind(fund.as_str())
            .bind(household_id)
            .bind(reader.action)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(found)
    }

    /// Lines of the access log for `funds`, newest first, before id
    /// `before`.
    pub async fn access_log(
        &self,
        funds: &[String],
        before: Option<i64>,
        limit: u64,
    ) -> Result<Vec<Value>> {
        if funds.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT id, at, actor, role, committee_code, fund_code, household_id, action FROM access_log \
             WHERE id < {} AND fund_code IN ({}) ORDER BY id DESC LIMIT {}",
            placeholders(self.backend, 1, 1),
            placeholders(self.backend, 2, funds.len()),
            placeholders(self.backend, funds.len() + 2, 1),
        );
        let mut q = sqlx::query(&sql).bind(before.unwrap_or(i64::MAX));
        for f in funds {
            q = q.bind(f.as_str());
        }
        let rows = q.bind(to_i64(limit)?).fetch_all(&self.read).await?;
        rows.iter()
            .map(|r| {
                Ok(serde_json::json!({
                    "id": r.try_get::<i64, _>("id")?,
                    "at": r.try_get::<String, _>("at")?,
                    "actor": r.try_get::<String, _>("actor")?,
                    "role": r.try_get::<String, _>("role")?,
                    "committee_code": r.try_get::<Option<String>, _>("committee_code")?,
                    "fund": r.try_get::<String, _>("fund_code")?,
                    "household_id": r.try_get::<String, _>("household_id")?,
                    "action": r.try_get::<String, _>("action")?,
                }))
            })
            .collect()
    }

    /// Executes one statement on the write connection: for tests and tools
    /// that must reach behind the service (tampering tests).
    pub async fn execute_raw(&self, sql: &str) -> Result<u64> {
        Ok(sqlx::query(sql).execute(&self.write).await?.rows_affected())
    }
}

/// Entries read per query wherever a fund's ledger is read in order:
/// replays, verification, statements, the writer's and the pages' books.
/// Declared once here.
pub const REPLAY_PAGE: u64 = 5_000;

/// What [`Store::books_snapshot`] read.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Entries in the snapshot.
    pub size: u64,
    /// The first error `each` returned; reading stopped there.
    pub failure: Option<String>,
    /// (kind, id, JSON) of every derived object.
    pub objects: Vec<(String, String, Value)>,
    pub summary: Value,
}

/// Narrows a listing of derived objects.
#[derive(Debug, Clone, Copy, Default)]
pub struct ObjectFilter<'a> {
    /// Ids after this one (the cursor of the previous page).
    pub after: Option<&'a str>,
    pub status: Option<&'a str>,
    pub reference: Option<&'a str>,
}

/// Who reads private data, for the access log.
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a> {
    pub actor: &'a str,
    pub role: &'a str,
    pub committee_code: Option<&'a str>,
    /// What was read and through which door: `GET /households/{id}`.
    pub action: &'a str,
}

/// Everything one transaction writes for one fund.
pub(crate) struct FundWrites<'a> {
    pub backend: Backend,
    pub fund: &'a str,
    pub entries: &'a [Appended],
    /// (verification code, receipt number, seq)
    pub receipts: &'a [(String, String, u64)],
    /// Derived objects changed by these entries: (kind, id, JSON or `None`
    /// when gone).
    pub objects: &'a [(&'static str, String, Option<Value>)],
    pub state: &'a FundState,
    pub checkpoint: &'a str,
}

impl FundWrites<'_> {
    /// Inserts entries, Merkle hashes, receipts and the checkpoint with
    /// multi-row statements, and saves the fund head.
    pub(crate) async fn insert(&self, tx: &mut Transaction<'static, Any>) -> Result<()> {
        for chunk in self.entries.chunks(BINDS_MAX / 7) {
            let sql = format!(
                "INSERT INTO entries (fund_code, seq, id, kind, hash, canonical, recorded_at) VALUES {}",
                rows_placeholders(self.backend, 7, chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for e in chunk {
                q = q
                    .bind(self.fund)
                    .bind(to_i64(e.seq)?)
                    .bind(e.id.as_str())
                    .bind(e.kind.as_str())
                    .bind(e.hash.0.to_vec())
                    .bind(e.canonical.as_str())
                    .bind(e.recorded_at.as_str());
            }
            q.execute(&mut **tx).await?;
        }
        let hashes: Vec<&(u64, Hash)> =
            self.entries.iter().flat_map(|e| &e.stored_hashes).collect();
        for chunk in hashes.chunks(BINDS_MAX / 3) {
            let sql = format!(
                "INSERT INTO merkle_hashes (fund_code, idx, hash) VALUES {}",
                rows_placeholders(self.backend, 3, chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for (idx, hash) in chunk {
                q = q.bind(self.fund).bind(to_i64(*idx)?).bind(hash.0.to_vec());
            }
            q.execute(&mut **tx).await?;
        }
        for chunk in self.receipts.chunks(BINDS_MAX / 4) {
            let sql = format!(
                "INSERT INTO receipts (code, receipt_no, fund_code, seq) VALUES {}",
                rows_placeholders(self.backend, 4, chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for (code, no, seq) in chunk {
                q = q
                    .bind(code.as_str())
                    .bind(no.as_str())
                    .bind(self.fund)
                    .bind(to_i64(*seq)?);
            }
            q.execute(&mut **tx).await?;
        }
        let gifts: Vec<DonationRow> = self.entries.iter().filter_map(donation_row).collect();
        for chunk in gifts.chunks(BINDS_MAX / 17) {
            let sql = format!(
                "INSERT INTO donations (fund_code, seq, receipt_no, kind, received_on, recorded_at, \
                 donor_display, donor_kind, donor_search, amount_vnd, channel, campaign_id, pledge_id, \
                 earmark, bank_ref, goods, status) VALUES {}",
                rows_placeholders(self.backend, 17, chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for g in chunk {
                q = q
                    .bind(self.fund)
                    .bind(to_i64(g.seq)?)
                    .bind(g.receipt_no.as_str())
                    .bind(g.kind)
                    .bind(g.received_on.as_str())
                    .bind(g.recorded_at.as_str())
                    .bind(g.donor_display.as_str())
                    .bind(g.donor_kind.as_str())
                    .bind(g.donor_search.as_str())
                    .bind(g.amount_vnd)
                    .bind(g.channel.as_deref())
                    .bind(g.campaign_id.as_deref())
                    .bind(g.pledge_id.as_deref())
                    .bind(g.earmark.as_deref())
                    .bind(g.bank_ref.as_deref())
                    .bind(g.goods.as_deref())
                    .bind("valid");
            }
            q.execute(&mut **tx).await?;
        }
        // A reversed gift stays in the statement, marked void.
        for (reversed, by, reason) in self.entries.iter().filter_map(voiding) {
            sqlx::query(
                "UPDATE donations SET status = 'voided', voided_by_seq = $1, voided_reason = $2 \
                 WHERE fund_code = $3 AND seq = $4",
            )
            .bind(to_i64(by)?)
            .bind(reason)
            .bind(self.fund)
            .bind(to_i64(reversed)?)
            .execute(&mut **tx)
            .await?;
        }
        let now = now_text();
        let privates: Vec<&(String, Private)> = self
            .entries
            .iter()
            .filter_map(|e| e.private.as_ref())
            .collect();
        for chunk in privates.chunks(BINDS_MAX / 5) {
            let sql = format!(
                "INSERT INTO household_private (fund_code, household_id, record, salt, created_at) VALUES {}",
                rows_placeholders(self.backend, 5, chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for (id, p) in chunk {
                let record = serde_json::to_string(&p.record)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                q = q
                    .bind(self.fund)
                    .bind(id.as_str())
                    .bind(record)
                    .bind(p.salt.as_str())
                    .bind(now.as_str());
            }
            q.execute(&mut **tx).await?;
        }
        let (upserts, gone): (Vec<_>, Vec<_>) = self.objects.iter().partition(|o| o.2.is_some());
        for chunk in upserts.chunks(BINDS_MAX / 6) {
            let sql = format!(
                "INSERT INTO fund_objects (fund_code, kind, id, status, ref, data) VALUES {} \
                 ON CONFLICT (fund_code, kind, id) DO UPDATE SET \
                 status = excluded.status, ref = excluded.ref, data = excluded.data",
                rows_placeholders(self.backend, 6, chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for (kind, id, data) in chunk {
                let data = data.as_ref().unwrap_or(&Value::Null);
                let field = |name: &str| data.get(name).and_then(Value::as_str).map(str::to_owned);
                q = q
                    .bind(self.fund)
                    .bind(*kind)
                    .bind(id.as_str())
                    .bind(field("status"))
                    .bind(field("reference"))
                    .bind(data.to_string());
            }
            q.execute(&mut **tx).await?;
        }
        for (kind, id, _) in gone {
            sqlx::query("DELETE FROM fund_objects WHERE fund_code = $1 AND kind = $2 AND id = $3")
                .bind(self.fund)
                .bind(*kind)
                .bind(id.as_str())
                .execute(&mut **tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO checkpoints (fund_code, size, note, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(self.fund)
        .bind(to_i64(self.state.size())?)
        .bind(self.checkpoint)
        .bind(now.as_str())
        .execute(&mut **tx)
        .await?;
        let book = &self.state.book;
        let updated = sqlx::query(
            "UPDATE fund_heads SET size = $2, last_hash = $3, frontier = $4, balance_vnd = $5, \
             receipt_year = $6, receipt_last = $7, summary = $8 WHERE fund_code = $1",
        )
        .bind(self.fund)
        .bind(to_i64(self.state.size())?)
        .bind(self.state.last_hash.0.to_vec())
        .bind(self.state.frontier.to_bytes())
        .bind(book.balance_vnd.to_string())
        .bind(i64::from(book.receipt_year))
        .bind(to_i64(book.receipt_last)?)
        .bind(book.summary().to_string())
        .execute(&mut **tx)
        .await?;
        if updated.rows_affected() != 1 {
            return Err(StoreError::Corrupt(format!(
                "fund head {} is missing",
                self.fund
            )));
        }
        Ok(())
    }
}

/// The head of a fund as stored: where its log ends.
#[derive(Debug, Clone)]
pub(crate) struct LockedHead {
    pub frontier: Frontier,
    pub last_hash: Hash,
    pub origin: String,
}

/// Reads a fund's head inside a write transaction, locking its row on
/// PostgreSQL so that appends from every process are serialised.
pub(crate) async fn lock_head(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    fund: &Code,
) -> Result<Option<LockedHead>> {
    let sql = match backend {
        Backend::Postgres => {
            "SELECT h.size, h.last_hash, h.frontier, f.origin \
             FROM fund_heads h JOIN funds f ON f.code = h.fund_code WHERE h.fund_code = $1 FOR UPDATE OF h"
        }
        // SQLite: BEGIN IMMEDIATE already holds the database write lock.
        Backend::Sqlite => {
            "SELECT h.size, h.last_hash, h.frontier, f.origin \
             FROM fund_heads h JOIN funds f ON f.code = h.fund_code WHERE h.fund_code = $1"
        }
    };
    let Some(r) = sqlx::query(sql)
        .bind(fund.as_str())
        .fetch_optional(&mut **tx)
        .await?
    else {
        return Ok(None);
    };
    let size: i64 = r.try_get("size")?;
    let corrupt = |what: &str| StoreError::Corrupt(format!("fund head {fund}: {what}"));
    let frontier: Vec<u8> = r.try_get("frontier")?;
    let frontier =
        Frontier::from_bytes(size as u64, &frontier).ok_or_else(|| corrupt("frontier"))?;
    let last_hash: Vec<u8> = r.try_get("last_hash")?;
    Ok(Some(LockedHead {
        frontier,
        last_hash: from_slice(&last_hash).ok_or_else(|| corrupt("last hash"))?,
        origin: r.try_get("origin")?,
    }))
}

/// The one query that reads a range of a fund's ledger, in seq order:
/// every reader of entries (pages, replays, verification, the writer's
/// catch-up) uses it. SQLite numbers `$n` parameters in order, so the
/// same text serves rusqlite too.
pub(crate) const ENTRIES_BETWEEN_SQL: &str =
    "SELECT seq, hash, canonical FROM entries WHERE fund_code = $1 AND seq >= $2 AND seq < $3 ORDER BY seq";

/// Entries `from..to` of a fund, from the pool or inside a transaction.
pub(crate) async fn entries_between<'e, E>(
    executor: E,
    fund: &str,
    from: u64,
    to: u64,
) -> Result<Vec<StoredEntry>>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    let rows = sqlx::query(ENTRIES_BETWEEN_SQL)
        .bind(fund)
        .bind(to_i64(from)?)
        .bind(to_i64(to)?)
        .fetch_all(executor)
        .await?;
    rows.iter().map(entry_from_row).collect()
}

pub(crate) async fn fetch_idempotent(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    keys: &[&str],
) -> Result<HashMap<String, IdempotentResponse>> {
    let mut out = HashMap::new();
    for chunk in keys.chunks(BINDS_MAX) {
        let sql = format!(
            "SELECT scope_key, request_sha256, status, response FROM idempotency WHERE scope_key IN ({})",
            placeholders(backend, 1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for k in chunk {
            q = q.bind(*k);
        }
        for r in q.fetch_all(&mut **tx).await? {
            out.insert(r.try_get("scope_key")?, idempotent_from_row(&r)?);
        }
    }
    Ok(out)
}

pub(crate) async fn insert_idempotency(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    records: &[IdempotencyRecord],
) -> Result<()> {
    let now = now_text();
    for chunk in records.chunks(BINDS_MAX / 5) {
        let sql = format!(
            "INSERT INTO idempotency (scope_key, request_sha256, status, response, created_at) VALUES {}",
            rows_placeholders(backend, 5, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for r in chunk {
            q = q
                .bind(r.scope_key.as_str())
                .bind(r.request_sha256.to_vec())
                .bind(i64::from(r.status))
                .bind(r.response.as_str())
                .bind(now.as_str());
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

fn committee_from_row(r: &AnyRow) -> Result<Committee> {
    Ok(Committee {
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        parent_code: r.try_get("parent_code")?,
        path: r.try_get("path")?,
    })
}

fn fund_from_row(r: &AnyRow) -> Result<FundInfo> {
    Ok(FundInfo {
        code: r.try_get("code")?,
        committee_code: r.try_get("committee_code")?,
        committee_path: r.try_get("path")?,
        kind: r.try_get("kind")?,
        name: r.try_get("name")?,
        origin: r.try_get("origin")?,
        verifier_key: r.try_get("verifier_key")?,
    })
}

fn head_from_row(r: &AnyRow) -> Result<FundHead> {
    let size = r.try_get::<i64, _>("size")? as u64;
    let frontier: Vec<u8> = r.try_get("frontier")?;
    let frontier = Frontier::from_bytes(size, &frontier)
        .ok_or_else(|| StoreError::Corrupt("fund head frontier".into()))?;
    let balance: String = r.try_get("balance_vnd")?;
    Ok(FundHead {
        size,
        balance_vnd: balance
            .parse()
            .map_err(|_| StoreError::Corrupt("fund head balance".into()))?,
        root: frontier.root(),
    })
}

fn entry_from_row(r: &AnyRow) -> Result<StoredEntry> {
    Ok(StoredEntry {
        seq: r.try_get::<i64, _>("seq")? as u64,
        hash: r.try_get("hash")?,
        canonical: r.try_get("canonical")?,
    })
}

fn idempotent_from_row(r: &AnyRow) -> Result<IdempotentResponse> {
    Ok(IdempotentResponse {
        request_sha256: r.try_get("request_sha256")?,
        status: u16::try_from(r.try_get::<i64, _>("status")?)
            .map_err(|_| StoreError::Corrupt("idempotency status".into()))?,
        response: r.try_get("response")?,
    })
}

fn to_i64(n: u64) -> Result<i64> {
    i64::try_from(n)
        .map_err(|_| StoreError::Corrupt(format!("{n} does not fit a database integer")))
}

fn now_text() -> String {
    format_timestamp(time::OffsetDateTime::now_utc())
}

/// `$first, $first+1, …` for `n` values on PostgreSQL; `?, ?, …` on SQLite,
/// whose driver otherwise looks each numbered name up one by one (the
/// lookup dominated the cost of a 1,000-row insert).
fn placeholders(backend: Backend, first: usize, n: usize) -> String {
    match backend {
        Backend::Sqlite => vec!["?"; n].join(", "),
        Backend::Postgres => (first..first + n)
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// `($1, …, $cols), ($cols+1, …)` for `rows` rows.
fn rows_placeholders(backend: Backend, cols: usize, rows: usize) -> String {
    (0..rows)
        .map(|r| format!("({})", placeholders(backend, r * cols + 1, cols)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Recomputes a root from stored hashes; used by proofs and checks.
pub fn root_of(size: u64, hashes: &HashMap<u64, Hash>) -> Result<Hash> {
    merkle::root_from_stored(size, hashes).map_err(|e| StoreError::Corrupt(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_row_placeholders_number_every_value() {
        assert_eq!(
            rows_placeholders(Backend::Postgres, 2, 2),
            "($1, $2), ($3, $4)"
        );
        assert_eq!(placeholders(Backend::Postgres, 2, 3), "$2, $3, $4");
        assert_eq!(rows_placeholders(Backend::Sqlite, 2, 2), "(?, ?), (?, ?)");
    }
}
