//! The reader against fixtures of every layout and against broken files.

use std::io::Cursor;

use time::macros::date;

use super::fixtures::{self, FixtureLine};
use super::*;

const ACCOUNT: &str = "0011001234567";
const OPENING: i64 = 12_500_000;

fn line(
    day: Date,
    bank_ref: Option<&str>,
    credit: u64,
    debit: u64,
    narrative: &str,
) -> FixtureLine {
    FixtureLine {
        date: day,
        bank_ref: bank_ref.map(str::to_owned),
        credit_vnd: credit,
        debit_vnd: debit,
        narrative: narrative.to_owned(),
    }
}

/// A dozen lines over three days, with accents, commas, quotes, a missing
/// reference and amounts of every size.
fn sample() -> Vec<FixtureLine> {
    vec![
        line(
            date!(2025 - 01 - 06),
            Some("5213.32435"),
            500_000,
            0,
            "MBVCB.6986253876.SV UNGHO01 CT tu 0351000646393 NGUYEN THE HUNG",
        ),
        line(
            date!(2025 - 01 - 06),
            Some("5213.32436"),
            1_000_000_000,
            0,
            "Công ty TNHH Ánh Dương ủng hộ, \"Quỹ vì người nghèo\"",
        ),
        line(
            date!(2025 - 01 - 06),
            Some("5213.32437"),
            0,
            3_000_000,
            "Chi hỗ trợ hộ nghèo  thôn 3",
        ),
        line(date!(2025 - 01 - 06), None, 0, 1_100, "Phi dich vu SMS"),
        line(
            date!(2025 - 01 - 07),
            Some("5213.40001"),
            200_000,
            0,
            "SV CAMP2025 ung ho",
        ),
        line(
            date!(2025 - 01 - 07),
            Some("5213.40002"),
            50_000,
            0,
            "IBFT SV CAMP2025",
        ),
        line(
            date!(2025 - 01 - 07),
            Some("5213.40003"),
            0,
            10_000_000,
            "Chuyen tien mua gao",
        ),
        line(
            date!(2025 - 01 - 09),
            Some("5213.50001"),
            7,
            0,
            "Lai tien gui",
        ),
        line(
            date!(2025 - 01 - 09),
            Some("5213.50002"),
            123_456_789,
            0,
            "TRAN THI B chuyen tien",
        ),
        line(
            date!(2025 - 01 - 09),
            Some("5213.50003"),
            0,
            456_789,
            "Hoan tien",
        ),
        line(
            date!(2025 - 01 - 09),
            Some("5213.50004"),
            999_000,
            0,
            "Ủng hộ đồng bào lũ lụt",
        ),
        line(date!(2025 - 01 - 09), Some("5213.50005"), 1_000, 0, "x"),
    ]
}

/// Reads `bytes`, keeping the lines (tests only: the reader itself keeps
/// none).
fn read_all(bytes: &[u8]) -> Result<(Summary, Vec<Line>), StatementError> {
    let mut lines = Vec::new();
    let summary = read(Cursor::new(bytes), &mut |l: &Line| -> Result<
        (),
        std::convert::Infallible,
    > {
        lines.push(l.clone());
        Ok(())
    })
    .map_err(|e| match e {
        ReadError::Statement(e) => e,
        ReadError::Visit(never) => match never {},
    })?;
    Ok((summary, lines))
}

fn has_balances(layout: Layout) -> bool {
    !matches!(layout, Layout::Vietcombank | Layout::Camt053)
}

fn check_round_trip(layout: Layout, bytes: &[u8], what: &str) {
    let fixture = sample();
    let (summary, lines) = read_all(bytes).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(lines.len(), fixture.len(), "{what}");
    let mut balance = OPENING;
    for (got, want) in lines.iter().zip(&fixture) {
        balance += want.credit_vnd as i64 - want.debit_vnd as i64;
        assert_eq!(got.date, want.date, "{what} row {}", got.row);
        assert_eq!(got.bank_ref, want.bank_ref, "{what} row {}", got.row);
        assert_eq!(got.credit_vnd, want.credit_vnd, "{what} row {}", got.row);
        assert_eq!(got.debit_vnd, want.debit_vnd, "{what} row {}", got.row);
        assert_eq!(got.narrative, want.narrative, "{what} row {}", got.row);
        let expected_balance = has_balances(layout).then_some(balance);
        assert_eq!(got.balance_vnd, expected_balance, "{what} row {}", got.row);
    }
    assert!(
        lines.windows(2).all(|w| w[0].row < w[1].row),
        "{what}: rows in file order"
    );
    let credits: u64 = fixture.iter().map(|l| l.credit_vnd).sum();
    let debits: u64 = fixture.iter().map(|l| l.debit_vnd).sum();
    assert_eq!(
        summary,
        Summary {
            layout,
            // The generic CSV is its header and lines: it names no account.
            account_no: (layout != Layout::GenericCsv).then(|| ACCOUNT.into()),
            opening_balance_vnd: Some(OPENING),
            closing_balance_vnd: Some(balance),
            lines: 12,
            credit_lines: 8,
            debit_lines: 4,
            credits_vnd: credits,
            debits_vnd: debits,
            first_day: Some(date!(2025 - 01 - 06)),
            last_day: Some(date!(2025 - 01 - 09)),
        },
        "{what}"
    );
}

#[test]
fn every_layout_reads_back_exactly_the_lines_and_totals_of_its_fixture() {
    for layout in Layout::ALL {
        let bytes = fixtures::statement(layout, ACCOUNT, OPENING, &sample());
        check_round_trip(layout, &bytes, &format!("{} file", layout.name()));
        if layout != Layout::Camt053 {
            let csv = fixtures::csv_of(layout, ACCOUNT, OPENING, &sample());
            check_round_trip(layout, &csv, &format!("{} CSV", layout.name()));
        }
    }
}

#[test]
fn reading_twice_gives_the_same_summary_and_lines() {
    let bytes = fixtures::statement(Layout::Mb, ACCOUNT, OPENING, &sample());
    assert_eq!(read_all(&bytes).unwrap(), read_all(&bytes).unwrap());
}

#[test]
fn the_generic_csv_derives_its_opening_balance_from_the_first_line() {
    let csv = "date,ref,credit,debit,balance,description\n\
               01/02/2025,R1,100000,0,1100000,SV A\n\
               01/02/2025,R2,,50.000,1.050.000,fee\n";
    let (summary, lines) = read_all(csv.as_bytes()).unwrap();
    assert_eq!(summary.opening_balance_vnd, Some(1_000_000));
    assert_eq!(summary.closing_balance_vnd, Some(1_050_000));
    assert_eq!(summary.account_no, None);
    assert_eq!(lines[1].debit_vnd, 50_000);
    assert_eq!(lines[1].row, 3);
}

#[test]
fn vietinbank_carries_a_days_date_down_to_the_lines_below_it() {
    let csv = String::from_utf8(fixtures::csv_of(
        Layout::Vietinbank,
        ACCOUNT,
        OPENING,
        &sample(),
    ))
    .unwrap();
    let empty_dates = csv
        .lines()
        .filter(|l| l.starts_with(",Chi") || l.starts_with(",Phi"))
        .count();
    assert!(
        empty_dates >= 2,
        "the fixture writes a day's date once:\n{csv}"
    );
    let (_, lines) = read_all(csv.as_bytes()).unwrap();
    assert_eq!(lines[3].date, date!(2025 - 01 - 06));
    assert_eq!(lines[11].date, date!(2025 - 01 - 09));
}

#[test]
fn a_carried_down_line_whose_description_begins_like_a_balance_label_is_a_line() {
    let csv = "Ngày hạch toán,Mô tả giao dịch,Nợ,Có,Số dư,Số giao dịch\n\
               06/01/2025,a,,100.000,1.100.000,G1\n\
               ,Dư đầu tư xây dựng,,50.000,1.150.000,G2\n";
    let (summary, lines) = read_all(csv.as_bytes()).unwrap();
    assert_eq!(summary.layout, Layout::Vietinbank);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1].narrative, "Dư đầu tư xây dựng");
}

#[test]
fn a_missing_date_is_refused_outside_vietinbank() {
    let csv = "Ngày giao dịch,Số tham chiếu,Số tiền ghi có,Số tiền ghi nợ,Mô tả\n\
               06/01/2025,A1,100.000,,x\n\
               ,A2,200.000,,y\n";
    let e = read_all(csv.as_bytes()).unwrap_err();
    assert!(matches!(e, StatementError::Row { row: 3, .. }), "{e}");
    assert!(e.to_string().contains("no date"), "{e}");
}

/// A small Vietcombank CSV with the given rows between header and total.
fn vietcombank(body: &str, total: &str) -> String {
    format!(
        "SAO KÊ TÀI KHOẢN\nSố tài khoản: 0011 0012 34567\n\nSố dư đầu kỳ,,1.000.000\n\
         Ngày giao dịch,Số tham chiếu,Số tiền ghi có,Số tiền ghi nợ,Mô tả\n{body}{total}"
    )
}

#[test]
fn title_blank_balance_total_repeated_header_and_footer_rows_are_not_lines() {
    let csv = vietcombank(
        "06/01/2025,A1,100.000,,x\n\
         ,,,,\n\
         Ngày giao dịch,Số tham chiếu,Số tiền ghi có,Số tiền ghi nợ,Mô tả\n\
         07/01/2025,A2,,-,\"y, z\"\n",
        "Tổng,,100.000,0\nCộng phát sinh,,100.000,\nSố dư cuối kỳ,,,1.100.000\n\n\
         Người lập biểu,,Kế toán trưởng\n\"Ngày 31 tháng 1 năm 2025\"\n",
    );
    let e = read_all(csv.as_bytes()).unwrap_err();
    // The second line has neither credit nor debit: refused, not skipped.
    assert!(matches!(e, StatementError::Row { row: 9, .. }), "{e}");
    let csv = csv.replace("07/01/2025,A2,,-,", "07/01/2025,A2,0,0,");
    let e = read_all(csv.as_bytes()).unwrap_err();
    assert!(matches!(e, StatementError::Row { row: 9, .. }), "{e}");
    let csv = vietcombank(
        "06/01/2025,A1,100.000,,x\n\
         ,,,,\n\
         Ngày giao dịch,Số tham chiếu,Số tiền ghi có,Số tiền ghi nợ,Mô tả\n\
         07/01/2025,A2,50.000,-,\"y, z\"\n",
        "Tổng,,150.000,0\nCộng phát sinh,,150.000,\nSố dư cuối kỳ,,,1.150.000\n\n\
         Người lập biểu,,Kế toán trưởng\nNgày 31 tháng 1 năm 2025\n",
    );
    let (summary, lines) = read_all(csv.as_bytes()).unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1].narrative, "y, z");
    assert_eq!(summary.account_no.as_deref(), Some(ACCOUNT));
    assert_eq!(summary.opening_balance_vnd, Some(1_000_000));
    assert_eq!(summary.closing_balance_vnd, Some(1_150_000));
}

#[test]
fn headers_are_recognised_without_accents_and_with_semicolons() {
    let csv = "Ngay giao dich;So tham chieu;So tien ghi co;So tien ghi no;Mo ta\n\
               06/01/2025;A1;1.000.000,00;;x\n\
               06/01/2025 10:11:12;A2;;2.500,00;y\n";
    let (summary, lines) = read_all(csv.as_bytes()).unwrap();
    assert_eq!(summary.layout, Layout::Vietcombank);
    assert_eq!(
        (lines[0].credit_vnd, lines[1].debit_vnd),
        (1_000_000, 2_500)
    );
    assert_eq!(summary.opening_balance_vnd, None);
    let bom = format!("\u{feff}{csv}");
    assert_eq!(read_all(bom.as_bytes()).unwrap().0, summary);
}

#[test]
fn an_unknown_header_names_every_known_layout() {
    let e = read_all(b"Date,Amount,Memo\n01/01/2025,100,x\n").unwrap_err();
    assert!(matches!(e, StatementError::UnknownLayout { .. }));
    let message = e.to_string();
    for layout in Layout::ALL {
        assert!(message.contains(layout.name()), "{message}");
    }
    assert!(matches!(read_all(b"").unwrap_err(), StatementError::Empty));
    assert!(matches!(
        read_all(b"<?xml version=\"1.0\"?><Other/>").unwrap_err(),
        StatementError::UnknownLayout { .. }
    ));
}

#[test]
fn a_header_that_fits_two_layouts_is_refused() {
    let csv = "Ngày giao dịch,Số tham chiếu,Số tiền ghi có,Số tiền ghi nợ,Mô tả,Ngày hiệu lực,Ghi nợ,Ghi có,Số dư\n\
               06/01/2025,A1,100.000,,x,06/01/2025,,100.000,100.000\n";
    let e = read_all(csv.as_bytes()).unwrap_err();
    assert!(
        matches!(e, StatementError::AmbiguousLayout { row: 1, .. }),
        "{e}"
    );
    assert!(e.to_string().contains("Vietcombank, BIDV"), "{e}");
}

#[test]
fn old_excel_and_utf16_files_are_named_as_such() {
    let xls = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    assert!(read_all(&xls).unwrap_err().to_string().contains(".xls"));
    assert!(read_all(&[0xFF, 0xFE, b'd', 0])
        .unwrap_err()
        .to_string()
        .contains("UTF-16"));
}

#[test]
fn a_header_with_no_lines_is_an_empty_statement() {
    let e = read_all(b"date,ref,credit,debit,balance,description\n").unwrap_err();
    assert!(matches!(e, StatementError::Empty), "{e}");
}

#[test]
fn a_running_balance_that_does_not_add_up_is_refused() {
    let csv = "date,ref,credit,debit,balance,description\n\
               01/02/2025,R1,100000,0,1100000,a\n\
               01/02/2025,R2,0,50000,1060000,b\n";
    let e = read_all(csv.as_bytes()).unwrap_err();
    assert!(
        matches!(e, StatementError::Unbalanced { row: Some(3), .. }),
        "{e}"
    );
    assert_eq!(
        e.to_string(),
        "row 3: the balance 1,060,000 does not follow from the previous balance 1,100,000 minus debit 50,000 (expected 1,050,000)"
    );
}

#[test]
fn swapped_columns_show_up_as_unbalanced_not_as_a_guess() {
    // The bank's balances say the 100,000 went out, but it is in the credit column.
    let csv = "date,ref,credit,debit,balance,description\n\
               01/02/2025,R1,100000,0,900000,a\n\
               01/02/2025,R2,100000,0,800000,b\n";
    let e = read_all(csv.as_bytes()).unwrap_err();
    assert!(
        matches!(e, StatementError::Unbalanced { row: Some(3), .. }),
        "{e}"
    );
}

#[test]
fn a_stated_opening_balance_that_disagrees_with_the_first_line_is_refused() {
    let mut sample = sample();
    sample.truncate(3);
    let csv = String::from_utf8(fixtures::csv_of(Layout::Mb, ACCOUNT, OPENING, &sample)).unwrap();
    let csv = csv.replace("12.500.000", "12.400.000");
    let e = read_all(csv.as_bytes()).unwrap_err();
    assert!(matches!(e, StatementError::Unbalanced { .. }), "{e}");
}

#[test]
fn a_closing_balance_that_does_not_follow_is_refused() {
    let csv = vietcombank("06/01/2025,A1,100.000,,x\n", "Số dư cuối kỳ,,,1.200.000\n");
    let e = read_all(csv.as_bytes()).unwrap_err();
    assert!(
        matches!(e, StatementError::Unbalanced { row: Some(7), .. }),
        "{e}"
    );
    assert!(e.to_string().contains("closing balance 1,200,000"), "{e}");
}

#[test]
fn a_total_row_that_disagrees_with_the_lines_is_refused() {
    let csv = vietcombank(
        "06/01/2025,A1,100.000,,x\n06/01/2025,A2,,5.000,y\n",
        "Tổng,,100.000,6.000\n",
    );
    let e = read_all(csv.as_bytes()).unwrap_err();
    assert!(
        matches!(e, StatementError::Unbalanced { row: Some(8), .. }),
        "{e}"
    );
    assert!(e.to_string().contains("total of debits 6,000"), "{e}");
}

#[test]
fn bad_cells_on_a_line_are_row_errors() {
    for (body, row, words) in [
        (
            "06/01/2025,A1,100.000,,x\n32/01/2025,A2,100.000,,y\n",
            7,
            "not a date",
        ),
        ("06/01/2025,A1,\"1.000,50\",,x\n", 6, "fraction"),
        ("06/01/2025,A1,1.00.000,,x\n", 6, "grouped in threes"),
        ("06/01/2025,A1,\"12,34,567\",,x\n", 6, "grouped in threes"),
        ("06/01/2025,A1,100.000,5.000,x\n", 6, "both a credit"),
        ("06/01/2025,A1,,,x\n", 6, "neither a credit nor a debit"),
        ("06/01/2025,A1,-100.000,,x\n", 6, "sign"),
        ("06/01/2025,A1,abc,,x\n", 6, "characters other than digits"),
        ("hôm qua,A1,100.000,,x\n", 6, "not a date"),
    ] {
        let csv = vietcombank(body, "");
        let mut visited = 0;
        let result = read(
            Cursor::new(csv.as_bytes()),
            &mut |_: &Line| -> Result<(), ()> {
                visited += 1;
                Ok(())
            },
        );
        match result {
            Err(ReadError::Statement(StatementError::Row { row: r, message })) => {
                assert_eq!(r, row, "{body}: {message}");
                assert!(message.contains(words), "{body}: {message}");
            }
            other => panic!("{body}: {other:?}"),
        }
        assert_eq!(
            visited,
            row - 6,
            "{body}: only the lines above the bad row were visited"
        );
    }
}

#[test]
fn a_narrative_over_the_limit_is_refused_not_cut() {
    let long = "a".repeat(1_001);
    let csv = format!("date,ref,credit,debit,balance,description\n01/02/2025,R1,1,0,1,{long}\n");
    let e = read_all(csv.as_bytes()).unwrap_err();
    assert!(matches!(e, StatementError::Row { row: 2, .. }), "{e}");
}

#[test]
fn agribank_reads_signed_amounts_and_a_kind_column() {
    let csv =
        "Tài khoản: 1500201234567\nNgày giao dịch,Diễn giải,Số tiền,Loại,Số dư,Mã giao dịch\n\
               06-01-2025,a,\"1,000,000\",C,\"2,000,000\",T1\n\
               06-01-2025,b,\"250,000\",D,\"1,750,000\",T2\n";
    let (summary, lines) = read_all(csv.as_bytes()).unwrap();
    assert_eq!(summary.layout, Layout::Agribank);
    assert_eq!(summary.opening_balance_vnd, Some(1_000_000));
    assert_eq!(
        (lines[0].credit_vnd, lines[1].debit_vnd),
        (1_000_000, 250_000)
    );
    let signed = csv.replace("\"250,000\",D", "\"-250,000\",D");
    assert!(
        read_all(signed.as_bytes()).is_err(),
        "a sign and a kind together are refused"
    );
}

#[test]
fn the_visitors_error_stops_the_reading() {
    let bytes = fixtures::statement(Layout::Bidv, ACCOUNT, OPENING, &sample());
    let mut seen = 0;
    let result = read(Cursor::new(&bytes), &mut |_: &Line| {
        seen += 1;
        if seen == 3 {
            Err("the store is full")
        } else {
            Ok(())
        }
    });
    match result {
        Err(ReadError::Visit(e)) => assert_eq!(e, "the store is full"),
        other => panic!("{other:?}"),
    }
    assert_eq!(seen, 3);
}

#[test]
fn xlsx_numeric_and_date_cells_are_read_and_fractions_refused() {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let build = |credit: f64| {
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        let format = Format::new().set_num_format("dd/mm/yyyy");
        for (col, label) in ["STT", "Ngày hiệu lực", "Ghi nợ", "Ghi có", "Số dư", "Mô tả"]
            .iter()
            .enumerate()
        {
            sheet.write_string(1, col as u16, *label).unwrap();
        }
        sheet.write_number(2, 0, 1).unwrap();
        sheet
            .write_datetime_with_format(2, 1, ExcelDateTime::from_ymd(2025, 3, 5).unwrap(), &format)
            .unwrap();
        sheet.write_number(2, 3, credit).unwrap();
        sheet
            .write_number(2, 4, 1_000_000.0 + credit.trunc())
            .unwrap();
        sheet.write_string(2, 5, "gift").unwrap();
        sheet.write_number(3, 0, 2).unwrap();
        sheet.write_number(3, 1, 45_722.0).unwrap();
        sheet.write_number(3, 2, 1_000).unwrap();
        sheet
            .write_number(3, 4, 999_000.0 + credit.trunc())
            .unwrap();
        sheet.write_string(3, 5, "fee").unwrap();
        book.save_to_buffer().unwrap()
    };
    let (summary, lines) = read_all(&build(500_000.0)).unwrap();
    assert_eq!(summary.opening_balance_vnd, Some(1_000_000));
    assert_eq!(lines[0].date, date!(2025 - 03 - 05));
    assert_eq!(lines[1].date, date!(2025 - 03 - 06));
    assert_eq!((lines[0].credit_vnd, lines[1].debit_vnd), (500_000, 1_000));
    let e = read_all(&build(500_000.5)).unwrap_err();
    assert!(matches!(e, StatementError::Row { row: 3, .. }), "{e}");
}

#[test]
fn camt_refuses_pending_entries_and_foreign_currency_and_checks_its_summary() {
    let bytes = String::from_utf8(fixtures::statement(
        Layout::Camt053,
        ACCOUNT,
        OPENING,
        &sample(),
    ))
    .unwrap();
    let pending = bytes.replacen("<Sts>BOOK</Sts>", "<Sts>PDNG</Sts>", 1);
    assert!(matches!(
        read_all(pending.as_bytes()).unwrap_err(),
        StatementError::Row { row: 1, .. }
    ));
    let dollars = bytes.replacen(
        "<Amt Ccy=\"VND\">500000.00",
        "<Amt Ccy=\"USD\">500000.00",
        1,
    );
    assert!(matches!(
        read_all(dollars.as_bytes()).unwrap_err(),
        StatementError::Row { row: 1, .. }
    ));
    let count = bytes.replacen(
        "<TtlCdtNtries><NbOfNtries>8<",
        "<TtlCdtNtries><NbOfNtries>9<",
        1,
    );
    assert!(matches!(
        read_all(count.as_bytes()).unwrap_err(),
        StatementError::Unbalanced { .. }
    ));
    let fraction = bytes.replacen("500000.00", "500000.50", 1);
    assert!(read_all(fraction.as_bytes())
        .unwrap_err()
        .to_string()
        .contains("fraction"));
    let escaped = bytes.replacen("Lai tien gui", "Lai &amp; tien &#x1EDD;", 1);
    let (_, lines) = read_all(escaped.as_bytes()).unwrap();
    assert_eq!(lines[7].narrative, "Lai & tien \u{1EDD}");
}
