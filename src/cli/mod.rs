//! The `sovang` command line (SPEC §7).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};

use crate::app::{open_store, shutdown_signal, Application};
use crate::auth::{new_token, ROLES};
use crate::config::{Overrides, Settings};
use crate::ledger::bundle::{BundleError, BundleVerifier};
use crate::store::export::Exporter;
use crate::store::verify::VerifyError;

/// `verify --url`: the watchful inspector.
pub mod watch;

/// `backup` and `restore`.
mod backup;
/// `sovang tiles export`.
pub mod tiles;
/// `sovang witness add-log | list-logs | remove-log`.
mod witness;

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
        /// Record a demo picture (committees, funds, a thousand gifts,
        /// households, distributions) if the database is empty.
        #[arg(long)]
        demo: bool,
    },
    /// Manage tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Manage people who sign in to the web console.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Verify a fund's ledger: hashes, chain, Merkle tree, checkpoints,
    /// against the database (--fund), an export bundle offline (--bundle)
    /// or a running server, remembering what it verified (--url --state).
    Verify {
        /// Fund code (with the database, or with --url).
        #[arg(long, required_unless_present_any = ["bundle", "all", "tiles"])]
        fund: Option<String>,
        /// Every fund of the database, one after another; the exit code
        /// is 1 if any fails.
        #[arg(long, conflicts_with_all = ["fund", "bundle", "url"])]
        all: bool,
        /// Also compare every stored Merkle hash with the tree rebuilt from
        /// the entries (slower: about three rows read per entry, not one).
        #[arg(long, conflicts_with_all = ["bundle", "url"])]
        deep: bool,
        /// An export bundle (NDJSON) to verify offline.
        #[arg(long, conflicts_with_all = ["fund", "url"])]
        bundle: Option<PathBuf>,
        /// A running server's address, e.g. https://sovang.example.vn.
        #[arg(long, requires_all = ["fund", "state"])]
        url: Option<String>,
        /// A fund's C2SP tiles as a static host serves them (the prefix of
        /// `checkpoint` and `tile/...`, e.g. https://sovang.example.vn/fund/HN-VNN),
        /// verified from the tiles alone; needs --state, and on the first
        /// run --verifier-key.
        #[arg(long, requires = "state", conflicts_with_all = ["bundle", "url", "all", "deep"])]
        tiles: Option<String>,
        /// Where --url or --tiles keeps the last checkpoint it verified, to
        /// refuse a rollback or a fork on the next run.
        #[arg(long)]
        state: Option<PathBuf>,
        /// The fund's verifier key as the committee published it; without
        /// it the bundle's (or, on a first --url run, the server's) is
        /// trusted and printed.
        #[arg(long)]
        verifier_key: Option<String>,
        /// A witness's cosignature/v1 key (as `GET /committees` publishes
        /// it, `witness_key`); repeat for each. With --url or --tiles the
        /// checkpoint verified must carry each one's cosignature, or the
        /// run fails (exit 1), though what it verified is remembered; with
        /// --bundle, the bundle's last checkpoint must carry them.
        #[arg(long = "witness-key", conflicts_with_all = ["all"])]
        witness_keys: Vec<String>,
    },
    /// Take a bank statement in (SPEC §10): read and check the whole
    /// file, record its lines a thousand per commit, seal it. Run it again
    /// after a stop: it finishes without doubling anything.
    ImportStatement {
        /// Fund code.
        #[arg(long)]
        fund: String,
        /// The fund's receiving account the statement is of.
        #[arg(long)]
        account: String,
        /// The bank's file: CSV, XLSX or camt.053 XML.
        file: PathBuf,
    },
    /// Write a fund's export bundle (NDJSON) to a file.
    Export {
        #[arg(long)]
        fund: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// The logs committees witness (SPEC §12).
    Witness {
        #[command(subcommand)]
        command: WitnessCommand,
    },
    /// A fund's log as C2SP tiles, for a static host (SPEC §12).
    Tiles {
        #[command(subcommand)]
        command: TilesCommand,
    },
    /// Copy the whole database while the service runs, consistent as of
    /// one moment, and verify every fund of the copy. SQLite: a database
    /// file; PostgreSQL: a pg_dump archive (pg_dump on the PATH).
    /// `master.key` is not in it: keep a copy of it apart.
    Backup {
        /// The file to write; it must not exist yet.
        #[arg(long)]
        out: PathBuf,
    },
    /// Put a backup made by `sovang backup` in place, then verify every
    /// fund. Stop the service first. SQLite: the database file must not
    /// exist yet; PostgreSQL: the database must hold no fund.
    Restore {
        /// The backup to restore.
        #[arg(long)]
        from: PathBuf,
        /// Only verify the backup, changing nothing (SQLite backups).
        #[arg(long)]
        check: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum WitnessCommand {
    /// Have a committee witness a log outside its child committees' funds
    AddLog {
        /// The witnessing committee's code.
        #[arg(long)]
        committee: String,
        /// The log's checkpoint origin, e.g. sovang.other.vn/fund/QN-VNN.
        #[arg(long)]
        origin: String,
        /// The log's note verifier key (its name is the origin).
        #[arg(long)]
        vkey: String,
    },
    /// List the logs added with add-log
    ListLogs,
    /// Stop a committee witnessing a log added with add-log
    RemoveLog {
        #[arg(long)]
        committee: String,
        #[arg(long)]
        origin: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TilesCommand {
    /// Write a fund's checkpoint, hash tiles and entry bundles under DIR at
    /// their C2SP paths (SPEC §12), for any static host; run again, it
    /// writes only what is new, the checkpoint last
    Export {
        /// Fund code.
        #[arg(long)]
        fund: String,
        /// The directory served as the fund's tile prefix.
        #[arg(long)]
        out: PathBuf,
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
        /// Its last day of use, `YYYY-MM-DD` (Vietnam); none by default.
        #[arg(long)]
        expires_on: Option<String>,
    },
    /// List every token (never a secret): id, role, committee, name,
    /// created, revoked.
    List,
    /// Withdraw a token: every process sharing the database refuses it
    /// within seconds.
    Revoke {
        /// The token's id (`tk-…`), as `token list` shows it.
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user. The password is read from SOVANG_PASSWORD or, if
    /// unset, from the first line of standard input; never from the
    /// command line, where others could see it.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        role: String,
        /// Committee code; leave out for a deployment-wide admin.
        #[arg(long)]
        committee: Option<String>,
        #[arg(long)]
        name: String,
    },
    /// List every user (never a password): username, role, committee,
    /// name, created, disabled.
    List,
    /// Disable a user: they can no longer sign in and their sessions end
    /// at once.
    Disable { username: String },
    /// Change a user's password, read as for `create`; their sessions end.
    Passwd { username: String },
}

/// A new password from SOVANG_PASSWORD or the first line of standard
/// input, at least [`PASSWORD_CHARS_MIN`] characters.
fn read_password() -> anyhow::Result<String> {
    let password = match std::env::var("SOVANG_PASSWORD") {
        Ok(p) => p,
        Err(_) => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    anyhow::ensure!(
        password.chars().count() >= PASSWORD_CHARS_MIN,
        "the password must be at least {PASSWORD_CHARS_MIN} characters"
    );
    Ok(password)
}

/// Shortest password a user may have.
pub const PASSWORD_CHARS_MIN: usize = 10;

impl Cli {
    fn overrides(&self, bind: Option<String>) -> Overrides {
        Overrides {
            config_file: self.common.config.clone(),
            data_dir: self.common.data_dir.clone(),
            database_url: self.common.database_url.clone(),
            bind,
        }
    }

    fn settings(&self, bind: Option<String>) -> anyhow::Result<Settings> {
        Settings::load(&self.overrides(bind)).context("loading settings")
    }
}

pub fn init_tracing(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colours only for a person at a terminal, not in a file or a pipe.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
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
        Command::Serve { bind, demo } => {
            let settings = cli.settings(bind.clone())?;
            init_tracing(&settings.log.format);
            let dir = crate::config::settings_dir(&cli.overrides(None));
            for old in &settings.read_from_working_dir {
                tracing::warn!(
                    file = %old.display(),
                    settings_dir = %dir.display(),
                    "settings are read from the working directory, so they change with it: move this file into the settings directory (the data directory, or the one holding --config)"
                );
            }
            let app = Application::build(settings).await?;
            if *demo {
                let started = std::time::Instant::now();
                if app.seed_demo().await? {
                    tracing::info!(
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        "demo recorded"
                    );
                } else {
                    tracing::info!("the database is not empty: no demo recorded");
                }
            }
            let addr = app.address()?;
            let public = app.public_base_url().to_owned();
            if !public_url_reaches(&public, addr.port()) {
                tracing::warn!(
                    public_base_url = %public,
                    port = addr.port(),
                    "server.public_base_url does not name the port the server listens on: the links and QR codes printed on receipts will not reach it unless a proxy forwards them; set server.public_base_url to the address donors reach"
                );
            }
            if public_url_is_plain_outside(&public) {
                tracing::warn!(
                    public_base_url = %public,
                    "server.public_base_url is plain http outside this machine: receipts' links travel unencrypted and the console's sign-in cookie is not marked Secure; put the service behind an HTTPS proxy and set server.public_base_url to its https:// address (docs/operations.md)"
                );
            }
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
                    expires_on,
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
            let expires_on = expires_on
                .as_deref()
                .map(|d| crate::auth::last_day_of_use(d, time::OffsetDateTime::now_utc()))
                .transpose()
                .map_err(|e| anyhow::anyhow!("expires-on {}", e.message))?;
            let (id, token, hash) = new_token();
            let person = crate::store::new_person_id();
            store
                .create_token(
                    &crate::store::NewToken {
                        id: &id,
                        name: name.as_str(),
                        role,
                        committee_code: Some(committee),
                        secret_sha256: &hash,
                        expires_on: expires_on.as_deref(),
                        person_id: &person,
                        new_person: true,
                    },
                    None,
                    &crate::store::AdminAction::cli(
                        "token_created",
                        &id,
                        &store
                            .committee(committee)
                            .await?
                            .map(|c| c.path)
                            .unwrap_or_default(),
                        serde_json::json!({"role": role, "committee_code": committee,
                                           "person_id": person, "expires_on": expires_on}),
                    ),
                )
                .await?;
            store.close().await;
            println!("{token}");
            eprintln!("token {id} ({role} of {committee}) created; it is shown only this once");
            Ok(ExitCode::SUCCESS)
        }
        Command::Token {
            command: TokenCommand::List,
        } => {
            let settings = cli.settings(None)?;
            init_tracing(&settings.log.format);
            let store = open_store(&settings).await?;
            let tokens = store.tokens(None).await?;
            store.close().await;
            for t in tokens {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    t.id,
                    t.role,
                    t.committee_code.as_deref().unwrap_or("-"),
                    t.name,
                    t.created_at,
                    t.expires_on.as_deref().unwrap_or("no expiry"),
                    t.revoked_at.as_deref().unwrap_or("in use"),
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Token {
            command: TokenCommand::Revoke { id },
        } => {
            let settings = cli.settings(None)?;
            init_tracing(&settings.log.format);
            let store = open_store(&settings).await?;
            let found = store.token(id).await?;
            let revoked = match found {
                Some((t, path)) => {
                    let by = crate::store::AdminAction::cli(
                        "token_revoked",
                        id,
                        path.as_deref().unwrap_or_default(),
                        serde_json::json!({"role": t.role, "committee_code": t.committee_code}),
                    );
                    store.revoke_token(id, &by).await?
                }
                None => {
                    store.close().await;
                    anyhow::bail!("no token {id:?}");
                }
            };
            store.close().await;
            if revoked {
                eprintln!("token {id} revoked; every process refuses it within seconds");
            } else {
                eprintln!("token {id} was revoked already");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::User {
            command: UserCommand::List,
        } => {
            let settings = cli.settings(None)?;
            init_tracing(&settings.log.format);
            let store = open_store(&settings).await?;
            let users = store.users().await?;
            store.close().await;
            for u in users {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    u.username,
                    u.role,
                    u.committee_code.as_deref().unwrap_or("-"),
                    u.name,
                    u.created_at,
                    u.disabled_at.as_deref().unwrap_or("active"),
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::User {
            command: UserCommand::Disable { username },
        } => {
            let settings = cli.settings(None)?;
            init_tracing(&settings.log.format);
            let store = open_store(&settings).await?;
            let path = store.user_committee_path(username).await?;
            let by = crate::store::AdminAction::cli(
                "user_disabled",
                username,
                path.as_deref().unwrap_or_default(),
                serde_json::json!({}),
            );
            let done = store.disable_user(username, &by).await;
            store.close().await;
            match done? {
                None => anyhow::bail!("no user {username:?}"),
                Some(true) => eprintln!("user {username} disabled; their sessions have ended"),
                Some(false) => eprintln!("user {username} was disabled already"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::User {
            command: UserCommand::Passwd { username },
        } => {
            let settings = cli.settings(None)?;
            init_tracing(&settings.log.format);
            let password = read_password()?;
            let hash = crate::auth::hash_password(&password)?;
            let store = open_store(&settings).await?;
            let path = store.user_committee_path(username).await?;
            let by = crate::store::AdminAction::cli(
                "user_password_changed",
                username,
                path.as_deref().unwrap_or_default(),
                serde_json::json!({}),
            );
            let done = store.set_password(username, &hash, &by).await;
            store.close().await;
            anyhow::ensure!(done?, "no user {username:?}");
            eprintln!("the password of {username} is changed; their sessions have ended");
            Ok(ExitCode::SUCCESS)
        }
        Command::User {
            command:
                UserCommand::Create {
                    username,
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
            anyhow::ensure!(
                (1..=64).contains(&username.len())
                    && username.bytes().all(|b| b.is_ascii_lowercase()
                        || b.is_ascii_digit()
                        || b == b'.'
                        || b == b'-'),
                "username must be 1 to 64 characters a-z, 0-9, '.' and '-'"
            );
            anyhow::ensure!(
                committee.is_some() || role == "admin",
                "only an admin may have no committee"
            );
            let password = read_password()?;
            let store = open_store(&settings).await?;
            let mut path = String::new();
            if let Some(c) = committee {
                let found = store.committee(c).await?;
                anyhow::ensure!(found.is_some(), "no committee {c:?}");
                path = found.map(|c| c.path).unwrap_or_default();
            }
            let name = crate::ledger::fields::Text::parse_line(
                name,
                crate::ledger::fields::NAME_CHARS_MAX,
                "name",
            )
            .map_err(|e| anyhow::anyhow!("name {}", e.message))?;
            let id = format!("us-{}", hex::encode(rand::random::<[u8; 8]>()));
            let hash = crate::auth::hash_password(&password)?;
            store
                .create_user(
                    &id,
                    username,
                    name.as_str(),
                    role,
                    committee.as_deref(),
                    &hash,
                    &crate::store::AdminAction::cli(
                        "user_created",
                        username,
                        &path,
                        serde_json::json!({"role": role, "committee_code": committee}),
                    ),
                )
                .await?;
            store.close().await;
            eprintln!("user {username} ({id}, {role}) created");
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify {
            fund,
            deep,
            bundle,
            url,
            state,
            verifier_key,
            all,
            tiles,
            witness_keys,
        } => {
            init_tracing("text");
            let key = verifier_key.as_deref();
            let witnesses = witness_keys
                .iter()
                .map(|w| {
                    crate::ledger::witness::CosignerKey::parse(w)
                        .with_context(|| format!("--witness-key {w:?} is not a cosignature/v1 key"))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            if let Some(url) = tiles {
                let state = state.as_deref().context("--tiles needs --state")?;
                return verify_tiles(url, state, key, &witnesses).await;
            }
            if *all {
                let settings = cli.settings(None)?;
                return verify_all(&settings.database_url(), *deep).await;
            }
            match (bundle, url, state, fund) {
                (Some(path), _, _, _) => verify_bundle(path, key, &witnesses),
                (None, Some(url), Some(state), Some(fund)) => {
                    verify_url(url, fund, state, key, &witnesses).await
                }
                (None, None, _, Some(fund)) => {
                    let settings = cli.settings(None)?;
                    verify_database(&settings.database_url(), fund, *deep).await
                }
                _ => anyhow::bail!(
                    "give --fund, --bundle FILE, or --url URL --fund CODE --state FILE"
                ),
            }
        }
        Command::ImportStatement {
            fund,
            account,
            file,
        } => {
            let settings = cli.settings(None)?;
            init_tracing(&settings.log.format);
            import_statement(settings, fund, account, file).await
        }
        Command::Backup { out } => {
            let settings = cli.settings(None)?;
            init_tracing("text");
            backup::backup(&settings, out).await
        }
        Command::Restore { from, check } => {
            let settings = cli.settings(None)?;
            init_tracing("text");
            backup::restore(&settings, from, *check).await
        }
        Command::Witness { command } => {
            let settings = cli.settings(None)?;
            init_tracing("text");
            let action = match command {
                WitnessCommand::AddLog {
                    committee,
                    origin,
                    vkey,
                } => witness::Action::Add {
                    committee,
                    origin,
                    vkey,
                },
                WitnessCommand::ListLogs => witness::Action::List,
                WitnessCommand::RemoveLog { committee, origin } => {
                    witness::Action::Remove { committee, origin }
                }
            };
            witness::run(&settings.database_url(), action).await
        }
        Command::Tiles {
            command: TilesCommand::Export { fund, out },
        } => {
            let settings = cli.settings(None)?;
            init_tracing(&settings.log.format);
            tiles::run(&settings.database_url(), fund, out).await
        }
        Command::Export { fund, out } => {
            let settings = cli.settings(None)?;
            init_tracing(&settings.log.format);
            let store = crate::store::Store::open(&settings.database_url()).await?;
            let result = export(&store, fund, out).await;
            store.close().await;
            result
        }
    }
}

/// Verifies every fund of the database in turn, printing a line each.
async fn verify_all(database_url: &str, deep: bool) -> anyhow::Result<ExitCode> {
    let store = crate::store::Store::open(database_url).await?;
    let funds = store.funds().await;
    store.close().await;
    let mut failed = 0;
    let funds = funds?;
    for (f, _) in &funds {
        if verify_database(database_url, &f.code, deep).await? != ExitCode::SUCCESS {
            failed += 1;
        }
    }
    println!("{} funds verified, {failed} failed", funds.len());
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

async fn verify_database(database_url: &str, fund: &str, deep: bool) -> anyhow::Result<ExitCode> {
    let store = crate::store::Store::open(database_url).await?;
    let started = std::time::Instant::now();
    let result = store.verify_fund(fund, deep).await;
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

/// Reads a bundle a line at a time: memory does not grow with its size.
///
/// With witness keys, the bundle's last checkpoint must carry each one's
/// valid cosignature (fail closed, as `--url` does): otherwise it says up
/// to which size they vouched, and fails.
fn verify_bundle(
    path: &std::path::Path,
    key: Option<&str>,
    witnesses: &[crate::ledger::witness::CosignerKey],
) -> anyhow::Result<ExitCode> {
    use std::io::BufRead;
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut v = BundleVerifier::new(key).witnessed_by(witnesses.to_vec());
    let mut result = Ok(());
    for line in std::io::BufReader::new(file).lines() {
        let line = line.with_context(|| format!("reading {}", path.display()))?;
        if line.is_empty() {
            continue;
        }
        result = v.push_line(&line);
        if result.is_err() {
            break;
        }
    }
    match result.and_then(|()| v.finish()) {
        Ok(s) => {
            println!(
                "bundle {}: OK: fund {}, {} entries, root {}, {} signed checkpoints checked",
                path.display(),
                s.fund,
                s.chain.size,
                crate::ledger::merkle::to_hex(&s.chain.root),
                s.chain.checkpoints
            );
            if key.is_none() {
                println!(
                    "verifier key (compare it with the one the committee published): {}",
                    s.verifier_key
                );
            }
            if witnesses.is_empty() {
                return Ok(ExitCode::SUCCESS);
            }
            if !cosigned_by_all(&s.last_checkpoint, witnesses) {
                println!(
                    "the witnesses all vouched up to size {} of {}; export again once they cosign the rest",
                    s.witnessed, s.chain.size
                );
                return Ok(ExitCode::from(1));
            }
            println!(
                "COSIGNED: the last checkpoint carries a valid cosignature of {}",
                witnesses
                    .iter()
                    .map(|w| w.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(BundleError::Fault(f)) => {
            println!(
                "bundle {}: FAILED at seq {}: {}",
                path.display(),
                f.seq,
                f.reason
            );
            Ok(ExitCode::from(1))
        }
        Err(e) => {
            println!("bundle {}: FAILED: {e}", path.display());
            Ok(ExitCode::from(1))
        }
    }
}

/// Whether every witness cosigned `note`; prints who did not.
fn cosigned_by_all(note: &str, witnesses: &[crate::ledger::witness::CosignerKey]) -> bool {
    let missing: Vec<&str> = witnesses
        .iter()
        .filter(|w| w.verify(note).is_none())
        .map(|w| w.name.as_str())
        .collect();
    if !missing.is_empty() {
        println!(
            "NOT COSIGNED: the checkpoint verified carries no valid cosignature of {}; its witnesses have not vouched for it (yet): try again later",
            missing.join(", ")
        );
    }
    missing.is_empty()
}

async fn verify_tiles(
    url: &str,
    state: &std::path::Path,
    key: Option<&str>,
    witnesses: &[crate::ledger::witness::CosignerKey],
) -> anyhow::Result<ExitCode> {
    match watch::watch_tiles(url, state, key).await? {
        watch::Outcome::Sound { state, .. } if !cosigned_by_all(&state.checkpoint, witnesses) => {
            Ok(ExitCode::from(1))
        }
        watch::Outcome::Sound { state, new_entries } => {
            println!(
                "fund {} at {url}: OK: {} entries ({new_entries} new), root {}, verifier key {}",
                state.fund, state.size, state.root, state.verifier_key
            );
            Ok(ExitCode::SUCCESS)
        }
        watch::Outcome::Lie { class, detail } => {
            println!("tiles at {url}: {class}: {detail}");
            Ok(ExitCode::from(1))
        }
    }
}

async fn verify_url(
    url: &str,
    fund: &str,
    state: &std::path::Path,
    key: Option<&str>,
    witnesses: &[crate::ledger::witness::CosignerKey],
) -> anyhow::Result<ExitCode> {
    match watch::watch(url, fund, state, key).await? {
        watch::Outcome::Sound { state, .. } if !cosigned_by_all(&state.checkpoint, witnesses) => {
            Ok(ExitCode::from(1))
        }
        watch::Outcome::Sound { state, new_entries } => {
            println!(
                "fund {fund} at {url}: OK: {} entries ({new_entries} new), root {}, verifier key {}",
                state.size, state.root, state.verifier_key
            );
            Ok(ExitCode::SUCCESS)
        }
        watch::Outcome::Lie { class, detail } => {
            println!("fund {fund} at {url}: {class}: {detail}");
            Ok(ExitCode::from(1))
        }
    }
}

async fn export(
    store: &crate::store::Store,
    fund: &str,
    out: &std::path::Path,
) -> anyhow::Result<ExitCode> {
    use tokio::io::AsyncWriteExt;
    let Some(mut exporter) = Exporter::start(store, fund).await? else {
        anyhow::bail!("no fund {fund:?}");
    };
    let file = tokio::fs::File::create(out)
        .await
        .with_context(|| format!("creating {}", out.display()))?;
    let mut w = tokio::io::BufWriter::new(file);
    while let Some(chunk) = exporter.next_chunk().await? {
        w.write_all(chunk.as_bytes()).await?;
    }
    w.flush().await?;
    w.get_ref().sync_all().await?;
    eprintln!(
        "fund {fund}: {} entries written to {}",
        exporter.size(),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Whether receipts' links to `public` reach a server listening on `port`
/// directly: an explicit port equal to it, or no port (a proxy's own, 80
/// or 443, forwards to the server).
fn public_url_reaches(public: &str, port: u16) -> bool {
    let rest = public.split_once("://").map_or(public, |(_, rest)| rest);
    let host = rest.split('/').next().unwrap_or_default();
    match host.rsplit_once(':') {
        Some((_, p)) if !p.contains(']') => p.parse::<u16>().is_ok_and(|p| p == port),
        _ => true,
    }
}

/// Whether donors would reach `public` over plain HTTP from outside this
/// machine: an `http://` address whose host is not loopback. Receipts'
/// links would then travel unencrypted and the console's session cookie
/// would not be marked `Secure`.
fn public_url_is_plain_outside(public: &str) -> bool {
    let Some(rest) = public.strip_prefix("http://") else {
        return false;
    };
    let host = rest.split('/').next().unwrap_or_default();
    let host = match host.rsplit_once(':') {
        Some((h, p)) if !p.contains(']') => h,
        _ => host,
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    !(host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()))
}

/// A progress bar on standard error: redrawn in place at a terminal, a
/// line per tenth otherwise.
fn progress_bar() -> impl Fn(u64, u64) + Send + Sync {
    use std::io::IsTerminal;
    let terminal = std::io::stderr().is_terminal();
    let started = std::time::Instant::now();
    let last_tenth = std::sync::atomic::AtomicU64::new(u64::MAX);
    move |done, total| {
        let total = total.max(1);
        let tenth = done * 10 / total;
        let secs = started.elapsed().as_secs();
        if terminal {
            let filled = (done * 30 / total) as usize;
            eprint!(
                "\r[{}{}] {done}/{total} lines, {secs} s",
                "#".repeat(filled),
                ".".repeat(30 - filled.min(30))
            );
            if done >= total {
                eprintln!();
            }
        } else if last_tenth.swap(tenth, std::sync::atomic::Ordering::Relaxed) != tenth {
            eprintln!("{done}/{total} lines, {secs} s");
        }
    }
}

/// `sovang import-statement`: the file spooled encrypted, then taken in
/// as the API does it, by `cli`.
async fn import_statement(
    settings: Settings,
    fund: &str,
    account: &str,
    file: &std::path::Path,
) -> anyhow::Result<ExitCode> {
    use std::io::Read;
    let max = settings.intake.statement_bytes_max;
    let mut spool = crate::intake::spool::SpoolWriter::new(max)?;
    let mut f = std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = f
            .read(&mut buf)
            .with_context(|| format!("reading {}", file.display()))?;
        if n == 0 {
            break;
        }
        spool.write(&buf[..n])?;
    }
    let spool = spool.finish()?;
    let (state, writer_task) = crate::app::offline_state(settings).await?;
    state.fund(fund).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let lock = state.intake_lock(fund, account);
    let _held = lock.lock().await;
    let bar = progress_bar();
    let result = crate::intake::import::import(&state, fund, account, "cli", spool, &bar).await;
    let store = state.store.clone();
    drop(_held);
    drop(state);
    if let Err(e) = writer_task.await {
        tracing::error!(error = %e, "writer task failed");
    }
    store.close().await;
    match result {
        Ok(a) => {
            println!(
                "{}: {} lines ({} credits, {} debits) of {} {}–{}: {} recorded, {} linked, {} taken in before, {} for review; sealed by entry {}",
                a.layout, a.lines, a.credits, a.debits, a.account_no, a.first_day, a.last_day,
                a.recorded, a.linked, a.duplicates, a.review, a.sealed_seq
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(ExitCode::from(1))
        }
    }
}

#[cfg(test)]
mod public_url_tests {
    use super::{public_url_is_plain_outside, public_url_reaches};

    #[test]
    fn plain_http_is_told_apart_outside_loopback() {
        assert!(public_url_is_plain_outside("http://sovang.mttq.vn"));
        assert!(public_url_is_plain_outside("http://203.0.113.7:8080/"));
        assert!(public_url_is_plain_outside("http://[2001:db8::1]:8080"));
        assert!(!public_url_is_plain_outside("https://sovang.mttq.vn"));
        assert!(!public_url_is_plain_outside("http://127.0.0.1:8080"));
        assert!(!public_url_is_plain_outside("http://127.0.0.2"));
        assert!(!public_url_is_plain_outside("http://localhost:8080/"));
        assert!(!public_url_is_plain_outside("http://LOCALHOST"));
        assert!(!public_url_is_plain_outside("http://[::1]:9000/"));
    }

    #[test]
    fn a_receipt_link_reaches_the_port_it_names_or_a_proxy() {
        assert!(public_url_reaches("http://127.0.0.1:8080", 8080));
        assert!(!public_url_reaches("http://127.0.0.1:8080", 39001));
        assert!(public_url_reaches("https://sovang.mttq.vn", 39001));
        assert!(public_url_reaches("https://sovang.mttq.vn/", 8080));
        assert!(!public_url_reaches("http://[::1]:8080/", 9000));
        assert!(public_url_reaches("http://[::1]:9000/", 9000));
        assert!(public_url_reaches("https://[::1]/", 9000));
    }
}
