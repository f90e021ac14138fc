//! Commits whose log is synced after the commit, off the writer's path.
//!
//! On SQLite with `synchronous = FULL`, a commit writes its pages to the
//! write-ahead log and syncs the log before it returns; the writer waits
//! for the disk and takes no new jobs meanwhile. Under single appends that
//! wait was half of every commit. Instead, a group of appends that signs no
//! checkpoint is committed with `synchronous = NORMAL` (its pages written
//! to the log, not synced) and handed to a thread of its own that syncs the
//! log and only then answers the group's requests; the writer goes on with
//! the next group at once (`writer::Syncer`).
//!
//! What this keeps, and why it holds:
//! - **No one is told an entry is written before it is on disk.** A
//!   group's answers are sent after a sync of the log that began after
//!   the group's commit returned. The log is written in order, so the sync
//!   covers the group's frames and every frame before them.
//! - **Nothing signed can be lost.** A commit that signs a checkpoint runs
//!   with `synchronous = FULL`, as do every other write transaction and
//!   every write outside the writer: readers see the checkpoint only once
//!   it and all it covers are on disk.
//! - **A crash of the process loses nothing**: committed pages are in the
//!   operating system's cache. A power cut may take back the groups whose
//!   sync had not finished; none of them was answered, and the clients'
//!   retries with their Idempotency-Key append them again. Until then, a
//!   reader may briefly have seen them on a public page; no receipt code
//!   was handed out and no checkpoint covered them.
//! - **SQLite's own guarantees stand**: `NORMAL` in WAL mode never
//!   corrupts the database; a checkpoint syncs the log before copying it.
//!
//! The write connection is shared with every other writer (one
//! connection on SQLite). It is put back to `FULL` when released, before
//! the pool gives it to anyone else ([`restore_full_sync`]); a connection
//! that cannot be put back is closed, not reused.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use sqlx::{Any, Executor, Transaction};

use super::{Backend, Result, Store};

/// Syncs an SQLite database's write-ahead log to disk.
#[derive(Debug, Clone)]
pub struct LogSync {
    wal: PathBuf,
    db: PathBuf,
}

impl LogSync {
    /// Waits until every page written to the log so far is on disk.
    ///
    /// The log's file is opened anew each time rather than kept open: a
    /// log deleted and created again (when the last connection closes)
    /// would leave a kept descriptor syncing a file no one writes. A log
    /// that is gone was copied into the database file, synced, by the
    /// connection that closed last; the database file is synced then all
    /// the same.
    pub fn sync(&self) -> std::io::Result<()> {
        match std::fs::File::open(&self.wal) {
            Ok(file) => file.sync_data(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::File::open(&self.db)?.sync_all()
            }
            Err(e) => Err(e),
        }
    }
}

impl Store {
    /// How to sync this database's log after a commit left it unsynced;
    /// `None` on PostgreSQL, whose commits are durable when they return.
    pub(crate) fn log_sync(&self) -> Option<LogSync> {
        let db = self.sqlite_file.as_deref()?.clone();
        let mut wal = db.clone().into_os_string();
        wal.push("-wal");
        Some(LogSync {
            wal: PathBuf::from(wal),
            db,
        })
    }

    /// A write transaction whose commit does not sync SQLite's log: the
    /// caller syncs it ([`LogSync::sync`]) before telling anyone the
    /// transaction's writes are made. On PostgreSQL, an ordinary one.
    pub(crate) async fn begin_write_unsynced(&self) -> Result<Transaction<'static, Any>> {
        match self.backend {
            Backend::Sqlite => {
                // The flag is set once the connection is held here (the
                // pool has just this one), before its level changes: its
                // release, even after a failed BEGIN, puts it back to FULL.
                // The level cannot change inside a transaction, so it is
                // set in the same text as BEGIN, with no round trip of its
                // own.
                let conn = self.write.acquire().await?;
                self.unsynced.store(true, Ordering::SeqCst);
                Ok(Transaction::begin(
                    conn,
                    Some("PRAGMA synchronous = NORMAL; BEGIN IMMEDIATE".into()),
                )
                .await?)
            }
            Backend::Postgres => self.begin_write().await,
        }
    }
}

/// The write pool's hook on every release of its connection: after a
/// transaction begun by [`Store::begin_write_unsynced`], puts the
/// connection back to `synchronous = FULL`. `Ok(false)` (the connection
/// is closed rather than reused) when that fails.
pub(super) async fn restore_full_sync(
    conn: &mut sqlx::AnyConnection,
    unsynced: &AtomicBool,
) -> std::result::Result<bool, sqlx::Error> {
    if !unsynced.swap(false, Ordering::SeqCst) {
        return Ok(true);
    }
    match conn.execute("PRAGMA synchronous = FULL").await {
        Ok(_) => Ok(true),
        Err(e) => {
            tracing::warn!(error = %e, "the write connection could not be put back to synchronous = FULL; closing it");
            Ok(false)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_is_synced_where_it_is_and_its_database_when_it_is_gone() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let log = LogSync {
            wal: dir.path().join("t.db-wal"),
            db: dir.path().join("t.db"),
        };
        // Neither file: nothing can be synced, and the caller is told.
        let none = log.sync().expect_err("no file to sync");
        assert_eq!(none.kind(), std::io::ErrorKind::NotFound);
        // The log gone (copied into the database by the last connection
        // to close): the database file is synced.
        std::fs::write(&log.db, b"pages").expect("a database file");
        log.sync().expect("the database file is synced");
        std::fs::write(&log.wal, b"frames").expect("a log");
        log.sync().expect("the log is synced");
    }

    #[tokio::test]
    async fn an_sqlite_store_names_its_log_beside_its_file() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let db = dir.path().join("sovang.db");
        let store = Store::open(&format!("sqlite://{}", db.display()))
            .await
            .expect("the store opens");
        let log = store.log_sync().expect("SQLite has a log to sync");
        assert_eq!(log.db, db);
        assert_eq!(log.wal, dir.path().join("sovang.db-wal"));
        assert!(log.wal.exists(), "the log is where SQLite writes it");
        log.sync().expect("the log is synced");
    }
}
