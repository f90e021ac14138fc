//! Roll-ups up the committee tree (SPEC §11): a committee's figures for a
//! period are the sum of the statements of every fund in its subtree, less
//! the money that moved between two funds of that subtree (it left one and
//! reached the other, so it was neither raised nor spent by the subtree).
//!
//! Everything here is arithmetic on [`Statement`]s already built: the
//! figures of a fund row are its statement's, so an inspector follows any
//! figure to `GET /funds/{fund}/statement` (whose `statement_sha256` the row
//! names) and from there to the entries.

use std::collections::BTreeMap;

use serde::Serialize;

use super::money::{as_string, SumVnd};
use super::statement::{Statement, Support};

/// The figures of a fund, or of a subtree, for a period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Figures {
    #[serde(with = "as_string")]
    #[schema(value_type = String)]
    pub opening_balance_vnd: SumVnd,
    #[serde(with = "as_string")]
    #[schema(value_type = String)]
    pub opening_stock_value_vnd: SumVnd,
    /// Gifts of money, and how many.
    pub gifts_cash: u64,
    #[serde(with = "as_string")]
    #[schema(value_type = String)]
    pub received_cash_vnd: SumVnd,
    /// Gifts of goods at their stated value, and how many.
    pub gifts_in_kind: u64,
    #[serde(with = "as_string")]
    #[schema(value_type = String)]
    pub received_in_kind_vnd: SumVnd,
    /// From funds outside the subtree (inside ones are netted out).
    #[serde(with = "as_string")]
    #[schema(value_type = String)]
    pub transfers_in_vnd: SumVnd,
    /// Approved distributions by support type (`cash_grant`, `house_new`…).
    #[schema(value_type = BTreeMap<String, Object>)]
    pub spent_by_type: BTreeMap<String, Support>,
    #[serde(with = "as_string")]
    #[schema(value_type = String)]
    pub distributed_cash_vnd: SumVnd,
    #[serde(with = "as_string")]
    #[schema(value_type = String)]
    pub distributed_goods_vnd: SumVnd,
    #[serde(with = "as_string")]
    #[schema(value_type = String)]
    pub expenses_vnd: SumVnd,
    /// To funds outside the subtree.
    #[serde(with = "as_string")]
    #[schema(value_type = String)]
    pub transfers_out_vnd: SumVnd,
    /// What reversals in the period did to the cash balance.
    #[serde(with = "as_string")]
    #[schema(value_type = String)]
    pub reversals_cash_vnd: SumVnd,
    /// Households reached, distinct within each fund (a household is on
    /// one fund's register) and added up across funds.
    pub households_reached: u64,
    pub houses_built: u64,
    pub houses_repaired: u64,
    /// Of those, houses whose distribution a reversal later undid: the
    /// statement counted them when given; progress against targets does
    /// not.
    pub houses_reversed: u64,
    pub tet_gifts: u64,
    #[serde(with = "as_string")]
    #[schema(value_type = String)]
    pub closing_balance_vnd: SumVnd,
    #[serde(with = "as_string")]
    #[schema(value_type = String)]
    pub closing_stock_value_vnd: SumVnd,
}

impl Figures {
    /// A fund's figures: its statement's, line by line.
    pub fn of(st: &Statement) -> Self {
        let by_type = &st.uses.distributions_by_type;
        let count = |t: &str| by_type.get(t).map_or(0, |s| s.count);
        Figures {
            opening_balance_vnd: st.opening.balance_vnd,
            opening_stock_value_vnd: st.opening.stock_value_vnd,
            gifts_cash: st.sources.gifts_cash.count,
            received_cash_vnd: st.sources.gifts_cash.amount_vnd,
            gifts_in_kind: st.sources.gifts_in_kind.count,
            received_in_kind_vnd: st.sources.gifts_in_kind.amount_vnd,
            transfers_in_vnd: st.sources.transfers_in.amount_vnd,
            spent_by_type: by_type.clone(),
            distributed_cash_vnd: st.uses.distributions.cash_vnd,
            distributed_goods_vnd: st.uses.distributions.goods_vnd,
            expenses_vnd: st.uses.expenses.amount_vnd,
            transfers_out_vnd: st.uses.transfers_out.amount_vnd,
            reversals_cash_vnd: st.reversals.cash_effect_vnd,
            households_reached: st.uses.distributions.households,
            houses_built: count("house_new"),
            houses_repaired: count("house_repair"),
            houses_reversed: 0,
            tet_gifts: count("tet_gift"),
            closing_balance_vnd: st.closing.balance_vnd,
            closing_stock_value_vnd: st.closing.stock_value_vnd,
        }
    }

    /// Adds `o`, line by line.
    pub fn add(&mut self, o: &Figures) {
        self.opening_balance_vnd += o.opening_balance_vnd;
        self.opening_stock_value_vnd += o.opening_stock_value_vnd;
        self.gifts_cash += o.gifts_cash;
        self.received_cash_vnd += o.received_cash_vnd;
        self.gifts_in_kind += o.gifts_in_kind;
        self.received_in_kind_vnd += o.received_in_kind_vnd;
        self.transfers_in_vnd += o.transfers_in_vnd;
        for (t, s) in &o.spent_by_type {
            let mine = self.spent_by_type.entry(t.clone()).or_default();
            mine.count += s.count;
            mine.households += s.households;
            mine.cash_vnd += s.cash_vnd;
            mine.goods_vnd += s.goods_vnd;
        }
        self.distributed_cash_vnd += o.distributed_cash_vnd;
        self.distributed_goods_vnd += o.distributed_goods_vnd;
        self.expenses_vnd += o.expenses_vnd;
        self.transfers_out_vnd += o.transfers_out_vnd;
        self.reversals_cash_vnd += o.reversals_cash_vnd;
        self.households_reached += o.households_reached;
        self.houses_built += o.houses_built;
        self.houses_repaired += o.houses_repaired;
        self.houses_reversed += o.houses_reversed;
        self.tet_gifts += o.tet_gifts;
        self.closing_balance_vnd += o.closing_balance_vnd;
        self.closing_stock_value_vnd += o.closing_stock_value_vnd;
    }

    /// Gifts of money and goods: what "mobilised" means against a target
    /// (transfers from other funds are not new money).
    pub fn mobilised_vnd(&self) -> SumVnd {
        self.received_cash_vnd + self.received_in_kind_vnd
    }

    /// Opening + gifts + transfers in − distributed − expenses − transfers
    /// out + reversals = closing, in cash, to the đồng.
    pub fn balanced(&self) -> bool {
        self.opening_balance_vnd + self.received_cash_vnd + self.transfers_in_vnd
            - self.distributed_cash_vnd
            - self.expenses_vnd
            - self.transfers_out_vnd
            + self.reversals_cash_vnd
            == self.closing_balance_vnd
    }
}

/// Targets for a year and how far the figures reach them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Progress {
    pub year: i32,
    #[serde(with = "as_string")]
    #[schema(value_type = String)]
    pub mobilise_target_vnd: SumVnd,
    #[serde(with = "as_string")]
    #[schema(value_type = String)]
    pub mobilised_vnd: SumVnd,
    pub households_target: u64,
    pub households_reached: u64,
    pub houses_target: u64,
    /// Built and repaired, less those whose support was reversed.
    pub houses: u64,
    /// Each figure against its target, in whole percent (rounded down;
    /// none when the target is zero).
    pub mobilise_percent: Option<u64>,
    pub households_percent: Option<u64>,
    pub houses_percent: Option<u64>,
}

/// Whole percent of `n` over `target`, rounded down.
fn percent(n: i128, target: i128) -> Option<u64> {
    (target > 0).then(|| u64::try_from(n.max(0) * 100 / target).unwrap_or(u64::MAX))
}

impl Progress {
    pub fn new(year: i32, target: (SumVnd, u64, u64), f: &Figures) -> Self {
        let (money, households, houses) = target;
        let built = (f.houses_built + f.houses_repaired).saturating_sub(f.houses_reversed);
        Progress {
            year,
            mobilise_target_vnd: money,
            mobilised_vnd: f.mobilised_vnd(),
            households_target: households,
            households_reached: f.households_reached,
            houses_target: houses,
            houses: built,
            mobilise_percent: percent(f.mobilised_vnd(), money),
            households_percent: percent(i128::from(f.households_reached), i128::from(households)),
            houses_percent: percent(i128::from(built), i128::from(houses)),
        }
    }
}

/// A fund of the subtree, with the committee path it belongs to.
#[derive(Debug, Clone)]
pub struct FundFigures {
    pub fund: String,
    pub committee_path: String,
    pub figures: Figures,
}

/// Money from one fund to another in the period.
#[derive(Debug, Clone, Copy)]
pub struct Edge<'a> {
    pub from_path: &'a str,
    pub to_path: &'a str,
    pub amount_vnd: SumVnd,
}

/// The figures of the subtree under `path` (a committee path such as
/// `/VN/HN/`): every fund under it added up, less the transfers whose two
/// funds are both under it. Returns the figures and the amount netted.
pub fn subtree(path: &str, funds: &[FundFigures], edges: &[Edge<'_>]) -> (Figures, SumVnd) {
    let mut total = Figures::default();
    for f in funds.iter().filter(|f| f.committee_path.starts_with(path)) {
        total.add(&f.figures);
    }
    let netted: SumVnd = edges
        .iter()
        .filter(|e| e.from_path.starts_with(path) && e.to_path.starts_with(path))
        .map(|e| e.amount_vnd)
        .sum();
    total.transfers_in_vnd -= netted;
    total.transfers_out_vnd -= netted;
    (total, netted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fund(path: &str, gifts: i128, out: i128, inn: i128) -> FundFigures {
        let figures = Figures {
            opening_balance_vnd: 10,
            received_cash_vnd: gifts,
            gifts_cash: 1,
            transfers_out_vnd: out,
            transfers_in_vnd: inn,
            closing_balance_vnd: 10 + gifts - out + inn,
            ..Figures::default()
        };
        FundFigures {
            fund: path.to_owned(),
            committee_path: path.to_owned(),
            figures,
        }
    }

    #[test]
    fn transfers_inside_a_subtree_are_netted_and_outside_ones_kept() {
        // A province sends 300 to commune A; commune B sends 50 to the
        // centre (outside the province).
        let funds = vec![
            fund("/VN/P/", 1_000, 300, 0),
            fund("/VN/P/A/", 200, 0, 300),
            fund("/VN/P/B/", 100, 50, 0),
            fund("/VN/Q/", 5, 0, 0),
        ];
        let edges = [
            Edge {
                from_path: "/VN/P/",
                to_path: "/VN/P/A/",
                amount_vnd: 300,
            },
            Edge {
                from_path: "/VN/P/B/",
                to_path: "/VN/",
                amount_vnd: 50,
            },
        ];
        let (p, netted) = subtree("/VN/P/", &funds, &edges);
        assert_eq!(netted, 300);
        assert_eq!(p.received_cash_vnd, 1_300);
        assert_eq!(p.transfers_in_vnd, 0);
        assert_eq!(p.transfers_out_vnd, 50);
        assert_eq!(p.opening_balance_vnd, 30);
        assert_eq!(p.closing_balance_vnd, 30 + 1_300 - 50);
        assert!(p.balanced());
        // Commune A alone: the province's money came from outside it.
        let (a, netted) = subtree("/VN/P/A/", &funds, &edges);
        assert_eq!((netted, a.transfers_in_vnd, a.gifts_cash), (0, 300, 1));
        // A path is a prefix with its slash: /VN/P/ is not under /VN/PX/.
        let (none, _) = subtree("/VN/PX/", &funds, &edges);
        assert_eq!(none, Figures::default());
    }

    /// A statement whose every line holds a different figure.
    fn statement() -> Statement {
        use super::super::statement::{Position, Reversals, Sources, Tally, Uses};
        let tally = |count, amount_vnd| Tally { count, amount_vnd };
        let support = |count, households, cash_vnd, goods_vnd| Support {
            count,
            households,
            cash_vnd,
            goods_vnd,
        };
        let position = |balance_vnd, stock_value_vnd| Position {
            balance_vnd,
            reserved_vnd: 0,
            stock_value_vnd,
        };
        Statement {
            fund: "F".into(),
            from: "2026-01-01".into(),
            to: "2026-12-31".into(),
            first_seq: None,
            last_seq: None,
            entries: 0,
            // No line holds 2, where doubling and squaring agree.
            opening: position(1, 20),
            sources: Sources {
                gifts_cash: tally(3, 4),
                gifts_in_kind: tally(5, 6),
                transfers_in: tally(1, 7),
                ..Sources::default()
            },
            uses: Uses {
                distributions: support(8, 9, 10, 11),
                distributions_by_type: BTreeMap::from([
                    ("house_new".to_owned(), support(12, 12, 21, 22)),
                    ("house_repair".to_owned(), support(13, 13, 0, 0)),
                    ("tet_gift".to_owned(), support(14, 14, 0, 0)),
                ]),
                transfers_out: tally(1, 15),
                expenses: tally(1, 16),
                ..Uses::default()
            },
            goods: Vec::new(),
            reversals: Reversals {
                count: 1,
                cash_effect_vnd: 17,
                prior_period_adjustments: Vec::new(),
            },
            closing: position(18, 19),
            balanced: true,
        }
    }

    #[test]
    fn a_fund_s_figures_are_its_statement_s_lines_and_add_line_by_line() {
        let f = Figures::of(&statement());
        let lines = |f: &Figures| {
            [
                f.opening_balance_vnd,
                f.opening_stock_value_vnd,
                i128::from(f.gifts_cash),
                f.received_cash_vnd,
                i128::from(f.gifts_in_kind),
                f.received_in_kind_vnd,
                f.transfers_in_vnd,
                f.distributed_cash_vnd,
                f.distributed_goods_vnd,
                f.expenses_vnd,
                f.transfers_out_vnd,
                f.reversals_cash_vnd,
                i128::from(f.households_reached),
                i128::from(f.houses_built),
                i128::from(f.houses_repaired),
                i128::from(f.tet_gifts),
                f.closing_balance_vnd,
                f.closing_stock_value_vnd,
            ]
        };
        assert_eq!(
            lines(&f),
            [1, 20, 3, 4, 5, 6, 7, 10, 11, 16, 15, 17, 9, 12, 13, 14, 18, 19]
        );
        assert_eq!(f.spent_by_type["tet_gift"].count, 14);
        assert_eq!(f.mobilised_vnd(), 4 + 6);
        let mut twice = f.clone();
        twice.houses_reversed = 1;
        let mut other = f.clone();
        other.houses_reversed = 2;
        twice.add(&other);
        assert_eq!(lines(&twice), lines(&f).map(|n| 2 * n));
        assert_eq!(twice.houses_reversed, 3);
        assert_eq!(
            twice.spent_by_type["house_new"],
            Support {
                count: 24,
                households: 24,
                cash_vnd: 42,
                goods_vnd: 44,
            }
        );
        // 1 + 4 + 7 − 10 − 16 − 15 + 17 = −12, not 18.
        assert!(!f.balanced());
        let fixed = Figures {
            closing_balance_vnd: -12,
            ..f
        };
        assert!(fixed.balanced());
    }

    #[test]
    fn progress_is_measured_in_whole_percent_against_non_zero_targets() {
        let f = Figures {
            received_cash_vnd: 150,
            received_in_kind_vnd: 50,
            households_reached: 3,
            houses_built: 1,
            houses_repaired: 1,
            ..Figures::default()
        };
        let p = Progress::new(2026, (400, 4, 0), &f);
        assert_eq!(
            (
                p.year,
                p.mobilise_target_vnd,
                p.households_target,
                p.houses_target
            ),
            (2026, 400, 4, 0)
        );
        assert_eq!(p.households_reached, 3);
        assert_eq!(p.mobilised_vnd, 200);
        assert_eq!(p.mobilise_percent, Some(50));
        assert_eq!(p.households_percent, Some(75));
        assert_eq!(p.houses, 2);
        assert_eq!(p.houses_percent, None);
        // A house given and then reversed is no house.
        let undone = Figures {
            houses_reversed: 1,
            ..f.clone()
        };
        assert_eq!(
            Progress::new(2026, (1, 1, 2), &undone).houses_percent,
            Some(50)
        );
        let over = Progress::new(2026, (100, 1, 1), &f);
        assert_eq!(
            (
                over.mobilise_percent,
                over.households_percent,
                over.houses_percent
            ),
            (Some(200), Some(300), Some(200))
        );
    }
}
