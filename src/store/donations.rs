//! The public statement of gifts (sao kê): every gift of a fund, found by
//! donor text, amount, date, campaign, receipt number or bank reference,
//! a page at a time in seq order.

use std::collections::HashMap;

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{to_i64, Backend, Result, Store, StoreError};
use crate::ledger::ids::parse_date;
use crate::ledger::money::as_string;
use crate::ledger::saoke::fold_for_search;

/// What to look for. Every field narrows the search.
#[derive(Debug, Clone, Default)]
pub struct DonationFilter {
    /// Donor text, already folded with [`crate::ledger::saoke::fold_for_search`].
    pub q: Option<String>,
    pub campaign: Option<String>,
    /// First and last day received, `YYYY-MM-DD`.
    pub from: Option<String>,
    pub to: Option<String>,
    pub min_vnd: Option<i64>,
    pub max_vnd: Option<i64>,
    pub receipt_no: Option<String>,
    pub bank_ref: Option<String>,
    /// `cash` or `in_kind`.
    pub kind: Option<String>,
    /// `valid` or `voided`.
    pub status: Option<String>,
}

/// Escapes `%`, `_` and `\` for a LIKE pattern with `ESCAPE '\'`.
fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A WHERE clause and its values, numbered from `$1`.
struct Clause {
    sql: String,
    texts: Vec<String>,
    numbers: Vec<i64>,
    /// For each placeholder in order: true for a number.
    order: Vec<bool>,
}

impl Clause {
    fn new(fund: &str) -> Self {
        Self {
            sql: "fund_code = $1".into(),
            texts: vec![fund.to_owned()],
            numbers: Vec::new(),
            order: vec![false],
        }
    }

    fn text(&mut self, condition: &str, value: String) {
        self.order.push(false);
        self.sql.push_str(&format!(
            " AND {}",
            condition.replace('?', &format!("${}", self.order.len()))
        ));
        self.texts.push(value);
    }

    fn number(&mut self, condition: &str, value: i64) {
        self.order.push(true);
        self.sql.push_str(&format!(
            " AND {}",
            condition.replace('?', &format!("${}", self.order.len()))
        ));
        self.numbers.push(value);
    }

    fn build(fund: &str, f: &DonationFilter, backend: Backend) -> Self {
        let mut c = Self::new(fund);
        if let Some(q) = f.q.as_ref().filter(|q| !q.is_empty()) {
            // On SQLite a text of three letters or more is looked up in the
            // trigram index (migration 0019), which serves a LIKE without
            // ESCAPE: the gifts whose donor text holds it, each then read by
            // its row id (`+` keeps the fund's index out of that plan).
            // PostgreSQL's trigram index serves LIKE as it is; the fund's
            // condition is written so that no index serves it, else the
            // planner, until the table's statistics catch up with a large
            // import, reads the fund's whole key index beside the trigrams
            // (182 ms where the trigrams alone take 57, at a million gifts).
            let plain = !q.contains(['%', '_', '\\']);
            let long = q.chars().count() >= 3;
            if backend == Backend::Sqlite && long && plain {
                c.sql = "+fund_code = $1".into();
                c.text(
                    "gid IN (SELECT rowid FROM donations_search WHERE donor_search LIKE ?)",
                    format!("%{q}%"),
                );
            } else {
                if backend == Backend::Postgres && long {
                    c.sql = "(fund_code || '') = $1".into();
                }
                c.text(
                    "donor_search LIKE ? ESCAPE '\\'",
                    format!("%{}%", like_escape(q)),
                );
            }
        }
        for (column, value) in [
            ("campaign_id", &f.campaign),
            ("receipt_no", &f.receipt_no),
            ("bank_ref", &f.bank_ref),
            ("kind", &f.kind),
            ("status", &f.status),
        ] {
            if let Some(v) = value {
                c.text(&format!("{column} = ?"), v.clone());
            }
        }
        if let Some(d) = &f.from {
            c.text("received_on >= ?", d.clone());
        }
        if let Some(d) = &f.to {
            c.text("received_on <= ?", d.clone());
        }
        if let Some(n) = f.min_vnd {
            c.number("amount_vnd >= ?", n);
        }
        if let Some(n) = f.max_vnd {
            c.number("amount_vnd <= ?", n);
        }
        c
    }

    fn bind<'q>(
        &'q self,
        mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        let (mut texts, mut numbers) = (self.texts.iter(), self.numbers.iter());
        for is_number in &self.order {
            q = if *is_number {
                q.bind(*numbers.next().unwrap_or(&0))
            } else {
                q.bind(texts.next().map(String::as_str).unwrap_or_default())
            };
        }
        q
    }
}

/// A gift as the statement of gifts publishes it: one row of the
/// donations table, typed. It serialises to the API's JSON as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Gift {
    pub seq: u64,
    pub receipt_no: String,
    /// `cash` or `in_kind`.
    pub kind: String,
    /// `YYYY-MM-DD`.
    pub received_on: String,
    pub recorded_at: String,
    pub donor: GiftDonor,
    /// Cash, or the value of the goods.
    #[serde(with = "as_string")]
    pub amount_vnd: i64,
    pub channel: Option<String>,
    pub campaign_id: Option<String>,
    pub pledge_id: Option<String>,
    pub earmark: Option<String>,
    pub bank_ref: Option<String>,
    /// The goods, as "GAO 50 kg; QUA-TET 3 gói".
    pub goods: Option<String>,
    /// `valid` or `voided`.
    pub status: String,
    pub voided_by_seq: Option<u64>,
    pub voided_reason: Option<String>,
}

/// The donor of a gift, as published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GiftDonor {
    pub display: String,
    pub kind: String,
}

impl Gift {
    pub fn is_voided(&self) -> bool {
        self.status == "voided"
    }
}

/// How many gifts a search matched, and their sum; voided ones apart.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Matched {
    pub count: u64,
    /// A decimal string: sums can pass what a JSON reader holds exactly.
    pub amount_vnd: String,
    pub voided_count: u64,
    pub voided_amount_vnd: String,
}

fn gift_from_row(r: &AnyRow) -> Result<Gift> {
    let unsigned =
        |n: i64| u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("a gift's seq is {n}")));
    Ok(Gift {
        seq: unsigned(r.try_get::<i64, _>("seq")?)?,
        receipt_no: r.try_get("receipt_no")?,
        kind: r.try_get("kind")?,
        received_on: r.try_get("received_on")?,
        recorded_at: r.try_get("recorded_at")?,
        donor: GiftDonor {
            display: r.try_get("donor_display")?,
            kind: r.try_get("donor_kind")?,
        },
        amount_vnd: r.try_get("amount_vnd")?,
        channel: r.try_get("channel")?,
        campaign_id: r.try_get("campaign_id")?,
        pledge_id: r.try_get("pledge_id")?,
        earmark: r.try_get("earmark")?,
        bank_ref: r.try_get("bank_ref")?,
        goods: r.try_get("goods")?,
        status: r.try_get("status")?,
        voided_by_seq: r
            .try_get::<Option<i64>, _>("voided_by_seq")?
            .map(unsigned)
            .transpose()?,
        voided_reason: r.try_get("voided_reason")?,
    })
}

/// What a campaign received on one day its gifts say they were received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignDay {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub gifts: u64,
    /// Cash, and goods at their stated value.
    pub value_vnd: i64,
}

impl Store {
    /// What campaign `campaign` of `fund` received each day, by the day
    /// its gifts were received, leaving out gifts voided by a reversal: the
    /// days add up to the campaign's received figure.
    pub async fn campaign_days(&self, fund: &str, campaign: &str) -> Result<Vec<CampaignDay>> {
        let rows = sqlx::query(
            "SELECT received_on, COUNT(*) AS gifts, CAST(SUM(amount_vnd) AS BIGINT) AS value \
             FROM donations WHERE fund_code = $1 AND campaign_id = $2 AND status = 'valid' \
             GROUP BY received_on ORDER BY received_on",
        )
        .bind(fund)
        .bind(campaign)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CampaignDay {
                    day: r.try_get("received_on")?,
                    gifts: u64::try_from(r.try_get::<i64, _>("gifts")?).unwrap_or(0),
                    value_vnd: r.try_get("value")?,
                })
            })
            .collect()
    }

    /// Gifts matching `filter` with seq after `after`, in seq order.
    pub async fn donations(
        &self,
        fund: &str,
        filter: &DonationFilter,
        after: Option<u64>,
        limit: u64,
    ) -> Result<Vec<Gift>> {
        let mut c = Clause::build(fund, filter, self.backend);
        if let Some(a) = after {
            c.number("seq > ?", to_i64(a)?);
        }
        self.donation_rows(c, "seq", limit).await
    }

    /// The latest `limit` gifts matching `filter`, newest first.
    pub async fn latest_donations(
        &self,
        fund: &str,
        filter: &DonationFilter,
        limit: u64,
    ) -> Result<Vec<Gift>> {
        self.donation_rows(Clause::build(fund, filter, self.backend), "seq DESC", limit)
            .await
    }

    async fn donation_rows(&self, c: Clause, order: &str, limit: u64) -> Result<Vec<Gift>> {
        let sql = format!(
            "SELECT seq, receipt_no, kind, received_on, recorded_at, donor_display, donor_kind, \
             amount_vnd, channel, campaign_id, pledge_id, earmark, bank_ref, goods, status, \
             voided_by_seq, voided_reason FROM donations WHERE {} ORDER BY {order} LIMIT ${}",
            c.sql,
            c.order.len() + 1
        );
        let q = c.bind(sqlx::query(&sql)).bind(to_i64(limit)?);
        q.fetch_all(&self.read)
            .await?
            .iter()
            .map(gift_from_row)
            .collect()
    }

    /// How many gifts match `filter`, and their sum (voided ones counted
    /// apart).
    pub async fn donations_matched(&self, fund: &str, filter: &DonationFilter) -> Result<Matched> {
        let c = Clause::build(fund, filter, self.backend);
        let sql = format!(
            // A plain SUM overflows SQLite's 64-bit integers past about
            // 9.2 × 10^18 đồng (ten thousand of the largest gifts), and
            // the statement would fail for good. Summed in two parts that
            // cannot overflow, and joined here in 128 bits.
            "SELECT status, COUNT(*) AS n, CAST(SUM(amount_vnd / {SPLIT}) AS TEXT) AS high, \
             CAST(SUM(amount_vnd % {SPLIT}) AS TEXT) AS low FROM donations WHERE {} GROUP BY status",
            c.sql
        );
        let rows = c.bind(sqlx::query(&sql)).fetch_all(&self.read).await?;
        let mut out = Matched {
            amount_vnd: "0".into(),
            voided_amount_vnd: "0".into(),
            ..Matched::default()
        };
        for r in rows {
            let status: String = r.try_get("status")?;
            let n: i64 = r.try_get("n")?;
            let n = u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("a count of {n}")))?;
            // SUM of BIGINT is NUMERIC on PostgreSQL: both read as text.
            let part = |name: &str| -> Result<i128> {
                let text: String = r.try_get(name)?;
                text.parse()
                    .map_err(|_| StoreError::Corrupt(format!("a sum of gifts reads {text:?}")))
            };
            let total = (part("high")? * i128::from(SPLIT) + part("low")?).to_string();
            if status == "voided" {
                (out.voided_count, out.voided_amount_vnd) = (n, total);
            } else {
                (out.count, out.amount_vnd) = (n, total);
            }
        }
        Ok(out)
    }
}

/// Where a gift's amount is split to be summed: the high part is at most
/// 10^6 for the largest gift, the low part below 10^9, so neither sum can
/// overflow 64 bits for any count of gifts a fund can hold.
const SPLIT: i64 = 1_000_000_000;

/// Parameters the statement of gifts takes.
const PARAMS: [&str; 13] = [
    "q",
    "campaign",
    "from",
    "to",
    "min_vnd",
    "max_vnd",
    "receipt_no",
    "bank_ref",
    "kind",
    "status",
    "cursor",
    "limit",
    "format",
];

/// Longest search text, in characters.
const Q_CHARS_MAX: usize = 200;

impl DonationFilter {
    /// Reads a search of the statement of gifts from its query
    /// parameters, as the API and the page take them; the error says
    /// which parameter is wrong and why.
    pub fn from_query(q: &HashMap<String, String>) -> Result<Self, String> {
        if let Some(k) = q.keys().find(|k| !PARAMS.contains(&k.as_str())) {
            return Err(format!(
                "unknown parameter {k:?}; the statement takes {}",
                PARAMS.join(", ")
            ));
        }
        let date = |name: &str| -> Result<Option<String>, String> {
            q.get(name)
                .map(|d| {
                    parse_date(d, name)
                        .map(|_| d.clone())
                        .map_err(|e| format!("{name} {}", e.message))
                })
                .transpose()
        };
        let amount = |name: &str| -> Result<Option<i64>, String> {
            q.get(name)
                .map(|v| {
                    v.parse::<i64>()
                        .ok()
                        .filter(|n| *n >= 0 && v.bytes().all(|b| b.is_ascii_digit()))
                        .ok_or_else(|| format!("{name} must be a whole number of đồng"))
                })
                .transpose()
        };
        let one_of = |name: &str, allowed: &[&str]| -> Result<Option<String>, String> {
            q.get(name)
                .map(|v| {
                    allowed
                        .contains(&v.as_str())
                        .then(|| v.clone())
                        .ok_or_else(|| format!("{name} must be one of {}", allowed.join(", ")))
                })
                .transpose()
        };
        let text = q.get("q").map(|t| t.trim().to_owned());
        if text
            .as_ref()
            .is_some_and(|t| t.chars().count() > Q_CHARS_MAX)
        {
            return Err(format!("q is at most {Q_CHARS_MAX} characters"));
        }
        Ok(DonationFilter {
            q: text.map(|t| fold_for_search(&t)),
            campaign: q.get("campaign").cloned(),
            from: date("from")?,
            to: date("to")?,
            min_vnd: amount("min_vnd")?,
            max_vnd: amount("max_vnd")?,
            receipt_no: q.get("receipt_no").cloned(),
            bank_ref: q.get("bank_ref").cloned(),
            kind: one_of("kind", &["cash", "in_kind"])?,
            status: one_of("status", &["valid", "voided"])?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn searched(q: &str, backend: Backend) -> String {
        let filter = DonationFilter {
            q: Some(q.to_owned()),
            ..DonationFilter::default()
        };
        Clause::build("HN-VNN", &filter, backend).sql
    }

    /// A search of three letters or more leads with the trigram index on
    /// both databases: the fund's condition is written so that its index
    /// is not read beside the trigrams. Shorter texts, which no trigram
    /// index serves, read the fund's rows through its index.
    #[test]
    fn a_long_search_leads_with_the_trigrams() {
        assert!(
            searched("nguyen van", Backend::Postgres)
                .starts_with("(fund_code || '') = $1 AND donor_search LIKE $2"),
            "{}",
            searched("nguyen van", Backend::Postgres)
        );
        assert!(searched("50%", Backend::Postgres).starts_with("(fund_code || '') = $1 AND"));
        assert!(searched("an", Backend::Postgres).starts_with("fund_code = $1 AND"));
        assert!(searched("nguyen van", Backend::Sqlite)
            .starts_with("+fund_code = $1 AND gid IN (SELECT rowid FROM donations_search"));
        assert!(
            searched("50%", Backend::Sqlite).starts_with("fund_code = $1 AND donor_search LIKE")
        );
        assert!(searched("an", Backend::Sqlite).starts_with("fund_code = $1 AND"));
    }
}
