//! Putting the service together: data directory, master secret, first admin
//! token, database, writer and HTTP server, and taking it apart again on
//! shutdown.

use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;

use anyhow::Context as _;
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use axum::Router;
use tokio::net::TcpListener;

use crate::auth;
use crate::config::Settings;
use crate::http::{self, error::ApiError};
use crate::ledger::checkpoint::{MasterSecret, MASTER_SECRET_LEN};
use crate::server;
use crate::service::AppState;
use crate::store::writer::Writer;
use crate::store::{RecordKey, Store};
use crate::web::{self, Missing, PageError};

/// Writes a file readable by its owner only (mode 0600), refusing to
/// replace an existing one.
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(contents)?;
    f.sync_all()
}

/// Creates the data directory if needed and keeps it, and every file in
/// it, to its owner (SPEC §9: the directory 0700, its files 0600): it
/// holds the master key, the first admin token and, on SQLite, the
/// database with households' private records. A file made by someone else
/// that cannot be changed is logged, not fatal. Anything found open to
/// others is warned about on start (someone may have read it) and
/// returned.
pub fn private_data_dir(data_dir: &Path) -> anyhow::Result<Vec<std::path::PathBuf>> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    #[allow(unused_mut)]
    let mut widened = Vec::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mut set = |path: &Path, mode: u32| {
            let was = std::fs::metadata(path)
                .ok()
                .map(|m| m.permissions().mode() & 0o777);
            if let Some(was) = was.filter(|w| w & !mode != 0) {
                tracing::warn!(
                    path = %path.display(),
                    mode = %format!("{was:o}"),
                    "was open to other users of this machine; made private (whoever could read it may have)"
                );
                widened.push(path.to_path_buf());
            }
            if let Err(e) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)) {
                tracing::warn!(path = %path.display(), error = %e, "could not make it private");
            }
        };
        set(data_dir, 0o700);
        let entries = std::fs::read_dir(data_dir)
            .with_context(|| format!("reading {}", data_dir.display()))?;
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_file()) {
                set(&entry.path(), 0o600);
            }
        }
    }
    Ok(widened)
}

/// Reads `<data_dir>/master.key`, creating it on first start.
pub fn master_secret(data_dir: &Path) -> anyhow::Result<MasterSecret> {
    private_data_dir(data_dir)?;
    let path = data_dir.join("master.key");
    if !path.exists() {
        let secret = MasterSecret::generate();
        write_private(
            &path,
            format!("{}\n", hex::encode(secret.expose())).as_bytes(),
        )
        .with_context(|| format!("writing {}", path.display()))?;
        tracing::info!(path = %path.display(), "created master key; back it up: it derives every fund's signing key");
    }
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let mut bytes = [0u8; MASTER_SECRET_LEN];
    hex::decode_to_slice(text.trim(), &mut bytes).with_context(|| {
        format!(
            "{} must hold {MASTER_SECRET_LEN} bytes in hex",
            path.display()
        )
    })?;
    Ok(MasterSecret::from_bytes(bytes))
}

/// Opens the database and, when it has no token yet, creates the first
/// admin token in `<data_dir>/admin.token`.
pub async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    std::fs::create_dir_all(&settings.storage.data_dir)
        .with_context(|| format!("creating {}", settings.storage.data_dir.display()))?;
    let store = Store::open(&settings.database_url())
        .await
        .context("opening the database")?;
    if store.token_count().await? == 0 {
        let path = settings.storage.data_dir.join("admin.token");
        let (id, token, hash) = auth::new_token();
        if path.exists() {
            std::fs::remove_file(&path)
                .with_context(|| format!("replacing stale {}", path.display()))?;
        }
        write_private(&path, format!("{token}\n").as_bytes())
            .with_context(|| format!("writing {}", path.display()))?;
        store
            .create_token(
                &crate::store::NewToken {
                    id: &id,
                    name: "first admin",
                    role: "admin",
                    committee_code: None,
                    secret_sha256: &hash,
                    expires_on: None,
                    person_id: &id,
                    new_person: true,
                },
                None,
                &crate::store::AdminAction {
                    actor: "server".into(),
                    person_id: None,
                    action: "token_created",
                    target: id.clone(),
                    committee_path: String::new(),
                    detail: serde_json::json!({"role": "admin", "name": "first admin"}),
                },
            )
            .await?;
        tracing::info!(path = %path.display(), token_id = %id, "created the first admin token");
    }
    // The database file (and SQLite's log beside it) now exists.
    private_data_dir(&settings.storage.data_dir)?;
    Ok(store)
}

/// Refuses to start with a master secret that is not the one the funds were
/// opened with: its checkpoints would not verify against the keys the funds
/// published.
async fn check_keys(store: &Store, secret: &MasterSecret) -> anyhow::Result<()> {
    for (fund, _) in store.funds().await? {
        let key = secret.log_key(&fund.origin)?;
        anyhow::ensure!(
            key.verifier_key() == fund.verifier_key,
            "master.key does not derive fund {}'s published verifier key; start with the deployment's master.key",
            fund.code
        );
    }
    Ok(())
}

/// The whole service's routes: the API under `/api/v1`, the pages beside
/// it. A path nothing answers gets problem details under `/api/` and an
/// HTML page elsewhere, since a person reads those. Every request has its
/// time limit and every answer the security headers (see [`server`]).
pub fn router(state: AppState) -> Router {
    Router::new()
        .nest("/api/v1", http::api())
        .merge(http::tiles::router())
        .merge(http::witness::router())
        .merge(web::router())
        .fallback(unknown_path)
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(axum::middleware::from_fn_with_state(
            state.settings.server.request_timeout(),
            server::limits::answer_within,
        ))
        .layer(axum::middleware::from_fn(server::headers::security_headers))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

async fn unknown_path(uri: Uri) -> Response {
    let path = uri.path();
    if path == "/api" || path.starts_with("/api/") {
        ApiError::NotFound("no such resource".into()).into_response()
    } else {
        let t = web::lang_of_query(uri.query().unwrap_or_default());
        PageError::not_found(t, Missing::Page, path).into_response()
    }
}

/// A built service, bound to its address but not yet serving.
pub struct Application {
    listener: TcpListener,
    state: AppState,
    writer_task: tokio::task::JoinHandle<()>,
}

/// The service's state and its writer, without a listener: for commands
/// that write to the ledger from the command line (`sovang
/// import-statement`). Drop the state, then await the task: the writer
/// finishes what is queued.
pub async fn offline_state(
    settings: Settings,
) -> anyhow::Result<(AppState, tokio::task::JoinHandle<()>)> {
    let secret = master_secret(&settings.storage.data_dir)?;
    let store = open_store(&settings).await?;
    check_keys(&store, &secret).await?;
    let policy = settings.policy()?;
    let (writer, writer_task) = Writer::spawn(
        store.clone(),
        secret.clone(),
        settings.server.public_base_url.clone(),
        policy,
        settings.ledger.cadence(),
    );
    Ok((AppState::new(store, writer, secret, settings), writer_task))
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let secret = master_secret(&settings.storage.data_dir)?;
        let store = open_store(&settings).await?;
        check_keys(&store, &secret).await?;
        // Only here, with the right master key known, are records written
        // before encryption at rest sealed (SPEC §9).
        store
            .seal_private_records(&RecordKey::new(&secret))
            .await
            .context("encrypting private records stored in plaintext")?;
        // Funds written before totals by day were kept get them now.
        store
            .fill_missing_days()
            .await
            .context("rebuilding the funds' totals by day")?;
        // Campaigns closed before their books kept the day get it now.
        store
            .fill_campaign_closed_on()
            .await
            .context("filling the day closed campaigns were closed")?;
        let policy = settings.policy()?;
        // A witnessing policy that does not read stops the start.
        let witness_policy = settings.witness_policy()?.map(std::sync::Arc::new);
        let (writer, writer_task) = Writer::spawn(
            store.clone(),
            secret.clone(),
            settings.server.public_base_url.clone(),
            policy,
            settings.ledger.cadence(),
        );
        let listener = TcpListener::bind(&settings.server.bind)
            .await
            .with_context(|| format!("binding {}", settings.server.bind))?;
        let mut state = AppState::new(store, writer, secret, settings);
        state.witness_policy = witness_policy;
        Ok(Self {
            listener,
            state,
            writer_task,
        })
    }

    /// Records the demo picture (see [`crate::demo`]) if the database is
    /// empty; false when it was not.
    pub async fn seed_demo(&self) -> anyhow::Result<bool> {
        crate::demo::seed(
            router(self.state.clone()),
            &self.state.store,
            &self.state.settings.storage.data_dir,
        )
        .await
    }

    /// The address donors are told to reach (`server.public_base_url`).
    pub fn public_base_url(&self) -> &str {
        &self.state.settings.server.public_base_url
    }

    pub fn address(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// Serves until `shutdown` completes, then lets requests in flight
    /// finish, drains the writer and closes the database.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let store = self.state.store.clone();
        let limits = server::Limits::from(&self.state.settings.server);
        let w = &self.state.settings.witnessing;
        let pusher = w.push.then(|| {
            crate::service::witness::spawn_pusher(
                self.state.clone(),
                std::time::Duration::from_millis(w.push_interval_ms.max(10)),
            )
        });
        let app = router(self.state);
        // Each request knows the address it came from (sign-in back-off).
        server::serve(self.listener, app, limits, shutdown).await;
        if let Some(p) = pusher {
            p.abort();
        }
        // The router, and with it every writer handle, is gone: the writer
        // finishes what is queued and stops.
        if let Err(e) = self.writer_task.await {
            tracing::error!(error = %e, "writer task failed");
        }
        store.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Completes on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
