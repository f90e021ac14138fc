//! Statements as ISO 20022 camt.053 XML, streamed with quick-xml: the
//! account (`Stmt/Acct/Id`), the opening and closing booked balances
//! (`Bal` with `OPBD`/`PRCD` and `CLBD`), the stated totals (`TxsSummry`)
//! and each entry (`Ntry`), one at a time. Only the path of open elements
//! and the entry being read are kept.

use std::io::{BufReader, Read, Seek};

use quick_xml::events::Event;
use quick_xml::Reader;

use super::books::{Books, StatedTotals};
use super::table::{NARRATIVE_CHARS_MAX, REFERENCE_CHARS_MAX};
use super::text::{self, account_digits};
use super::{known_layouts, Layout, Line, ReadError, StatementError, Summary};

/// Nesting depth at most; camt.053 nests about ten deep.
const DEPTH_MAX: usize = 64;

/// Characters of one element's text at most: narratives are capped lower,
/// this only keeps a hostile file from growing a buffer.
const TEXT_CHARS_MAX: usize = 16 * 1024;

fn malformed(e: impl std::fmt::Display) -> StatementError {
    StatementError::Malformed {
        format: "camt.053 XML",
        message: e.to_string(),
    }
}

/// The entry being read.
#[derive(Default)]
struct Entry {
    amount: Option<String>,
    currency: Option<String>,
    indicator: Option<String>,
    status: Option<String>,
    date: Option<String>,
    reference: Option<String>,
    tx_reference: Option<String>,
    additional: Option<String>,
    unstructured: String,
}

/// The balance being read.
#[derive(Default)]
struct Balance {
    kind: Option<String>,
    amount: Option<String>,
    currency: Option<String>,
    indicator: Option<String>,
}

/// Whether the open elements end with `tail`.
fn at(path: &[String], tail: &[&str]) -> bool {
    path.len() >= tail.len()
        && path[path.len() - tail.len()..]
            .iter()
            .zip(tail)
            .all(|(a, b)| a == b)
}

pub fn read<R: Read + Seek, E>(
    src: R,
    visit: &mut dyn FnMut(&Line) -> Result<(), E>,
) -> Result<Summary, ReadError<E>> {
    let mut reader = Reader::from_reader(BufReader::new(src));
    let mut buf = Vec::new();
    let mut path: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut statements = 0u32;
    let mut entries = 0u64;
    let mut entry = Entry::default();
    let mut balance = Balance::default();
    let mut totals = StatedTotals::default();
    let mut totals_stated = false;
    let mut account_no: Option<String> = None;
    let mut books = Books::default();
    loop {
        buf.clear();
        let event = reader.read_event_into(&mut buf).map_err(malformed)?;
        match event {
            Event::Start(e) => {
                if path.len() >= DEPTH_MAX {
                    return Err(malformed("the elements nest too deep").into());
                }
                let name = e.local_name().as_ref().to_owned();
                text.clear();
                let currency = || -> Result<Option<String>, StatementError> {
                    Ok(e.try_get_attribute("Ccy")
                        .map_err(malformed)?
                        .map(|a| a.value.into_owned()))
                };
                match name.as_str() {
                    "Stmt" => {
                        statements += 1;
                        if statements > 1 {
                            return Err(StatementError::Unsupported {
                                message: "the camt.053 file holds more than one statement; upload one account's statement per file".into(),
                            }
                            .into());
                        }
                    }
                    "Ntry" if at(&path, &["Stmt"]) => {
                        entries += 1;
                        entry = Entry::default();
                    }
                    "Bal" if at(&path, &["Stmt"]) => balance = Balance::default(),
                    "Amt" if at(&path, &["Stmt", "Ntry"]) => entry.currency = currency()?,
                    "Amt" if at(&path, &["Stmt", "Bal"]) => balance.currency = currency()?,
                    _ => {}
                }
                path.push(name);
            }
            Event::Text(t) => push_text(&mut text, &t.xml10_content())?,
            Event::CData(t) => push_text(&mut text, &t.xml10_content())?,
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref().map_err(malformed)? {
                    Some(c) => c,
                    None => match r.xml10_content().as_ref() {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "quot" => '"',
                        "apos" => '\'',
                        other => return Err(malformed(format!("unknown entity &{other};")).into()),
                    },
                };
                push_text(&mut text, resolved.encode_utf8(&mut [0; 4]))?;
            }
            Event::End(_) => {
                let value = text.trim();
                let owned = || Some(value.to_owned());
                let p = path.as_slice();
                if at(p, &["Stmt", "Acct", "Id", "IBAN"])
                    || at(p, &["Stmt", "Acct", "Id", "Othr", "Id"])
                {
                    if account_no.is_none() {
                        account_no = account_digits(value);
                    }
                } else if at(p, &["Stmt", "Bal", "Tp", "CdOrPrtry", "Cd"]) {
                    balance.kind = owned();
                } else if at(p, &["Stmt", "Bal", "Amt"]) {
                    balance.amount = owned();
                } else if at(p, &["Stmt", "Bal", "CdtDbtInd"]) {
                    balance.indicator = owned();
                } else if at(p, &["Stmt", "Bal"]) {
                    stated_balance(&balance, &mut books)?;
                } else if at(p, &["TxsSummry", "TtlCdtNtries", "NbOfNtries"]) {
                    totals.credit_lines = Some(count(value)?);
                    totals_stated = true;
                } else if at(p, &["TxsSummry", "TtlCdtNtries", "Sum"]) {
                    totals.credits_vnd = Some(text::parse_camt_amount(value).map_err(malformed)?);
                    totals_stated = true;
                } else if at(p, &["TxsSummry", "TtlDbtNtries", "NbOfNtries"]) {
                    totals.debit_lines = Some(count(value)?);
                    totals_stated = true;
                } else if at(p, &["TxsSummry", "TtlDbtNtries", "Sum"]) {
                    totals.debits_vnd = Some(text::parse_camt_amount(value).map_err(malformed)?);
                    totals_stated = true;
                } else if at(p, &["Stmt", "Ntry", "Amt"]) {
                    entry.amount = owned();
                } else if at(p, &["Stmt", "Ntry", "CdtDbtInd"]) {
                    entry.indicator = owned();
                } else if at(p, &["Stmt", "Ntry", "Sts"]) || at(p, &["Stmt", "Ntry", "Sts", "Cd"]) {
                    if !value.is_empty() {
                        entry.status = owned();
                    }
                } else if at(p, &["Stmt", "Ntry", "BookgDt", "Dt"])
                    || at(p, &["Stmt", "Ntry", "BookgDt", "DtTm"])
                {
                    entry.date = owned();
                } else if at(p, &["Stmt", "Ntry", "AcctSvcrRef"]) {
                    entry.reference = owned();
                } else if at(p, &["Ntry", "NtryDtls", "TxDtls", "Refs", "AcctSvcrRef"]) {
                    if entry.tx_reference.is_none() {
                        entry.tx_reference = owned();
                    }
                } else if at(p, &["Stmt", "Ntry", "AddtlNtryInf"]) {
                    entry.additional = owned();
                } else if at(p, &["Ntry", "NtryDtls", "TxDtls", "RmtInf", "Ustrd"]) {
                    if !entry.unstructured.is_empty() {
                        entry.unstructured.push(' ');
                    }
                    entry.unstructured.push_str(value);
                    if entry.unstructured.len() > TEXT_CHARS_MAX {
                        return Err(StatementError::Row {
                            row: entries,
                            message: "the entry's remittance information is far too long".into(),
                        }
                        .into());
                    }
                } else if at(p, &["Stmt", "Ntry"]) {
                    let line = entry_line(entries, &mut entry)?;
                    books.line(&line)?;
                    visit(&line).map_err(ReadError::Visit)?;
                }
                text.clear();
                path.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if statements == 0 {
        return Err(StatementError::UnknownLayout {
            known: known_layouts(),
        }
        .into());
    }
    if totals_stated {
        // TxsSummry comes before the entries, so these are checked at the end.
        books.totals(totals)?;
    }
    Ok(books.finish(Layout::Camt053, account_no)?)
}

fn push_text(text: &mut String, more: &str) -> Result<(), StatementError> {
    if text.len() + more.len() > TEXT_CHARS_MAX {
        return Err(malformed("an element's text is far too long"));
    }
    text.push_str(more);
    Ok(())
}

fn count(value: &str) -> Result<u64, StatementError> {
    value
        .parse()
        .map_err(|_| malformed(format!("the number of entries \"{value}\" is not a number")))
}

/// Applies a `Bal`: opening (`OPBD`, or `PRCD`, the previous closing) or
/// closing (`CLBD`); other balance kinds (available, interim) are not
/// statement balances and are passed over.
fn stated_balance(balance: &Balance, books: &mut Books) -> Result<(), StatementError> {
    let opening = match balance.kind.as_deref() {
        Some("OPBD" | "PRCD") => true,
        Some("CLBD") => false,
        _ => return Ok(()),
    };
    let what = if opening { "opening" } else { "closing" };
    let bad = |message: String| StatementError::Unbalanced { row: None, message };
    if let Some(currency) = balance.currency.as_deref().filter(|c| *c != "VND") {
        return Err(StatementError::Unsupported {
            message: format!("the statement's {what} balance is in {currency}; only statements in đồng (VND) are read"),
        });
    }
    let amount = balance
        .amount
        .as_deref()
        .ok_or_else(|| bad(format!("the {what} balance has no amount")))?;
    let amount =
        text::parse_camt_amount(amount).map_err(|e| bad(format!("the {what} balance: {e}")))?;
    let amount =
        i64::try_from(amount).map_err(|_| bad(format!("the {what} balance is too large")))?;
    let value = match balance.indicator.as_deref() {
        Some("CRDT") => amount,
        Some("DBIT") => -amount,
        other => {
            return Err(bad(format!(
                "the {what} balance's credit/debit indicator {} is neither CRDT nor DBIT",
                other.unwrap_or("(missing)")
            )))
        }
    };
    if opening {
        books.opening(None, value)
    } else {
        books.closing(None, value)
    }
}

/// The line of a finished `Ntry`.
fn entry_line(row: u64, entry: &mut Entry) -> Result<Line, StatementError> {
    let row_error = |message: String| StatementError::Row { row, message };
    if let Some(status) = entry.status.as_deref().filter(|s| *s != "BOOK") {
        return Err(row_error(format!(
            "entry {row} has status {status}; only booked (BOOK) entries belong on a statement"
        )));
    }
    if let Some(currency) = entry.currency.as_deref().filter(|c| *c != "VND") {
        return Err(row_error(format!(
            "entry {row} is in {currency}; only statements in đồng (VND) are read"
        )));
    }
    let amount = entry
        .amount
        .as_deref()
        .ok_or_else(|| row_error("the entry has no amount".into()))?;
    let amount = text::parse_camt_amount(amount).map_err(row_error)?;
    if amount == 0 {
        return Err(row_error("the entry's amount is zero".into()));
    }
    let (credit_vnd, debit_vnd) = match entry.indicator.as_deref() {
        Some("CRDT") => (amount, 0),
        Some("DBIT") => (0, amount),
        other => {
            return Err(row_error(format!(
                "the entry's credit/debit indicator {} is neither CRDT nor DBIT",
                other.unwrap_or("(missing)")
            )))
        }
    };
    let date = entry
        .date
        .as_deref()
        .ok_or_else(|| row_error("the entry has no booking date".into()))?;
    let date = text::parse_date(date).map_err(row_error)?;
    let bank_ref = entry
        .reference
        .take()
        .or_else(|| entry.tx_reference.take())
        .filter(|r| !r.is_empty());
    if bank_ref
        .as_ref()
        .is_some_and(|r| r.chars().count() > REFERENCE_CHARS_MAX)
    {
        return Err(row_error(format!(
            "the bank reference is longer than {REFERENCE_CHARS_MAX} characters"
        )));
    }
    let narrative = match entry.additional.take().filter(|a| !a.is_empty()) {
        Some(additional) => additional,
        None => std::mem::take(&mut entry.unstructured),
    };
    if narrative.chars().count() > NARRATIVE_CHARS_MAX {
        return Err(row_error(format!(
            "the description is longer than {NARRATIVE_CHARS_MAX} characters"
        )));
    }
    Ok(Line {
        row,
        date,
        bank_ref,
        credit_vnd,
        debit_vnd,
        balance_vnd: None,
        narrative,
    })
}
