//! Spreadsheets (XLSX) of the statements, for committees that publish
//! them as files. Amounts are written as numbers formatted in đồng, so a
//! spreadsheet can add them up; every amount is at most 10^15, which an
//! XLSX number (a binary double) holds exactly.
//!
//! A large sheet is written in constant memory: each row goes to a
//! temporary file as it is written, and the workbook is assembled there
//! and streamed from disk.

use axum::body::Body;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};

use super::error::ApiError;

/// A cell of a statement row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    /// An amount of đồng.
    Vnd(i128),
    Number(i64),
    /// A calendar day: `dd/mm/yyyy` in CSV, a real date in a spreadsheet.
    Date(time::Date),
}

impl Cell {
    /// The cell as CSV text. Text a spreadsheet program would read as a
    /// formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage
    /// return) gets a leading `'`, so that a donor's name such as
    /// `=HYPERLINK(…)` stays text on every computer that opens the file.
    pub fn csv_text(self) -> String {
        match self {
            Cell::Text(t) if t.starts_with(['=', '+', '-', '@', '\t', '\r']) => format!("'{t}"),
            Cell::Text(t) => t,
            Cell::Vnd(v) => v.to_string(),
            Cell::Number(n) => n.to_string(),
            Cell::Date(d) => format!("{:02}/{:02}/{:04}", d.day(), u8::from(d.month()), d.year()),
        }
    }
}

/// Where a statement's cells go.
pub struct Sheet {
    workbook: Workbook,
    money: Format,
    date: Format,
    bold: Format,
    bold_money: Format,
    /// The last row written.
    row: u32,
}

/// Largest amount written as a number (exact in a double).
const VND_EXACT_MAX: i128 = 1 << 53;

fn xlsx_error(e: XlsxError) -> ApiError {
    ApiError::Internal(format!("writing a spreadsheet: {e}"))
}

impl Sheet {
    /// A workbook with one sheet, `name`: the `title` lines (the first
    /// in large bold: what the sheet is; then the fund, the period or
    /// search, when it was made), a blank row, then `headings` in bold,
    /// kept in view as the reader scrolls. `large` keeps only one row in
    /// memory at a time.
    pub fn new(
        name: &str,
        title: &[String],
        headings: &[&str],
        widths: &[f64],
        large: bool,
    ) -> Result<Self, ApiError> {
        let mut workbook = Workbook::new();
        let bold = Format::new().set_bold();
        let heading_row = if title.is_empty() {
            0
        } else {
            title.len() as u32 + 1
        };
        {
            let ws = if large {
                workbook
                    .add_worksheet_with_constant_memory()
                    .map_err(xlsx_error)?
            } else {
                workbook.add_worksheet()
            };
            ws.set_name(name).map_err(xlsx_error)?;
            for (col, w) in widths.iter().enumerate() {
                ws.set_column_width(col as u16, *w).map_err(xlsx_error)?;
            }
            for (row, line) in title.iter().enumerate() {
                let format = match row {
                    0 => Format::new().set_bold().set_font_size(14),
                    _ => Format::new(),
                };
                ws.write_string_with_format(row as u32, 0, line.as_str(), &format)
                    .map_err(xlsx_error)?;
            }
            for (col, h) in headings.iter().enumerate() {
                ws.write_string_with_format(heading_row, col as u16, *h, &bold)
                    .map_err(xlsx_error)?;
            }
            // The headings stay in view as the reader scrolls.
            ws.set_freeze_panes(heading_row + 1, 0)
                .map_err(xlsx_error)?;
        }
        let money = "#,##0 \"₫\"";
        Ok(Self {
            workbook,
            money: Format::new().set_num_format(money),
            date: Format::new().set_num_format("dd/mm/yyyy"),
            bold_money: Format::new().set_bold().set_num_format(money),
            bold,
            row: heading_row,
        })
    }

    /// Writes a row in bold: a total under the rows.
    pub fn push_total(&mut self, cells: &[Cell]) -> Result<(), ApiError> {
        self.write(cells, true)
    }

    /// Writes the next row.
    pub fn push(&mut self, cells: &[Cell]) -> Result<(), ApiError> {
        self.write(cells, false)
    }

    fn write(&mut self, cells: &[Cell], bold: bool) -> Result<(), ApiError> {
        self.row += 1;
        let row = self.row;
        let (plain, money) = match bold {
            true => (&self.bold, &self.bold_money),
            false => (&Format::new(), &self.money),
        };
        let ws = self.workbook.worksheet_from_index(0).map_err(xlsx_error)?;
        for (col, cell) in cells.iter().enumerate() {
            let col = col as u16;
            match cell {
                Cell::Text(t) if t.is_empty() => continue,
                Cell::Text(t) => ws.write_string_with_format(row, col, t.as_str(), plain),
                Cell::Vnd(v) if v.abs() <= VND_EXACT_MAX => {
                    ws.write_number_with_format(row, col, *v as f64, money)
                }
                Cell::Vnd(v) => ws.write_string_with_format(row, col, v.to_string(), plain),
                Cell::Number(n) => ws.write_number_with_format(row, col, *n as f64, plain),
                Cell::Date(d) => {
                    let day = u16::try_from(d.year()).ok().and_then(|y| {
                        ExcelDateTime::from_ymd(y, u8::from(d.month()), d.day()).ok()
                    });
                    match day {
                        Some(day) => ws.write_datetime_with_format(row, col, &day, &self.date),
                        None => ws.write_string(row, col, d.to_string()),
                    }
                }
            }
            .map_err(xlsx_error)?;
        }
        Ok(())
    }

    /// The finished file, in memory: for small sheets.
    pub fn into_bytes(mut self) -> Result<Vec<u8>, ApiError> {
        self.workbook.save_to_buffer().map_err(xlsx_error)
    }

    /// The finished file, written to a temporary file and streamed from it.
    pub async fn into_response(mut self, filename: &str) -> Result<Response, ApiError> {
        let file = tempfile::NamedTempFile::new()
            .map_err(|e| ApiError::Internal(format!("temporary file: {e}")))?;
        let path = file.path().to_owned();
        let file = tokio::task::spawn_blocking(move || {
            self.workbook.save(&path).map_err(xlsx_error).map(|()| file)
        })
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
        // The open handle keeps the file readable after it is unlinked.
        let std_file = file
            .reopen()
            .map_err(|e| ApiError::Internal(format!("temporary file: {e}")))?;
        drop(file);
        let reader = tokio::fs::File::from_std(std_file);
        let stream = futures_util::stream::unfold(Some(reader), |r| async move {
            use tokio::io::AsyncReadExt;
            let mut r = r?;
            let mut buf = vec![0u8; 64 * 1024];
            match r.read(&mut buf).await {
                Ok(0) => None,
                Ok(n) => {
                    buf.truncate(n);
                    Some((Ok::<_, std::io::Error>(buf), Some(r)))
                }
                Err(e) => Some((Err(e), None)),
            }
        });
        Ok(xlsx_response(filename, Body::from_stream(stream)))
    }
}

pub const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

pub fn xlsx_response(filename: &str, body: Body) -> Response {
    (
        [
            (header::CONTENT_TYPE, XLSX_TYPE.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_a_spreadsheet_would_run_as_a_formula_is_kept_as_text_in_csv() {
        for (raw, csv) in [
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "'=HYPERLINK(\"http://x\",\"y\")",
            ),
            ("+84 90", "'+84 90"),
            ("-1", "'-1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("Nguyễn Văn A", "Nguyễn Văn A"),
            ("Công ty A-B", "Công ty A-B"),
        ] {
            assert_eq!(Cell::Text(raw.into()).csv_text(), csv, "{raw}");
        }
        assert_eq!(Cell::Vnd(-1_500_000).csv_text(), "-1500000");
        assert_eq!(Cell::Number(7).csv_text(), "7");
    }
}
