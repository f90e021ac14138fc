//! A fund's tiles and entry bundles read from the database (SPEC §12), for
//! `GET /fund/{code}/tile/...` and `sovang tiles export`.

use crate::ledger::merkle::root_indexes;
use crate::ledger::tiles::{bundle, TileRef};
use crate::store::{root_of, Result, Store, StoreError};

/// The bytes of `tile` of `fund`, as a tree of `size` (the latest signed
/// size) holds them; `None` when that tree does not hold all of it.
pub async fn read(store: &Store, fund: &str, tile: TileRef, size: u64) -> Result<Option<Vec<u8>>> {
    if !tile.within(size) {
        return Ok(None);
    }
    if tile.is_entries() {
        let entries = store
            .entries(fund, tile.first(), u64::from(tile.width()))
            .await?;
        let in_place = entries.len() == tile.width() as usize
            && entries
                .iter()
                .enumerate()
                .all(|(i, e)| e.seq == tile.first() + i as u64);
        if !in_place {
            return Err(StoreError::Corrupt(format!(
                "fund {fund}: entries {}.. of {} are not all stored",
                tile.first(),
                tile.path()
            )));
        }
        return bundle(entries.iter().map(|e| e.canonical.as_bytes()))
            .map(Some)
            .ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "fund {fund}: an entry of {} is longer than 65,535 bytes",
                    tile.path()
                ))
            });
    }
    let indexes = tile.hash_indexes();
    let hashes = store.merkle_hashes(fund, &indexes).await?;
    let mut out = Vec::with_capacity(indexes.len() * 32);
    for i in &indexes {
        let h = hashes.get(i).ok_or_else(|| {
            StoreError::Corrupt(format!(
                "fund {fund}: hash {i} of {} is missing",
                tile.path()
            ))
        })?;
        out.extend_from_slice(&h.0);
    }
    Ok(Some(out))
}

/// The root of `fund`'s tree of `size`, from its stored hashes.
pub async fn root(store: &Store, fund: &str, size: u64) -> Result<crate::ledger::merkle::Hash> {
    let hashes = store.merkle_hashes(fund, &root_indexes(size)).await?;
    root_of(size, &hashes)
}
