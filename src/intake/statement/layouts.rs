//! The tabular layouts (five banks' exports and the generic CSV), declared
//! once: the labels of each layout's header, and the labels of the rows that
//! sit among the lines without being lines (balances, totals, the account).
//! Header detection reads these; nothing else names a label.

use std::sync::LazyLock;

use super::text::fold;
use super::Layout;

/// Labels of one column, as the banks write them (accents and case do not
/// matter: they are compared folded).
type Labels = &'static [&'static str];

/// How a layout tells credits from debits.
#[derive(Clone, Copy, Debug)]
pub enum Money {
    /// A credit column and a debit column, as labelled.
    Columns { credit: Labels, debit: Labels },
    /// One amount column: a debit is written with a leading `-`, unless the
    /// optional kind column ("Loại": `C`/`D`, `Có`/`Nợ`, `CR`/`DR`) says which,
    /// in which case the amount must carry no sign.
    Signed { amount: Labels, kind: Labels },
}

/// One tabular layout's header.
#[derive(Debug)]
pub struct Spec {
    pub layout: Layout,
    /// The date the line is booked on, which the running balance follows.
    pub date: Labels,
    /// Labels that must be in the header without being read (MB's
    /// transaction date beside its posting date), so that detection is
    /// unambiguous.
    pub also: &'static [Labels],
    pub reference: Labels,
    pub reference_required: bool,
    pub money: Money,
    pub balance: Labels,
    pub balance_required: bool,
    pub narrative: Labels,
    /// The date is written only on the first line of a day (VietinBank):
    /// a line with no date takes the one above it.
    pub fill_down_date: bool,
    /// The header must be exactly these columns in this order (the generic
    /// CSV of SPEC §10), not merely contain them.
    pub exact: bool,
}

/// Every tabular layout. Each header must match exactly one of these; the
/// tests check the fixtures' headers against all of them.
pub static SPECS: [Spec; 6] = [
    Spec {
        layout: Layout::Vietcombank,
        date: &["ngày giao dịch"],
        also: &[],
        reference: &["số tham chiếu"],
        reference_required: true,
        money: Money::Columns {
            credit: &["số tiền ghi có"],
            debit: &["số tiền ghi nợ"],
        },
        balance: &["số dư"],
        balance_required: false,
        narrative: &["mô tả"],
        fill_down_date: false,
        exact: false,
    },
    Spec {
        layout: Layout::Bidv,
        date: &["ngày hiệu lực"],
        also: &[],
        reference: &["số tham chiếu", "số ct"],
        reference_required: false,
        money: Money::Columns {
            credit: &["ghi có"],
            debit: &["ghi nợ"],
        },
        balance: &["số dư"],
        balance_required: true,
        narrative: &["mô tả"],
        fill_down_date: false,
        exact: false,
    },
    Spec {
        layout: Layout::Vietinbank,
        date: &["ngày hạch toán", "ngày phát sinh"],
        also: &[],
        reference: &["số giao dịch"],
        reference_required: true,
        money: Money::Columns {
            credit: &["có"],
            debit: &["nợ"],
        },
        balance: &["số dư"],
        balance_required: true,
        narrative: &["mô tả giao dịch"],
        fill_down_date: true,
        exact: false,
    },
    Spec {
        layout: Layout::Mb,
        date: &["ngày hạch toán"],
        also: &[&["ngày giao dịch"]],
        reference: &["số bút toán", "mã giao dịch"],
        reference_required: false,
        money: Money::Columns {
            credit: &["phát sinh có"],
            debit: &["phát sinh nợ"],
        },
        balance: &["số dư"],
        balance_required: true,
        narrative: &["nội dung"],
        fill_down_date: false,
        exact: false,
    },
    Spec {
        layout: Layout::Agribank,
        date: &["ngày giao dịch", "ngày"],
        also: &[],
        reference: &["mã giao dịch"],
        reference_required: true,
        money: Money::Signed {
            amount: &["số tiền"],
            kind: &["loại"],
        },
        balance: &["số dư"],
        balance_required: true,
        narrative: &["diễn giải", "mô tả"],
        fill_down_date: false,
        exact: false,
    },
    Spec {
        layout: Layout::GenericCsv,
        date: &["date"],
        also: &[],
        reference: &["ref"],
        reference_required: true,
        money: Money::Columns {
            credit: &["credit"],
            debit: &["debit"],
        },
        balance: &["balance"],
        balance_required: true,
        narrative: &["description"],
        fill_down_date: false,
        exact: true,
    },
];

/// The generic CSV's header, in order (SPEC §10).
pub const GENERIC_HEADER: [&str; 6] = ["date", "ref", "credit", "debit", "balance", "description"];

/// Labels that open an opening-balance row, longest first so that "Số dư
/// đầu kỳ" is not read as "Số dư đầu" followed by "kỳ".
pub const OPENING_LABELS: Labels = &[
    "số dư đầu kỳ",
    "dư đầu kỳ",
    "số dư đầu",
    "dư đầu",
    "opening balance",
];

/// Labels that open a closing-balance row; as [`OPENING_LABELS`].
pub const CLOSING_LABELS: Labels = &[
    "số dư cuối kỳ",
    "dư cuối kỳ",
    "số dư cuối",
    "dư cuối",
    "closing balance",
];

/// Labels of a total row: the whole cell, so that a narrative that merely
/// begins with "Tổng" is not taken for one.
pub const TOTAL_LABELS: Labels = &[
    "tổng",
    "tổng cộng",
    "cộng phát sinh",
    "tổng phát sinh",
    "cộng",
    "total",
];

/// Labels before an account number in the title rows.
pub const ACCOUNT_LABELS: Labels = &[
    "số tài khoản",
    "tài khoản",
    "số tk",
    "stk",
    "account number",
    "account no",
];

/// A label list folded, once.
pub struct Folded(Vec<String>);

impl Folded {
    fn new(labels: Labels) -> Folded {
        Folded(labels.iter().map(|l| fold(l)).collect())
    }

    pub fn contains(&self, folded: &str) -> bool {
        self.0.iter().any(|l| l == folded)
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
}

/// The label lists folded once, in the order of [`SPECS`].
pub struct FoldedSpec {
    pub date: Folded,
    pub also: Vec<Folded>,
    pub reference: Folded,
    pub credit: Folded,
    pub debit: Folded,
    pub amount: Folded,
    pub kind: Folded,
    pub balance: Folded,
    pub narrative: Folded,
}

pub static FOLDED: LazyLock<Vec<FoldedSpec>> = LazyLock::new(|| {
    SPECS
        .iter()
        .map(|s| {
            let (credit, debit, amount, kind): (Labels, Labels, Labels, Labels) = match s.money {
                Money::Columns { credit, debit } => (credit, debit, &[], &[]),
                Money::Signed { amount, kind } => (&[], &[], amount, kind),
            };
            FoldedSpec {
                date: Folded::new(s.date),
                also: s.also.iter().map(|l| Folded::new(l)).collect(),
                reference: Folded::new(s.reference),
                credit: Folded::new(credit),
                debit: Folded::new(debit),
                amount: Folded::new(amount),
                kind: Folded::new(kind),
                balance: Folded::new(s.balance),
                narrative: Folded::new(s.narrative),
            }
        })
        .collect()
});

pub static OPENING: LazyLock<Folded> = LazyLock::new(|| Folded::new(OPENING_LABELS));
pub static CLOSING: LazyLock<Folded> = LazyLock::new(|| Folded::new(CLOSING_LABELS));
pub static TOTAL: LazyLock<Folded> = LazyLock::new(|| Folded::new(TOTAL_LABELS));
pub static ACCOUNT: LazyLock<Folded> = LazyLock::new(|| Folded::new(ACCOUNT_LABELS));

/// Where a detected layout's columns are, by 0-based index.
#[derive(Clone, Copy, Debug)]
pub struct Columns {
    pub date: usize,
    pub reference: Option<usize>,
    pub credit: Option<usize>,
    pub debit: Option<usize>,
    pub amount: Option<usize>,
    pub kind: Option<usize>,
    pub balance: Option<usize>,
    pub narrative: usize,
}

/// The first column whose folded label is one of `labels`.
fn find(folded: &[String], labels: &Folded) -> Option<usize> {
    folded.iter().position(|cell| labels.contains(cell))
}

/// The layouts (indexes into [`SPECS`]) whose header `folded` (the row's
/// cells, folded) is, with their columns. More than one means the header is ambiguous.
pub fn detect(folded: &[String]) -> Vec<(usize, Columns)> {
    let mut found = Vec::new();
    for (index, (spec, labels)) in SPECS.iter().zip(FOLDED.iter()).enumerate() {
        if spec.exact {
            let mut cells: &[String] = folded;
            while let [rest @ .., last] = cells {
                if !last.is_empty() {
                    break;
                }
                cells = rest;
            }
            if cells.len() != GENERIC_HEADER.len()
                || cells.iter().zip(GENERIC_HEADER).any(|(c, h)| c != h)
            {
                continue;
            }
        }
        let Some(date) = find(folded, &labels.date) else {
            continue;
        };
        let Some(narrative) = find(folded, &labels.narrative) else {
            continue;
        };
        if !labels.also.iter().all(|l| find(folded, l).is_some()) {
            continue;
        }
        let reference = find(folded, &labels.reference);
        if spec.reference_required && reference.is_none() {
            continue;
        }
        let balance = find(folded, &labels.balance);
        if spec.balance_required && balance.is_none() {
            continue;
        }
        let (credit, debit, amount, kind) = match spec.money {
            Money::Columns { .. } => {
                let (Some(c), Some(d)) =
                    (find(folded, &labels.credit), find(folded, &labels.debit))
                else {
                    continue;
                };
                (Some(c), Some(d), None, None)
            }
            Money::Signed { .. } => {
                let Some(a) = find(folded, &labels.amount) else {
                    continue;
                };
                (None, None, Some(a), find(folded, &labels.kind))
            }
        };
        found.push((
            index,
            Columns {
                date,
                reference,
                credit,
                debit,
                amount,
                kind,
                balance,
                narrative,
            },
        ));
    }
    found
}
