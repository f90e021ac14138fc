//! Who may do what (SPEC §5): tokens, roles and scopes, and passwords.
//! Both edges use it: the API reads a bearer token, the console a session.
//!
//! A token carries one role and one committee. Decisions written down here:
//! clerks append only to their own committee's funds (a province clerk does
//! not keep a commune's books); inspectors read their committee's subtree;
//! admins manage their subtree, and the first admin, made on first start,
//! has no committee and manages everything.

use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::ledger::kinds::{EntryKind, WrittenBy};
use crate::store::{FundInfo, Principal};

/// Roles a token may carry.
pub const ROLES: [&str; 4] = ["admin", "clerk", "approver", "inspector"];

/// Prefix of every token, so a leaked one is recognisable in a scan.
pub const TOKEN_PREFIX: &str = "svt_";

/// A new token: (id, secret shown once, SHA-256 of the secret to store).
pub fn new_token() -> (String, String, [u8; 32]) {
    use base64::Engine;
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let token = format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret)
    );
    let mut id = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut id);
    let hash = token_hash(&token);
    (format!("tk-{}", hex::encode(id)), token, hash)
}

/// A token's last day of use as given (`YYYY-MM-DD`): a real date, today
/// or later in Vietnam.
pub fn last_day_of_use(
    raw: &str,
    now: time::OffsetDateTime,
) -> Result<String, crate::ledger::fields::FieldError> {
    use crate::ledger::ids::{format_date, parse_date, today_in_vietnam};
    let day = parse_date(raw, "expires_on")?;
    let today = today_in_vietnam(now);
    if day < today {
        return Err(crate::ledger::fields::FieldError::new(
            "expires_on",
            format!("is past; today in Vietnam is {}", format_date(today)),
        ));
    }
    Ok(format_date(day))
}

pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Why a caller may not do what it asked; the text says why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Denied(pub String);

/// The authenticated caller: a token's holder, or a signed-in user.
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl Caller {
    pub fn id(&self) -> &str {
        &self.0.id
    }

    /// The person behind the token or user: what entries name as actor.
    pub fn person(&self) -> &str {
        &self.0.person_id
    }

    /// The person who issued the token or the user's password, when an
    /// admin did (see [`Principal::issued_by`]).
    pub fn issued_by(&self) -> Option<&str> {
        self.0.issued_by.as_deref()
    }

    fn in_subtree(&self, path: &str) -> bool {
        match &self.0.committee_path {
            None => self.0.role == "admin",
            Some(own) => path.starts_with(own.as_str()),
        }
    }

    fn own_committee(&self, fund: &FundInfo) -> bool {
        self.0.committee_code.as_deref() == Some(fund.committee_code.as_str())
    }

    fn out_of_scope(&self, fund: &FundInfo) -> Denied {
        Denied(format!(
            "fund {} belongs to committee {}, outside this token's scope",
            fund.code, fund.committee_code
        ))
    }

    /// May append entries of these kinds to `fund`. Approving and voiding
    /// pending distributions is the approver's (the second person's);
    /// everything else is the clerk's. An admin may do both in its subtree.
    pub fn require_append(&self, fund: &FundInfo, kinds: &[EntryKind]) -> Result<(), Denied> {
        let approval = |k: &EntryKind| k.written_by() == WrittenBy::Approver;
        let role = self.0.role.as_str();
        let in_scope = match role {
            "admin" => self.in_subtree(&fund.committee_path),
            "clerk" | "approver" => self.own_committee(fund),
            _ => return Err(Denied(format!("a {role} token may not record entries"))),
        };
        if !in_scope {
            return Err(self.out_of_scope(fund));
        }
        match role {
            "clerk" | "admin" if kinds.iter().any(approval) => Err(Denied(
                "approving or voiding a pending outflow needs an approver: a second person, never an admin (SPEC §9)".into(),
            )),
            "approver" if !kinds.iter().all(approval) => Err(Denied(
                "an approver token only approves or voids pending outflows".into(),
            )),
            _ => Ok(()),
        }
    }

    /// May read households' private records of `fund`: its own committee's
    /// clerks, and inspectors and admins whose subtree holds it.
    pub fn require_private(&self, fund: &FundInfo) -> Result<(), Denied> {
        let ok = match self.0.role.as_str() {
            "clerk" => self.own_committee(fund),
            "inspector" | "admin" => self.in_subtree(&fund.committee_path),
            role => {
                return Err(Denied(format!(
                    "a {role} token may not read households' private records"
                )))
            }
        };
        if ok {
            Ok(())
        } else {
            Err(self.out_of_scope(fund))
        }
    }

    /// May use the audit endpoints of `fund`: inspectors and admins whose
    /// subtree holds it.
    pub fn require_inspect(&self, fund: &FundInfo) -> Result<(), Denied> {
        match self.0.role.as_str() {
            "inspector" | "admin" if self.in_subtree(&fund.committee_path) => Ok(()),
            "inspector" | "admin" => Err(self.out_of_scope(fund)),
            role => Err(Denied(format!(
                "a {role} token may not use the audit endpoints; an inspector token may"
            ))),
        }
    }

    /// The role, for the access log.
    pub fn role(&self) -> &str {
        &self.0.role
    }

    /// The path of the caller's committee; none for a deployment-wide
    /// admin.
    pub fn scope(&self) -> Option<&str> {
        self.0.committee_path.as_deref()
    }

    pub fn committee_code(&self) -> Option<&str> {
        self.0.committee_code.as_deref()
    }

    /// May administer (create committees, funds, tokens) under `path`.
    pub fn require_admin(&self, path: Option<&str>) -> Result<(), Denied> {
        if self.0.role != "admin" {
            return Err(Denied("only an admin token may do this".into()));
        }
        let ok = match path {
            Some(p) => self.in_subtree(p),
            None => self.0.committee_path.is_none(),
        };
        if ok {
            Ok(())
        } else {
            Err(Denied(
                "outside this admin token's committee subtree".into(),
            ))
        }
    }
}

/// Hashes a password with Argon2id for the users table.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let mut salt = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    Ok(argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing: {e}"))?
        .to_string())
}

/// True when `password` is the one `hash` (an Argon2id PHC string) was
/// made from; false for any other password or a malformed hash.
pub fn password_matches(password: &str, hash: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash).is_ok_and(|h| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}
