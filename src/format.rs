//! How dates are written for people: the pages and the spreadsheet and
//! CSV exports both show them, so the one rule lives here, below both
//! edges, rather than in either.

/// A `YYYY-MM-DD` date as people read dates here: `dd/mm/yyyy`. Text that
/// is not such a date is returned as it is.
pub fn vn_date(iso: &str) -> String {
    match iso.split('-').collect::<Vec<_>>()[..] {
        [y, m, d] => format!("{d}/{m}/{y}"),
        _ => iso.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_iso_date_is_written_day_first() {
        assert_eq!(vn_date("2026-11-05"), "05/11/2026");
    }

    #[test]
    fn text_that_is_not_a_date_is_left_as_it_is() {
        assert_eq!(vn_date("2026-11"), "2026-11");
        assert_eq!(vn_date(""), "");
    }
}
