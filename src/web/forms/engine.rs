//! The form engine: how a field is typed in, the fields as the template
//! draws them, and the reading of what was typed, field by field in the
//! user's language, with amounts as people write them (`1.500.000`,
//! `1 500 000 ₫`) and quantities with a decimal comma (`2,5`).

use std::collections::HashMap;

use rust_decimal::Decimal;
use time::Date;

use crate::web::Text;

/// How a field is typed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// One line of text, at most this many characters.
    Text(usize),
    /// Several lines of text, at most this many characters.
    Area(usize),
    /// Whole đồng, as people write them; zero allowed or not.
    Money { zero: bool },
    /// A whole number in a range.
    Whole(u64, u64),
    /// A positive decimal quantity.
    Quantity,
    /// A day; `past` refuses days after today (Vietnam time).
    Date { past: bool },
    /// One of the field's options.
    Choice,
    /// The SHA-256 of a file chosen on the clerk's computer, computed in
    /// the browser; the file itself is never sent.
    FileDigest,
    /// A 12-digit CCCD number.
    Cccd,
}

/// One field of a form.
#[derive(Debug, Clone)]
pub struct Field {
    /// The form name and the HTML id.
    pub name: String,
    /// Where the core reports this field's errors (`body.amount_vnd`,
    /// `private.cccd`, `body.items[0].quantity`).
    pub path: String,
    pub label: &'static str,
    pub control: Control,
    pub required: bool,
    /// For `Choice`: value and label of each option.
    pub options: Vec<(String, String)>,
    /// A heading shown before the field (the lines of goods).
    pub heading: Option<String>,
    pub hint: Option<&'static str>,
}

impl Field {
    pub(super) fn new(name: &str, path: &str, label: &'static str, control: Control) -> Self {
        Self {
            name: name.to_owned(),
            path: path.to_owned(),
            label,
            control,
            required: false,
            options: Vec::new(),
            heading: None,
            hint: None,
        }
    }

    pub(super) fn required(mut self) -> Self {
        self.required = true;
        self
    }

    pub(super) fn options(mut self, options: Vec<(String, String)>) -> Self {
        self.options = options;
        self
    }

    pub(super) fn hint(mut self, hint: &'static str) -> Self {
        self.hint = Some(hint);
        self
    }
}

/// A field as the template draws it.
pub struct FieldView {
    pub name: String,
    pub label: &'static str,
    /// `text`, `area`, `select` or `file`.
    pub widget: &'static str,
    /// The `type` of an `<input>`.
    pub input_type: &'static str,
    /// The `inputmode` of an `<input>`, or empty.
    pub inputmode: &'static str,
    pub maxlength: Option<usize>,
    pub required: bool,
    pub value: String,
    pub options: Vec<(String, String, bool)>,
    pub heading: Option<String>,
    pub hint: Option<&'static str>,
    pub errors: Vec<String>,
}

/// Lays out `fields` with the values typed and the errors found.
pub fn views(
    fields: &[Field],
    values: &HashMap<String, String>,
    errors: &HashMap<String, Vec<String>>,
) -> Vec<FieldView> {
    fields
        .iter()
        .map(|f| {
            let value = values.get(&f.name).cloned().unwrap_or_default();
            let (widget, input_type, inputmode, maxlength) = match f.control {
                Control::Text(max) => ("text", "text", "", Some(max)),
                Control::Area(max) => ("area", "text", "", Some(max)),
                Control::Money { .. } | Control::Whole(..) | Control::Cccd => {
                    ("text", "text", "numeric", Some(40))
                }
                Control::Quantity => ("text", "text", "decimal", Some(40)),
                Control::Date { .. } => ("text", "date", "", None),
                Control::Choice => ("select", "text", "", None),
                Control::FileDigest => ("file", "text", "", None),
            };
            FieldView {
                options: f
                    .options
                    .iter()
                    .map(|(v, l)| (v.clone(), l.clone(), *v == value))
                    .collect(),
                name: f.name.clone(),
                label: f.label,
                widget,
                input_type,
                inputmode,
                maxlength,
                required: f.required,
                value,
                heading: f.heading.clone(),
                hint: f.hint,
                errors: errors.get(&f.name).cloned().unwrap_or_default(),
            }
        })
        .collect()
}

/// The values of a form, read and checked in the user's language.
pub struct Checked {
    /// Each filled field's value as the entry takes it.
    pub values: HashMap<String, String>,
    /// Messages by field name.
    pub errors: HashMap<String, Vec<String>>,
}

impl Checked {
    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }
}

/// Reads every field of `form` by its control.
pub fn check(t: &Text, fields: &[Field], form: &HashMap<String, String>, today: Date) -> Checked {
    let mut out = Checked {
        values: HashMap::new(),
        errors: HashMap::new(),
    };
    for f in fields {
        let raw = form.get(&f.name).map_or("", |v| v.trim());
        if raw.is_empty() {
            if f.required {
                out.errors.entry(f.name.clone()).or_default().push(
                    t.pick("Cần điền ô này.", "This field is required.")
                        .to_owned(),
                );
            }
            continue;
        }
        match read(t, f, raw, today) {
            Ok(v) => {
                out.values.insert(f.name.clone(), v);
            }
            Err(m) => out.errors.entry(f.name.clone()).or_default().push(m),
        }
    }
    out
}

fn read(t: &Text, f: &Field, raw: &str, today: Date) -> Result<String, String> {
    let chars = raw.chars().count();
    match f.control {
        Control::Text(max) | Control::Area(max) if chars > max => Err(match t.lang {
            "en" => format!("Too long: {chars} characters, at most {max}."),
            _ => format!("Dài quá: {chars} ký tự, tối đa {max}."),
        }),
        Control::Text(_) | Control::Area(_) => Ok(raw.to_owned()),
        Control::Money { zero } => {
            let number = raw.trim_end_matches(['₫', 'đ', 'd', ' ', '\u{a0}']);
            let digits = ungrouped(number).unwrap_or_else(|| "x".into());
            let bad = || {
                t.pick(
                    "Nhập số đồng bằng chữ số, ví dụ 1.500.000 (không có phần lẻ, không có dấu âm).",
                    "Enter whole đồng in digits, e.g. 1.500.000 (no fraction, no sign).",
                )
                .to_owned()
            };
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            let digits = digits.trim_start_matches('0');
            if digits.is_empty() {
                return if zero {
                    Ok("0".into())
                } else {
                    Err(t
                        .pick("Số tiền phải lớn hơn 0.", "The amount must be more than 0.")
                        .into())
                };
            }
            if digits.len() > 16
                || digits
                    .parse::<u64>()
                    .map_or(true, |v| v > 1_000_000_000_000_000)
            {
                return Err(t
                    .pick(
                        "Số tiền quá lớn (tối đa 1.000.000.000.000.000 ₫).",
                        "The amount is too large (at most 1.000.000.000.000.000 ₫).",
                    )
                    .into());
            }
            Ok(digits.to_owned())
        }
        Control::Whole(min, max) => match ungrouped(raw).and_then(|d| d.parse::<u64>().ok()) {
            Some(v) if (min..=max).contains(&v) => Ok(v.to_string()),
            _ => Err(match t.lang {
                "en" => format!("Enter a whole number from {min} to {max}."),
                _ => format!("Nhập một số nguyên từ {min} đến {max}."),
            }),
        },
        Control::Quantity => {
            // The decimal mark is the comma, as Vietnamese writes it; a
            // dot is refused rather than guessed at ("1.500" is one
            // thousand five hundred to a Vietnamese clerk, one and a half
            // to an English one).
            let text = raw.replace(',', ".");
            match text.parse::<Decimal>() {
                Ok(q)
                    if q > Decimal::ZERO
                        && !raw.contains('.')
                        && text.bytes().all(|b| b.is_ascii_digit() || b == b'.') =>
                {
                    Ok(q.normalize().to_string())
                }
                _ => Err(t
                    .pick(
                        "Nhập số lượng lớn hơn 0 bằng chữ số, phần lẻ sau dấu phẩy, ví dụ 12 hoặc 2,5.",
                        "Enter a quantity above 0 in digits, decimals after a comma, e.g. 12 or 2,5.",
                    )
                    .into()),
            }
        }
        Control::Date { past } => {
            let day = crate::ledger::ids::parse_date(raw, &f.path).map_err(|_| {
                t.pick(
                    "Nhập một ngày có thật (năm-tháng-ngày).",
                    "Enter a real date (year-month-day).",
                )
                .to_owned()
            })?;
            if past && day > today {
                return Err(t
                    .pick(
                        "Không được là ngày trong tương lai.",
                        "May not be a day in the future.",
                    )
                    .into());
            }
            Ok(raw.to_owned())
        }
        Control::Choice => {
            if f.options.iter().any(|(v, _)| v == raw) {
                Ok(raw.to_owned())
            } else {
                Err(t
                    .pick("Chọn một mục trong danh sách.", "Choose one of the list.")
                    .into())
            }
        }
        Control::FileDigest => {
            if raw.len() == 64 && raw.bytes().all(|b| b.is_ascii_hexdigit()) {
                Ok(raw.to_ascii_lowercase())
            } else {
                Err(t
                    .pick(
                        "Không đọc được tệp đã chọn; xin chọn lại.",
                        "The chosen file could not be read; choose it again.",
                    )
                    .into())
            }
        }
        Control::Cccd => {
            let digits: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
            if digits.len() == 12 && digits.bytes().all(|b| b.is_ascii_digit()) {
                Ok(digits)
            } else {
                Err(t
                    .pick(
                        "Số CCCD gồm đúng 12 chữ số.",
                        "A CCCD number is exactly 12 digits.",
                    )
                    .into())
            }
        }
    }
}

/// A whole number of đồng as people type it (`1.500.000`, `1 500 000 ₫`,
/// `0`), as plain digits; the error in the reader's language.
pub fn money_digits(t: &Text, raw: &str) -> Result<String, String> {
    let f = Field::new("amount", "amount", "", Control::Money { zero: true });
    read(t, &f, raw.trim(), time::macros::date!(2000 - 01 - 01))
}

/// The digits of a whole number typed with or without groups of three set
/// off by dots or spaces (`1.500.000`, `1 500 000`); `None` for anything
/// else, such as `12.5` (a slip, not 125) or `.500`.
fn ungrouped(number: &str) -> Option<String> {
    let groups: Vec<&str> = number.split(['.', ' ', '\u{a0}']).collect();
    let digits = |g: &str| g.bytes().all(|b| b.is_ascii_digit());
    let grouped = groups.len() == 1
        || ((1..=3).contains(&groups[0].len())
            && !groups[0].starts_with('0')
            && groups[1..].iter().all(|g| g.len() == 3));
    (grouped && !number.is_empty() && groups.iter().all(|g| digits(g))).then(|| groups.concat())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(raw: &str) -> Result<String, String> {
        let f = Field::new("a", "body.a", "A", Control::Money { zero: false });
        let today = time::macros::date!(2026 - 11 - 23);
        read(&crate::web::VI, &f, raw, today)
    }

    #[test]
    fn amounts_are_read_as_people_write_them() {
        for (raw, want) in [
            ("1500000", "1500000"),
            ("1.500.000", "1500000"),
            ("1 500 000 ₫", "1500000"),
            ("1.500.000đ", "1500000"),
            ("007", "7"),
        ] {
            assert_eq!(money(raw).as_deref(), Ok(want), "{raw}");
        }
        for raw in [
            "12.5",
            "1,5",
            "-5",
            "+5",
            "1e6",
            "abc",
            "0",
            "000",
            "1.50.000",
            "₫",
            "10000000000000001",
            ".500",
            "0.500",
            "1..500",
        ] {
            assert!(money(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn quantities_take_a_decimal_comma() {
        let f = Field::new("q", "body.q", "Q", Control::Quantity);
        let today = time::macros::date!(2026 - 11 - 23);
        assert_eq!(
            read(&crate::web::VI, &f, "2,5", today).as_deref(),
            Ok("2.5")
        );
        assert_eq!(read(&crate::web::VI, &f, "12", today).as_deref(), Ok("12"));
        // A dot is refused, not guessed at: 1.500 is 1500 to a
        // Vietnamese clerk and 1.5 to an English one.
        for raw in ["0", "-1", "1e3", "x", "1,2,3", "1.500", "2.5"] {
            assert!(read(&crate::web::VI, &f, raw, today).is_err(), "{raw}");
        }
    }

    #[test]
    fn whole_numbers_take_groups_of_three_only() {
        let f = Field::new("n", "body.n", "N", Control::Whole(1, 1_000_000));
        let today = time::macros::date!(2026 - 11 - 23);
        let read = |raw: &str| read(&crate::web::VI, &f, raw, today);
        assert_eq!(read("1.234").as_deref(), Ok("1234"));
        assert_eq!(read("5").as_deref(), Ok("5"));
        for raw in ["1.5", "1.2", "0", "abc", "2000000", ""] {
            assert!(read(raw).is_err(), "{raw}");
        }
    }
}
