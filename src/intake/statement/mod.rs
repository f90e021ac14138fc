//! Reading a bank's statement file into lines (SPEC §10, BANKS.md).
//!
//! A clerk uploads the file the bank gave them: an XLSX export of
//! Vietcombank, BIDV, VietinBank, MB or Agribank, the same as CSV, an ISO
//! 20022 camt.053 XML statement, or the generic CSV of SPEC §10. [`read`]
//! finds which it is by sniffing the bytes and the header labels, hands each
//! line to a visitor in file order, and checks the statement's arithmetic
//! as it goes: every date and amount, each running balance against the one
//! before, the opening and closing balances and stated totals. Any error
//! refuses the whole file.
//!
//! Reading streams: nothing is kept per line, so memory does not grow with
//! the file's length. The importer reads a file twice, once to check it with
//! a visitor that only counts and once to record it, so [`read`] is
//! deterministic and does all its checks on every pass.
//!
//! Decisions a reader of the code should know:
//!
//! - MB gives a posting date ("Ngày hạch toán") and a transaction date
//!   ("Ngày giao dịch"); the line's date is the posting date, the one the
//!   running balance follows. VietinBank's "Ngày hạch toán" likewise.
//! - Agribank has one amount column ("Số tiền"): a leading `-` marks a
//!   debit, unless a kind column ("Loại": `C`/`D`, `Có`/`Nợ`, `CR`/`DR`) is
//!   present, in which case it decides and the amount must be unsigned.
//! - In credit and debit columns amounts are unsigned; a signed amount there
//!   is refused rather than guessed to mean the other column. Columns are
//!   never swapped: if running balances contradict them, the file is
//!   [`StatementError::Unbalanced`].
//! - Agribank's single amount column has no credit and debit columns for a
//!   total row to state sums in, so its total rows are passed over
//!   unchecked; its running balances still check every line.
//! - A line's date must be written on it, except in VietinBank's layout,
//!   where a day's date is written on its first line and carried down.
//! - Rows that are not lines (title, blank, balance, total, repeated header,
//!   footer) are passed over only when they carry no amount on a line's
//!   columns without a label saying what they are; a row with a date or an
//!   amount that cannot be read is an error, never skipped.

mod books;
mod camt;
mod csv_text;
#[doc(hidden)]
pub mod fixtures;
mod layouts;
mod table;
mod text;
mod xlsx;

#[cfg(test)]
mod tests;

use std::io::{Read, Seek, SeekFrom};

use time::Date;

/// The most lines a statement may have: ten times the largest seen (the
/// 2024 typhoon appeal's statement ran to a few hundred thousand lines).
pub const LINES_MAX: u64 = 2_000_000;

/// A statement layout Sổ Vàng reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Layout {
    Vietcombank,
    Bidv,
    Vietinbank,
    Mb,
    Agribank,
    Camt053,
    GenericCsv,
}

impl Layout {
    /// Every layout, in the order they are named to clerks.
    pub const ALL: [Layout; 7] = [
        Layout::Vietcombank,
        Layout::Bidv,
        Layout::Vietinbank,
        Layout::Mb,
        Layout::Agribank,
        Layout::Camt053,
        Layout::GenericCsv,
    ];

    /// The layout's name as clerks know it.
    pub fn name(self) -> &'static str {
        match self {
            Layout::Vietcombank => "Vietcombank",
            Layout::Bidv => "BIDV",
            Layout::Vietinbank => "VietinBank",
            Layout::Mb => "MB",
            Layout::Agribank => "Agribank",
            Layout::Camt053 => "ISO 20022 camt.053",
            Layout::GenericCsv => "generic CSV",
        }
    }
}

/// The names of all layouts, for the message that a file is none of them.
fn known_layouts() -> String {
    let names: Vec<&str> = Layout::ALL.iter().map(|l| l.name()).collect();
    names.join(", ")
}

/// One line of a statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// The 1-based row in the file (the entry's number for camt.053), so
    /// messages can point a clerk at it.
    pub row: u64,
    /// The day the bank booked the line.
    pub date: Date,
    /// The bank's reference, trimmed; `None` when the file gives none.
    pub bank_ref: Option<String>,
    /// Money in, in đồng; exactly one of `credit_vnd` and `debit_vnd` is
    /// above zero.
    pub credit_vnd: u64,
    /// Money out, in đồng.
    pub debit_vnd: u64,
    /// The balance after the line, when the file gives it.
    pub balance_vnd: Option<i64>,
    /// The description, trimmed, inner whitespace kept. It may name the
    /// sender's account and full name, so it must never reach the ledger.
    pub narrative: String,
}

/// What a whole statement holds, once it has been read and checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    pub layout: Layout,
    /// The account number, digits only, when the file itself names it
    /// (a title row "Số tài khoản: …", camt's `Acct/Id`), so the importer
    /// can refuse a statement of another account.
    pub account_no: Option<String>,
    /// Stated by the file, or implied by the first line's balance.
    pub opening_balance_vnd: Option<i64>,
    /// Stated by the file, or the last line's balance.
    pub closing_balance_vnd: Option<i64>,
    pub lines: u64,
    pub credit_lines: u64,
    pub debit_lines: u64,
    pub credits_vnd: u64,
    pub debits_vnd: u64,
    /// The earliest and latest line dates.
    pub first_day: Option<Date>,
    pub last_day: Option<Date>,
}

/// Why a statement was refused. Each message is a sentence a clerk can act
/// on, naming the row where there is one.
#[derive(Debug, thiserror::Error)]
pub enum StatementError {
    #[error("the file is not a statement layout Sổ Vàng knows; known layouts: {known}")]
    UnknownLayout { known: String },
    #[error("row {row}: the header fits more than one layout ({layouts}), so the file cannot be read safely")]
    AmbiguousLayout { row: u64, layouts: String },
    #[error("{message}")]
    Unsupported { message: String },
    #[error("row {row}: {message}")]
    Row { row: u64, message: String },
    #[error("{}", match row { Some(row) => format!("row {row}: {message}"), None => message.clone() })]
    Unbalanced { row: Option<u64>, message: String },
    #[error("the statement has no lines")]
    Empty,
    #[error("the statement has more than {max} lines, more than Sổ Vàng reads from one file; split it by date")]
    TooManyLines { max: u64 },
    #[error("the file is damaged or not a proper {format} file: {message}")]
    Malformed {
        format: &'static str,
        message: String,
    },
    #[error("the file could not be read: {0}")]
    Io(#[from] std::io::Error),
}

/// An error from [`read`]: the statement's, or the visitor's own.
#[derive(Debug, thiserror::Error)]
pub enum ReadError<E> {
    #[error(transparent)]
    Statement(#[from] StatementError),
    #[error("{0}")]
    Visit(E),
}

/// The kinds of file [`read`] tells apart by their first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Xlsx,
    Camt,
    Csv,
}

/// Bytes looked at to tell the format.
const SNIFF_BYTES: usize = 512;

fn sniff(head: &[u8]) -> Result<Format, StatementError> {
    if head.starts_with(b"PK\x03\x04") {
        return Ok(Format::Xlsx);
    }
    if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(StatementError::Unsupported {
            message: "the file is an old Excel 97-2003 (.xls) workbook; save it as .xlsx or CSV UTF-8 and upload it again".into(),
        });
    }
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return Err(StatementError::Unsupported {
            message: "the file is UTF-16 text; save it as CSV UTF-8 and upload it again".into(),
        });
    }
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = text
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(text.len());
    let text = &text[start..];
    if text.starts_with(b"<?xml") || text.starts_with(b"<Document") {
        return Ok(Format::Camt);
    }
    Ok(Format::Csv)
}

/// Reads the whole statement, calling `visit` for each line in file order,
/// and checks the statement's arithmetic; returns the summary when it all
/// holds. Reads `src` from its start whatever its position.
///
/// Streaming: memory does not grow with the number of lines (beyond an XLSX
/// workbook's shared-string table, which calamine loads whole and which the
/// upload limit bounds). A visitor's error stops the reading and comes back
/// as [`ReadError::Visit`]; lines already visited stay visited, which is why
/// the importer checks the whole file with a counting visitor first.
pub fn read<R: Read + Seek, E>(
    mut src: R,
    visit: &mut dyn FnMut(&Line) -> Result<(), E>,
) -> Result<Summary, ReadError<E>> {
    src.seek(SeekFrom::Start(0)).map_err(StatementError::Io)?;
    let mut head = [0u8; SNIFF_BYTES];
    let mut filled = 0;
    while filled < head.len() {
        match src.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(StatementError::Io(e).into()),
        }
    }
    if head[..filled].iter().all(|b| b.is_ascii_whitespace()) {
        return Err(StatementError::Empty.into());
    }
    let format = sniff(&head[..filled])?;
    src.seek(SeekFrom::Start(0)).map_err(StatementError::Io)?;
    match format {
        Format::Xlsx => xlsx::read(src, visit),
        Format::Camt => camt::read(src, visit),
        Format::Csv => csv_text::read(src, visit),
    }
}
