//! `sovang tiles export --fund CODE --out DIR`: a fund's log as C2SP tiles
//! in a directory, for any static host or CDN (SPEC §12). The paths are
//! those the service serves under `/fund/{code}/`: `DIR/checkpoint`,
//! `DIR/tile/<L>/<N>[.p/<W>]`, `DIR/tile/entries/<N>[.p/<W>]`.
//!
//! Run again, it writes only what the fund added since the checkpoint in
//! `DIR`: the tiles completed since and the partial ones of the new size,
//! each written to a temporary name and renamed, and the checkpoint last.
//! A run stopped midway leaves the old checkpoint, so the next run writes
//! the same tiles again. Partial tiles of older sizes stay: a client that
//! verified an older checkpoint may still ask for them.
//!
//! It refuses a directory holding another log's tiles, a checkpoint newer
//! than the database's (a rollback), and one whose root the database's
//! tree of that size does not have (a fork).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use base64::Engine as _;

use crate::ledger::tiles::added;
use crate::service::tiles;
use crate::store::Store;

/// What the directory's checkpoint says: origin, size and root.
fn read_checkpoint(text: &str) -> anyhow::Result<(String, u64, [u8; 32])> {
    let mut lines = text.lines();
    let origin = lines.next().unwrap_or_default().to_owned();
    let size = lines
        .next()
        .and_then(|l| l.parse().ok())
        .context("its second line is not a tree size")?;
    let root = lines
        .next()
        .and_then(|l| base64::engine::general_purpose::STANDARD.decode(l).ok())
        .and_then(|r| <[u8; 32]>::try_from(r).ok())
        .context("its third line is not a root hash")?;
    Ok((origin, size, root))
}

/// Writes `bytes` at `path` through a temporary file and a rename.
fn put(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("renaming to {}", path.display()))
}

/// What one export did.
#[derive(Debug, PartialEq, Eq)]
pub struct Exported {
    pub from: u64,
    pub to: u64,
    pub tiles: usize,
    pub bundles: usize,
    pub bytes: u64,
}

/// Exports `fund`'s tiles into `out`, from the checkpoint there (if any) to
/// the database's latest.
pub async fn export(store: &Store, fund: &str, out: &Path) -> anyhow::Result<Exported> {
    let info = store
        .fund(fund)
        .await?
        .with_context(|| format!("there is no fund {fund:?}"))?;
    let (size, note) = crate::service::witness::latest_checkpoint(store, fund)
        .await?
        .with_context(|| format!("fund {fund} has no signed checkpoint yet"))?;
    let at = out.join("checkpoint");
    let from = match std::fs::read_to_string(&at) {
        Ok(text) => {
            let (origin, old, root) = read_checkpoint(&text)
                .with_context(|| format!("{} is not a checkpoint", at.display()))?;
            if origin != info.origin {
                bail!(
                    "{} holds the tiles of log {origin:?}, not of fund {fund} ({:?})",
                    out.display(),
                    info.origin
                );
            }
            if old > size {
                bail!(
                    "{} holds a checkpoint of size {old}, newer than the database's {size}: refusing to roll it back",
                    out.display()
                );
            }
            if tiles::root(store, fund, old).await?.0 != root {
                bail!(
                    "{}'s checkpoint of size {old} has a root the fund's tree of that size does not have: a fork; refusing to write over it",
                    out.display()
                );
            }
            old
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
        Err(e) => return Err(e).with_context(|| format!("reading {}", at.display())),
    };
    let mut done = Exported {
        from,
        to: size,
        tiles: 0,
        bundles: 0,
        bytes: 0,
    };
    for tile in added(from, size) {
        let bytes = tiles::read(store, fund, tile, size)
            .await?
            .with_context(|| format!("fund {fund}: {} is not in its tree", tile.path()))?;
        put(&out.join(tile.path()), &bytes)?;
        if tile.is_entries() {
            done.bundles += 1;
        } else {
            done.tiles += 1;
        }
        done.bytes += bytes.len() as u64;
    }
    put(&at, note.as_bytes())?;
    done.bytes += note.len() as u64;
    Ok(done)
}

/// `sovang tiles export`.
pub async fn run(database_url: &str, fund: &str, out: &Path) -> anyhow::Result<ExitCode> {
    let store = Store::open(database_url).await?;
    let result = export(&store, fund, out).await;
    store.close().await;
    let d = result?;
    println!(
        "fund {fund}: tree {} → {}: wrote {} hash tiles and {} entry bundles ({} bytes) to {}",
        d.from,
        d.to,
        d.tiles,
        d.bundles,
        d.bytes,
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}
