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
    let prior: Option<WatchState> = match std::fs::read_to_string(state_path) {
        Ok(text) => Some(
            serde_json::from_str(&text)
                .with_context(|| format!("{} is not a watcher state file", state_path.display()))?,
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("reading {}", state_path.display())),
    };
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
            if cp.size < p.size {
                return Ok(Outcome::Lie {
                    class: "ROLLBACK",
                    detail: format!(
                        "the server's latest checkpoint has {} entries; it signed {} before",
                        cp.size, p.size
                    ),
                });
            }
            if cp.size == p.size && cp.root != old_root {
                return Ok(Outcome::Lie {
                    class: "FORK",
                    detail: format!(
                        "two signed checkpoints of size {} with different roots: {} before, {} now",
                        cp.size,
                        p.root,
                        to_hex(&cp.root)
                    ),
                });
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
    let state = WatchState {
        fund: fund.to_owned(),
        origin,
        verifier_key: key,
        size: cp.size,
        root: to_hex(&cp.root),
        frontier: hex::encode(chain.frontier().to_bytes()),
        last_hash: to_hex(&chain.last_hash()),
        checkpoint: note,
    };
    save(state_path, &state)?;
    Ok(Outcome::Sound {
        new_entries: cp.size - start,
        state,
    })
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
