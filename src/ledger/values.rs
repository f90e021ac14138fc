//! Value types that read themselves from JSON, so an entry body can be one
//! serde struct used both for what a client sends and for what the ledger
//! stores. Each type refuses an invalid value while it is read, and serde
//! names the field (`body.items[2].quantity`) in the error.
//!
//! The same types read stored entries back for replay: every value a
//! stored entry holds was written by them, so it reads back unchanged.

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use time::Date;

use super::fields::{Text, LONG_TEXT_CHARS_MAX, NAME_CHARS_MAX};
use super::ids::{format_date, parse_date, Code, Id};
use super::money::AmountVnd;

/// A bounded text: trimmed, NFC, non-empty, at most `MAX` characters; one
/// line unless `MULTILINE`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Bounded<const MAX: usize, const MULTILINE: bool>(String);

/// Names, hamlets, units, decision references: one line, ≤ 200 characters.
pub type Name = Bounded<NAME_CHARS_MAX, false>;
/// Reasons, notes, purposes: ≤ 2,000 characters, line breaks allowed.
pub type LongText = Bounded<LONG_TEXT_CHARS_MAX, true>;

impl<const MAX: usize, const MULTILINE: bool> Bounded<MAX, MULTILINE> {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let t = if MULTILINE {
            Text::parse_multiline(raw, MAX, "")
        } else {
            Text::parse_line(raw, MAX, "")
        };
        t.map(|t| Self(t.as_str().to_owned()))
            .map_err(|e| e.message)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<const MAX: usize, const MULTILINE: bool> Serialize for Bounded<MAX, MULTILINE> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de, const MAX: usize, const MULTILINE: bool> Deserialize<'de> for Bounded<MAX, MULTILINE> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Text::parse_multiline(&s, LONG_TEXT_CHARS_MAX, "")
            .map_err(|e| serde::de::Error::custom(e.message))
    }
}

impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Code::parse(&s, "").map_err(|e| serde::de::Error::custom(e.message))
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Id::parse(&s, "").map_err(|e| serde::de::Error::custom(e.message))
    }
}

impl<'de> Deserialize<'de> for AmountVnd {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        AmountVnd::parse(&v, "").map_err(|e| serde::de::Error::custom(e.message))
    }
}

/// A whole number of đồng that may be zero (the cash part of a
/// distribution that hands out only goods). Same forms as [`AmountVnd`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Vnd(u64);

impl Vnd {
    pub fn get(self) -> u64 {
        self.0
    }

    pub fn new(n: u64) -> Option<Self> {
        (n <= AmountVnd::MAX).then_some(Self(n))
    }
}

impl Serialize for Vnd {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_string())
    }
}

impl<'de> Deserialize<'de> for Vnd {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        if v == 0 || v == "0" {
            return Ok(Self(0));
        }
        AmountVnd::parse(&v, "")
            .map(|a| Self(a.get()))
            .map_err(|_| {
                serde::de::Error::custom(
                    "must be a whole number of đồng from 0 to 1000000000000000, written as digits or a JSON integer",
                )
            })
    }
}

/// A calendar date, `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(pub Date);

impl Serialize for Day {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_date(self.0))
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(DayVisitor)
    }
}

/// Reads a day from the text where it lies, without a copy: a
/// verification reads a date or two in every entry of a fund.
struct DayVisitor;

impl serde::de::Visitor<'_> for DayVisitor {
    type Value = Day;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a date written YYYY-MM-DD")
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Day, E> {
        let date = parse_date(s, "").map_err(|e| E::custom(e.message))?;
        if !(2000..=2200).contains(&date.year()) {
            return Err(E::custom(
                "must lie between the years 2000 and 2200; check the year",
            ));
        }
        Ok(Day(date))
    }
}

/// Most decimal places in a quantity (grams of a kilogram).
pub const QUANTITY_SCALE_MAX: u32 = 3;
/// Largest quantity in one line or one stock: a billion units.
pub const QUANTITY_MAX: i64 = 1_000_000_000;

/// A decimal written with digits, an optional leading '-' (when `signed`)
/// and at most one '.', with at most three decimal places and at most a
/// billion in size. Read from a string only: JSON numbers may be floats.
fn parse_decimal(raw: &str, signed: bool) -> Result<Decimal, String> {
    let digits = if signed {
        raw.strip_prefix('-').unwrap_or(raw)
    } else {
        raw
    };
    let plain = !digits.is_empty()
        && digits.len() <= 20
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && digits.bytes().filter(|b| *b == b'.').count() <= 1
        && !digits.starts_with('.')
        && !digits.ends_with('.');
    let d = plain
        .then(|| raw.parse::<Decimal>().ok())
        .flatten()
        .filter(|d| d.normalize().scale() <= QUANTITY_SCALE_MAX)
        .filter(|d| d.abs() <= Decimal::from(QUANTITY_MAX));
    d.map(|d| d.normalize()).ok_or_else(|| {
        format!(
            "must be a decimal string such as \"12.5\"{}, at most {QUANTITY_MAX} with at most {QUANTITY_SCALE_MAX} decimal places",
            if signed { " or \"-2\"" } else { "" }
        )
    })
}

/// A positive quantity of goods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quantity(pub Decimal);

impl Serialize for Quantity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_string())
    }
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = quantity_string::<D>(Value::deserialize(d)?)?;
        match parse_decimal(&s, false) {
            Ok(q) if q > Decimal::ZERO => Ok(Self(q)),
            Ok(_) => Err(serde::de::Error::custom("must be more than zero")),
            Err(e) => Err(serde::de::Error::custom(e)),
        }
    }
}

/// A change of stock: non-zero, negative for goods that left.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Delta(pub Decimal);

impl Serialize for Delta {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_string())
    }
}

impl<'de> Deserialize<'de> for Delta {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = quantity_string::<D>(Value::deserialize(d)?)?;
        match parse_decimal(&s, true) {
            Ok(q) if !q.is_zero() => Ok(Self(q)),
            Ok(_) => Err(serde::de::Error::custom("must not be zero")),
            Err(e) => Err(serde::de::Error::custom(e)),
        }
    }
}

/// Quantities are strings (SPEC §2.4); a JSON integer is taken too, since
/// it is exact, but never a float.
fn quantity_string<'de, D: Deserializer<'de>>(v: Value) -> Result<String, D::Error> {
    match v {
        Value::String(s) => Ok(s),
        Value::Number(n) if n.is_i64() || n.is_u64() => Ok(n.to_string()),
        _ => Err(serde::de::Error::custom(
            "must be a decimal string such as \"12.5\"",
        )),
    }
}

/// A SHA-256 digest as 64 lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sha256Hex(String);

impl Sha256Hex {
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.len() == 64 && raw.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            Ok(Self(raw.to_owned()))
        } else {
            Err("must be a SHA-256 digest: 64 lowercase hex digits".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Serialize for Sha256Hex {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Sha256Hex {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Rounds to the đồng, halves away from zero, as people round by hand.
pub fn round_vnd(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_day_reads_from_a_text_or_a_tree_and_names_its_form() {
        let day = Day(time::macros::date!(2026 - 11 - 22));
        assert_eq!(serde_json::from_str::<Day>("\"2026-11-22\"").unwrap(), day);
        assert_eq!(
            serde_json::from_value::<Day>(json!("2026-11-22")).unwrap(),
            day
        );
        // An escaped digit is still the same day.
        assert_eq!(
            serde_json::from_str::<Day>("\"\\u0032026-11-22\"").unwrap(),
            day
        );
        for (bad, message) in [
            (json!(20261122), "expected a date written YYYY-MM-DD"),
            (
                json!("2026-02-30"),
                "must be a real date written YYYY-MM-DD",
            ),
            (
                json!("1999-12-31"),
                "must lie between the years 2000 and 2200",
            ),
            (
                json!("2201-01-01"),
                "must lie between the years 2000 and 2200",
            ),
        ] {
            let err = serde_json::from_value::<Day>(bad.clone())
                .unwrap_err()
                .to_string();
            assert!(err.contains(message), "{bad}: {err}");
            let err = serde_json::from_str::<Day>(&bad.to_string())
                .unwrap_err()
                .to_string();
            assert!(err.contains(message), "{bad}: {err}");
        }
    }

    fn q(v: Value) -> Result<String, String> {
        serde_json::from_value::<Quantity>(v)
            .map(|q| {
                serde_json::to_value(q)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .map_err(|e| e.to_string())
    }

    #[test]
    fn quantities_are_positive_exact_decimals() {
        assert_eq!(q(json!("12.50")).unwrap(), "12.5");
        assert_eq!(q(json!(3)).unwrap(), "3");
        for bad in [
            json!("0"),
            json!("-1"),
            json!("1e3"),
            json!(1.5),
            json!("0.0001"),
            json!("1000000001"),
            json!(".5"),
            json!(""),
        ] {
            assert!(q(bad.clone()).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn a_delta_may_be_negative_but_not_zero() {
        assert!(serde_json::from_value::<Delta>(json!("-2.5")).is_ok());
        assert!(serde_json::from_value::<Delta>(json!("0")).is_err());
        assert!(serde_json::from_value::<Delta>(json!("+2")).is_err());
    }

    #[test]
    fn cash_may_be_zero_but_not_negative_or_fractional() {
        assert_eq!(serde_json::from_value::<Vnd>(json!("0")).unwrap().get(), 0);
        assert_eq!(serde_json::from_value::<Vnd>(json!(5)).unwrap().get(), 5);
        assert!(serde_json::from_value::<Vnd>(json!("-5")).is_err());
        assert!(serde_json::from_value::<Vnd>(json!("1.5")).is_err());
        assert!(serde_json::from_value::<Vnd>(json!("1000000000000001")).is_err());
    }

    #[test]
    fn a_bounded_name_refuses_201_characters() {
        assert!(serde_json::from_value::<Name>(json!("a".repeat(200))).is_ok());
        let e = serde_json::from_value::<Name>(json!("a".repeat(201))).unwrap_err();
        assert!(e.to_string().contains("201"));
        assert!(serde_json::from_value::<Name>(json!("a\nb")).is_err());
        assert!(serde_json::from_value::<LongText>(json!("a\nb")).is_ok());
    }

    #[test]
    fn dates_far_from_now_are_refused() {
        assert!(serde_json::from_value::<Day>(json!("2026-02-30")).is_err());
        assert!(serde_json::from_value::<Day>(json!("1999-12-31")).is_err());
        assert!(serde_json::from_value::<Day>(json!("2026-11-22")).is_ok());
    }
}
