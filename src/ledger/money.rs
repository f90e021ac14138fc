//! Exact money. VND has no minor unit, so an amount is a whole number of đồng.

use serde::Serialize;
use serde_json::Value;

use super::fields::FieldError;

/// A single amount: a whole number of đồng, 1 ≤ amount ≤ 10^15 (SPEC §2.4).
/// Written in entries as a decimal string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AmountVnd(u64);

impl AmountVnd {
    /// The largest amount one entry may carry: a million billion đồng, far
    /// above any real gift, low enough that sums fit comfortably in `i128`.
    pub const MAX: u64 = 1_000_000_000_000_000;

    /// Parses the API's forms: a digit string or a JSON integer. A sign, a
    /// fraction, an exponent, a float, leading zeros, zero or more than
    /// 10^15 are refused.
    pub fn parse(value: &Value, field: &str) -> Result<Self, FieldError> {
        let bad = || {
            FieldError::new(
                field,
                "must be a whole number of đồng from 1 to 1000000000000000, written as digits (\"1500000\") or a JSON integer",
            )
        };
        let n = match value {
            Value::String(s) => parse_digits(s).ok_or_else(bad)?,
            Value::Number(n) => n.as_u64().ok_or_else(bad)?,
            _ => return Err(bad()),
        };
        if n == 0 || n > Self::MAX {
            return Err(bad());
        }
        Ok(Self(n))
    }

    /// Wraps a value already known to be in range (read back from a
    /// verified entry or built by the core).
    pub fn new(n: u64) -> Option<Self> {
        (1..=Self::MAX).contains(&n).then_some(Self(n))
    }

    pub fn get(self) -> u64 {
        self.0
    }
}

impl Serialize for AmountVnd {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_string())
    }
}

/// Digits only, no leading zero unless the number is zero, at most 16 digits.
fn parse_digits(s: &str) -> Option<u64> {
    let canonical = !s.is_empty()
        && s.len() <= 16
        && s.bytes().all(|b| b.is_ascii_digit())
        && (s == "0" || !s.starts_with('0'));
    if canonical {
        s.parse().ok()
    } else {
        None
    }
}

/// A running sum of đồng (balances, totals). Signed so that the arithmetic of
/// reversals is exact; `i128` holds 10^20 maximal entries without overflow.
pub type SumVnd = i128;

/// `#[serde(with = "as_string")]`: writes a figure (a sum of đồng, a
/// quantity) as a decimal string, as amounts are written everywhere.
pub mod as_string {
    pub fn serialize<T: std::fmt::Display, S: serde::Serializer>(
        v: &T,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_str(v)
    }

    /// Reads such a figure back, for the read models of derived objects.
    pub fn deserialize<'de, T, D>(d: D) -> Result<T, D::Error>
    where
        T: std::str::FromStr,
        T::Err: std::fmt::Display,
        D: serde::Deserializer<'de>,
    {
        let text = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<u64, FieldError> {
        AmountVnd::parse(&v, "amount_vnd").map(AmountVnd::get)
    }

    #[test]
    fn digit_strings_and_json_integers_are_accepted() {
        assert_eq!(parse(json!("1500000")).unwrap(), 1_500_000);
        assert_eq!(parse(json!(1500000)).unwrap(), 1_500_000);
        assert_eq!(parse(json!("1000000000000000")).unwrap(), AmountVnd::MAX);
    }

    #[test]
    fn zero_negative_fractional_exponent_and_huge_amounts_are_rejected() {
        for bad in [
            json!("0"),
            json!(0),
            json!("-5"),
            json!(-5),
            json!("+5"),
            json!("1500000.5"),
            json!(1500000.5),
            json!(1500000.0),
            json!("1e6"),
            json!(1e6),
            json!("1000000000000001"),
            json!(1000000000000001u64),
            json!("99999999999999999999999"),
            json!("01500"),
            json!(" 15"),
            json!("1,500,000"),
            json!("1.500.000"),
            json!(""),
            json!(null),
            json!(true),
            json!(["1"]),
        ] {
            assert!(parse(bad.clone()).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn amounts_are_written_as_strings() {
        let a = AmountVnd::new(42).unwrap();
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"42\"");
    }

    #[test]
    fn one_dong_is_the_smallest_amount() {
        assert_eq!(parse(json!("1")).unwrap(), 1);
        assert_eq!(parse(json!(1)).unwrap(), 1);
        assert_eq!(
            parse(json!(1_000_000_000_000_000u64)).unwrap(),
            AmountVnd::MAX
        );
    }

    #[test]
    fn an_amount_is_refused_with_the_field_named_and_the_rule_stated() {
        let e = AmountVnd::parse(&json!("0"), "body.amount_vnd").unwrap_err();
        assert_eq!(e.field, "body.amount_vnd");
        assert_eq!(
            e.message,
            "must be a whole number of đồng from 1 to 1000000000000000, written as digits (\"1500000\") or a JSON integer"
        );
    }

    #[test]
    fn digit_strings_are_read_only_in_canonical_form() {
        for bad in ["10000000000000000", "00000000000000001", "9999999999999999"] {
            assert!(parse(json!(bad)).is_err(), "{bad} was accepted");
        }
        assert_eq!(
            parse_digits("9999999999999999"),
            Some(9_999_999_999_999_999)
        );
        assert_eq!(parse_digits("10000000000000000"), None);
        assert_eq!(parse_digits("0"), Some(0));
        assert_eq!(parse_digits("00"), None);
        assert_eq!(parse_digits("+1"), None);
        assert_eq!(parse_digits(""), None);
    }

    #[test]
    fn amounts_are_made_only_in_range() {
        assert_eq!(AmountVnd::new(0), None);
        assert_eq!(AmountVnd::new(1).map(AmountVnd::get), Some(1));
        assert_eq!(
            AmountVnd::new(AmountVnd::MAX).map(AmountVnd::get),
            Some(1_000_000_000_000_000)
        );
        assert_eq!(AmountVnd::new(AmountVnd::MAX + 1), None);
    }

    #[test]
    fn sums_are_written_as_decimal_strings() {
        #[derive(Serialize)]
        struct Totals {
            #[serde(with = "as_string")]
            balance: SumVnd,
        }
        let t = Totals {
            balance: -1_500_000,
        };
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            r#"{"balance":"-1500000"}"#
        );
    }
}
