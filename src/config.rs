//! Settings: `config/default.toml` and `config/policy.toml` (compiled in,
//! so the binary runs from any directory), then `policy.toml` and
//! `local.toml` in the settings directory, a `--config` file, `SOVANG__…`
//! environment variables and command-line flags, later ones winning.
//!
//! The settings directory is the one holding the `--config` file, else the
//! data directory: never the working directory, so a service started from
//! another directory (a service manager, a cron job) reads the same
//! settings. `config/policy.toml` and `config/local.toml` under the working
//! directory, where earlier versions read them, are still read below the
//! settings directory's, and `sovang serve` warns that they should move
//! (a `config/policy.toml` equal to the compiled-in one is not named).

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The defaults, documented key by key.
pub const DEFAULT_TOML: &str = include_str!("../config/default.toml");
/// The distribution policy's defaults.
pub const POLICY_TOML: &str = include_str!("../config/policy.toml");

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub server: Server,
    pub storage: Storage,
    pub ledger: Ledger,
    pub policy: Policy,
    pub log: Log,
    #[serde(default)]
    pub intake: Intake,
    #[serde(default)]
    pub witnessing: Witnessing,
    /// Settings files read from the working directory, where earlier
    /// versions looked: `sovang serve` warns that they should move.
    #[serde(skip)]
    pub read_from_working_dir: Vec<PathBuf>,
}

/// `storage.data_dir` in `config/default.toml`.
const DATA_DIR_DEFAULT: &str = "data";

/// Where `policy.toml` and `local.toml` are read: the directory of the
/// `--config` file, else the data directory (`--data-dir`,
/// `SOVANG__STORAGE__DATA_DIR`, else the default).
pub fn settings_dir(o: &Overrides) -> PathBuf {
    if let Some(file) = &o.config_file {
        return match file.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
    }
    o.data_dir
        .clone()
        .or_else(|| std::env::var_os("SOVANG__STORAGE__DATA_DIR").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(DATA_DIR_DEFAULT))
}

/// Witnessing (SPEC §12): see `config/default.toml`.
#[derive(Debug, Clone, Deserialize)]
pub struct Witnessing {
    /// Offer each fund's new checkpoints to its parent committee.
    #[serde(default = "push_default")]
    pub push: bool,
    /// How often the pusher looks for checkpoints to offer.
    #[serde(default = "push_interval_default")]
    pub push_interval_ms: u64,
    /// A C2SP tlog-policy file naming the funds' witnesses and quorum
    /// instead of the parent committee; relative to the settings
    /// directory. Empty: none.
    #[serde(default)]
    pub policy_file: PathBuf,
    /// Bound on each call to a witness, from connecting to its answer.
    #[serde(default = "witness_timeout_default")]
    pub timeout_ms: u64,
}

fn witness_timeout_default() -> u64 {
    5000
}

/// Most `witnessing.timeout_ms`.
const WITNESS_TIMEOUT_MS_MAX: u64 = 600_000;

fn push_default() -> bool {
    true
}

fn push_interval_default() -> u64 {
    1000
}

impl Default for Witnessing {
    fn default() -> Self {
        Self {
            push: push_default(),
            push_interval_ms: push_interval_default(),
            policy_file: PathBuf::new(),
            timeout_ms: witness_timeout_default(),
        }
    }
}

/// Bank intake (SPEC §10): see `config/default.toml`.
#[derive(Debug, Clone, Deserialize)]
pub struct Intake {
    #[serde(default = "statement_bytes_max_default")]
    pub statement_bytes_max: u64,
    #[serde(default = "debit_grace_days_default")]
    pub debit_grace_days: u32,
    /// Webhook secrets, one per provider and account.
    #[serde(default)]
    pub webhooks: Vec<Webhook>,
}

impl Default for Intake {
    fn default() -> Self {
        Self {
            statement_bytes_max: statement_bytes_max_default(),
            debit_grace_days: debit_grace_days_default(),
            webhooks: Vec::new(),
        }
    }
}

fn statement_bytes_max_default() -> u64 {
    64 * 1024 * 1024
}

fn debit_grace_days_default() -> u32 {
    7
}

/// A webhook provider's secret for one of a fund's receiving accounts.
#[derive(Debug, Clone, Deserialize)]
pub struct Webhook {
    /// `sepay` or `casso`.
    pub provider: String,
    pub account_no: String,
    /// SePay: the API key of `Authorization: Apikey <key>`. Casso: the
    /// secure token (legacy `Secure-Token`) and the key of the
    /// `X-Casso-Signature` HMAC.
    pub secret: String,
}

impl Intake {
    /// The secret configured for `provider` and `account_no`.
    pub fn webhook_secret(&self, provider: &str, account_no: &str) -> Option<&str> {
        self.webhooks
            .iter()
            .find(|w| w.provider == provider && w.account_no == account_no)
            .map(|w| w.secret.as_str())
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Server {
    pub bind: String,
    pub public_base_url: String,
    /// Seconds to send a request's headers (see `config/default.toml`).
    pub header_read_timeout_s: u64,
    /// Seconds from a request's headers to the head of its answer.
    pub request_timeout_s: u64,
    /// Seconds a kept-alive connection may wait for its next request.
    pub idle_timeout_s: u64,
    /// Most connections open at once.
    pub max_connections: usize,
}

/// The ranges the server's limits must fall in: below one there is no
/// time to answer at all; above these, the limit protects nothing.
pub const HEADER_READ_TIMEOUT_S_MAX: u64 = 600;
pub const REQUEST_TIMEOUT_S_MAX: u64 = 3600;
pub const IDLE_TIMEOUT_S_MAX: u64 = 3600;
pub const MAX_CONNECTIONS_MAX: usize = 100_000;

impl Server {
    /// Refuses limits outside their ranges, naming the setting.
    pub fn check(&self) -> Result<(), String> {
        let ranges = [
            (
                "server.header_read_timeout_s",
                self.header_read_timeout_s,
                HEADER_READ_TIMEOUT_S_MAX,
                " seconds",
            ),
            (
                "server.request_timeout_s",
                self.request_timeout_s,
                REQUEST_TIMEOUT_S_MAX,
                " seconds",
            ),
            (
                "server.idle_timeout_s",
                self.idle_timeout_s,
                IDLE_TIMEOUT_S_MAX,
                " seconds",
            ),
            (
                "server.max_connections",
                u64::try_from(self.max_connections).unwrap_or(u64::MAX),
                MAX_CONNECTIONS_MAX as u64,
                "",
            ),
        ];
        for (name, value, max, unit) in ranges {
            if !(1..=max).contains(&value) {
                return Err(format!("{name} must be from 1 to {max}{unit}, not {value}"));
            }
        }
        Ok(())
    }

    pub fn header_read_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.header_read_timeout_s)
    }

    pub fn request_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.request_timeout_s)
    }

    pub fn idle_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.idle_timeout_s)
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Storage {
    pub data_dir: PathBuf,
    pub database_url: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Ledger {
    pub origin_prefix: String,
    /// At most one checkpoint per fund in this many milliseconds (SPEC §3).
    #[serde(default = "checkpoint_interval_default")]
    pub checkpoint_interval_ms: u64,
    /// A fund's books are saved every this many entries (see
    /// `store::snapshots`).
    #[serde(default = "snapshot_every_default")]
    pub snapshot_every: u64,
}

fn snapshot_every_default() -> u64 {
    crate::store::snapshots::SNAPSHOT_EVERY
}

/// The most a checkpoint may wait.
pub const CHECKPOINT_INTERVAL_MS_MAX: u64 = 60_000;

fn checkpoint_interval_default() -> u64 {
    1000
}

impl Ledger {
    /// How long after one signature the next may come.
    pub fn checkpoint_interval(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.checkpoint_interval_ms)
    }

    /// How often the writer signs and saves.
    pub fn cadence(&self) -> crate::store::writer::Cadence {
        crate::store::writer::Cadence {
            checkpoint_interval: self.checkpoint_interval(),
            snapshot_every: self.snapshot_every,
        }
    }
}

/// See `config/policy.toml`.
#[derive(Debug, Clone, Deserialize)]
pub struct Policy {
    pub approval_threshold_vnd: u64,
    pub house_support_years_min: i32,
    #[serde(default)]
    pub limits_vnd: std::collections::BTreeMap<String, u64>,
    #[serde(default)]
    pub eligible: std::collections::BTreeMap<String, Vec<String>>,
    pub aggregate_window_days: u32,
    pub fresh_household_days: u32,
    pub min_public_households: u32,
    #[serde(default)]
    pub transfer_counterparties: Vec<String>,
    pub campaign_max_days: u32,
    pub distribution_deadline_days: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Log {
    pub format: String,
}

/// Values given on the command line; `None` leaves the setting alone.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub bind: Option<String>,
}

impl Settings {
    pub fn load(o: &Overrides) -> Result<Self, config::ConfigError> {
        let mut b = config::Config::builder()
            .add_source(config::File::from_str(
                DEFAULT_TOML,
                config::FileFormat::Toml,
            ))
            .add_source(config::File::from_str(
                POLICY_TOML,
                config::FileFormat::Toml,
            ));
        // Where earlier versions read them: the working directory.
        let mut old_places = Vec::new();
        for name in ["policy.toml", "local.toml"] {
            let old = Path::new("config").join(name);
            let same_as_built_in = name == "policy.toml"
                && std::fs::read_to_string(&old).is_ok_and(|t| t == POLICY_TOML);
            if old.is_file() && !same_as_built_in {
                old_places.push(old.clone());
            }
            b = b.add_source(config::File::from(old).required(false));
        }
        let dir = settings_dir(o);
        for name in ["policy.toml", "local.toml"] {
            b = b.add_source(config::File::from(dir.join(name)).required(false));
        }
        if let Some(file) = &o.config_file {
            b = b.add_source(config::File::from(file.as_path()).required(true));
        }
        b = b.add_source(
            config::Environment::with_prefix("SOVANG")
                .separator("__")
                .try_parsing(true),
        );
        if let Some(d) = &o.data_dir {
            b = b.set_override("storage.data_dir", d.to_string_lossy().to_string())?;
        }
        if let Some(u) = &o.database_url {
            b = b.set_override("storage.database_url", u.clone())?;
        }
        if let Some(bind) = &o.bind {
            b = b.set_override("server.bind", bind.clone())?;
        }
        let mut s: Settings = b.build()?.try_deserialize()?;
        s.read_from_working_dir = old_places;
        if !signed_note::is_key_name_valid(&format!("{}/fund/X", s.ledger.origin_prefix)) {
            return Err(config::ConfigError::Message(
                "ledger.origin_prefix must not contain spaces or '+'".into(),
            ));
        }
        if s.ledger.checkpoint_interval_ms > CHECKPOINT_INTERVAL_MS_MAX {
            return Err(config::ConfigError::Message(format!(
                "ledger.checkpoint_interval_ms must be from 0 to {CHECKPOINT_INTERVAL_MS_MAX}"
            )));
        }
        if s.ledger.snapshot_every == 0 {
            return Err(config::ConfigError::Message(
                "ledger.snapshot_every must be at least 1".into(),
            ));
        }
        s.policy()?;
        if s.witnessing.policy_file.is_relative()
            && !s.witnessing.policy_file.as_os_str().is_empty()
        {
            s.witnessing.policy_file = dir.join(&s.witnessing.policy_file);
        }
        if !(1..=WITNESS_TIMEOUT_MS_MAX).contains(&s.witnessing.timeout_ms) {
            return Err(config::ConfigError::Message(format!(
                "witnessing.timeout_ms must be from 1 to {WITNESS_TIMEOUT_MS_MAX}"
            )));
        }
        s.witness_policy()?;
        s.server.check().map_err(config::ConfigError::Message)?;
        if !(1024..=1024 * 1024 * 1024).contains(&s.intake.statement_bytes_max) {
            return Err(config::ConfigError::Message(
                "intake.statement_bytes_max must be from 1024 to 1073741824".into(),
            ));
        }
        if !(1..=90).contains(&s.intake.debit_grace_days) {
            return Err(config::ConfigError::Message(
                "intake.debit_grace_days must be from 1 to 90".into(),
            ));
        }
        for w in &s.intake.webhooks {
            if !matches!(w.provider.as_str(), "sepay" | "casso") || w.secret.len() < 16 {
                return Err(config::ConfigError::Message(format!(
                    "intake.webhooks: provider must be sepay or casso and the secret at least 16 characters (account {})",
                    w.account_no
                )));
            }
        }
        Ok(s)
    }

    /// The witnessing policy of `witnessing.policy_file`, read and
    /// checked; `None` when no file is named (each fund's parent committee
    /// witnesses it).
    pub fn witness_policy(
        &self,
    ) -> Result<Option<crate::ledger::tlog_policy::TlogPolicy>, config::ConfigError> {
        let file = &self.witnessing.policy_file;
        if file.as_os_str().is_empty() {
            return Ok(None);
        }
        let text = std::fs::read(file).map_err(|e| {
            config::ConfigError::Message(format!("witnessing.policy_file {}: {e}", file.display()))
        })?;
        crate::ledger::tlog_policy::TlogPolicy::parse(&text)
            .map(Some)
            .map_err(|e| {
                config::ConfigError::Message(format!(
                    "witnessing.policy_file {}: {e}",
                    file.display()
                ))
            })
    }

    /// The distribution policy, checked.
    pub fn policy(&self) -> Result<crate::ledger::policy::Policy, config::ConfigError> {
        let mut p = crate::ledger::policy::Policy::from_settings(
            self.policy.approval_threshold_vnd,
            &self.policy.limits_vnd,
            &self.policy.eligible,
            self.policy.house_support_years_min,
        )
        .map_err(config::ConfigError::Message)?;
        let bad = |m: &str| Err(config::ConfigError::Message(format!("policy: {m}")));
        if !(1..=366).contains(&self.policy.aggregate_window_days) {
            return bad("aggregate_window_days must be from 1 to 366");
        }
        if self.policy.fresh_household_days > 366 {
            return bad("fresh_household_days must be from 0 to 366");
        }
        let most = crate::ledger::policy::CAMPAIGN_MAX_DAYS_MAX;
        if !(1..=most).contains(&self.policy.campaign_max_days) {
            return bad(&format!("campaign_max_days must be from 1 to {most}"));
        }
        if self.policy.distribution_deadline_days > 366 {
            return bad("distribution_deadline_days must be from 0 to 366");
        }
        if !(1..=1000).contains(&self.policy.min_public_households) {
            return bad("min_public_households must be from 1 to 1000");
        }
        for f in &self.policy.transfer_counterparties {
            if crate::ledger::ids::Code::parse(f, "fund").is_err() {
                return bad(&format!(
                    "transfer_counterparties: {f:?} is not a fund code"
                ));
            }
        }
        p.aggregate_window_days = self.policy.aggregate_window_days;
        p.fresh_household_days = self.policy.fresh_household_days;
        p.campaign_max_days = self.policy.campaign_max_days;
        p.distribution_deadline_days = self.policy.distribution_deadline_days;
        p.min_public_households = self.policy.min_public_households;
        p.transfer_counterparties = self.policy.transfer_counterparties.clone();
        Ok(p)
    }

    /// The database URL, defaulting to SQLite in the data directory.
    pub fn database_url(&self) -> String {
        if self.storage.database_url.is_empty() {
            format!(
                "sqlite://{}",
                self.storage.data_dir.join("sovang.db").display()
            )
        } else {
            self.storage.database_url.clone()
        }
    }

    /// The origin of a fund's log, which is also its key name.
    pub fn origin(&self, fund_code: &str) -> String {
        format!("{}/fund/{fund_code}", self.ledger.origin_prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        std::fs::write(path, text).expect("write a settings file");
    }

    #[test]
    fn the_default_data_directory_is_the_one_default_toml_names() {
        assert!(DEFAULT_TOML.contains(&format!("data_dir = \"{DATA_DIR_DEFAULT}\"")));
    }

    #[test]
    fn local_settings_are_read_from_the_data_directory() {
        let data = tempfile::tempdir().unwrap();
        write(
            &data.path().join("local.toml"),
            "[server]\npublic_base_url = \"https://sovang.mttq.vn\"\n",
        );
        write(
            &data.path().join("policy.toml"),
            "[policy]\napproval_threshold_vnd = 7000000\n",
        );
        let o = Overrides {
            data_dir: Some(data.path().to_path_buf()),
            ..Overrides::default()
        };
        assert_eq!(settings_dir(&o), data.path());
        let s = Settings::load(&o).unwrap();
        assert_eq!(s.server.public_base_url, "https://sovang.mttq.vn");
        assert_eq!(s.policy.approval_threshold_vnd, 7_000_000);
        // The repository's own config/policy.toml, under the working
        // directory of the tests, is the compiled-in one: not named.
        assert!(
            s.read_from_working_dir.is_empty(),
            "{:?}",
            s.read_from_working_dir
        );
    }

    #[test]
    fn with_a_config_file_its_directory_is_read_not_the_data_directory() {
        let data = tempfile::tempdir().unwrap();
        write(
            &data.path().join("local.toml"),
            "[server]\npublic_base_url = \"https://data.example\"\n",
        );
        let etc = tempfile::tempdir().unwrap();
        write(
            &etc.path().join("local.toml"),
            "[server]\npublic_base_url = \"https://etc.example\"\nbind = \"127.0.0.1:9001\"\n",
        );
        let file = etc.path().join("sovang.toml");
        write(&file, "[server]\nbind = \"127.0.0.1:9002\"\n");
        let o = Overrides {
            config_file: Some(file),
            data_dir: Some(data.path().to_path_buf()),
            ..Overrides::default()
        };
        assert_eq!(settings_dir(&o), etc.path());
        let s = Settings::load(&o).unwrap();
        assert_eq!(s.server.public_base_url, "https://etc.example");
        // The --config file wins over local.toml beside it.
        assert_eq!(s.server.bind, "127.0.0.1:9002");
        // A bare file name is in the working directory.
        let bare = Overrides {
            config_file: Some(PathBuf::from("sovang.toml")),
            ..Overrides::default()
        };
        assert_eq!(settings_dir(&bare), Path::new("."));
    }

    #[test]
    fn a_broken_local_file_is_an_error_that_names_it() {
        let data = tempfile::tempdir().unwrap();
        write(&data.path().join("local.toml"), "[server\nbind = 1\n");
        let o = Overrides {
            data_dir: Some(data.path().to_path_buf()),
            ..Overrides::default()
        };
        let e = Settings::load(&o).unwrap_err().to_string();
        assert!(e.contains("local.toml"), "{e}");
    }
}
