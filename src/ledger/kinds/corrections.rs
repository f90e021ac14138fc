//! Corrections and seals: reversals undo one earlier entry; a period
//! closing records the figures a reporting period ended with.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::{Date, Month};

use super::spending::{server_status, OutflowStatus};
use super::KindBody;
use crate::ledger::fields::FieldErrors;
use crate::ledger::ids::{format_date, Code, Id};
use crate::ledger::values::{LongText, Quantity, Sha256Hex, Vnd};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reversal {
    /// Made by the server from entry version 2 (SPEC §9).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reversal_id: Option<Id>,
    pub reverses_seq: u64,
    pub reason: LongText,
    /// Set by the server from entry version 2 on the reversal of a gift
    /// or a transfer: an outflow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<OutflowStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<LongText>,
}

/// A reporting period: a month `2026-10`, a half-year `2026-H2` or a year
/// `2026`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    text: String,
    pub first_day: Date,
    pub last_day: Date,
}

impl Period {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let bad = || "must be a month (2026-10), a half-year (2026-H2) or a year (2026)".to_owned();
        let year: i32 = raw
            .get(..4)
            .filter(|y| y.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|y| y.parse().ok())
            .filter(|y| (2000..=2200).contains(y))
            .ok_or_else(bad)?;
        let (first, last) = match &raw[4..] {
            "" => (Month::January, Month::December),
            "-H1" => (Month::January, Month::June),
            "-H2" => (Month::July, Month::December),
            m if m.len() == 3 && m.starts_with('-') => {
                let n: u8 = m[1..]
                    .parse()
                    .ok()
                    .filter(|_| m[1..].bytes().all(|b| b.is_ascii_digit()))
                    .ok_or_else(bad)?;
                let month = Month::try_from(n).map_err(|_| bad())?;
                (month, month)
            }
            _ => return Err(bad()),
        };
        let first_day = Date::from_calendar_date(year, first, 1).map_err(|_| bad())?;
        let last_day =
            Date::from_calendar_date(year, last, last.length(year)).map_err(|_| bad())?;
        Ok(Self {
            text: raw.to_owned(),
            first_day,
            last_day,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl Serialize for Period {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// One item on hand when a period closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StockCount {
    pub item: Code,
    pub quantity: Quantity,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeriodClosed {
    pub period: Period,
    pub closing_balance_vnd: Vnd,
    pub stock: Vec<StockCount>,
    /// SHA-256 of the period's published statement.
    pub statement_sha256: Sha256Hex,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<LongText>,
}

impl KindBody for PeriodClosed {
    fn check(&self, today: Date, e: &mut FieldErrors) {
        if self.period.last_day >= today {
            e.push(
                "body.period",
                format!(
                    "has not ended yet: it runs to {}, and today in Vietnam is {}",
                    format_date(self.period.last_day),
                    format_date(today)
                ),
            );
        }
        if self.stock.len() > super::goods::ITEM_LINES_MAX * 10 {
            e.push("body.stock", "lists too many items");
        }
    }
}

/// Nothing beyond its types: its reason is a required text, read by serde.
/// The server sets the status; what is reversed is checked against the books.
impl KindBody for Reversal {
    fn check(&self, _today: Date, e: &mut FieldErrors) {
        server_status(self.status, e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_months_halves_or_years() {
        let p = Period::parse("2026-10").unwrap();
        assert_eq!(format_date(p.last_day), "2026-10-31");
        let h = Period::parse("2026-H2").unwrap();
        assert_eq!(format_date(h.first_day), "2026-07-01");
        assert_eq!(
            format_date(Period::parse("2028-02").unwrap().last_day),
            "2028-02-29"
        );
        for bad in [
            "2026-13",
            "2026-H3",
            "26",
            "2026-1",
            "2026-+1",
            "abcd",
            "2026-10-01",
        ] {
            assert!(Period::parse(bad).is_err(), "{bad}");
        }
    }
}
