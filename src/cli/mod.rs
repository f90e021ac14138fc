//! The `sovang` command line (SPEC §7).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};

use crate::app::{open_store, shutdown_signal, Application};
use crate::config::{Overrides, Settings};
use crate::http::auth::{new_token, ROLES};
use crate::store::verify::VerifyError;

#[derive(Debug, Parser)]
#[command(
    name = "sovang",
    version,
    about = "Sổ Vàng: the tamper-evident ledger of the Front's funds"
)]
pub struct Cli {
    #[command(flatten)]
    pub common: Common,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand takes.
#[derive(Debug, Args)]
pub struct Common {
    /// Settings file layered over config/default.toml.
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// Data directory (storage.data_dir).
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    /// Database URL (storage.database_url): sqlite://… or postgres://….
    #[arg(long, global = true)]
    pub database_url: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the service.
    Serve {
        /// Address to listen on (server.bind); port 0 picks a free one.
        #[arg(long)]
        bind: Option<String>,
    },
    /// Manage tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Verify a fund's ledger: hashes, chain, Merkle tree, checkpoints.
    Verify {
        /// Fund code.
        #[arg(long)]
        fund: String,
        /// Also compare every stored Merkle hash with the tree rebuilt from
        /// the entries (slower: about three rows read per entry, not one).
        #[arg(long)]
        deep: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it once.
    Create {
        #[arg(long)]
        role: String,
        #[arg(long)]
        committee: String,
        #[arg(long)]
        name: String,
    },
}

impl Cli {
    fn settings(&self, bind: Option<String>) -> anyhow::Result<Settings> {
        Settings::load(&Overrides {
            config_file: self.common.config.clone(),
            data_dir: self.common.data_dir.clone(),
            database_url: self.common.database_url.clone(),
            bind,
        })
        .context("loading settings")
    }
}

pub fn init_tracing(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// Runs the command line; the exit code says whether it succeeded.
pub async fn run(cli: Cli) -> ExitCode {
    match dispatch(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

async fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    match &cli.command {
        Command::Serve { bind } => {
            let settings = cli.settings(bind.clone())?;
            init_tracing(&settings.log.format);
            let app = Application::build(settings).await?;
            let addr = app.address()?;
            println!("sovang listening on http://{addr}");
            tracing::info!(%addr, "listening");
            app.run_until(shutdown_signal()).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Token {
            command:
                TokenCommand::Create {
                    role,
                    committee,
                    name,
                },
        } => {
            let settings = cli.settings(None)?;
            init_tracing(&settings.log.format);
            anyhow::ensure!(
                ROLES.contains(&role.as_str()),
                "role must be one of {}",
                ROLES.join(", ")
            );
            let store = open_store(&settings).await?;
            anyhow::ensure!(
                store.committee(committee).await?.is_some(),
                "no committee {committee:?}"
            );
            let name = crate::ledger::fields::Text::parse_line(
                name,
                crate::ledger::fields::NAME_CHARS_MAX,
                "name",
            )
            .map_err(|e| anyhow::anyhow!("name {}", e.message))?;
            let (id, token, hash) = new_token();
            store
                .create_token(&id, name.as_str(), role, Some(committee), &hash, None)
                .await?;
            store.close().await;
            println!("{token}");
            eprintln!("token {id} ({role} of {committee}) created; it is shown only this once");
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify { fund, deep } => {
            let settings = cli.settings(None)?;
            init_tracing(&settings.log.format);
            let store = crate::store::Store::open(&settings.database_url()).await?;
            let started = std::time::Instant::now();
            let result = store.verify_fund(fund, *deep).await;
            store.close().await;
            match result {
                Ok(s) => {
                    println!(
                        "fund {fund}: OK: {} entries, root {}, {} signed checkpoints checked ({:.2}s)",
                        s.size,
                        crate::ledger::merkle::to_hex(&s.root),
                        s.checkpoints,
                        started.elapsed().as_secs_f64()
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(VerifyError::Fault(f)) => {
                    println!("fund {fund}: FAILED at seq {}: {}", f.seq, f.reason);
                    Ok(ExitCode::from(1))
                }
                Err(e) => Err(e.into()),
            }
        }
    }
}
