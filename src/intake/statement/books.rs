//! The statement's arithmetic, kept as lines go by: running balances, the
//! opening and closing balances the file states, its stated totals, and the
//! summary. Constant memory: a handful of numbers, whatever the length.

use time::Date;

use super::text::grouped;
use super::{Layout, Line, StatementError, Summary, LINES_MAX};

/// Where a stated figure came from, for messages.
#[derive(Clone, Copy, Debug)]
struct Stated {
    value: i64,
    /// `None` where the file has no rows to name (camt.053).
    row: Option<u64>,
}

/// "on row N" or "before", for messages about a stated figure.
fn where_stated(row: Option<u64>) -> String {
    match row {
        Some(row) => format!("on row {row}"),
        None => "before".into(),
    }
}

/// Totals a file states: a total row, or camt's `TxsSummry`.
#[derive(Clone, Copy, Debug, Default)]
pub struct StatedTotals {
    pub row: Option<u64>,
    pub credits_vnd: Option<u64>,
    pub debits_vnd: Option<u64>,
    pub credit_lines: Option<u64>,
    pub debit_lines: Option<u64>,
}

/// The running arithmetic of one statement.
#[derive(Debug, Default)]
pub struct Books {
    opening: Option<Stated>,
    closing: Option<Stated>,
    /// The balance after the last line, when known: from the stated opening
    /// balance or from a line's own balance, then carried by each line's
    /// credit and debit.
    running: Option<i128>,
    /// The opening balance implied by the first line that gives a balance:
    /// that balance less the credits and plus the debits up to it.
    derived_opening: Option<i128>,
    lines: u64,
    credit_lines: u64,
    debit_lines: u64,
    credits_vnd: u128,
    debits_vnd: u128,
    first_day: Option<Date>,
    last_day: Option<Date>,
    /// Totals stated before any line (camt's `TxsSummry`), checked at the end.
    deferred_totals: Option<StatedTotals>,
}

impl Books {
    /// Records an opening balance the file states. Stating it twice with
    /// different figures is refused.
    pub fn opening(&mut self, row: Option<u64>, value: i64) -> Result<(), StatementError> {
        if let Some(prior) = self.opening {
            if prior.value != value {
                return Err(StatementError::Unbalanced {
                    row,
                    message: format!(
                        "the opening balance {} differs from the one stated {}, {}",
                        grouped(value.into()),
                        where_stated(prior.row),
                        grouped(prior.value.into())
                    ),
                });
            }
        }
        self.opening = Some(Stated { value, row });
        if self.lines == 0 {
            self.running = Some(value.into());
        }
        Ok(())
    }

    /// Records a closing balance the file states; as [`Books::opening`].
    pub fn closing(&mut self, row: Option<u64>, value: i64) -> Result<(), StatementError> {
        if let Some(prior) = self.closing {
            if prior.value != value {
                return Err(StatementError::Unbalanced {
                    row,
                    message: format!(
                        "the closing balance {} differs from the one stated {}, {}",
                        grouped(value.into()),
                        where_stated(prior.row),
                        grouped(prior.value.into())
                    ),
                });
            }
        }
        self.closing = Some(Stated { value, row });
        Ok(())
    }

    /// Checks one line and adds it to the sums. `line` has already been
    /// checked to carry exactly one of a credit and a debit.
    pub fn line(&mut self, line: &Line) -> Result<(), StatementError> {
        if self.lines >= LINES_MAX {
            return Err(StatementError::TooManyLines { max: LINES_MAX });
        }
        let credit = i128::from(line.credit_vnd);
        let debit = i128::from(line.debit_vnd);
        self.lines += 1;
        if line.credit_vnd > 0 {
            self.credit_lines += 1;
        } else {
            self.debit_lines += 1;
        }
        self.credits_vnd += u128::from(line.credit_vnd);
        self.debits_vnd += u128::from(line.debit_vnd);
        self.first_day = Some(self.first_day.map_or(line.date, |d| d.min(line.date)));
        self.last_day = Some(self.last_day.map_or(line.date, |d| d.max(line.date)));
        let expected = self
            .running
            .map(|previous| (previous, previous + credit - debit));
        match (expected, line.balance_vnd) {
            (Some((previous, expected)), Some(given)) if i128::from(given) != expected => {
                let movement = if line.credit_vnd > 0 {
                    format!("plus credit {}", grouped(credit))
                } else {
                    format!("minus debit {}", grouped(debit))
                };
                return Err(StatementError::Unbalanced {
                    row: Some(line.row),
                    message: format!(
                        "the balance {} does not follow from the previous balance {} {movement} (expected {})",
                        grouped(given.into()),
                        grouped(previous),
                        grouped(expected)
                    ),
                });
            }
            (_, Some(given)) => {
                if self.derived_opening.is_none() {
                    self.derived_opening =
                        Some(i128::from(given) - self.credits_as_i128() + self.debits_as_i128());
                }
                self.running = Some(given.into());
            }
            (Some((_, expected)), None) => self.running = Some(expected),
            (None, None) => {}
        }
        Ok(())
    }

    fn credits_as_i128(&self) -> i128 {
        // At most LINES_MAX lines of at most AMOUNT_VND_MAX: far inside i128.
        i128::try_from(self.credits_vnd).unwrap_or(i128::MAX)
    }

    fn debits_as_i128(&self) -> i128 {
        i128::try_from(self.debits_vnd).unwrap_or(i128::MAX)
    }

    /// Checks totals the file states against the lines so far; totals
    /// stated before any line (a summary block above the lines) are checked
    /// at the end instead.
    pub fn totals(&mut self, totals: StatedTotals) -> Result<(), StatementError> {
        if self.lines == 0 {
            self.deferred_totals = Some(totals);
            return Ok(());
        }
        self.check_totals(totals)
    }

    fn check_totals(&self, totals: StatedTotals) -> Result<(), StatementError> {
        let row = totals.row;
        let sums = [
            ("credits", totals.credits_vnd, self.credits_vnd),
            ("debits", totals.debits_vnd, self.debits_vnd),
        ];
        for (what, stated, sum) in sums {
            if let Some(stated) = stated {
                if u128::from(stated) != sum {
                    return Err(StatementError::Unbalanced {
                        row,
                        message: format!(
                            "the stated total of {what} {} does not equal the sum of the lines above it, {}",
                            grouped(stated.into()),
                            grouped(i128::try_from(sum).unwrap_or(i128::MAX))
                        ),
                    });
                }
            }
        }
        let counts = [
            ("credit", totals.credit_lines, self.credit_lines),
            ("debit", totals.debit_lines, self.debit_lines),
        ];
        for (what, stated, count) in counts {
            if let Some(stated) = stated {
                if stated != count {
                    return Err(StatementError::Unbalanced {
                        row,
                        message: format!("the file states {stated} {what} lines but holds {count}"),
                    });
                }
            }
        }
        Ok(())
    }

    /// The final checks, and the summary when they hold: the stated opening
    /// against the one the first balance implies, opening plus credits less
    /// debits against the closing balance, and deferred totals.
    pub fn finish(
        self,
        layout: Layout,
        account_no: Option<String>,
    ) -> Result<Summary, StatementError> {
        if self.lines == 0 {
            return Err(StatementError::Empty);
        }
        if let Some(totals) = self.deferred_totals {
            self.check_totals(totals)?;
        }
        if let (Some(stated), Some(derived)) = (self.opening, self.derived_opening) {
            if i128::from(stated.value) != derived {
                return Err(StatementError::Unbalanced {
                    row: stated.row,
                    message: format!(
                        "the opening balance {} does not match the lines' balances, which start from {}",
                        grouped(stated.value.into()),
                        grouped(derived)
                    ),
                });
            }
        }
        let opening = self
            .opening
            .map(|s| i128::from(s.value))
            .or(self.derived_opening);
        let net = self.credits_as_i128() - self.debits_as_i128();
        let computed_closing = opening.map(|o| o + net);
        if let (Some(stated), Some(computed)) = (self.closing, computed_closing) {
            if i128::from(stated.value) != computed {
                return Err(StatementError::Unbalanced {
                    row: stated.row,
                    message: format!(
                        "the closing balance {} does not equal the opening balance {} plus credits {} minus debits {} (= {})",
                        grouped(stated.value.into()),
                        grouped(opening.unwrap_or_default()),
                        grouped(self.credits_as_i128()),
                        grouped(self.debits_as_i128()),
                        grouped(computed)
                    ),
                });
            }
        }
        let closing = match self.closing {
            Some(stated) => Some(i128::from(stated.value)),
            None if self.derived_opening.is_some() => self.running,
            None => None,
        };
        let to_i64 = |v: Option<i128>| -> Result<Option<i64>, StatementError> {
            v.map(|v| {
                i64::try_from(v).map_err(|_| StatementError::Unbalanced {
                    row: None,
                    message: "a balance is larger than Sổ Vàng can hold".into(),
                })
            })
            .transpose()
        };
        let too_large = |_| StatementError::Unbalanced {
            row: None,
            message: "the statement's totals are larger than Sổ Vàng can hold".into(),
        };
        Ok(Summary {
            layout,
            account_no,
            opening_balance_vnd: to_i64(opening)?,
            closing_balance_vnd: to_i64(closing)?,
            lines: self.lines,
            credit_lines: self.credit_lines,
            debit_lines: self.debit_lines,
            credits_vnd: u64::try_from(self.credits_vnd).map_err(too_large)?,
            debits_vnd: u64::try_from(self.debits_vnd).map_err(too_large)?,
            first_day: self.first_day,
            last_day: self.last_day,
        })
    }
}
