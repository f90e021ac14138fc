//! `sovang verify --url URL --fund CODE --state FILE`: a watchful
//! inspector. Each run fetches the fund's latest signed checkpoint, checks
//! its signature with the verifier key it trusted before, checks that the
//! new tree extends the one it verified last time (a consistency proof),
//! checks every entry appended since (hash, chain, seq) against the signed
//! root, and only then remembers the new checkpoint in the state file.
//!
//! What it can find, and says by name:
//! - `ROLLBACK`: the server shows a smaller tree than one it signed before;
//! - `FORK`: two signed checkpoints that cannot both be true (same size and
//!   different roots, or a new tree that does not extend the old one);
//! - `REWRITTEN`: an entry whose text, hash or link is not what was signed;
//! - `BAD SIGNATURE`: a checkpoint not signed by the fund's key.
//!
//! On the first run the verifier key is taken from `--verifier-key` or, if
//! not given, from the server (trust on first use; it is printed, to be
//! compared with the key the committee published), and every entry from 0
//! is checked, with the fund's rules.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ledger::checkpoint::{verify_checkpoint, CheckpointError};
use crate::ledger::merkle::{from_hex, to_hex, verify_consistency, Frontier, Hash};
use crate::ledger::verify::{ChainVerifier, Fault};

/// Entries asked for per request.
const PAGE: u64 = 1_000;
/// Longest wait for one answer from the server.
const TIMEOUT: Duration = Duration::from_secs(60);

/// What the watcher remembers between runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WatchState {
    pub fund: String,
    pub origin: String,
    pub verifier_key: String,
    pub size: u64,
    pub root: String,
    /// The tree's frontier (`level ‖ hash` records, hex), to resume the
    /// root from the entries appended since.
    pub frontier: String,
    pub last_hash: String,
    /// The last checkpoint verified, as signed.
    pub checkpoint: String,
}

/// How a run ended.
#[derive(Debug)]
pub enum Outcome {
    Sound {
        state: WatchState,
        new_entries: u64,
    },
    /// The server lied; `class` is ROLLBACK, FORK, REWRITTEN or BAD
    /// SIGNATURE.
    Lie {
        class: &'static str,
        detail: String,
    },
}

struct Server {
    client: reqwest::Client,
    api: String,
    fund: String,
}

impl Server {
    async fn get(&self, path: &str) -> anyhow::Result<reqwest::Response> {
        let url = format!("{}/funds/{}{path}", self.api, self.fund);
        let r = self
            .client
            .get(&url)
            .send()
            .await
            .with_context(|| format!("GET {url}"))?;
        anyhow::ensure!(r.status().is_success(), "GET {url}: {}", r.status());
        Ok(r)
    }

    async fn json(&self, path: &str) -> anyhow::Result<Value> {
        Ok(self.get(path).await?.json().await?)
    }
}

fn hash_field(v: &Value, name: &str) -> anyhow::Result<Hash> {
    v[name]
        .as_str()
        .and_then(from_hex)
        .with_context(|| format!("{name} is not a hash"))
}

/// One run of the watcher.
pub async fn watch(
    url: &str,
    fund: &str,
    state_path: &Path,
    pinned_key: Option<&str>,
) -> anyhow::Result<Outcome> {
    let prior = read_state(state_path)?;
    if let Some(p) = &prior {
        anyhow::ensure!(
            p.fund == fund,
            "the state file watches fund {}, not {fund}",
            p.fund
        );
    }
    let base = url.trim_end_matches('/');
    let api = if base.ends_with("/api/v1") {
        base.to_owned()
    } else {
        format!("{base}/api/v1")
    };
    let server = Server {
        client: reqwest::Client::builder().timeout(TIMEOUT).build()?,
        api,
        fund: fund.to_owned(),
    };

    let (origin, key) = match &prior {
        Some(p) => (p.origin.clone(), p.verifier_key.clone()),
        None => {
            let info = server.json("").await?;
            let origin = info["origin"].as_str().context("fund without origin")?;
            let served = info["verifier_key"].as_str().context("fund without key")?;
            let key = pinned_key.unwrap_or(served);
            (origin.to_owned(), key.to_owned())
        }
    };
    if let (Some(pinned), Some(p)) = (pinned_key, &prior) {
        anyhow::ensure!(
            pinned == p.verifier_key,
            "--verifier-key differs from the key this state file trusts"
        );
    }

    let note = server.get("/checkpoint").await?.text().await?;
    let cp = match verify_checkpoint(&note, &key, &origin) {
        Ok(cp) => cp,
        Err(CheckpointError::BadSignature) => {
            return Ok(Outcome::Lie {
                class: "BAD SIGNATURE",
                detail: "the latest checkpoint is not signed by the fund's key".into(),
            })
        }
        Err(e) => return Err(e).context("reading the latest checkpoint"),
    };

    let mut chain = match &prior {
        None => ChainVerifier::new(fund, &origin, Some(&key)),
        Some(p) => {
            let old_root = from_hex(&p.root).context("state: root")?;
            if let Some(lie) = against_prior(p, &old_root, &cp) {
                return Ok(lie);
            }
            if cp.size > p.size {
                let proof = server
                    .json(&format!(
                        "/proof/consistency?from={}&to={}",
                        p.size, cp.size
                    ))
                    .await?;
                let path: Vec<Hash> = proof["proof"]
                    .as_array()
                    .context("consistency proof without path")?
                    .iter()
                    .map(|h| h.as_str().and_then(from_hex).context("bad hash in proof"))
                    .collect::<anyhow::Result<_>>()?;
                if verify_consistency(p.size, cp.size, &old_root, &cp.root, &path).is_err() {
                    return Ok(Outcome::Lie {
                        class: "FORK",
                        detail: format!(
                            "the checkpoint of size {} does not extend the one of size {} verified before: history was rewritten",
                            cp.size, p.size
                        ),
                    });
                }
            }
            let bytes = hex::decode(&p.frontier).context("state: frontier")?;
            let frontier = Frontier::from_bytes(p.size, &bytes).context("state: frontier")?;
            let last = from_hex(&p.last_hash).context("state: last hash")?;
            ChainVerifier::resume(fund, &origin, &key, frontier, last)
        }
    };

    let start = chain.size();
    let rewritten = |f: Fault| Outcome::Lie {
        class: "REWRITTEN",
        detail: format!("seq {}: {}", f.seq, f.reason),
    };
    while chain.size() < cp.size {
        let from = chain.size();
        let page = server
            .json(&format!(
                "/entries?from={from}&limit={}",
                PAGE.min(cp.size - from)
            ))
            .await?;
        let entries = page["entries"].as_array().context("no entries")?;
        anyhow::ensure!(
            !entries.is_empty(),
            "the server sent no entries from seq {from}"
        );
        for e in entries.iter().take((cp.size - from) as usize) {
            let seq = e["seq"].as_u64().context("entry without seq")?;
            let hash = hash_field(e, "hash")?;
            let canonical = e["canonical"].as_str().context("entry without canonical")?;
            if let Err(f) = chain.push_entry(seq, &hash.0, canonical) {
                return Ok(rewritten(f));
            }
        }
    }
    if let Err(f) = chain.check_checkpoint(&note) {
        return Ok(rewritten(f));
    }
    remember(
        state_path,
        fund.to_owned(),
        origin,
        key,
        &chain,
        note,
        start,
    )
}

/// Writes the state file whole or not at all.
fn save(path: &Path, state: &WatchState) -> anyhow::Result<()> {
    let mut tmp = PathBuf::from(path);
    tmp.set_extension("tmp");
    let text = serde_json::to_string_pretty(state)?;
    std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// `sovang verify --tiles URL --state FILE`: the same watch as [`watch`],
/// from a fund's C2SP tiles alone (SPEC §12), as a static host or a CDN
/// serves them at `URL` (`URL/checkpoint`, `URL/tile/...`). No API is
/// asked anything, so the first run needs `--verifier-key`; the origin is
/// the key's name and the fund its last path element.
///
/// Each run reads the checkpoint and, for the entries appended since the
/// state's, their bundles and level-0 tiles (each entry must hash to its
/// tile's hash, and chain as [`watch`] checks), and the hash tiles above
/// that the new size adds: every hash whose subtree ends among the new
/// entries must be the subtree's root. The entries must then give the
/// signed root from the state's tree: a new tree that does not is a
/// `FORK`, as is another root at the state's size; a smaller one is a
/// `ROLLBACK`; a tile or bundle at odds with the rest is `ALTERED`.
pub async fn watch_tiles(
    url: &str,
    state_path: &Path,
    pinned_key: Option<&str>,
) -> anyhow::Result<Outcome> {
    use crate::ledger::tiles::{added, unbundle, TileRef};

    let prior = read_state(state_path)?;
    let key = match (&prior, pinned_key) {
        (Some(p), Some(k)) => {
            anyhow::ensure!(
                k == p.verifier_key,
                "--verifier-key differs from the key this state file trusts"
            );
            p.verifier_key.clone()
        }
        (Some(p), None) => p.verifier_key.clone(),
        (None, Some(k)) => k.to_owned(),
        (None, None) => anyhow::bail!(
            "the first run from tiles needs --verifier-key: the key the fund's committee published"
        ),
    };
    let origin = key
        .split('+')
        .next()
        .filter(|o| !o.is_empty())
        .context("--verifier-key is not a note verifier key")?
        .to_owned();
    let fund = origin
        .rsplit_once("/fund/")
        .map(|(_, code)| code.to_owned())
        .context("the key's name is not a fund's origin (…/fund/CODE)")?;
    let base = url.trim_end_matches('/').to_owned();
    let client = reqwest::Client::builder().timeout(TIMEOUT).build()?;
    let get = |path: String| {
        let (client, base) = (client.clone(), base.clone());
        async move {
            let r = client
                .get(format!("{base}/{path}"))
                .send()
                .await
                .with_context(|| format!("GET {base}/{path}"))?;
            anyhow::ensure!(r.status().is_success(), "GET {base}/{path}: {}", r.status());
            anyhow::Ok(r.bytes().await?.to_vec())
        }
    };
    let altered = |detail: String| Outcome::Lie {
        class: "ALTERED",
        detail,
    };

    let note =
        String::from_utf8(get("checkpoint".into()).await?).context("the checkpoint is not text")?;
    let cp = match verify_checkpoint(&note, &key, &origin) {
        Ok(cp) => cp,
        Err(CheckpointError::BadSignature) => {
            return Ok(Outcome::Lie {
                class: "BAD SIGNATURE",
                detail: "the checkpoint is not signed by the fund's key".into(),
            })
        }
        Err(e) => return Err(e).context("reading the checkpoint"),
    };
    let (mut chain, mut tree) = match &prior {
        None => (
            ChainVerifier::new(&fund, &origin, Some(&key)),
            Frontier::new(),
        ),
        Some(p) => {
            let old_root = from_hex(&p.root).context("state: root")?;
            if let Some(lie) = against_prior(p, &old_root, &cp) {
                return Ok(lie);
            }
            // Does the new tree hold the old one? Its root at the old size,
            // read from the new tree's tiles, must be the root seen before.
            if cp.size > p.size {
                match root_in_tiles(&get, cp.size, p.size).await? {
                    Some(root) if root == old_root => {}
                    Some(root) => {
                        return Ok(Outcome::Lie {
                            class: "FORK",
                            detail: format!(
                                "the tree of size {} does not extend the one of size {} verified before: its first {} entries give root {}, not {}",
                                cp.size,
                                p.size,
                                p.size,
                                to_hex(&root),
                                p.root
                            ),
                        })
                    }
                    None => {
                        return Ok(altered(format!(
                            "the tiles holding the root of size {} are not tiles of size {}",
                            p.size, cp.size
                        )))
                    }
                }
            }
            let bytes = hex::decode(&p.frontier).context("state: frontier")?;
            let frontier = Frontier::from_bytes(p.size, &bytes).context("state: frontier")?;
            let last = from_hex(&p.last_hash).context("state: last hash")?;
            (
                ChainVerifier::resume(&fund, &origin, &key, frontier.clone(), last),
                frontier,
            )
        }
    };
    let start = chain.size();
    let new_tiles = added(start, cp.size);
    // The hashes of the upper tiles, by stored index, to compare with the
    // subtrees the new entries complete.
    let mut upper: std::collections::HashMap<u64, Hash> = std::collections::HashMap::new();
    for t in new_tiles
        .iter()
        .filter(|t| !t.is_entries() && t.level() > 0)
    {
        let bytes = get(t.path()).await?;
        if bytes.len() != t.width() as usize * 32 {
            return Ok(altered(format!("{} has {} bytes", t.path(), bytes.len())));
        }
        for (i, h) in t.hash_indexes().into_iter().zip(bytes.chunks(32)) {
            upper.insert(i, Hash(h.try_into().unwrap_or([0; 32])));
        }
    }
    let mut checked_upper = 0u64;
    for t in new_tiles.iter().filter(|t| t.is_entries()) {
        let level0 = TileRef::hashes(0, t.index(), t.width());
        let hashes = get(level0.path()).await?;
        let bundle = get(t.path()).await?;
        let Some(entries) = unbundle(&bundle) else {
            return Ok(altered(format!("{} is not an entry bundle", t.path())));
        };
        if entries.len() != t.width() as usize || hashes.len() != t.width() as usize * 32 {
            return Ok(altered(format!(
                "{} holds {} entries and {} {} bytes, for a width of {}",
                t.path(),
                entries.len(),
                level0.path(),
                hashes.len(),
                t.width()
            )));
        }
        for (i, (entry, hash)) in entries.iter().zip(hashes.chunks(32)).enumerate() {
            let seq = t.first() + i as u64;
            if seq < start {
                continue;
            }
            let Ok(canonical) = std::str::from_utf8(entry) else {
                return Ok(altered(format!("entry {seq} is not UTF-8")));
            };
            if let Err(f) = chain.push_entry(seq, hash, canonical) {
                return Ok(altered(format!(
                    "seq {}: {} ({} against {})",
                    f.seq,
                    f.reason,
                    t.path(),
                    level0.path()
                )));
            }
            for (index, h) in tree.push(Hash(hash.try_into().unwrap_or([0; 32]))) {
                if let Some(served) = upper.get(&index) {
                    checked_upper += 1;
                    if *served != h {
                        return Ok(altered(format!(
                            "an upper tile's hash (stored index {index}) is not the root of the entries below it"
                        )));
                    }
                }
            }
        }
    }
    if let Err(f) = chain.check_checkpoint(&note) {
        return Ok(altered(format!("seq {}: {}", f.seq, f.reason)));
    }
    tracing::debug!(checked_upper, "upper tile hashes checked");
    remember(state_path, fund, origin, key, &chain, note, start)
}

/// The root of the tree of `old` entries, from the hash tiles of the tree
/// of `size` (`None` when a tile is not as wide as that size makes it).
async fn root_in_tiles<F, Fut>(get: &F, size: u64, old: u64) -> anyhow::Result<Option<Hash>>
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Vec<u8>>>,
{
    use crate::ledger::tiles::{TileRef, FULL, HEIGHT};
    use tlog_tiles::tile::Tile;

    let mut hashes = std::collections::HashMap::new();
    for index in crate::ledger::merkle::root_indexes(old) {
        let least = Tile::from_index(HEIGHT, index);
        let (level, n) = (least.level(), least.level_index());
        let held = size >> (u32::from(level) * u32::from(HEIGHT));
        let width = held.saturating_sub(n << HEIGHT).min(u64::from(FULL)) as u32;
        if width < least.width() {
            return Ok(None);
        }
        let data = get(TileRef::hashes(level, n, width).path()).await?;
        if data.len() != width as usize * 32 {
            return Ok(None);
        }
        let Ok(h) = Tile::new(HEIGHT, level, n, width, false).hash_at_index(&data, index) else {
            return Ok(None);
        };
        hashes.insert(index, h);
    }
    Ok(crate::ledger::merkle::root_from_stored(old, &hashes).ok())
}

/// A checkpoint that cannot follow the one verified before: a smaller
/// tree (`ROLLBACK`), or another root at the same size (`FORK`).
fn against_prior(
    p: &WatchState,
    old_root: &Hash,
    cp: &crate::ledger::checkpoint::VerifiedCheckpoint,
) -> Option<Outcome> {
    if cp.size < p.size {
        return Some(Outcome::Lie {
            class: "ROLLBACK",
            detail: format!(
                "the server's latest checkpoint has {} entries; it signed {} before",
                cp.size, p.size
            ),
        });
    }
    (cp.size == p.size && cp.root != *old_root).then(|| Outcome::Lie {
        class: "FORK",
        detail: format!(
            "two signed checkpoints of size {} with different roots: {} before, {} now",
            cp.size,
            p.root,
            to_hex(&cp.root)
        ),
    })
}

/// Saves what a sound run verified, and says so: `start` entries were
/// known before it.
fn remember(
    state_path: &Path,
    fund: String,
    origin: String,
    verifier_key: String,
    chain: &ChainVerifier,
    checkpoint: String,
    start: u64,
) -> anyhow::Result<Outcome> {
    let state = WatchState {
        fund,
        origin,
        verifier_key,
        size: chain.size(),
        root: to_hex(&chain.root()),
        frontier: hex::encode(chain.frontier().to_bytes()),
        last_hash: to_hex(&chain.last_hash()),
        checkpoint,
    };
    save(state_path, &state)?;
    Ok(Outcome::Sound {
        new_entries: state.size - start,
        state,
    })
}

/// The state file, if there is one.
fn read_state(path: &Path) -> anyhow::Result<Option<WatchState>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(serde_json::from_str(&text).with_context(|| {
            format!("{} is not a watcher state file", path.display())
        })?)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}
