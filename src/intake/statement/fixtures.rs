//! Statement files with made-up data, for tests and benchmarks of the
//! reader and the importer: each layout as its bank writes it, with the
//! title, balance, total, blank and footer rows the reader must pass over,
//! each bank's grouping style, and VietinBank's date written once per day.
//!
//! Rows are written as they are made, so a 250,000-line file takes time in
//! proportion to its length. These generators write to memory buffers that
//! cannot fail; they panic only on a date outside Excel's range.

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet};
use time::Date;

use super::Layout;

/// One line of a made-up statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FixtureLine {
    pub date: Date,
    pub bank_ref: Option<String>,
    pub credit_vnd: u64,
    pub debit_vnd: u64,
    pub narrative: String,
}

/// The file bytes of a statement in `layout` for `account_no`, with the
/// given opening balance: XLSX for the five banks, camt.053 XML for camt,
/// CSV for the generic layout. Running balances, totals and the closing
/// balance follow from the lines.
pub fn statement(
    layout: Layout,
    account_no: &str,
    opening_vnd: i64,
    lines: &[FixtureLine],
) -> Vec<u8> {
    match layout {
        Layout::Camt053 => camt(account_no, opening_vnd, lines),
        Layout::GenericCsv => csv_of(layout, account_no, opening_vnd, lines),
        _ => {
            let mut sink = XlsxSink::new();
            rows(layout, account_no, opening_vnd, lines, &mut sink);
            sink.finish()
        }
    }
}

/// The same statement as CSV text (UTF-8, `,` between fields), for the five
/// banks and the generic layout. camt.053 has no CSV form: for it this
/// returns the XML, as [`statement`] does.
pub fn csv_of(
    layout: Layout,
    account_no: &str,
    opening_vnd: i64,
    lines: &[FixtureLine],
) -> Vec<u8> {
    if layout == Layout::Camt053 {
        return camt(account_no, opening_vnd, lines);
    }
    let mut sink = CsvSink::new();
    rows(layout, account_no, opening_vnd, lines, &mut sink);
    sink.finish()
}

/// `count` lines over ten days: mostly gifts, every seventh a debit, with
/// references and narratives as banks write them, each gift's naming
/// `SV <reference>` when `reference` is not empty. For large fixtures.
pub fn lines(count: usize, first_day: Date, reference: &str) -> Vec<FixtureLine> {
    (0..count)
        .map(|i| {
            let day =
                first_day.saturating_add(time::Duration::days((i * 10 / count.max(1)) as i64));
            let debit = i % 7 == 6;
            let amount = 10_000 * (1 + (i as u64 * 7919) % 500);
            FixtureLine {
                date: day,
                bank_ref: Some(format!("{}.{:05}", 5213 + i / 100_000, i % 100_000)),
                credit_vnd: if debit { 0 } else { amount },
                debit_vnd: if debit { amount / 2 } else { 0 },
                narrative: if debit {
                    format!("Chi ho tro ho ngheo dot {i}")
                } else {
                    let sv = if reference.is_empty() {
                        "UNG HO DONG BAO".to_owned()
                    } else {
                        format!("SV {reference} UNG HO")
                    };
                    format!(
                        "MBVCB.{}.{sv} CT tu 0351000646393 NGUYEN VAN AN",
                        6_986_253_876u64 + i as u64
                    )
                },
            }
        })
        .collect()
}

/// One cell of a fixture row.
enum FCell {
    Empty,
    Text(String),
    Date(Date),
}

fn t(s: impl Into<String>) -> FCell {
    FCell::Text(s.into())
}

/// Where fixture rows go.
trait Sink {
    fn row(&mut self, cells: Vec<FCell>);
    /// Whether date cells are written as spreadsheet dates.
    fn has_dates(&self) -> bool;
}

struct XlsxSink {
    workbook: Workbook,
    next_row: u32,
    date_format: Format,
}

impl XlsxSink {
    fn new() -> XlsxSink {
        let mut workbook = Workbook::new();
        workbook
            .add_worksheet_with_constant_memory()
            .and_then(|sheet| sheet.set_name("Sao ke"))
            .expect("a sheet in memory with a valid name");
        XlsxSink {
            workbook,
            next_row: 0,
            date_format: Format::new().set_num_format("dd/mm/yyyy"),
        }
    }

    fn sheet(&mut self) -> &mut Worksheet {
        self.workbook
            .worksheet_from_index(0)
            .expect("the sheet added in new")
    }

    fn finish(mut self) -> Vec<u8> {
        self.workbook.save_to_buffer().expect("an XLSX in memory")
    }
}

impl Sink for XlsxSink {
    fn row(&mut self, cells: Vec<FCell>) {
        let row = self.next_row;
        self.next_row += 1;
        let format = self.date_format.clone();
        let sheet = self.sheet();
        for (col, cell) in cells.into_iter().enumerate() {
            let col = col as u16;
            match cell {
                FCell::Empty => {}
                FCell::Text(s) if s.is_empty() => {}
                FCell::Text(s) => {
                    sheet.write_string(row, col, s).expect("a cell in range");
                }
                FCell::Date(d) => {
                    let when =
                        ExcelDateTime::from_ymd(d.year() as u16, u8::from(d.month()), d.day())
                            .expect("a date in Excel's range");
                    sheet
                        .write_datetime_with_format(row, col, when, &format)
                        .expect("a cell in range");
                }
            }
        }
    }

    fn has_dates(&self) -> bool {
        true
    }
}

struct CsvSink {
    writer: csv::Writer<Vec<u8>>,
}

impl CsvSink {
    fn new() -> CsvSink {
        CsvSink {
            writer: csv::WriterBuilder::new()
                .flexible(true)
                .from_writer(Vec::new()),
        }
    }

    fn finish(self) -> Vec<u8> {
        self.writer.into_inner().expect("CSV in memory")
    }
}

impl Sink for CsvSink {
    fn row(&mut self, cells: Vec<FCell>) {
        if cells.is_empty() {
            // A blank row: one empty field, as spreadsheets save it.
            self.writer.write_record([""]).expect("CSV in memory");
            return;
        }
        let fields = cells.into_iter().map(|c| match c {
            FCell::Empty => String::new(),
            FCell::Text(s) => s,
            FCell::Date(d) => dmy(d),
        });
        self.writer.write_record(fields).expect("CSV in memory");
    }

    fn has_dates(&self) -> bool {
        false
    }
}

fn dmy(d: Date) -> String {
    format!("{:02}/{:02}/{}", d.day(), u8::from(d.month()), d.year())
}

/// `value` with `sep` between groups of three digits.
fn group(value: i64, sep: char) -> String {
    super::text::group_with(value.into(), sep)
}

/// An amount with `.` grouping, or empty for zero (the unused column).
fn dot(value: u64) -> String {
    if value == 0 {
        String::new()
    } else {
        group(value as i64, '.')
    }
}

struct Totals {
    credits: u64,
    debits: u64,
    closing: i64,
}

fn totals(opening_vnd: i64, lines: &[FixtureLine]) -> Totals {
    let credits: u64 = lines.iter().map(|l| l.credit_vnd).sum();
    let debits: u64 = lines.iter().map(|l| l.debit_vnd).sum();
    Totals {
        credits,
        debits,
        closing: opening_vnd + credits as i64 - debits as i64,
    }
}

fn reference(line: &FixtureLine) -> String {
    line.bank_ref.clone().unwrap_or_default()
}

/// The rows of a tabular layout, title to footer.
fn rows(
    layout: Layout,
    account_no: &str,
    opening_vnd: i64,
    lines: &[FixtureLine],
    sink: &mut dyn Sink,
) {
    let sums = totals(opening_vnd, lines);
    let mut balance = opening_vnd;
    let mut next_balance = |line: &FixtureLine| {
        balance += line.credit_vnd as i64 - line.debit_vnd as i64;
        balance
    };
    let period = match (lines.first(), lines.last()) {
        (Some(first), Some(last)) => {
            format!("Từ ngày {} đến ngày {}", dmy(first.date), dmy(last.date))
        }
        _ => String::new(),
    };
    match layout {
        Layout::Vietcombank => {
            sink.row(vec![t("NGÂN HÀNG TMCP NGOẠI THƯƠNG VIỆT NAM")]);
            sink.row(vec![t("SAO KÊ TÀI KHOẢN")]);
            sink.row(vec![t("Số tài khoản:"), t(account_no)]);
            sink.row(vec![
                t("Tên tài khoản:"),
                t("QUY VI NGUOI NGHEO XA AN BINH"),
            ]);
            sink.row(vec![t(period)]);
            sink.row(vec![]);
            sink.row(vec![
                t("Số dư đầu kỳ"),
                FCell::Empty,
                t(group(opening_vnd, '.')),
            ]);
            sink.row(vec![
                t("Ngày giao dịch"),
                t("Số tham chiếu"),
                t("Số tiền ghi có"),
                t("Số tiền ghi nợ"),
                t("Mô tả"),
            ]);
            for line in lines {
                sink.row(vec![
                    t(dmy(line.date)),
                    t(reference(line)),
                    t(dot(line.credit_vnd)),
                    t(dot(line.debit_vnd)),
                    t(line.narrative.clone()),
                ]);
            }
            sink.row(vec![
                t("Tổng"),
                FCell::Empty,
                t(group(sums.credits as i64, '.')),
                t(group(sums.debits as i64, '.')),
            ]);
            sink.row(vec![
                t("Số dư cuối kỳ"),
                FCell::Empty,
                t(group(sums.closing, '.')),
            ]);
            sink.row(vec![]);
            sink.row(vec![
                t("Người lập biểu"),
                FCell::Empty,
                t("Kiểm soát"),
                FCell::Empty,
                t("Kế toán trưởng"),
            ]);
        }
        Layout::Bidv => {
            sink.row(vec![t("NGÂN HÀNG TMCP ĐẦU TƯ VÀ PHÁT TRIỂN VIỆT NAM")]);
            sink.row(vec![t("BÁO CÁO CHI TIẾT SỐ DƯ TÀI KHOẢN")]);
            sink.row(vec![t(format!(
                "Tài khoản: {account_no} - QUY VI NGUOI NGHEO"
            ))]);
            sink.row(vec![t("Loại tiền: VND"), FCell::Empty, t(period)]);
            sink.row(vec![]);
            sink.row(vec![
                t("STT"),
                t("Ngày hiệu lực"),
                t("Số CT"),
                t("Ghi nợ"),
                t("Ghi có"),
                t("Số dư"),
                t("Mô tả"),
            ]);
            sink.row(vec![
                FCell::Empty,
                t("Dư đầu"),
                FCell::Empty,
                FCell::Empty,
                FCell::Empty,
                t(group(opening_vnd, '.')),
            ]);
            let dates = sink.has_dates();
            for (i, line) in lines.iter().enumerate() {
                let balance = next_balance(line);
                sink.row(vec![
                    t((i + 1).to_string()),
                    if dates {
                        FCell::Date(line.date)
                    } else {
                        t(dmy(line.date))
                    },
                    t(reference(line)),
                    t(dot(line.debit_vnd)),
                    t(dot(line.credit_vnd)),
                    t(group(balance, '.')),
                    t(line.narrative.clone()),
                ]);
            }
            sink.row(vec![
                FCell::Empty,
                t("Cộng phát sinh"),
                FCell::Empty,
                t(group(sums.debits as i64, '.')),
                t(group(sums.credits as i64, '.')),
            ]);
            sink.row(vec![
                FCell::Empty,
                t("Dư cuối"),
                FCell::Empty,
                FCell::Empty,
                FCell::Empty,
                t(group(sums.closing, '.')),
            ]);
            sink.row(vec![]);
            sink.row(vec![
                FCell::Empty,
                t("Giao dịch viên"),
                FCell::Empty,
                FCell::Empty,
                t("Kiểm soát viên"),
            ]);
        }
        Layout::Vietinbank => {
            sink.row(vec![t("LỊCH SỬ GIAO DỊCH")]);
            sink.row(vec![t(format!("STK: {account_no}"))]);
            sink.row(vec![t(period)]);
            sink.row(vec![t(format!(
                "Số dư đầu kỳ: {}",
                group(opening_vnd, '.')
            ))]);
            sink.row(vec![]);
            sink.row(vec![
                t("Ngày hạch toán"),
                t("Mô tả giao dịch"),
                t("Nợ"),
                t("Có"),
                t("Số dư"),
                t("Số giao dịch"),
            ]);
            let mut previous_day = None;
            for line in lines {
                let balance = next_balance(line);
                let day = if previous_day == Some(line.date) {
                    FCell::Empty
                } else {
                    t(dmy(line.date))
                };
                previous_day = Some(line.date);
                sink.row(vec![
                    day,
                    t(line.narrative.clone()),
                    t(dot(line.debit_vnd)),
                    t(dot(line.credit_vnd)),
                    t(group(balance, '.')),
                    t(reference(line)),
                ]);
            }
            sink.row(vec![
                t("Tổng cộng"),
                FCell::Empty,
                t(group(sums.debits as i64, '.')),
                t(group(sums.credits as i64, '.')),
            ]);
            sink.row(vec![t(format!(
                "Số dư cuối kỳ: {}",
                group(sums.closing, '.')
            ))]);
            sink.row(vec![t("Ghi chú: sao kê điện tử, không cần chữ ký")]);
        }
        Layout::Mb => {
            sink.row(vec![t("NGÂN HÀNG TMCP QUÂN ĐỘI")]);
            sink.row(vec![t("SAO KÊ CHI TIẾT TÀI KHOẢN")]);
            sink.row(vec![t("Số tài khoản:"), t(account_no)]);
            sink.row(vec![t("Số dư đầu kỳ"), t(group(opening_vnd, '.'))]);
            sink.row(vec![]);
            sink.row(vec![
                t("STT"),
                t("Ngày hạch toán"),
                t("Ngày giao dịch"),
                t("Số bút toán"),
                t("Phát sinh nợ"),
                t("Phát sinh có"),
                t("Số dư"),
                t("Nội dung"),
            ]);
            for (i, line) in lines.iter().enumerate() {
                let balance = next_balance(line);
                sink.row(vec![
                    t((i + 1).to_string()),
                    t(dmy(line.date)),
                    t(format!(
                        "{} 08:{:02}:{:02}",
                        dmy(line.date),
                        i % 60,
                        (i * 7) % 60
                    )),
                    t(reference(line)),
                    t(dot(line.debit_vnd)),
                    t(dot(line.credit_vnd)),
                    t(group(balance, '.')),
                    t(line.narrative.clone()),
                ]);
            }
            sink.row(vec![
                t("Tổng cộng"),
                FCell::Empty,
                FCell::Empty,
                FCell::Empty,
                t(group(sums.debits as i64, '.')),
                t(group(sums.credits as i64, '.')),
            ]);
            sink.row(vec![
                t("Số dư cuối kỳ"),
                FCell::Empty,
                FCell::Empty,
                FCell::Empty,
                FCell::Empty,
                FCell::Empty,
                t(group(sums.closing, '.')),
            ]);
        }
        Layout::Agribank => {
            sink.row(vec![t(
                "NGÂN HÀNG NÔNG NGHIỆP VÀ PHÁT TRIỂN NÔNG THÔN VIỆT NAM",
            )]);
            sink.row(vec![t("SAO KÊ TÀI KHOẢN")]);
            sink.row(vec![t("Tài khoản:"), t(account_no)]);
            sink.row(vec![t("Số dư đầu kỳ:"), t(group(opening_vnd, ','))]);
            sink.row(vec![]);
            sink.row(vec![
                t("Ngày giao dịch"),
                t("Diễn giải"),
                t("Số tiền"),
                t("Số dư"),
                t("Mã giao dịch"),
            ]);
            for line in lines {
                let balance = next_balance(line);
                let amount = if line.debit_vnd > 0 {
                    group(-(line.debit_vnd as i64), ',')
                } else {
                    group(line.credit_vnd as i64, ',')
                };
                sink.row(vec![
                    t(dmy(line.date)),
                    t(line.narrative.clone()),
                    t(amount),
                    t(group(balance, ',')),
                    t(reference(line)),
                ]);
            }
            sink.row(vec![t("Số dư cuối kỳ:"), t(group(sums.closing, ','))]);
            sink.row(vec![]);
            sink.row(vec![t("Người lập"), FCell::Empty, t("Kiểm soát")]);
        }
        Layout::GenericCsv => {
            sink.row(vec![
                t("date"),
                t("ref"),
                t("credit"),
                t("debit"),
                t("balance"),
                t("description"),
            ]);
            for line in lines {
                let balance = next_balance(line);
                sink.row(vec![
                    t(dmy(line.date)),
                    t(reference(line)),
                    t(line.credit_vnd.to_string()),
                    t(line.debit_vnd.to_string()),
                    t(balance.to_string()),
                    t(line.narrative.clone()),
                ]);
            }
        }
        Layout::Camt053 => {}
    }
}

/// `&`, `<` and `>` escaped for XML text.
fn xml_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn ymd(d: Date) -> String {
    format!("{}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// A camt.053.001.02 statement: opening and closing booked balances, the
/// totals summary, and each line as an `Ntry`, its narrative alternately in
/// `AddtlNtryInf` and in `RmtInf/Ustrd`.
fn camt(account_no: &str, opening_vnd: i64, lines: &[FixtureLine]) -> Vec<u8> {
    use std::fmt::Write;
    let sums = totals(opening_vnd, lines);
    let first = lines.first().map_or_else(String::new, |l| ymd(l.date));
    let last = lines.last().map_or_else(String::new, |l| ymd(l.date));
    let balance = |kind: &str, value: i64, day: &str| {
        format!(
            "<Bal><Tp><CdOrPrtry><Cd>{kind}</Cd></CdOrPrtry></Tp><Amt Ccy=\"VND\">{}.00</Amt><CdtDbtInd>{}</CdtDbtInd><Dt><Dt>{day}</Dt></Dt></Bal>\n",
            value.unsigned_abs(),
            if value < 0 { "DBIT" } else { "CRDT" }
        )
    };
    let mut out = String::with_capacity(300 + lines.len() * 400);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(
        "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\">\n<BkToCstmrStmt>\n",
    );
    out.push_str(
        "<GrpHdr><MsgId>SV-FIXTURE</MsgId><CreDtTm>2025-01-31T17:00:00</CreDtTm></GrpHdr>\n",
    );
    out.push_str("<Stmt><Id>STMT-1</Id><CreDtTm>2025-01-31T17:00:00</CreDtTm>\n");
    let _ = writeln!(
        out,
        "<Acct><Id><Othr><Id>{}</Id></Othr></Id><Ccy>VND</Ccy><Svcr><FinInstnId><BIC>BFTVVNVX</BIC></FinInstnId></Svcr></Acct>",
        xml_text(account_no)
    );
    out.push_str(&balance("OPBD", opening_vnd, &first));
    out.push_str(&balance("CLBD", sums.closing, &last));
    let credit_lines = lines.iter().filter(|l| l.credit_vnd > 0).count();
    let _ = writeln!(
        out,
        "<TxsSummry><TtlNtries><NbOfNtries>{}</NbOfNtries></TtlNtries><TtlCdtNtries><NbOfNtries>{credit_lines}</NbOfNtries><Sum>{}</Sum></TtlCdtNtries><TtlDbtNtries><NbOfNtries>{}</NbOfNtries><Sum>{}</Sum></TtlDbtNtries></TxsSummry>",
        lines.len(),
        sums.credits,
        lines.len() - credit_lines,
        sums.debits
    );
    for (i, line) in lines.iter().enumerate() {
        let (amount, indicator) = if line.credit_vnd > 0 {
            (line.credit_vnd, "CRDT")
        } else {
            (line.debit_vnd, "DBIT")
        };
        let _ = write!(
            out,
            "<Ntry><Amt Ccy=\"VND\">{amount}.00</Amt><CdtDbtInd>{indicator}</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>{}</Dt></BookgDt><ValDt><Dt>{}</Dt></ValDt>",
            ymd(line.date),
            ymd(line.date)
        );
        if let Some(r) = &line.bank_ref {
            let _ = write!(out, "<AcctSvcrRef>{}</AcctSvcrRef>", xml_text(r));
        }
        out.push_str("<BkTxCd><Domn><Cd>PMNT</Cd></Domn></BkTxCd>");
        if i % 2 == 0 {
            let _ = write!(
                out,
                "<NtryDtls><TxDtls><RmtInf><Ustrd>{}</Ustrd></RmtInf></TxDtls></NtryDtls>",
                xml_text(&line.narrative)
            );
        } else {
            let _ = write!(
                out,
                "<AddtlNtryInf>{}</AddtlNtryInf>",
                xml_text(&line.narrative)
            );
        }
        out.push_str("</Ntry>\n");
    }
    out.push_str("</Stmt>\n</BkToCstmrStmt>\n</Document>\n");
    out.into_bytes()
}
