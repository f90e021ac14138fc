//! Every SQL statement of the service, for SQLite and PostgreSQL alike.
//!
//! Both run through sqlx's `Any` driver with the same statement text
//! (`$N` placeholders work on both); the few places that differ ask
//! [`Backend`]. Ledger rows are written only by [`writer`] (appends) and
//! [`Store::open_fund`] (entry 0), each in one transaction with the fund's
//! state; reads never take the write lock.
//!
//! The store's work, by file:
//! - here: the [`Store`] and its opening (pools, migrations, SQLite
//!   pragmas, the background checkpoint of SQLite's log), the backend,
//!   errors and the helpers every file shares (placeholders, integers,
//!   timestamps);
//! - `funds`: committees and funds, their heads, and opening a fund;
//! - `access`: API tokens and the principals they name (console users
//!   and sessions are in [`users`]);
//! - `idempotency`: responses remembered per idempotency key;
//! - `entries`: entries, Merkle hashes, checkpoints, receipts, and the one
//!   query that reads a range of a ledger;
//! - `objects`: derived objects, the saved summary, and the snapshot of a
//!   fund's books;
//! - `private`: households' private records and the access log of their
//!   reads, and the sealing of records written before encryption;
//! - [`at_rest`]: the encryption of private records (SPEC §9, data at
//!   rest);
//! - `append`: what one append transaction writes for a fund, and the
//!   locking read of its head;
//! - [`donations`], [`export`], [`users`], [`verify`], [`writer`]: the
//!   public statement, the export bundle, console users, whole-fund
//!   verification and the single writer of appends.

/// Private records encrypted at rest.
pub mod at_rest;
/// Bank lines and statements taken in.
pub mod bank;
/// The public statement of gifts: search and pages.
pub mod donations;
/// The export bundle, written a page at a time.
pub mod export;
/// People who sign in to the console, and their sessions.
pub mod users;
pub mod verify;
pub mod writer;

mod access;
mod admin_log;
mod append;
mod days;
mod durable;
mod entries;
mod funds;
mod idempotency;
mod objects;
pub mod packed;
mod private;
pub mod snapshots;
mod targets;
pub mod witness;

pub use access::{new_person_id, NewToken, Principal, TokenInfo};
pub use admin_log::{AdminAction, AdminLogLine};
pub(crate) use append::{funds_unsigned, insert_checkpoint, lock_head, FundWrites, Script};
pub use at_rest::RecordKey;
pub use days::PeriodDays;
pub(crate) use entries::{canonical_from_row, entries_between, ENTRIES_BETWEEN_SQL};
pub use entries::{root_of, Receipt, StoredEntry, REPLAY_PAGE};
pub use funds::{Committee, FundHead, FundInfo};
pub(crate) use idempotency::{fetch_idempotent, insert_idempotency};
pub use idempotency::{IdempotencyRecord, IdempotentResponse};
pub use objects::{ObjectFilter, Snapshot};
pub use private::Reader;
pub use targets::{Targets, TransferEdge};

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyPool, Executor, Row, Transaction};

use crate::ledger::ids::format_timestamp;

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
    /// PostgreSQL through its own driver, not `Any`, where a whole fund is
    /// read in order (verification): rows are decoded straight into their
    /// types, without `Any`'s copy of every value. Connects when first used.
    pg_native: Option<sqlx::PgPool>,
    /// Set while the SQLite write connection commits without syncing its
    /// log (`durable`): the connection is put back to `synchronous = FULL`
    /// before anyone else is given it.
    unsynced: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

/// How often the SQLite log is copied into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// The frames of SQLite's write-ahead log (4 KiB pages) past which the
/// background copy also empties it: 64 MiB.
const WAL_RESET_FRAMES: i64 = 16_384;

/// Copies SQLite's write-ahead log into the database file every
/// [`CHECKPOINT_EVERY`], beside the appends rather than in their commits
/// (`PASSIVE`: it waits for no one and no one waits for it). Durability
/// does not depend on it: a commit is on disk once the log is synced.
///
/// A passive copy lets the log start again from its beginning only when
/// it caught up with every commit while no reader was looking, which a
/// steady stream of single appends never allows: the log then grows
/// without end (2 GB after 240,000 single appends), and every page read
/// searches a longer index of it. So when the passive copy reports more
/// than [`WAL_RESET_FRAMES`] frames in the log since it last started
/// again, a `RESTART` follows: it waits for the commit in progress and the
/// readers (up to the busy timeout), copies what the passive copy left,
/// and the next commit writes the log from its beginning again; the
/// writer waits for it, once every 64 MiB of log.
///
/// The count is the log's own, not the file's size: a restarted log
/// keeps its file's size (it is reused, not shrunk), so a rule on the
/// size restarted on every tick once the file had passed 64 MiB, and
/// held the writer up twice a second.
fn checkpoint_in_background(pool: AnyPool) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if pool.is_closed() {
                break;
            }
            let copied = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .fetch_one(&pool)
                .await
                .and_then(|row| row.try_get::<i64, _>(1));
            let result = match copied {
                Ok(frames) if restart_due(frames) => sqlx::query("PRAGMA wal_checkpoint(RESTART)")
                    .execute(&pool)
                    .await
                    .map(drop),
                Ok(_) => Ok(()),
                Err(e) => Err(e),
            };
            if let Err(e) = result {
                if pool.is_closed() {
                    break;
                }
                tracing::warn!(error = %e, "checkpointing the SQLite log failed; retrying");
            }
        }
    });
}

/// Whether a log holding `frames` frames since it last started again is
/// to be emptied (`RESTART`) after the passive copy.
fn restart_due(frames: i64) -> bool {
    frames > WAL_RESET_FRAMES
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
        let unsynced = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let pool = |max: u32, writes: bool| {
            let options = AnyPoolOptions::new();
            let options = if writes && backend == Backend::Sqlite {
                let unsynced = unsynced.clone();
                options.after_release(move |conn, _| {
                    let unsynced = unsynced.clone();
                    Box::pin(async move { durable::restore_full_sync(conn, &unsynced).await })
                })
            } else {
                options
            };
            options
                .max_connections(max)
                .acquire_timeout(Duration::from_secs(10))
                // A connection to a local SQLite file cannot hang up; the
                // check before each use cost the writer a round trip to
                // the connection's thread per commit. A PostgreSQL
                // connection is checked, as its server may have restarted.
                .test_before_acquire(backend == Backend::Postgres)
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
        if sqlite_file.is_some() {
            checkpoint_in_background(read.clone());
        }
        let pg_native = match backend {
            Backend::Postgres => Some(
                sqlx::postgres::PgPoolOptions::new()
                    .max_connections(2)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_lazy_with(sqlx::postgres::PgConnectOptions::from_str(&url)?),
            ),
            Backend::Sqlite => None,
        };
        Ok(Self {
            read,
            write,
            backend,
            sqlite_file,
            pg_native,
            unsynced,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes the pools, waiting for connections to be returned.
    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
        if let Some(pg) = &self.pg_native {
            pg.close().await;
        }
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

    /// Writes a copy of the SQLite database to `path`, consistent as of
    /// one moment (`VACUUM INTO`: one read transaction on a reading
    /// connection, so appends go on beside it). `path` must not exist.
    pub async fn copy_sqlite_into(&self, path: &std::path::Path) -> Result<()> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::Conflict(
                "only an SQLite database is copied this way".into(),
            ));
        }
        let path = path.to_str().ok_or_else(|| {
            StoreError::Conflict(format!("{} is not a UTF-8 path", path.display()))
        })?;
        sqlx::query("VACUUM INTO ?")
            .bind(path)
            .execute(&self.read)
            .await?;
        Ok(())
    }

    /// Executes one statement on the write connection: for tests and tools
    /// that must reach behind the service (tampering tests).
    pub async fn execute_raw(&self, sql: &str) -> Result<u64> {
        Ok(sqlx::query(sql).execute(&self.write).await?.rows_affected())
    }
}

fn to_i64(n: u64) -> Result<i64> {
    i64::try_from(n)
        .map_err(|_| StoreError::Corrupt(format!("{n} does not fit a database integer")))
}

pub(crate) fn now_text() -> String {
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

#[cfg(test)]
mod tests {
    #[test]
    fn a_long_log_is_restarted_a_short_one_copied_beside_the_appends() {
        assert!(!super::restart_due(-1), "no log (not in WAL mode)");
        assert!(!super::restart_due(0));
        assert!(!super::restart_due(super::WAL_RESET_FRAMES));
        assert!(super::restart_due(super::WAL_RESET_FRAMES + 1));
        assert!(super::restart_due(1 << 20));
    }

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
