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

/// A moment as people read it here: `dd/mm/yyyy hh:mm`, Vietnam time
/// (UTC+7).
pub fn vn_time(at: time::OffsetDateTime) -> String {
    let t = at.to_offset(time::macros::offset!(+7));
    format!(
        "{:02}/{:02}/{:04} {:02}:{:02}",
        t.day(),
        u8::from(t.month()),
        t.year(),
        t.hour(),
        t.minute()
    )
}

/// An RFC 3339 time (as entries record it) by [`vn_time`]; text that is
/// not such a time is returned as it is.
pub fn vn_time_of(rfc3339: &str) -> String {
    use time::format_description::well_known::Rfc3339;
    match time::OffsetDateTime::parse(rfc3339, &Rfc3339) {
        Ok(t) => vn_time(t),
        Err(_) => rfc3339.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_is_written_day_first_in_vietnam() {
        assert_eq!(vn_time_of("2026-11-30T18:05:00Z"), "01/12/2026 01:05");
        assert_eq!(vn_time_of("2026-11-30T08:05:09+07:00"), "30/11/2026 08:05");
        assert_eq!(vn_time_of("not a time"), "not a time");
    }

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
