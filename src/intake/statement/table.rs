//! Reading a table of rows (from CSV or XLSX) as a statement: title rows
//! until a header names a layout, then lines, with the balance, total, blank
//! and footer rows among them told apart from lines. Rows are taken one at a
//! time and nothing is kept of them but the running arithmetic.

use std::borrow::Cow;

use time::Date;

use super::books::{Books, StatedTotals};
use super::layouts::{self, Columns, FoldedSpec, Money, Spec};
use super::text::{self, fold};
use super::{known_layouts, Line, ReadError, StatementError, Summary};

/// Rows read before the header at most: a title block is a few rows, so a
/// file with no header in its first hundred rows is not a known layout.
pub const TITLE_ROWS_MAX: u64 = 100;

/// Characters of a narrative at most; a longer one is refused, not cut,
/// since cutting could drop the reference that links the gift.
pub const NARRATIVE_CHARS_MAX: usize = 1_000;

/// Characters of a bank reference at most.
pub const REFERENCE_CHARS_MAX: usize = 100;

/// Columns of a row that are read; cells to the right are ignored (no
/// layout has more than a dozen columns).
pub const COLUMNS_MAX: usize = 1_024;

/// One cell as the file gives it.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Int(i64),
    Number(f64),
    Date(Date),
    /// A cell that cannot be a date, an amount or text (an Excel error such
    /// as `#N/A`, a boolean, a duration), described for messages.
    Bad(String),
}

impl Cell {
    /// The cell as text, for labels, references and narratives.
    fn text(&self) -> Cow<'_, str> {
        match self {
            Cell::Empty => Cow::Borrowed(""),
            Cell::Text(s) => Cow::Borrowed(s.trim()),
            Cell::Int(i) => Cow::Owned(i.to_string()),
            Cell::Number(f) => Cow::Owned(f.to_string()),
            Cell::Date(d) => Cow::Owned(format!(
                "{:02}/{:02}/{}",
                d.day(),
                u8::from(d.month()),
                d.year()
            )),
            Cell::Bad(s) => Cow::Borrowed(s),
        }
    }

    /// Whether the cell holds nothing (an empty text, or a lone `-`).
    fn is_nil(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => text::is_nil(s),
            _ => false,
        }
    }

    /// Whether the cell could hold an amount: a number, or text with a
    /// digit in it.
    fn may_be_amount(&self) -> bool {
        match self {
            Cell::Empty => false,
            Cell::Text(s) => !text::is_nil(s) && s.bytes().any(|b| b.is_ascii_digit()),
            _ => true,
        }
    }

    fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }
}

/// A date cell: `None` when empty.
fn date_of(cell: &Cell) -> Option<Result<Date, String>> {
    match cell {
        Cell::Empty => None,
        Cell::Text(s) if s.trim().is_empty() => None,
        Cell::Text(s) => Some(text::parse_date(s)),
        Cell::Date(d) => Some(Ok(*d)),
        Cell::Int(_) | Cell::Number(_) => Some(excel_serial_date(cell)),
        Cell::Bad(s) => Some(Err(format!("date {s} is not a date"))),
    }
}

/// A number in a date column, read as an Excel serial day (1900 system):
/// some exports write the serial without a date format.
fn excel_serial_date(cell: &Cell) -> Result<Date, String> {
    let value = match cell {
        Cell::Int(i) => *i as f64,
        Cell::Number(f) => *f,
        _ => f64::NAN,
    };
    let bad = || format!("date {} is not a date", cell.text());
    if !(1.0..2_958_466.0).contains(&value) {
        return Err(bad());
    }
    let when = calamine::ExcelDateTime::new(value, calamine::ExcelDateTimeType::DateTime, false);
    let (year, month, day, ..) = when.to_ymd_hms_milli();
    let month = time::Month::try_from(month).map_err(|_| bad())?;
    Date::from_calendar_date(i32::from(year), month, day).map_err(|_| bad())
}

/// An unsigned amount cell: 0 when nil.
fn amount_of(cell: &Cell, column: &str) -> Result<u64, String> {
    match cell {
        c if c.is_nil() => Ok(0),
        Cell::Text(s) => {
            if s.trim_start().starts_with(['-', '+']) {
                return Err(format!(
                    "the {column} column holds a signed amount \"{}\"; amounts there must be written without a sign",
                    s.trim()
                ));
            }
            text::parse_amount(s)
        }
        Cell::Int(_) | Cell::Number(_) => {
            let value = number_of(cell)?;
            u64::try_from(value)
                .map_err(|_| format!("the {column} column holds a negative amount {value}"))
        }
        other => Err(format!(
            "the {column} column holds {}, not an amount",
            other.text()
        )),
    }
}

/// A signed amount cell (balances, Agribank's amount): `None` when nil.
fn signed_of(cell: &Cell) -> Result<Option<i64>, String> {
    match cell {
        c if c.is_nil() => Ok(None),
        Cell::Text(s) => text::parse_signed(s).map(Some),
        Cell::Int(_) | Cell::Number(_) => number_of(cell).map(Some),
        other => Err(format!("{} is not an amount", other.text())),
    }
}

/// A numeric cell as whole đồng.
fn number_of(cell: &Cell) -> Result<i64, String> {
    let limit = text::AMOUNT_VND_MAX as i64;
    match cell {
        Cell::Int(i) if i.unsigned_abs() <= text::AMOUNT_VND_MAX => Ok(*i),
        Cell::Number(f) if f.fract() == 0.0 && f.abs() <= limit as f64 => Ok(*f as i64),
        Cell::Number(f) if f.is_finite() && f.fract() != 0.0 => {
            Err(format!("amount {f} is not a whole number of đồng"))
        }
        other => Err(format!(
            "amount {} is larger than the largest amount Sổ Vàng accepts",
            other.text()
        )),
    }
}

/// Where the reading of a table is.
enum Phase {
    /// Title rows, looking for the header.
    Title,
    /// Past the header of `spec`, reading lines.
    Lines {
        spec: &'static Spec,
        labels: &'static FoldedSpec,
        columns: Columns,
    },
}

/// A table being read as a statement.
pub struct Table {
    phase: Phase,
    /// Rows seen before the header.
    title_rows: u64,
    account_no: Option<String>,
    books: Books,
    /// The last line's date, for layouts that write a day's date once.
    last_date: Option<Date>,
    /// The first problem in a title row, reported once the header shows the
    /// file is a statement (before then it may just not be one, as when a
    /// CSV is tried with the wrong delimiter).
    title_error: Option<StatementError>,
    /// A scratch buffer of folded cells, reused from row to row.
    folded: Vec<String>,
}

/// Whether to go on reading rows.
#[derive(Debug, PartialEq, Eq)]
pub enum Flow {
    More,
    /// No header in the first [`TITLE_ROWS_MAX`] rows: not a known layout.
    NoHeader,
}

impl Table {
    pub fn new() -> Table {
        Table {
            phase: Phase::Title,
            title_rows: 0,
            account_no: None,
            books: Books::default(),
            last_date: None,
            title_error: None,
            folded: Vec::new(),
        }
    }

    /// Whether a header has been found.
    pub fn has_header(&self) -> bool {
        matches!(self.phase, Phase::Lines { .. })
    }

    /// Takes one row; `row` is its 1-based number in the file.
    pub fn row<E>(
        &mut self,
        row: u64,
        cells: &[Cell],
        visit: &mut dyn FnMut(&Line) -> Result<(), E>,
    ) -> Result<Flow, ReadError<E>> {
        if cells.iter().all(Cell::is_blank) {
            return Ok(Flow::More);
        }
        match self.phase {
            Phase::Title => self.title_row(row, cells),
            Phase::Lines {
                spec,
                labels,
                columns,
            } => {
                self.line_row(spec, labels, columns, row, cells, visit)?;
                Ok(Flow::More)
            }
        }
    }

    fn fold_row(&mut self, cells: &[Cell]) {
        self.folded.clear();
        self.folded.extend(cells.iter().map(|c| match c {
            Cell::Text(s) => fold(s),
            _ => String::new(),
        }));
    }

    fn title_row<E>(&mut self, row: u64, cells: &[Cell]) -> Result<Flow, ReadError<E>> {
        self.title_rows += 1;
        if self.title_rows > TITLE_ROWS_MAX {
            return Ok(Flow::NoHeader);
        }
        self.fold_row(cells);
        let found = layouts::detect(&self.folded);
        match found.as_slice() {
            [] => {}
            [(index, columns)] => {
                if let Some(e) = self.title_error.take() {
                    return Err(e.into());
                }
                self.phase = Phase::Lines {
                    spec: &layouts::SPECS[*index],
                    labels: &layouts::FOLDED[*index],
                    columns: *columns,
                };
                return Ok(Flow::More);
            }
            several => {
                let names: Vec<&str> = several
                    .iter()
                    .map(|(i, _)| layouts::SPECS[*i].layout.name())
                    .collect();
                return Err(StatementError::AmbiguousLayout {
                    row,
                    layouts: names.join(", "),
                }
                .into());
            }
        }
        if self.account_no.is_none() {
            self.account_no = self.account_in(cells);
        }
        if let Err(e) = self.balance_rows(row, cells) {
            self.title_error.get_or_insert(e);
        }
        Ok(Flow::More)
    }

    /// An account number named in a title row, as digits.
    fn account_in(&self, cells: &[Cell]) -> Option<String> {
        for (i, folded) in self.folded.iter().enumerate() {
            let Some(rest) = layouts::ACCOUNT
                .iter()
                .find_map(|l| text::after_label(folded, l))
            else {
                continue;
            };
            if !rest.is_empty() {
                return text::account_digits(rest);
            }
            let next = cells[i + 1..].iter().find(|c| !c.is_blank())?;
            return text::account_digits(&next.text());
        }
        None
    }

    /// Reads opening and closing balances from a row that states them (the
    /// label in one cell, the amount after it in the same cell or in the
    /// next non-empty one); returns whether the row was one.
    fn balance_rows(&mut self, row: u64, cells: &[Cell]) -> Result<bool, StatementError> {
        let mut found = false;
        for i in 0..self.folded.len() {
            let folded = &self.folded[i];
            let (opening, rest) = match layouts::OPENING
                .iter()
                .find_map(|l| text::after_label(folded, l))
            {
                Some(rest) => (true, rest),
                None => match layouts::CLOSING
                    .iter()
                    .find_map(|l| text::after_label(folded, l))
                {
                    Some(rest) => (false, rest),
                    None => continue,
                },
            };
            if !rest.is_empty()
                && !rest.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '+')
            {
                // Words after the label ("Dư đầu tư …" in a description):
                // not a balance row.
                continue;
            }
            found = true;
            let what = if opening { "opening" } else { "closing" };
            let rest = rest
                .trim_end_matches(" vnd")
                .trim_end_matches(" d")
                .trim_end();
            let value = if rest.is_empty() {
                match cells[i + 1..].iter().find(|c| !c.is_blank()) {
                    Some(cell) => signed_of(cell),
                    None => Ok(None),
                }
            } else {
                text::parse_signed(rest).map(Some)
            };
            let value = match value {
                Ok(Some(v)) => v,
                Ok(None) => {
                    return Err(StatementError::Row {
                        row,
                        message: format!("the {what} balance row gives no amount"),
                    })
                }
                Err(e) => {
                    return Err(StatementError::Row {
                        row,
                        message: format!("the {what} balance: {e}"),
                    })
                }
            };
            if opening {
                self.books.opening(Some(row), value)?;
            } else {
                self.books.closing(Some(row), value)?;
            }
        }
        Ok(found)
    }

    fn line_row<E>(
        &mut self,
        spec: &'static Spec,
        labels: &'static FoldedSpec,
        columns: Columns,
        row: u64,
        cells: &[Cell],
        visit: &mut dyn FnMut(&Line) -> Result<(), E>,
    ) -> Result<(), ReadError<E>> {
        let cell = |i: Option<usize>| i.and_then(|i| cells.get(i)).unwrap_or(&Cell::Empty);
        let row_error = |message: String| StatementError::Row { row, message };
        let date = match date_of(cell(Some(columns.date))) {
            Some(Ok(date)) => Some(date),
            Some(Err(e)) => {
                // A repeated header (one per printed page) is not a line.
                self.fold_row(cells);
                let i = columns.date;
                if labels.date.contains(&self.folded[i]) {
                    return Ok(());
                }
                if self.balance_rows(row, cells)? || self.total_row(spec, columns, row, cells)? {
                    return Ok(());
                }
                let money = money_present(columns, cells);
                let looks_like_date = cell(Some(i))
                    .text()
                    .starts_with(|c: char| c.is_ascii_digit());
                if money || looks_like_date {
                    return Err(row_error(e).into());
                }
                // Text with no amount (a footer, a signature line).
                return Ok(());
            }
            None => None,
        };
        let date = match date {
            Some(date) => date,
            None => {
                self.fold_row(cells);
                if self.balance_rows(row, cells)? || self.total_row(spec, columns, row, cells)? {
                    return Ok(());
                }
                if !money_present(columns, cells) {
                    return Ok(());
                }
                match (spec.fill_down_date, self.last_date) {
                    (true, Some(date)) => date,
                    (true, None) => {
                        return Err(
                            row_error("the first line has no date to carry down".into()).into()
                        )
                    }
                    (false, _) => {
                        return Err(row_error("the row has an amount but no date".into()).into())
                    }
                }
            }
        };
        if !movement_present(columns, cells) {
            // A dated row with no money may be a balance or total row that
            // carries the day; otherwise it is a line missing its amount.
            self.fold_row(cells);
            if self.balance_rows(row, cells)? || self.total_row(spec, columns, row, cells)? {
                return Ok(());
            }
        }
        let (credit_vnd, debit_vnd) = match spec.money {
            Money::Columns { .. } => {
                let credit = amount_of(cell(columns.credit), "credit").map_err(row_error)?;
                let debit = amount_of(cell(columns.debit), "debit").map_err(row_error)?;
                (credit, debit)
            }
            Money::Signed { .. } => {
                signed_amount(cell(columns.amount), cell(columns.kind)).map_err(row_error)?
            }
        };
        if credit_vnd > 0 && debit_vnd > 0 {
            return Err(row_error(format!(
                "the line has both a credit ({}) and a debit ({}); a line must be one or the other",
                text::grouped(credit_vnd.into()),
                text::grouped(debit_vnd.into())
            ))
            .into());
        }
        if credit_vnd == 0 && debit_vnd == 0 {
            return Err(row_error("the line has neither a credit nor a debit".into()).into());
        }
        let balance_vnd =
            signed_of(cell(columns.balance)).map_err(|e| row_error(format!("the balance: {e}")))?;
        let bank_ref = cell(columns.reference).text();
        if bank_ref.chars().count() > REFERENCE_CHARS_MAX {
            return Err(row_error(format!(
                "the bank reference is longer than {REFERENCE_CHARS_MAX} characters"
            ))
            .into());
        }
        let narrative = cell(Some(columns.narrative)).text();
        if narrative.chars().count() > NARRATIVE_CHARS_MAX {
            return Err(row_error(format!(
                "the description is longer than {NARRATIVE_CHARS_MAX} characters"
            ))
            .into());
        }
        let line = Line {
            row,
            date,
            bank_ref: (!bank_ref.is_empty()).then(|| bank_ref.into_owned()),
            credit_vnd,
            debit_vnd,
            balance_vnd,
            narrative: narrative.into_owned(),
        };
        self.books.line(&line)?;
        self.last_date = Some(date);
        visit(&line).map_err(ReadError::Visit)
    }

    /// Checks a total row's sums; returns whether the row was one. Layouts
    /// with a single signed amount column have no credit and debit columns
    /// to state totals in, so their total rows are passed over unchecked
    /// (their running balances still check every line).
    fn total_row(
        &mut self,
        spec: &Spec,
        columns: Columns,
        row: u64,
        cells: &[Cell],
    ) -> Result<bool, StatementError> {
        if !self.folded.iter().any(|f| layouts::TOTAL.contains(f)) {
            return Ok(false);
        }
        if let Money::Columns { .. } = spec.money {
            let cell = |i: Option<usize>| i.and_then(|i| cells.get(i)).unwrap_or(&Cell::Empty);
            let sum = |i: Option<usize>, what: &str| -> Result<Option<u64>, StatementError> {
                let c = cell(i);
                if c.is_nil() {
                    return Ok(None);
                }
                amount_of(c, what)
                    .map(Some)
                    .map_err(|e| StatementError::Row {
                        row,
                        message: format!("the total row: {e}"),
                    })
            };
            let totals = StatedTotals {
                row: Some(row),
                credits_vnd: sum(columns.credit, "credit")?,
                debits_vnd: sum(columns.debit, "debit")?,
                ..StatedTotals::default()
            };
            self.books.totals(totals)?;
        }
        Ok(true)
    }

    /// The summary once every row has been read.
    pub fn finish(self) -> Result<Summary, StatementError> {
        match self.phase {
            Phase::Title => Err(StatementError::UnknownLayout {
                known: known_layouts(),
            }),
            Phase::Lines { spec, .. } => self.books.finish(spec.layout, self.account_no),
        }
    }
}

impl Default for Table {
    fn default() -> Self {
        Table::new()
    }
}

/// Whether any of the row's money cells (credit, debit, amount, balance)
/// holds something that could be an amount: a number, or text with a
/// digit. Words there ("Kế toán trưởng" under a signature line) are not.
fn money_present(columns: Columns, cells: &[Cell]) -> bool {
    movement_present(columns, cells)
        || columns
            .balance
            .and_then(|i| cells.get(i))
            .is_some_and(Cell::may_be_amount)
}

/// Whether the row's credit, debit or amount cell holds something that
/// could be an amount.
fn movement_present(columns: Columns, cells: &[Cell]) -> bool {
    [columns.credit, columns.debit, columns.amount]
        .into_iter()
        .flatten()
        .filter_map(|i| cells.get(i))
        .any(Cell::may_be_amount)
}

/// Agribank's single amount column: the kind column, when the file has
/// one, says credit or debit and the amount is unsigned; otherwise a
/// leading `-` marks a debit.
fn signed_amount(amount: &Cell, kind: &Cell) -> Result<(u64, u64), String> {
    let value = signed_of(amount)?.unwrap_or(0);
    let magnitude = value.unsigned_abs();
    if kind.is_blank() {
        return Ok(if value < 0 {
            (0, magnitude)
        } else {
            (magnitude, 0)
        });
    }
    if value < 0 {
        return Err(format!(
            "the amount {} carries a sign although the kind column says which way it goes",
            amount.text()
        ));
    }
    let kind_text = kind.text();
    match fold(&kind_text).as_str() {
        "c" | "co" | "cr" | "ghi co" | "credit" => Ok((magnitude, 0)),
        "d" | "n" | "no" | "dr" | "ghi no" | "debit" => Ok((0, magnitude)),
        _ => Err(format!(
            "the kind \"{kind_text}\" is neither C (credit) nor D (debit)"
        )),
    }
}
