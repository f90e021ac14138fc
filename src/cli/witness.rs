//! `sovang witness add-log | list-logs | remove-log` (SPEC §12): the logs a
//! committee witnesses besides the funds of its child committees, which it
//! witnesses without set-up.

use std::process::ExitCode;

use anyhow::{bail, Context as _};

use crate::store::Store;

/// What the command was asked.
#[derive(Debug)]
pub enum Action<'a> {
    Add {
        committee: &'a str,
        origin: &'a str,
        vkey: &'a str,
    },
    List,
    Remove {
        committee: &'a str,
        origin: &'a str,
    },
}

pub async fn run(database_url: &str, action: Action<'_>) -> anyhow::Result<ExitCode> {
    let store = Store::open(database_url).await?;
    let result = act(&store, action).await;
    store.close().await;
    result
}

async fn act(store: &Store, action: Action<'_>) -> anyhow::Result<ExitCode> {
    match action {
        Action::Add {
            committee,
            origin,
            vkey,
        } => {
            store
                .committee(committee)
                .await?
                .with_context(|| format!("there is no committee {committee:?}"))?;
            signed_note::StandardVerifier::new(vkey)
                .ok()
                .context("--vkey is not an Ed25519 note verifier key (name+id+base64)")?;
            if vkey.split('+').next() != Some(origin) {
                bail!(
                    "--vkey is named {:?}, not the log's origin {origin:?}",
                    vkey.split('+').next().unwrap_or_default()
                );
            }
            store.add_witnessed_log(committee, origin, vkey).await?;
            println!("committee {committee} witnesses {origin}");
        }
        Action::List => {
            let logs = store.witnessed_logs().await?;
            for l in &logs {
                println!("{}\t{}\t{}", l.witness, l.origin, l.vkey);
            }
            println!(
                "{} logs added (funds of child committees are witnessed without set-up)",
                logs.len()
            );
        }
        Action::Remove { committee, origin } => {
            if !store.remove_witnessed_log(committee, origin).await? {
                bail!("committee {committee} was not asked to witness {origin:?}");
            }
            println!("committee {committee} no longer witnesses {origin}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
