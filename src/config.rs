//! Settings: `config/default.toml` (compiled in, so the binary runs from any
//! directory), then `config/local.toml`, a `--config` file, `SOVANG__…`
//! environment variables and command-line flags, later ones winning.

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
}

#[derive(Debug, Clone, Deserialize)]
pub struct Server {
    pub bind: String,
    pub public_base_url: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Storage {
    pub data_dir: PathBuf,
    pub database_url: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Ledger {
    pub origin_prefix: String,
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
            ))
            .add_source(config::File::from(Path::new("config/policy.toml")).required(false))
            .add_source(config::File::from(Path::new("config/local.toml")).required(false));
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
        let s: Settings = b.build()?.try_deserialize()?;
        if !signed_note::is_key_name_valid(&format!("{}/fund/X", s.ledger.origin_prefix)) {
            return Err(config::ConfigError::Message(
                "ledger.origin_prefix must not contain spaces or '+'".into(),
            ));
        }
        s.policy()?;
        Ok(s)
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
