//! Committees and funds: creating a committee, opening a fund (its row,
//! its head and its `fund_opened` entry), and reading them with their
//! current figures.

use sqlx::any::AnyRow;
use sqlx::Row;

use super::{
    insert_idempotency, now_text, FundWrites, IdempotencyRecord, Result, Store, StoreError,
};
use crate::ledger::checkpoint::MasterSecret;
use crate::ledger::ids::Code;
use crate::ledger::kinds::{Body, FundKind, FundOpened};
use crate::ledger::merkle::{Frontier, Hash};
use crate::ledger::money::SumVnd;
use crate::ledger::policy::Policy;
use crate::ledger::state::{apply, Appended, Context, Draft, FundState};

/// A committee as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Committee {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    #[serde(skip)]
    pub path: String,
}

/// A fund's fixed facts. Funds never change once opened, so these are
/// cached by the HTTP layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FundInfo {
    pub code: String,
    pub committee_code: String,
    pub committee_path: String,
    pub kind: String,
    pub name: String,
    pub origin: String,
    pub verifier_key: String,
}

/// A fund's current figures.
#[derive(Debug, Clone, PartialEq)]
pub struct FundHead {
    pub size: u64,
    pub balance_vnd: SumVnd,
    pub root: Hash,
}

impl Store {
    // ---- committees -------------------------------------------------------

    pub async fn committee(&self, code: &str) -> Result<Option<Committee>> {
        let row =
            sqlx::query("SELECT code, name, parent_code, path FROM committees WHERE code = $1")
                .bind(code)
                .fetch_optional(&self.read)
                .await?;
        row.map(|r| committee_from_row(&r)).transpose()
    }

    pub async fn committees(&self) -> Result<Vec<Committee>> {
        let rows =
            sqlx::query("SELECT code, name, parent_code, path FROM committees ORDER BY path")
                .fetch_all(&self.read)
                .await?;
        rows.iter().map(committee_from_row).collect()
    }

    /// Creates a committee under `parent` (None for a root).
    pub async fn create_committee(
        &self,
        code: &str,
        name: &str,
        parent: Option<&Committee>,
        idem: Option<IdempotencyRecord>,
        by: &super::AdminAction,
    ) -> Result<Committee> {
        let path = format!("{}{code}/", parent.map_or("/", |p| p.path.as_str()));
        let mut tx = self.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO committees (code, name, parent_code, path, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(code)
        .bind(name)
        .bind(parent.map(|p| p.code.clone()))
        .bind(&path)
        .bind(now_text())
        .execute(&mut *tx)
        .await;
        if let Err(e) = inserted {
            let e = StoreError::from(e);
            return Err(if e.is_unique_violation() {
                StoreError::Conflict(format!("committee {code} already exists"))
            } else {
                e
            });
        }
        insert_idempotency(&mut tx, self.backend, idem.as_slice()).await?;
        super::admin_log::log(
            &mut tx,
            &super::AdminAction {
                committee_path: path.clone(),
                ..by.clone()
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Committee {
            code: code.to_owned(),
            name: name.to_owned(),
            parent_code: parent.map(|p| p.code.clone()),
            path,
        })
    }

    // ---- funds --------------------------------------------------------------

    pub async fn fund(&self, code: &str) -> Result<Option<FundInfo>> {
        let row = sqlx::query(
            "SELECT f.code, f.committee_code, c.path, f.kind, f.name, f.origin, f.verifier_key \
             FROM funds f JOIN committees c ON c.code = f.committee_code WHERE f.code = $1",
        )
        .bind(code)
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| fund_from_row(&r)).transpose()
    }

    pub async fn funds(&self) -> Result<Vec<(FundInfo, FundHead)>> {
        let rows = sqlx::query(
            "SELECT f.code, f.committee_code, c.path, f.kind, f.name, f.origin, f.verifier_key, \
             h.size, h.balance_vnd, h.frontier \
             FROM funds f JOIN committees c ON c.code = f.committee_code \
             JOIN fund_heads h ON h.fund_code = f.code ORDER BY f.code",
        )
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| Ok((fund_from_row(r)?, head_from_row(r)?)))
            .collect()
    }

    pub async fn fund_head(&self, code: &str) -> Result<Option<FundHead>> {
        let row =
            sqlx::query("SELECT size, balance_vnd, frontier FROM fund_heads WHERE fund_code = $1")
                .bind(code)
                .fetch_optional(&self.read)
                .await?;
        row.map(|r| head_from_row(&r)).transpose()
    }

    /// Opens a fund: its row, its head and its `fund_opened` entry with the
    /// first signed checkpoint, in one transaction.
    #[allow(clippy::too_many_arguments)]
    pub async fn open_fund(
        &self,
        info: &FundInfo,
        fund_kind: FundKind,
        committee_name: &str,
        actor: &str,
        secret: &MasterSecret,
        idem: impl FnOnce(&Appended) -> Option<IdempotencyRecord>,
        by: &super::AdminAction,
    ) -> Result<Appended> {
        let fund = Code::parse(&info.code, "code").map_err(|e| StoreError::Corrupt(e.message))?;
        let now = time::OffsetDateTime::now_utc();
        let mut state = FundState::empty(fund.clone());
        let body = FundOpened {
            committee_code: Code::parse(&info.committee_code, "committee_code")
                .map_err(|e| StoreError::Corrupt(e.message))?,
            committee_name: committee_name.to_owned(),
            fund_code: fund,
            fund_kind,
            origin: info.origin.clone(),
            verifier_key: info.verifier_key.clone(),
        };
        let policy = Policy::permissive(u64::MAX);
        let draft = Draft {
            body: Body::FundOpened(body),
            private: None,
            bank_line: None,
        };
        let appended = apply(
            &mut state,
            draft,
            &Context {
                actor,
                now,
                policy: &policy,
            },
        )
        .map_err(|r| StoreError::Corrupt(format!("fund_opened refused: {r:?}")))?;
        let key = secret
            .log_key(&info.origin)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let note = key
            .sign(state.size(), &state.frontier.root())
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let idem = idem(&appended);

        let mut tx = self.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO funds (code, committee_code, kind, name, origin, verifier_key, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&info.code)
        .bind(&info.committee_code)
        .bind(&info.kind)
        .bind(&info.name)
        .bind(&info.origin)
        .bind(&info.verifier_key)
        .bind(&appended.recorded_at)
        .execute(&mut *tx)
        .await;
        if let Err(e) = inserted {
            let e = StoreError::from(e);
            return Err(if e.is_unique_violation() {
                StoreError::Conflict(format!("fund {} already exists", info.code))
            } else {
                e
            });
        }
        sqlx::query(
            "INSERT INTO fund_heads (fund_code, size, last_hash, frontier, balance_vnd, receipt_year, receipt_last) \
             VALUES ($1, 0, $2, $3, '0', $4, 0)",
        )
        .bind(&info.code)
        .bind(Vec::from(state.last_hash.0))
        .bind(Vec::<u8>::new())
        .bind(i64::from(state.book.receipt_year))
        .execute(&mut *tx)
        .await?;
        let writes = FundWrites {
            backend: self.backend,
            fund: &info.code,
            entries: std::slice::from_ref(&appended),
            receipts: &[],
            objects: &[],
            state: &state,
            checkpoint: Some(&note),
            record_key: &super::RecordKey::new(secret),
        };
        writes.insert(&mut tx).await?;
        insert_idempotency(&mut tx, self.backend, idem.as_slice()).await?;
        super::admin_log::log(&mut tx, by).await?;
        tx.commit().await?;
        Ok(appended)
    }
}

fn committee_from_row(r: &AnyRow) -> Result<Committee> {
    Ok(Committee {
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        parent_code: r.try_get("parent_code")?,
        path: r.try_get("path")?,
    })
}

fn fund_from_row(r: &AnyRow) -> Result<FundInfo> {
    Ok(FundInfo {
        code: r.try_get("code")?,
        committee_code: r.try_get("committee_code")?,
        committee_path: r.try_get("path")?,
        kind: r.try_get("kind")?,
        name: r.try_get("name")?,
        origin: r.try_get("origin")?,
        verifier_key: r.try_get("verifier_key")?,
    })
}

fn head_from_row(r: &AnyRow) -> Result<FundHead> {
    let size = r.try_get::<i64, _>("size")? as u64;
    let frontier: Vec<u8> = r.try_get("frontier")?;
    let frontier = Frontier::from_bytes(size, &frontier)
        .ok_or_else(|| StoreError::Corrupt("fund head frontier".into()))?;
    let balance: String = r.try_get("balance_vnd")?;
    Ok(FundHead {
        size,
        balance_vnd: balance
            .parse()
            .map_err(|_| StoreError::Corrupt("fund head balance".into()))?,
        root: frontier.root(),
    })
}
