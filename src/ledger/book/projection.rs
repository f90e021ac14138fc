//! Projection for reads: the derived objects as JSON, the ones changed
//! since last asked, and the fund's summary figures.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Book, Totals};
use crate::ledger::kinds::name_of;
use crate::ledger::money::{as_string, SumVnd};

/// The kinds of object the books project into tables for reading.
pub const OBJECT_KINDS: [&str; 11] = [
    "campaign",
    "pledge",
    "household",
    "distribution",
    "stock",
    "earmark",
    "reversal",
    "outflow",
    "bank_account",
    "bank_statement",
    "sponsorship",
];

/// A derived object, as stored for reads: (object kind, id, JSON).
pub type Object = (&'static str, String, Value);

impl Book {
    /// Objects changed since the last call, with their current JSON (or
    /// `None` when the object is gone).
    pub fn take_dirty(&mut self) -> Vec<(&'static str, String, Option<Value>)> {
        let dirty = std::mem::take(&mut self.dirty);
        dirty
            .into_iter()
            .map(|(kind, id)| {
                let v = self.object(kind, &id);
                (kind, id, v)
            })
            .collect()
    }

    /// One derived object as JSON.
    pub fn object(&self, kind: &str, id: &str) -> Option<Value> {
        fn to<T: Serialize>(v: Option<&T>) -> Option<Value> {
            v.and_then(|v| serde_json::to_value(v).ok())
        }
        match kind {
            "campaign" => to(self.campaigns.get(id)),
            "pledge" => to(self.pledges.get(id)),
            "household" => to(self.households.get(id)),
            "distribution" => to(self.distributions.get(id)),
            "stock" => to(self.stock.get(id)),
            "earmark" => self
                .earmarks
                .iter()
                .find(|(k, _)| name_of(*k) == id)
                .and_then(|(_, e)| serde_json::to_value(e).ok()),
            "reversal" => id
                .parse::<u64>()
                .ok()
                .and_then(|s| to(self.reversals.get(&s))),
            "outflow" => id
                .parse::<u64>()
                .ok()
                .and_then(|s| to(self.outflows.get(&s))),
            "bank_account" => to(self.bank_accounts.get(id)),
            "sponsorship" => to(self.sponsorships.get(id)),
            "bank_statement" => id
                .parse::<u64>()
                .ok()
                .and_then(|s| to(self.statements.get(&s))),
            _ => None,
        }
    }

    /// The books as the public pages read them, from what the writer
    /// stored beside the ledger: the fund's figures and its campaigns,
    /// households, distributions and stock lines, as (kind, id, JSON).
    /// Nothing else is set: these books are read, never folded into.
    pub fn from_stored(
        summary: &str,
        objects: &[(String, String, String)],
    ) -> Result<Book, String> {
        fn read<T: serde::de::DeserializeOwned>(
            kind: &str,
            id: &str,
            data: &str,
        ) -> Result<T, String> {
            serde_json::from_str(data).map_err(|e| format!("{kind} {id:?} does not read back: {e}"))
        }
        let s: Summary = serde_json::from_str(summary)
            .map_err(|e| format!("the fund's figures do not read back: {e}"))?;
        let mut book = Book {
            size: s.size,
            balance_vnd: s.balance_vnd,
            reserved_vnd: s.reserved_vnd,
            receipt_year: s.receipt_year,
            receipt_last: s.receipt_last,
            totals: s.totals,
            ..Book::default()
        };
        for (kind, id, data) in objects {
            match kind.as_str() {
                "campaign" => {
                    book.campaigns.insert(id.clone(), read(kind, id, data)?);
                }
                "household" => {
                    book.households.insert(id.clone(), read(kind, id, data)?);
                }
                "distribution" => {
                    book.distributions.insert(id.clone(), read(kind, id, data)?);
                }
                "stock" => {
                    book.stock.insert(id.clone(), read(kind, id, data)?);
                }
                "bank_account" => {
                    book.bank_accounts.insert(id.clone(), read(kind, id, data)?);
                }
                "sponsorship" => {
                    book.sponsorships.insert(id.clone(), read(kind, id, data)?);
                }
                "bank_statement" => {
                    let s: super::SealedStatement = read(kind, id, data)?;
                    book.statements.insert(s.seq, s);
                }
                _ => {}
            }
        }
        Ok(book)
    }

    /// Every derived object, for comparing a replay with the live tables.
    pub fn objects(&self) -> Vec<Object> {
        let mut out = Vec::new();
        let mut add = |kind: &'static str, ids: Vec<String>| {
            for id in ids {
                if let Some(v) = self.object(kind, &id) {
                    out.push((kind, id, v));
                }
            }
        };
        add("campaign", self.campaigns.keys().cloned().collect());
        add("pledge", self.pledges.keys().cloned().collect());
        add("household", self.households.keys().cloned().collect());
        add("distribution", self.distributions.keys().cloned().collect());
        add("stock", self.stock.keys().cloned().collect());
        add("earmark", self.earmarks.keys().map(name_of).collect());
        add(
            "reversal",
            self.reversals.keys().map(u64::to_string).collect(),
        );
        add("bank_account", self.bank_accounts.keys().cloned().collect());
        add("sponsorship", self.sponsorships.keys().cloned().collect());
        add(
            "bank_statement",
            self.statements.keys().map(u64::to_string).collect(),
        );
        add(
            "outflow",
            self.outflows
                .keys()
                .copied()
                .map(super::outflows::outflow_key)
                .collect(),
        );
        out
    }

    /// The fund's figures: balance, reservations, totals, receipt counter.
    pub fn summary(&self) -> Value {
        // A struct of integers and strings always serialises.
        serde_json::to_value(self.figures()).unwrap_or(Value::Null)
    }

    /// The fund's figures, typed.
    pub fn figures(&self) -> Summary {
        Summary {
            size: self.size,
            balance_vnd: self.balance_vnd,
            reserved_vnd: self.reserved_vnd,
            available_vnd: self.available_vnd(),
            general_available_vnd: self.general_vnd(),
            receipt_year: self.receipt_year,
            receipt_last: self.receipt_last,
            totals: self.totals.clone(),
            periods_closed: self.periods.keys().cloned().collect(),
        }
    }
}

/// A fund's figures as kept beside its head and read by the pages and
/// the API.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub size: u64,
    #[serde(with = "as_string")]
    pub balance_vnd: SumVnd,
    #[serde(with = "as_string")]
    pub reserved_vnd: SumVnd,
    #[serde(with = "as_string")]
    pub available_vnd: SumVnd,
    #[serde(with = "as_string")]
    pub general_available_vnd: SumVnd,
    pub receipt_year: i32,
    pub receipt_last: u64,
    pub totals: Totals,
    pub periods_closed: Vec<String>,
}
