//! Canonical bytes of an entry: RFC 8785 (JCS) restricted to the values an
//! entry may hold.
//!
//! JCS is simple for everything but floating-point numbers, whose ECMAScript
//! formatting is the part a general crate exists for. Entries carry no floats
//! at all (amounts, quantities and rates are decimal strings, SPEC §2.4), so
//! this writer refuses them and needs no such crate. What it does do:
//! object keys sorted by UTF-16 code units, no white space, strings
//! NFC-normalised and escaped exactly as ECMAScript's `JSON.stringify` does,
//! integers in plain decimal.

use serde_json::Value;
use unicode_normalization::{is_nfc, UnicodeNormalization};

/// The largest integer a canonical entry may carry: JCS readers parse numbers
/// as IEEE doubles, so anything above 2^53 would not round-trip.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Why a value has no canonical form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CanonicalError {
    #[error("numbers in entries must be integers; write amounts as decimal strings")]
    NotAnInteger,
    #[error("integer {0} is outside the range JSON readers handle exactly")]
    IntegerTooLarge(String),
}

/// Returns the canonical text of `value`.
pub fn to_canonical(value: &Value) -> Result<String, CanonicalError> {
    let mut out = String::with_capacity(512);
    write_value(&mut out, value)?;
    Ok(out)
}

/// NFC form of a text; returns the input unchanged (no allocation beyond the
/// copy) when it is already normalised, which is the common case.
pub fn nfc(s: &str) -> String {
    if is_nfc(s) {
        s.to_owned()
    } else {
        s.nfc().collect()
    }
}

fn write_value(out: &mut String, value: &Value) -> Result<(), CanonicalError> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                if u > MAX_SAFE_INTEGER {
                    return Err(CanonicalError::IntegerTooLarge(u.to_string()));
                }
                out.push_str(&u.to_string());
            } else if let Some(i) = n.as_i64() {
                if i.unsigned_abs() > MAX_SAFE_INTEGER {
                    return Err(CanonicalError::IntegerTooLarge(i.to_string()));
                }
                out.push_str(&i.to_string());
            } else {
                return Err(CanonicalError::NotAnInteger);
            }
        }
        Value::String(s) => write_text(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item)?;
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut members: Vec<(std::borrow::Cow<'_, str>, &Value)> =
                map.iter().map(|(key, item)| (nfc_cow(key), item)).collect();
            // ASCII keys (every key of an entry) sort the same by bytes as by
            // UTF-16 code units; only other keys need the slower comparison.
            if members.iter().all(|(k, _)| k.is_ascii()) {
                members.sort_unstable_by(|(a, _), (b, _)| a.as_bytes().cmp(b.as_bytes()));
            } else {
                members.sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
            }
            out.push('{');
            for (i, (key, item)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, key);
                out.push(':');
                write_value(out, item)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

/// NFC form, borrowing when the text already is (ASCII always is).
fn nfc_cow(s: &str) -> std::borrow::Cow<'_, str> {
    if s.is_ascii() || is_nfc(s) {
        std::borrow::Cow::Borrowed(s)
    } else {
        std::borrow::Cow::Owned(s.nfc().collect())
    }
}

fn write_text(out: &mut String, s: &str) {
    write_string(out, &nfc_cow(s));
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    // Copy runs that need no escape in one go; escape the rest.
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        if b >= 0x20 && b != b'"' && b != b'\\' {
            continue;
        }
        out.push_str(&s[start..i]);
        start = i + 1;
        let c = b as char;
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c => out.push_str(&format!("\\u{:04x}", c as u32)),
        }
    }
    out.push_str(&s[start..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_sorted_and_white_space_removed() {
        let v = json!({"seq": 1, "actor": "a", "body": {"z": "1", "a": [1, 2]}});
        assert_eq!(
            to_canonical(&v).unwrap(),
            r#"{"actor":"a","body":{"a":[1,2],"z":"1"},"seq":1}"#
        );
    }

    #[test]
    fn keys_sort_by_utf16_code_units_as_rfc_8785_requires() {
        // U+E000 sorts after U+1F600 in UTF-16 (0xD83D < 0xE000) but before it
        // by code point; RFC 8785 §3.2.3 wants the UTF-16 order.
        let v = json!({"\u{e000}": 1, "\u{1f600}": 2});
        assert_eq!(
            to_canonical(&v).unwrap(),
            "{\"\u{1f600}\":2,\"\u{e000}\":1}"
        );
    }

    #[test]
    fn strings_are_escaped_like_json_stringify() {
        let v = json!("a\"b\\c\u{8}\t\n\u{c}\r\u{1}\u{1f}/é");
        assert_eq!(
            to_canonical(&v).unwrap(),
            "\"a\\\"b\\\\c\\b\\t\\n\\f\\r\\u0001\\u001f/é\""
        );
    }

    #[test]
    fn text_is_normalised_to_nfc() {
        // "Nguyễn" typed with combining marks (NFD) becomes the composed form.
        let decomposed = "Nguye\u{302}\u{303}n";
        let v = json!({ "display": decomposed });
        assert_eq!(to_canonical(&v).unwrap(), "{\"display\":\"Nguy\u{1ec5}n\"}");
    }

    #[test]
    fn floats_are_refused() {
        assert_eq!(
            to_canonical(&json!({"amount": 1.5})),
            Err(CanonicalError::NotAnInteger)
        );
    }

    #[test]
    fn integers_beyond_two_to_the_53_are_refused() {
        assert!(to_canonical(&json!(9_007_199_254_740_991u64)).is_ok());
        assert!(matches!(
            to_canonical(&json!(9_007_199_254_740_992u64)),
            Err(CanonicalError::IntegerTooLarge(_))
        ));
    }

    #[test]
    fn negative_integers_down_to_minus_two_to_the_53_plus_one_are_written_in_decimal() {
        assert_eq!(to_canonical(&json!(-5)).unwrap(), "-5");
        assert_eq!(
            to_canonical(&json!([-9_007_199_254_740_991i64, 0, 7])).unwrap(),
            "[-9007199254740991,0,7]"
        );
    }

    #[test]
    fn negative_integers_below_minus_two_to_the_53_plus_one_are_refused() {
        assert_eq!(
            to_canonical(&json!({"n": -9_007_199_254_740_992i64})),
            Err(CanonicalError::IntegerTooLarge(
                "-9007199254740992".to_owned()
            ))
        );
        assert_eq!(
            to_canonical(&json!(i64::MIN)),
            Err(CanonicalError::IntegerTooLarge(i64::MIN.to_string()))
        );
    }

    #[test]
    fn the_largest_safe_integer_is_two_to_the_53_minus_one() {
        assert_eq!(MAX_SAFE_INTEGER, 9_007_199_254_740_991);
        assert_eq!(
            to_canonical(&json!([9_007_199_254_740_991u64])).unwrap(),
            "[9007199254740991]"
        );
        assert_eq!(
            to_canonical(&json!(u64::MAX)),
            Err(CanonicalError::IntegerTooLarge(u64::MAX.to_string()))
        );
    }

    #[test]
    fn literals_and_empty_containers_are_written_as_json_does() {
        assert_eq!(
            to_canonical(&json!([null, true, false, [], {}, ""])).unwrap(),
            r#"[null,true,false,[],{},""]"#
        );
    }

    #[test]
    fn an_error_deep_inside_an_array_or_object_is_reported() {
        assert_eq!(
            to_canonical(&json!({"a": [1, {"b": 0.5}]})),
            Err(CanonicalError::NotAnInteger)
        );
    }

    #[test]
    fn nfc_composes_decomposed_text_and_keeps_composed_text() {
        assert_eq!(nfc("Nguye\u{302}\u{303}n"), "Nguy\u{1ec5}n");
        assert_eq!(nfc("Nguy\u{1ec5}n"), "Nguy\u{1ec5}n");
        assert_eq!(nfc("Ha\u{300} No\u{323}\u{302}i"), "H\u{e0} N\u{1ed9}i");
        assert_eq!(nfc(""), "");
    }

    #[test]
    fn keys_are_normalised_before_they_are_sorted() {
        // Decomposed, "é" starts with "e" and would sort before "f";
        // composed it is U+00E9, which sorts after it.
        let v = json!({"e\u{301}": 1, "f": 2});
        assert_eq!(to_canonical(&v).unwrap(), "{\"f\":2,\"\u{e9}\":1}");
    }

    #[test]
    fn text_between_and_after_escapes_is_copied_whole() {
        let v = json!(["say \"xin chào\"\n", "\u{7f}~ \u{2028}", "tab\there"]);
        assert_eq!(
            to_canonical(&v).unwrap(),
            "[\"say \\\"xin chào\\\"\\n\",\"\u{7f}~ \u{2028}\",\"tab\\there\"]"
        );
    }
}
