//! Outflows under four eyes (SPEC §9): which entries move money or goods
//! out, what they are worth, what a pending one holds back, and how a
//! second person settles it (`outflow_approved`, `outflow_voided`).
//!
//! From entry version 2 every outflow carries a status the server sets.
//! A pending outflow holds back the cash and goods it would move, so
//! nothing else can spend them, and takes effect only when a different
//! person approves it. Goods leave stock at the book's value: the average
//! value of the units no pending outflow holds, the last units taking
//! what is left, so a line's value reaches 0 with its quantity.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::{
    broken, stock_short, vnd, At, Book, Broken, Change, DistState, Hold, OutflowState, StockLine,
};
use crate::ledger::ids::{format_date, Id};
use crate::ledger::kinds::corrections::Reversal;
use crate::ledger::kinds::goods::{OutLine, StockAdjusted};
use crate::ledger::kinds::spending::OutflowStatus;
use crate::ledger::kinds::{name_of, Body};
use crate::ledger::money::SumVnd;
use crate::ledger::values::round_vnd;

/// The entry version from which outflows carry a status and goods leave
/// stock at the book's value.
pub const FOUR_EYES_VERSION: u64 = 2;

/// The book's value of goods leaving stock: per line, (unit value, value).
pub type LineValues = Vec<(u64, u64)>;

impl Book {
    /// Whether `body` is an outflow other than a distribution, with the
    /// status it carries: expenses, transfers out, stock adjustments, and
    /// reversals of gifts and transfers.
    pub fn outflow_status(&self, body: &Body) -> Option<Option<OutflowStatus>> {
        match body {
            Body::Expense(b) => Some(b.status),
            Body::TransferOut(b) => Some(b.status),
            Body::StockAdjusted(b) => Some(b.status),
            Body::Reversal(r) if self.reverses_money(r) => Some(r.status),
            _ => None,
        }
    }

    /// Whether a reversal undoes a gift or a transfer: an outflow.
    pub fn reverses_money(&self, r: &Reversal) -> bool {
        matches!(
            self.posted(r.reverses_seq).as_deref(),
            Some(
                Body::DonationCash(_)
                    | Body::DonationInKind(_)
                    | Body::TransferIn(_)
                    | Body::TransferOut(_)
            )
        )
    }

    /// What an outflow moves, in đồng, before it is written: the figure
    /// thresholds are judged on. None for an entry that is not an
    /// outflow. A distribution's goods must be valued already.
    pub fn outflow_value(&self, body: &Body, v: u64) -> Result<Option<SumVnd>, Broken> {
        Ok(Some(match body {
            Body::Distribution(b) => SumVnd::try_from(b.total_vnd()).unwrap_or(SumVnd::MAX),
            Body::Expense(b) => vnd(b.amount_vnd.get()),
            Body::TransferOut(b) => vnd(b.amount_vnd.get()),
            Body::StockAdjusted(b) => self.adjustment_value(b, v)?.abs(),
            Body::Reversal(r) if self.reverses_money(r) => {
                match self.posted(r.reverses_seq).as_deref() {
                    Some(Body::DonationCash(g)) => vnd(g.amount_vnd.get()),
                    Some(Body::DonationInKind(g)) => vnd(g.total_value_vnd.get()),
                    Some(Body::TransferIn(t) | Body::TransferOut(t)) => vnd(t.amount_vnd.get()),
                    _ => 0,
                }
            }
            _ => return Ok(None),
        }))
    }

    /// What `person` has recorded in outflows today (Vietnam time),
    /// pending and approved, as of the last entry; 0 on a new day.
    pub fn outflows_today(&self, person: &str, today: time::Date) -> SumVnd {
        if self.day == Some(today) {
            self.day_outflows.get(person).copied().unwrap_or(0)
        } else {
            0
        }
    }

    /// The book's value of each line leaving stock (SPEC §9): quantity ×
    /// the average value of the units available, rounded half up, the
    /// last units taking what is left. Lines of one item are taken in
    /// order, each from what the ones before left.
    pub fn value_out(&self, lines: &[OutLine], field: &str) -> Result<LineValues, Broken> {
        let mut left: BTreeMap<&str, (Decimal, SumVnd)> = BTreeMap::new();
        let mut out = Vec::with_capacity(lines.len());
        for (i, l) in lines.iter().enumerate() {
            let item = l.item.as_str();
            let line = self.stock.get(item).ok_or_else(|| {
                broken(
                    "stock_insufficient",
                    &format!("{field}[{i}].item"),
                    format!("there is no {item} in stock"),
                )
            })?;
            let (qty, value) = left
                .entry(item)
                .or_insert((line.available(), line.available_value_vnd().max(0)));
            let q = l.quantity.0;
            if q > *qty || q <= Decimal::ZERO {
                return Err(stock_short(line, q, field));
            }
            let taken = if q == *qty {
                *value
            } else {
                share(*value, q, *qty).ok_or_else(|| overflow(field))?
            };
            *qty -= q;
            *value -= taken;
            let unit = share(taken, Decimal::ONE, q).ok_or_else(|| overflow(field))?;
            out.push((
                u64::try_from(unit).map_err(|_| overflow(field))?,
                u64::try_from(taken).map_err(|_| overflow(field))?,
            ));
        }
        Ok(out)
    }

    /// Checks that version 2 distribution lines carry the book's value.
    pub(super) fn check_values_out(&self, lines: &[OutLine], field: &str) -> Result<(), Broken> {
        let values = self.value_out(lines, field)?;
        for (i, (l, (unit, value))) in lines.iter().zip(values).enumerate() {
            let stated = (
                l.unit_value_vnd.map(|v| v.get()),
                l.value_vnd.map(|v| v.get()),
            );
            if stated != (Some(unit), Some(value)) {
                return Err(goods_value(
                    &format!("{field}[{i}].value_vnd"),
                    l,
                    unit,
                    value,
                ));
            }
        }
        Ok(())
    }

    /// The value a stock adjustment adds (negative: takes away). Version
    /// 1 takes units away at the whole line's average; from version 2 at
    /// the average of the units no pending outflow holds.
    pub fn adjustment_value(&self, b: &StockAdjusted, v: u64) -> Result<SumVnd, Broken> {
        let line = self.adjusted_line(b)?;
        let delta = b.quantity_delta.0;
        if v >= FOUR_EYES_VERSION && delta < Decimal::ZERO {
            let available = StockLine {
                quantity: line.available(),
                value_vnd: line.available_value_vnd().max(0),
                reserved: Decimal::ZERO,
                reserved_value_vnd: 0,
                ..line.clone()
            };
            return super::rules::adjustment_value(&available, delta, b.unit_value_vnd);
        }
        super::rules::adjustment_value(line, delta, b.unit_value_vnd)
    }

    /// The stock line a stock adjustment names, or the rule it breaks.
    pub(super) fn adjusted_line(&self, b: &StockAdjusted) -> Result<&StockLine, Broken> {
        self.stock.get(b.item.as_str()).ok_or_else(|| {
            broken(
                "unknown_item",
                "body.item",
                format!("there is no {} in stock", b.item),
            )
        })
    }

    /// Refuses a version 2 outflow written without its status or id.
    pub(super) fn four_eyes_fields(
        &self,
        at: At<'_>,
        status: Option<OutflowStatus>,
        id: Option<&Id>,
        id_field: &str,
    ) -> Result<(), Broken> {
        if at.v < FOUR_EYES_VERSION {
            return Ok(());
        }
        if status.is_none() {
            return Err(broken(
                "status_missing",
                "body.status",
                "the server sets an outflow's status",
            ));
        }
        if id.is_none() {
            return Err(broken("id_missing", id_field, "the server assigns this id"));
        }
        Ok(())
    }

    /// `outflow_approved`: the outflow waits, and the approver is not the
    /// person who recorded it.
    pub(super) fn check_settle(
        &self,
        at: At<'_>,
        of_seq: u64,
        approving: bool,
    ) -> Result<Change, Broken> {
        const F: &str = "body.of_seq";
        let (status, recorded_by, what) = if let Some(id) = self.distribution_at.get(&of_seq) {
            let d = self.distributions.get(id).ok_or_else(|| {
                broken(
                    "books_inconsistent",
                    F,
                    format!("the books hold no distribution {id:?}"),
                )
            })?;
            (
                d.status,
                d.recorded_by.as_str(),
                format!("distribution {id:?}"),
            )
        } else if let Some(o) = self.outflows.get(&of_seq) {
            (
                o.status,
                o.recorded_by.as_str(),
                format!("{} {:?}", o.kind.as_str(), o.outflow_id),
            )
        } else {
            return Err(broken(
                "unknown_outflow",
                F,
                format!("entry {of_seq} is not an outflow of this fund"),
            ));
        };
        if status != DistState::Pending {
            return Err(broken(
                "not_pending",
                F,
                format!(
                    "{what} is {}; only a pending outflow is approved or voided",
                    name_of(&status)
                ),
            ));
        }
        if approving && recorded_by == at.actor {
            return Err(broken(
                "self_approval",
                F,
                "the person who recorded an outflow may not approve it; another approver must",
            ));
        }
        Ok(Change::default())
    }

    /// Files a version 2 outflow (not a distribution) as the books hold
    /// it, holding back what it moves when it is pending.
    pub(super) fn file_outflow(&mut self, at: At<'_>, body: &Body, change: Change) {
        let Some(Some(status)) = self.outflow_status(body) else {
            return;
        };
        let pending = status == OutflowStatus::Pending;
        let (id, reverses, reason) = match body {
            Body::Expense(b) => (b.expense_id.as_ref(), None, None),
            Body::TransferOut(b) => (b.transfer_id.as_ref(), None, None),
            Body::StockAdjusted(b) => (b.adjustment_id.as_ref(), None, None),
            Body::Reversal(r) => (
                r.reversal_id.as_ref(),
                Some(r.reverses_seq),
                Some(r.reason.as_str().to_owned()),
            ),
            _ => (None, None, None),
        };
        let hold = if pending {
            self.hold_of(body, change)
        } else {
            Hold::default()
        };
        let value = self.outflow_value_after(body, change).unwrap_or_default();
        self.hold(&hold, 1);
        if let (true, Some(target)) = (pending, reverses) {
            self.pending_reversals.insert(target, at.seq);
        }
        self.outflows.insert(
            at.seq,
            OutflowState {
                seq: at.seq,
                kind: body.kind(),
                outflow_id: id.map(|i| i.as_str().to_owned()).unwrap_or_default(),
                value_vnd: value,
                status: if pending {
                    DistState::Pending
                } else {
                    DistState::Approved
                },
                recorded_by: at.actor.to_owned(),
                recorded_on: format_date(at.date),
                approved_by: None,
                approved_seq: None,
                voided_reason: None,
                reverses_seq: reverses,
                reason,
                hold,
            },
        );
        self.touch("outflow", outflow_key(at.seq));
    }

    /// An outflow's value once checked, for the day's totals.
    pub(super) fn outflow_value_after(&self, body: &Body, change: Change) -> Option<SumVnd> {
        match body {
            Body::StockAdjusted(_) => Some(change.value_delta_vnd.abs()),
            _ => self.outflow_value(body, 0).ok().flatten(),
        }
    }

    /// What a pending outflow holds back.
    fn hold_of(&self, body: &Body, change: Change) -> Hold {
        match body {
            Body::Expense(b) => Hold {
                cash_vnd: vnd(b.amount_vnd.get()),
                ..Hold::default()
            },
            Body::TransferOut(b) => Hold {
                cash_vnd: vnd(b.amount_vnd.get()),
                ..Hold::default()
            },
            Body::StockAdjusted(b) if b.quantity_delta.0 < Decimal::ZERO => Hold {
                goods: vec![(
                    b.item.as_str().to_owned(),
                    -b.quantity_delta.0,
                    -change.value_delta_vnd,
                )],
                ..Hold::default()
            },
            Body::Reversal(r) => match self.posted(r.reverses_seq).as_deref() {
                Some(Body::DonationCash(g)) => Hold {
                    cash_vnd: vnd(g.amount_vnd.get()),
                    earmark: g.earmark,
                    goods: Vec::new(),
                },
                Some(Body::DonationInKind(g)) => Hold {
                    goods: g
                        .items
                        .iter()
                        .map(|l| {
                            (
                                l.item.as_str().to_owned(),
                                l.quantity.0,
                                vnd(l.value_vnd.get()),
                            )
                        })
                        .collect(),
                    ..Hold::default()
                },
                Some(Body::TransferIn(t)) => Hold {
                    cash_vnd: vnd(t.amount_vnd.get()),
                    ..Hold::default()
                },
                _ => Hold::default(),
            },
            _ => Hold::default(),
        }
    }

    /// Holds back (`sign` 1) or releases (−1) what a pending outflow moves.
    fn hold(&mut self, h: &Hold, sign: SumVnd) {
        self.reserved_vnd += h.cash_vnd * sign;
        if let Some(t) = h.earmark {
            self.earmarks.entry(t).or_default().reserved_vnd += h.cash_vnd * sign;
            self.touch("earmark", name_of(&t));
        }
        for (item, q, value) in &h.goods {
            if let Some(line) = self.stock.get_mut(item) {
                line.reserved = (line.reserved + *q * Decimal::from(sign as i64)).normalize();
                line.reserved_value_vnd += *value * sign;
            }
            self.touch("stock", item.clone());
        }
    }

    /// Applies `outflow_approved` (`approve`) or `outflow_voided`.
    pub(super) fn settle(&mut self, at: At<'_>, of_seq: u64, approve: bool, reason: Option<&str>) {
        if let Some(id) = self.distribution_at.get(&of_seq).cloned() {
            if approve {
                self.approve_distribution(&id, at, 1);
            } else {
                self.void_distribution(&id, reason.unwrap_or_default(), None, 1);
            }
            return;
        }
        let Some(o) = self.outflows.get(&of_seq).cloned() else {
            return;
        };
        self.hold(&o.hold, -1);
        if let Some(target) = o.reverses_seq {
            self.pending_reversals.remove(&target);
        }
        if let Some(stored) = self.outflows.get_mut(&of_seq) {
            stored.hold = Hold::default();
            if approve {
                stored.status = DistState::Approved;
                stored.approved_by = Some(at.actor.to_owned());
                stored.approved_seq = Some(at.seq);
            } else {
                stored.status = DistState::Voided;
                stored.voided_reason = reason.map(str::to_owned);
            }
        }
        self.touch("outflow", outflow_key(of_seq));
        let then = At { seq: of_seq, ..at };
        if !approve {
            if self.day.is_some_and(|d| format_date(d) == o.recorded_on) {
                if let Some(t) = self.day_outflows.get_mut(&o.recorded_by) {
                    *t -= o.value_vnd;
                }
            }
            return;
        }
        match o.reverses_seq {
            Some(target) => self.undo(
                then,
                target,
                Change::default(),
                o.reason.as_deref().unwrap_or_default(),
            ),
            None => {
                if let Some((body, change)) = self.posted_entry(of_seq) {
                    self.apply(then, &body, change, 1);
                }
            }
        }
    }

    /// What takes effect when the pending outflow at `of_seq` (not a
    /// distribution) is approved: its own body, or for a reversal, the
    /// reversal. Read before the approval is folded.
    pub fn approved_effect(&self, of_seq: u64) -> Option<Body> {
        let o = self.outflows.get(&of_seq)?;
        match o.reverses_seq {
            Some(target) => Some(Body::Reversal(Reversal {
                reversal_id: Id::parse(&o.outflow_id, "reversal_id").ok(),
                reverses_seq: target,
                reason: crate::ledger::values::LongText::parse(
                    o.reason.as_deref().unwrap_or_default(),
                )
                .ok()?,
                status: Some(OutflowStatus::Pending),
                note: None,
            })),
            None => self.posted(of_seq).map(std::borrow::Cow::into_owned),
        }
    }

    /// Whether the entry at `seq` is an outflow still waiting, or has a
    /// reversal waiting: either way it is not reversed now.
    pub(super) fn waiting(&self, seq: u64) -> Result<(), Broken> {
        const F: &str = "body.reverses_seq";
        if let Some(by) = self.pending_reversals.get(&seq) {
            return Err(broken(
                "already_reversed",
                F,
                format!("entry {seq} has a reversal waiting for approval, entry {by}"),
            ));
        }
        if self
            .outflows
            .get(&seq)
            .is_some_and(|o| o.status == DistState::Pending)
        {
            return Err(broken(
                "void_pending",
                F,
                "a pending outflow is voided (outflow_voided), not reversed",
            ));
        }
        Ok(())
    }
}

/// An outflow's id among the derived objects: its seq in 12 digits, so
/// listings run in the order they were written.
pub fn outflow_key(seq: u64) -> String {
    format!("{seq:012}")
}

/// `value × q / total`, rounded half up to the đồng.
fn share(value: SumVnd, q: Decimal, total: Decimal) -> Option<SumVnd> {
    let v = Decimal::try_from_i128_with_scale(value, 0).ok()?;
    let r = round_vnd(v.checked_mul(q)?.checked_div(total)?);
    SumVnd::try_from(r).ok()
}

fn overflow(field: &str) -> Broken {
    broken("amount_overflow", field, "the goods' value is out of range")
}

fn goods_value(field: &str, l: &OutLine, unit: u64, value: u64) -> Broken {
    broken(
        "goods_value",
        field,
        format!(
            "{} {} of {} leave stock at the book's value: {value} đồng ({unit} a unit, the average of what is in stock); leave unit_value_vnd and value_vnd out",
            l.quantity.0, l.unit.as_str(), l.item
        ),
    )
}
