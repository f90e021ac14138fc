//! `sovang backup` and `sovang restore` (docs/operations.md, "Backup and
//! restore").
//!
//! - SQLite: a backup is a database file, written by `VACUUM INTO` on a
//!   reading connection: one read transaction, so it is the database as of
//!   one moment while appends go on. It is verified before it is given its
//!   name; an interrupted run leaves only `FILE.part`.
//! - PostgreSQL: a backup is a `pg_dump` archive (custom format), which
//!   `pg_dump` takes in one snapshot. It is verified when it is restored.
//!
//! A restore never overwrites a ledger: the SQLite file must not exist, the
//! PostgreSQL database must hold no fund. The backup is restored beside the
//! target (SQLite) or in one transaction (PostgreSQL) and every fund is
//! verified; an SQLite backup that fails is not put in place.
//!
//! `master.key` is in neither: the database alone reveals no private
//! record, and a backup kept apart from the key stays so.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::str::FromStr as _;
use std::time::Instant;

use anyhow::{bail, Context as _};

use super::verify_all;
use crate::config::Settings;
use crate::store::Store;

/// What a backup file holds, by its first bytes.
#[derive(Debug, PartialEq, Eq)]
enum Kind {
    Sqlite,
    PgDump,
}

fn kind_of(path: &Path) -> anyhow::Result<Kind> {
    use std::io::Read as _;
    let mut head = [0u8; 16];
    let mut file =
        std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let n = file
        .read(&mut head)
        .with_context(|| format!("reading {}", path.display()))?;
    match &head[..n] {
        h if h.starts_with(b"SQLite format 3\0") => Ok(Kind::Sqlite),
        h if h.starts_with(b"PGDMP") => Ok(Kind::PgDump),
        _ => bail!(
            "{} is neither an SQLite database nor a pg_dump archive made by `sovang backup`",
            path.display()
        ),
    }
}

fn is_sqlite(url: &str) -> bool {
    url.starts_with("sqlite:")
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

/// The file an SQLite database URL names.
fn sqlite_file(url: &str) -> anyhow::Result<PathBuf> {
    Ok(sqlx::sqlite::SqliteConnectOptions::from_str(url)
        .context("reading the database URL")?
        .get_filename()
        .to_path_buf())
}

/// `FILE.part`, where a copy is made before it takes its name.
fn part_of(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".part");
    PathBuf::from(name)
}

/// An SQLite file and the log files beside it.
fn with_logs(path: &Path) -> [PathBuf; 3] {
    let beside = |suffix: &str| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    [path.to_path_buf(), beside("-wal"), beside("-shm")]
}

fn remove_copy(path: &Path) {
    for p in with_logs(path) {
        if let Err(e) = std::fs::remove_file(&p) {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(path = %p.display(), error = %e, "could not remove a partial copy");
            }
        }
    }
}

/// Gives a finished copy its name, durably.
fn put_in_place(part: &Path, path: &Path) -> anyhow::Result<()> {
    std::fs::File::open(part)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("syncing {}", part.display()))?;
    std::fs::rename(part, path)
        .with_context(|| format!("renaming {} to {}", part.display(), path.display()))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir)
            .and_then(|f| f.sync_all())
            .with_context(|| format!("syncing {}", dir.display()))?;
    }
    Ok(())
}

fn key_reminder(settings: &Settings) {
    println!(
        "master.key is not in the backup: keep a copy of {} apart from it. \
         Without it the households' private records cannot be read, and the \
         service does not start on the restored database.",
        settings.storage.data_dir.join("master.key").display()
    );
}

/// `sovang backup --out FILE`.
pub async fn backup(settings: &Settings, out: &Path) -> anyhow::Result<ExitCode> {
    if out.exists() {
        bail!("{} exists already: give a new file", out.display());
    }
    let url = settings.database_url();
    let started = Instant::now();
    let part = part_of(out);
    remove_copy(&part);
    if is_sqlite(&url) {
        let store = Store::open(&url).await?;
        let copied = store.copy_sqlite_into(&part).await;
        store.close().await;
        if let Err(e) = copied {
            remove_copy(&part);
            return Err(e).with_context(|| format!("copying the database to {}", part.display()));
        }
        println!(
            "database copied in {:.1}s; verifying the copy",
            started.elapsed().as_secs_f64()
        );
        let verified = verify_all(&sqlite_url(&part), false).await;
        if !matches!(verified, Ok(ExitCode::SUCCESS)) {
            remove_copy(&part);
            verified?;
            bail!(
                "the copy does not verify, so no backup was written: \
                 run `sovang verify --all --deep` on the database"
            );
        }
        put_in_place(&part, out)?;
    } else {
        let status = tokio::process::Command::new("pg_dump")
            .args(["--format=custom", "--no-owner", "--no-privileges", "--file"])
            .arg(&part)
            .arg("--dbname")
            .arg(&url)
            .status()
            .await
            .context("running pg_dump (is PostgreSQL's client on the PATH?)")?;
        if !status.success() {
            remove_copy(&part);
            bail!("pg_dump failed ({status}); no backup was written");
        }
        put_in_place(&part, out)?;
        println!(
            "pg_dump archive written in {:.1}s; `sovang restore --from {}` into an empty \
             database verifies every fund",
            started.elapsed().as_secs_f64(),
            out.display()
        );
    }
    println!(
        "backup {} written ({} bytes)",
        out.display(),
        std::fs::metadata(out).map(|m| m.len()).unwrap_or(0)
    );
    key_reminder(settings);
    Ok(ExitCode::SUCCESS)
}

/// `sovang restore --from FILE [--check]`.
pub async fn restore(settings: &Settings, from: &Path, check: bool) -> anyhow::Result<ExitCode> {
    let kind = kind_of(from)?;
    let url = settings.database_url();
    if check {
        if kind != Kind::Sqlite {
            bail!(
                "--check reads SQLite backups; a pg_dump archive is verified as it is \
                 restored into an empty database"
            );
        }
        let dir = tempfile::tempdir().context("making a scratch directory")?;
        let copy = dir.path().join("check.db");
        std::fs::copy(from, &copy).with_context(|| format!("copying {}", from.display()))?;
        let code = verify_all(&sqlite_url(&copy), false).await?;
        if code == ExitCode::SUCCESS {
            println!("backup {} verifies; nothing was changed", from.display());
        } else {
            println!(
                "backup {} does not verify; nothing was changed",
                from.display()
            );
        }
        return Ok(code);
    }
    match (kind, is_sqlite(&url)) {
        (Kind::Sqlite, true) => restore_sqlite(from, &sqlite_file(&url)?).await?,
        (Kind::PgDump, false) => restore_pg(from, &url).await?,
        (Kind::Sqlite, false) => bail!(
            "{} is an SQLite backup and the database is PostgreSQL; nothing was changed",
            from.display()
        ),
        (Kind::PgDump, true) => bail!(
            "{} is a pg_dump archive and the database is SQLite; nothing was changed",
            from.display()
        ),
    }
    let key = settings.storage.data_dir.join("master.key");
    if key.exists() {
        println!(
            "the service starts on the restored database only with the master.key of the \
             server the backup was made on: if {} is another, replace it with the one kept \
             with the backup",
            key.display()
        );
    } else {
        println!(
            "put the master.key kept with this backup at {} before starting the service",
            key.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn restore_sqlite(from: &Path, target: &Path) -> anyhow::Result<()> {
    if let Some(there) = with_logs(target).into_iter().find(|p| p.exists()) {
        bail!(
            "{} exists: stop the service and move the database (with its -wal and -shm \
             files) away first; nothing was changed",
            there.display()
        );
    }
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let part = part_of(target);
    remove_copy(&part);
    std::fs::copy(from, &part).with_context(|| format!("copying {}", from.display()))?;
    let verified = verify_all(&sqlite_url(&part), false).await;
    if !matches!(verified, Ok(ExitCode::SUCCESS)) {
        remove_copy(&part);
        verified?;
        bail!("the backup does not verify, so it was not restored; nothing was changed");
    }
    put_in_place(&part, target)?;
    println!("restored {} to {}", from.display(), target.display());
    Ok(())
}

async fn restore_pg(from: &Path, url: &str) -> anyhow::Result<()> {
    use sqlx::Connection as _;
    let mut conn = sqlx::PgConnection::connect(url)
        .await
        .context("connecting to the database")?;
    let has_funds: Option<String> = sqlx::query_scalar("SELECT to_regclass('public.funds')::text")
        .fetch_one(&mut conn)
        .await?;
    let funds: i64 = match has_funds {
        Some(_) => {
            sqlx::query_scalar("SELECT count(*) FROM funds")
                .fetch_one(&mut conn)
                .await?
        }
        None => 0,
    };
    conn.close().await?;
    if funds > 0 {
        bail!(
            "the database holds {funds} funds: restore into an empty database; nothing was changed"
        );
    }
    let status = tokio::process::Command::new("pg_restore")
        .args([
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--dbname",
        ])
        .arg(url)
        .arg(from)
        .status()
        .await
        .context("running pg_restore (is PostgreSQL's client on the PATH?)")?;
    if !status.success() {
        bail!("pg_restore failed ({status}); its one transaction was rolled back");
    }
    println!("restored {}; verifying every fund", from.display());
    if verify_all(url, false).await? != ExitCode::SUCCESS {
        bail!(
            "the restored database does not verify: do not start the service on it; \
             empty the database and restore another backup"
        );
    }
    Ok(())
}
