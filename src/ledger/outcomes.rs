//! Outcomes (SPEC §11): households leaving poverty, counted per commune
//! and review year and by the support they received, and sponsorships with
//! their progress. Public figures: a count of one or two households in a
//! commune points to the families, so counts below the policy's
//! `min_public_households` are withheld (shown as "fewer than"), and no
//! household is ever named.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::book::{Book, DistState, SponsorshipProgress};
use super::kinds::name_of;
use super::money::{as_string, SumVnd};

/// A count as published: the number, or none when it is below the
/// minimum (and not zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Count {
    pub households: Option<u64>,
    /// Set when the count is withheld: it is below this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fewer_than: Option<u64>,
}

impl Count {
    pub fn of(n: u64, min: u64) -> Self {
        if n == 0 || n >= min {
            Count {
                households: Some(n),
                fewer_than: None,
            }
        } else {
            Count {
                households: None,
                fewer_than: Some(min),
            }
        }
    }
}

/// Households of one commune that a review of one year found out of
/// poverty, having been poor or near-poor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeftPoverty {
    pub commune_code: String,
    pub year: i32,
    #[serde(flatten)]
    pub count: Count,
    /// By each support type they had received (a household that received
    /// several counts under each).
    pub by_support: BTreeMap<String, Count>,
}

/// Households leaving poverty, by commune and review year, counted
/// before suppression (for the roll-up's sums) — (commune, year) to the
/// households and, per support type, how many had it.
pub type Leavers = BTreeMap<(String, i32), (u64, BTreeMap<String, u64>)>;

/// Who left poverty, from the reviews: a reviewed class of
/// `newly_escaped` or `not_poor` whose class before was `poor` or
/// `near_poor`.
pub fn leavers(book: &Book) -> Leavers {
    let mut out = Leavers::new();
    for h in book.households.values() {
        for pair in h.classes.windows(2) {
            let (before, after) = (&pair[0], &pair[1]);
            if !(after.reviewed && after.category.out_of_poverty() && before.category.in_poverty())
            {
                continue;
            }
            // What it had received before the review found it out.
            let support: BTreeSet<String> = h
                .distributions
                .iter()
                .filter_map(|d| book.distributions.get(d))
                .filter(|d| d.status == DistState::Approved && d.seq < after.seq)
                .map(|d| name_of(&d.support_type))
                .collect();
            let slot = out
                .entry((h.commune_code.clone(), after.review_year))
                .or_default();
            slot.0 += 1;
            for s in support {
                *slot.1.entry(s).or_default() += 1;
            }
        }
    }
    out
}

/// [`leavers`] as published, with counts below `min` withheld.
pub fn left_poverty(book: &Book, min: u64) -> Vec<LeftPoverty> {
    leavers(book)
        .into_iter()
        .map(|((commune_code, year), (n, by))| LeftPoverty {
            commune_code,
            year,
            count: Count::of(n, min),
            by_support: by
                .into_iter()
                .map(|(k, v)| (k, Count::of(v, min)))
                .collect(),
        })
        .collect()
}

/// A sponsorship as published, with its progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SponsorshipView {
    pub sponsorship_id: String,
    pub sponsor: String,
    pub year: i32,
    /// Households committed.
    pub households: u64,
    /// Whether it names its households (by pseudonymous id, on the
    /// ledger); the page shows only how many.
    pub named: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_vnd: Option<String>,
    #[serde(flatten)]
    pub progress: SponsorshipProgress,
}

/// Every sponsorship of the fund, or those with a distribution naming
/// `campaign`, with their progress (in the campaign's distributions
/// only, for a campaign).
pub fn sponsorships(book: &Book, campaign: Option<&str>) -> Vec<SponsorshipView> {
    book.sponsorships
        .values()
        .filter_map(|s| {
            let progress = match campaign {
                None => book.sponsorship_progress(s),
                Some(c) => {
                    let mut only = s.clone();
                    only.distributions.retain(|d| {
                        book.distributions
                            .get(d)
                            .is_some_and(|d| d.campaign_id.as_deref() == Some(c))
                    });
                    if only.distributions.is_empty() {
                        return None;
                    }
                    book.sponsorship_progress(&only)
                }
            };
            Some(SponsorshipView {
                sponsorship_id: s.sponsorship_id.clone(),
                sponsor: s.sponsor.clone(),
                year: s.year,
                households: s.households,
                named: !s.household_ids.is_empty(),
                value_vnd: s.value_vnd.clone(),
                progress,
            })
        })
        .collect()
}

/// Sponsorships added up: for the roll-up.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SponsorshipSum {
    pub sponsorships: u64,
    pub fulfilled: u64,
    pub households_committed: u64,
    pub households_reached: u64,
    #[serde(with = "as_string")]
    #[schema(value_type = String)]
    pub given_vnd: SumVnd,
}

impl SponsorshipSum {
    pub fn add_view(&mut self, v: &SponsorshipView) {
        self.sponsorships += 1;
        self.fulfilled += u64::from(v.progress.fulfilled);
        self.households_committed += v.households;
        self.households_reached += v.progress.households_reached;
        self.given_vnd += v.progress.given_vnd;
    }

    pub fn add(&mut self, o: &SponsorshipSum) {
        self.sponsorships += o.sponsorships;
        self.fulfilled += o.fulfilled;
        self.households_committed += o.households_committed;
        self.households_reached += o.households_reached;
        self.given_vnd += o.given_vnd;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::book::{Class, DistributionState, Household, Sponsorship};
    use crate::ledger::kinds::programme::Category;
    use serde_json::json;

    fn class(seq: u64, category: Category, year: i32, reviewed: bool) -> Class {
        Class {
            seq,
            category,
            review_year: year,
            by: "clerk".into(),
            on: time::macros::date!(2026 - 11 - 01),
            reviewed,
        }
    }

    fn household(
        id: &str,
        commune: &str,
        classes: Vec<Class>,
        distributions: &[&str],
    ) -> Household {
        let last = classes.last().cloned().expect("a class");
        Household {
            household_id: id.into(),
            commune_code: commune.into(),
            hamlet: String::new(),
            category: last.category,
            members: 3,
            review_year: last.review_year,
            commitment: String::new(),
            registered_seq: classes[0].seq,
            classes,
            distributions: distributions.iter().map(|d| (*d).to_owned()).collect(),
        }
    }

    fn distribution(id: &str, h: &str, support: &str, seq: u64, status: &str) -> DistributionState {
        serde_json::from_value(json!({
            "distribution_id": id, "household_id": h, "support_type": support,
            "cash_vnd": "1000", "goods_vnd": "0", "items": [], "decision_ref": "QĐ 1",
            "campaign_id": if id.starts_with('c') { json!("bao") } else { json!(null) },
            "status": status, "from_earmark_vnd": "0", "recorded_by": "clerk",
            "recorded_on": "2026-11-01", "seq": seq, "sponsorship_id": "sp-1"}))
        .expect("a distribution")
    }

    /// Four households of commune A and one of B: which ones left
    /// poverty, by what they had received before their review.
    fn book() -> Book {
        use Category::*;
        let mut b = Book::default();
        let hs = [
            // Poor, reviewed newly out: counted, with what came before.
            household(
                "h1",
                "A",
                vec![
                    class(1, Poor, 2025, false),
                    class(20, NewlyEscaped, 2026, true),
                ],
                &["d1", "d2", "d3"],
            ),
            // Near-poor, reviewed not poor: counted.
            household(
                "h2",
                "A",
                vec![
                    class(2, NearPoor, 2025, false),
                    class(21, NotPoor, 2026, true),
                ],
                &["c4"],
            ),
            // Poor, reclassified (not reviewed) out: not counted.
            household(
                "h3",
                "A",
                vec![
                    class(3, Poor, 2025, false),
                    class(22, NewlyEscaped, 2026, false),
                ],
                &[],
            ),
            // In hardship, reviewed out: it was not in poverty.
            household(
                "h4",
                "A",
                vec![
                    class(4, Hardship, 2025, false),
                    class(23, NotPoor, 2026, true),
                ],
                &[],
            ),
            // Reviewed still near-poor: not counted.
            household(
                "h5",
                "B",
                vec![class(5, Poor, 2025, false), class(24, NearPoor, 2026, true)],
                &[],
            ),
        ];
        for h in hs {
            b.households.insert(h.household_id.clone(), h);
        }
        for d in [
            distribution("d1", "h1", "livelihood", 10, "approved"),
            distribution("d2", "h1", "tet_gift", 30, "approved"),
            distribution("d3", "h1", "medical", 11, "pending"),
            distribution("c4", "h2", "livelihood", 12, "approved"),
        ] {
            b.distributions.insert(d.distribution_id.clone(), d);
        }
        b
    }

    #[test]
    fn leaving_poverty_is_a_review_out_of_poor_or_near_poor_by_support_received_before() {
        let l = leavers(&book());
        assert_eq!(l.len(), 1, "{l:?}");
        let (n, by) = &l[&("A".to_owned(), 2026)];
        assert_eq!(*n, 2);
        // d2 came after the review, d3 is pending: neither counts.
        assert_eq!(by, &BTreeMap::from([("livelihood".to_owned(), 2)]));
        let shown = left_poverty(&book(), 3);
        assert_eq!(
            shown[0].count,
            Count {
                households: None,
                fewer_than: Some(3)
            }
        );
        assert_eq!(shown[0].by_support["livelihood"].households, None);
        let shown = left_poverty(&book(), 2);
        assert_eq!(shown[0].count.households, Some(2));
        assert_eq!((shown[0].commune_code.as_str(), shown[0].year), ("A", 2026));
    }

    #[test]
    fn a_sponsorship_s_progress_in_a_campaign_counts_that_campaign_s_support_only() {
        let mut b = book();
        if let Some(d) = b.distributions.get_mut("d1") {
            d.goods_vnd = 500;
        }
        b.sponsorships.insert(
            "sp-1".into(),
            Sponsorship {
                sponsorship_id: "sp-1".into(),
                sponsor: "Công ty ABC".into(),
                sponsor_kind: "organization".into(),
                year: 2026,
                households: 2,
                household_ids: vec![],
                value_vnd: Some("2000".into()),
                seq: 9,
                distributions: vec!["d1".into(), "c4".into(), "d3".into()],
            },
        );
        // The same households reached, with more money promised than given.
        let mut short = b.sponsorships["sp-1"].clone();
        short.value_vnd = Some("3000".into());
        let p = b.sponsorship_progress(&short);
        assert_eq!(
            (p.households_reached, p.given_vnd, p.fulfilled),
            (2, 2500, false)
        );
        let all = sponsorships(&b, None);
        assert_eq!(all.len(), 1);
        assert_eq!(
            (
                all[0].progress.households_reached,
                all[0].progress.given_vnd
            ),
            (2, 2500)
        );
        assert!(all[0].progress.fulfilled && !all[0].named);
        let in_campaign = sponsorships(&b, Some("bao"));
        assert_eq!(in_campaign[0].progress.households_reached, 1);
        assert!(!in_campaign[0].progress.fulfilled);
        assert!(sponsorships(&b, Some("other")).is_empty());
        let mut sum = SponsorshipSum::default();
        sum.add_view(&all[0]);
        sum.add_view(&in_campaign[0]);
        let mut total = SponsorshipSum::default();
        total.add(&sum);
        total.add(&sum);
        assert_eq!(
            (
                total.sponsorships,
                total.fulfilled,
                total.households_committed,
                total.households_reached,
                total.given_vnd
            ),
            (4, 2, 8, 6, 7000)
        );
    }

    #[test]
    fn small_counts_are_withheld_and_zero_and_large_ones_shown() {
        assert_eq!(Count::of(0, 3).households, Some(0));
        assert_eq!(
            Count::of(1, 3),
            Count {
                households: None,
                fewer_than: Some(3)
            }
        );
        assert_eq!(Count::of(2, 3).households, None);
        assert_eq!(Count::of(3, 3).households, Some(3));
        assert_eq!(Count::of(1, 1).households, Some(1));
    }
}
