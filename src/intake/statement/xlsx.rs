//! Statements as XLSX workbooks: the first worksheet, streamed cell by cell
//! with calamine's cell reader and handed to the [`Table`] reader a row at a
//! time, so a sheet of any length is read in flat memory.

use std::io::{BufReader, Read, Seek};

use calamine::{DataRef, Reader, Xlsx};
use time::{Date, Month};

use super::table::{Cell, Table, COLUMNS_MAX};
use super::{Line, ReadError, StatementError, Summary};

fn malformed(e: impl std::fmt::Display) -> StatementError {
    StatementError::Malformed {
        format: "XLSX",
        message: e.to_string(),
    }
}

pub fn read<R: Read + Seek, E>(
    src: R,
    visit: &mut dyn FnMut(&Line) -> Result<(), E>,
) -> Result<Summary, ReadError<E>> {
    let mut book: Xlsx<_> = Xlsx::new(BufReader::new(src)).map_err(malformed)?;
    let Some(sheet) = book.sheet_names().first().cloned() else {
        return Err(malformed("the workbook has no worksheet").into());
    };
    let mut reader = book.worksheet_cells_reader(&sheet).map_err(malformed)?;
    let mut table = Table::new();
    let mut cells: Vec<Cell> = Vec::new();
    let mut current: Option<u32> = None;
    while let Some(cell) = reader.next_cell().map_err(malformed)? {
        let (row, column) = cell.get_position();
        if current != Some(row) {
            if let Some(previous) = current {
                table.row(u64::from(previous) + 1, &cells, visit)?;
            }
            cells.clear();
            current = Some(row);
        }
        let column = column as usize;
        if column >= COLUMNS_MAX {
            continue;
        }
        if cells.len() <= column {
            cells.resize(column + 1, Cell::Empty);
        }
        cells[column] = convert(cell.get_value());
    }
    if let Some(previous) = current {
        table.row(u64::from(previous) + 1, &cells, visit)?;
    }
    Ok(table.finish()?)
}

/// A calamine cell as the table reader sees it.
fn convert(value: &DataRef<'_>) -> Cell {
    match value {
        DataRef::Empty => Cell::Empty,
        DataRef::Int(i) => Cell::Int(*i),
        DataRef::Float(f) => Cell::Number(*f),
        DataRef::String(s) => Cell::Text(s.clone()),
        DataRef::SharedString(s) => Cell::Text((*s).to_owned()),
        DataRef::DateTimeIso(s) => Cell::Text(s.clone()),
        DataRef::DateTime(when) if when.is_datetime() => {
            let (year, month, day, ..) = when.to_ymd_hms_milli();
            Month::try_from(month)
                .ok()
                .and_then(|m| Date::from_calendar_date(i32::from(year), m, day).ok())
                .map_or_else(|| Cell::Bad(format!("\"{when}\"")), Cell::Date)
        }
        DataRef::DateTime(when) => Cell::Bad(format!("the duration \"{when}\"")),
        DataRef::DurationIso(s) => Cell::Bad(format!("the duration \"{s}\"")),
        DataRef::Bool(b) => Cell::Bad(format!("the truth value {b}")),
        DataRef::Error(e) => Cell::Bad(format!("the spreadsheet error {e}")),
    }
}
