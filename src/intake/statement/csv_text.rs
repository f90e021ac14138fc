//! Statements as CSV text: UTF-8 (a BOM is allowed), `,` or `;` between
//! fields, rows of any length. The delimiter is the one under which a
//! header is found; the rows go to the [`Table`] reader one at a time.

use std::io::{Read, Seek, SeekFrom};

use super::table::{Cell, Flow, Table, COLUMNS_MAX};
use super::{known_layouts, Line, ReadError, StatementError, Summary};

/// The delimiters tried, in order.
const DELIMITERS: [u8; 2] = [b',', b';'];

pub fn read<R: Read + Seek, E>(
    mut src: R,
    visit: &mut dyn FnMut(&Line) -> Result<(), E>,
) -> Result<Summary, ReadError<E>> {
    let mut not_utf8 = false;
    let mut cells: Vec<Cell> = Vec::new();
    for delimiter in DELIMITERS {
        src.seek(SeekFrom::Start(0)).map_err(StatementError::Io)?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(&mut src);
        let mut record = csv::ByteRecord::new();
        let mut table = Table::new();
        loop {
            let more =
                reader
                    .read_byte_record(&mut record)
                    .map_err(|e| StatementError::Malformed {
                        format: "CSV",
                        message: e.to_string(),
                    })?;
            if !more {
                break;
            }
            let row = record.position().map_or(0, |p| p.line());
            cells.clear();
            for field in record.iter().take(COLUMNS_MAX) {
                let text = match std::str::from_utf8(field) {
                    Ok(text) => text,
                    Err(_) if !table.has_header() => {
                        not_utf8 = true;
                        ""
                    }
                    Err(_) => {
                        return Err(StatementError::Row {
                            row,
                            message: "the row is not UTF-8 text; save the file as CSV UTF-8".into(),
                        }
                        .into())
                    }
                };
                cells.push(if text.is_empty() {
                    Cell::Empty
                } else {
                    Cell::Text(text.to_owned())
                });
            }
            if table.row(row, &cells, visit)? == Flow::NoHeader {
                break;
            }
        }
        if table.has_header() {
            return Ok(table.finish()?);
        }
    }
    if not_utf8 {
        return Err(StatementError::Unsupported {
            message: "the file is not UTF-8 text; save it as CSV UTF-8 and upload it again".into(),
        }
        .into());
    }
    Err(StatementError::UnknownLayout {
        known: known_layouts(),
    }
    .into())
}
