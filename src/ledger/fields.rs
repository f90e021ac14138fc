//! Field-level validation errors and the bounded-text type every entry uses.

use serde::Serialize;

use super::canonical::nfc;

/// One field that failed validation, named by its JSON path
/// (`body.donor.display`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// All field errors found in one input, in the order they were found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Keeps the value of `r` or records its error.
    pub fn take<T>(&mut self, r: Result<T, FieldError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }
}

impl From<FieldError> for FieldErrors {
    fn from(e: FieldError) -> Self {
        Self(vec![e])
    }
}

/// Longest display names, committee names and hamlets (SPEC §4).
pub const NAME_CHARS_MAX: usize = 200;
/// Longest reasons, notes and purposes (SPEC §4).
pub const LONG_TEXT_CHARS_MAX: usize = 2_000;

/// A trimmed, NFC-normalised, non-empty text of at most a given number of
/// characters. Single-line texts refuse every control character; multi-line
/// ones allow line breaks and tabs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Text(String);

impl Text {
    pub fn parse_line(raw: &str, chars_max: usize, field: &str) -> Result<Self, FieldError> {
        Self::parse(raw, chars_max, field, false)
    }

    pub fn parse_multiline(raw: &str, chars_max: usize, field: &str) -> Result<Self, FieldError> {
        Self::parse(raw, chars_max, field, true)
    }

    fn parse(
        raw: &str,
        chars_max: usize,
        field: &str,
        multiline: bool,
    ) -> Result<Self, FieldError> {
        let s = nfc(raw.trim());
        if s.is_empty() {
            return Err(FieldError::new(field, "must not be empty"));
        }
        let chars = s.chars().count();
        if chars > chars_max {
            return Err(FieldError::new(
                field,
                format!("is {chars} characters long; at most {chars_max} are allowed"),
            ));
        }
        let allowed = |c: char| multiline && (c == '\n' || c == '\t' || c == '\r');
        if s.chars().any(|c| c.is_control() && !allowed(c)) {
            return Err(FieldError::new(
                field,
                "must not contain control characters",
            ));
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Stands for a text the books do not keep (see `book::Posted`).
    pub(crate) fn kept_out() -> Self {
        Self("·".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_of_exactly_200_characters_is_accepted() {
        let name = "ễ".repeat(200);
        assert!(Text::parse_line(&name, NAME_CHARS_MAX, "n").is_ok());
    }

    #[test]
    fn a_name_longer_than_200_characters_is_rejected() {
        let name = "a".repeat(201);
        let e = Text::parse_line(&name, NAME_CHARS_MAX, "body.donor.display").unwrap_err();
        assert_eq!(e.field, "body.donor.display");
        assert!(e.message.contains("201"));
    }

    #[test]
    fn blank_text_is_rejected() {
        assert!(Text::parse_line("   ", 10, "n").is_err());
    }

    #[test]
    fn control_characters_are_rejected_on_one_line_but_newlines_allowed_in_notes() {
        assert!(Text::parse_line("a\nb", 10, "n").is_err());
        assert!(Text::parse_multiline("a\nb", 10, "n").is_ok());
        assert!(Text::parse_multiline("a\u{0}b", 10, "n").is_err());
    }

    #[test]
    fn field_errors_collect_in_the_order_they_are_found() {
        let mut errors = FieldErrors::default();
        assert!(errors.is_empty());
        errors.push("body.a", "is wrong");
        assert!(!errors.is_empty());
        let kept: Option<u8> = errors.take(Err(FieldError::new("body.b", "is missing")));
        assert_eq!(kept, None);
        assert_eq!(errors.take(Ok::<u8, FieldError>(7)), Some(7));
        assert_eq!(
            errors,
            FieldErrors(vec![
                FieldError::new("body.a", "is wrong"),
                FieldError::new("body.b", "is missing"),
            ])
        );
    }

    #[test]
    fn one_field_error_becomes_a_list_of_one() {
        let e = FieldError::new("body.c", "is too long");
        assert_eq!(FieldErrors::from(e.clone()), FieldErrors(vec![e]));
    }

    #[test]
    fn text_is_trimmed_and_normalised_to_nfc() {
        let t = Text::parse_line("  Nguye\u{302}\u{303}n Va\u{306}n A  ", 200, "n").unwrap();
        assert_eq!(t.as_str(), "Nguy\u{1ec5}n V\u{103}n A");
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            "\"Nguy\u{1ec5}n V\u{103}n A\""
        );
    }

    #[test]
    fn length_is_counted_in_characters_after_normalisation() {
        // 200 "ễ" typed decomposed are 600 code points but 200 characters.
        let name = "e\u{302}\u{303}".repeat(200);
        assert_eq!(
            Text::parse_line(&name, NAME_CHARS_MAX, "n")
                .unwrap()
                .as_str(),
            "\u{1ec5}".repeat(200)
        );
    }

    #[test]
    fn a_text_over_the_limit_says_how_long_it_is_and_the_limit() {
        let e =
            Text::parse_line(&"a".repeat(201), NAME_CHARS_MAX, "body.donor.display").unwrap_err();
        assert_eq!(
            e,
            FieldError::new(
                "body.donor.display",
                "is 201 characters long; at most 200 are allowed"
            )
        );
        let e = Text::parse_multiline("", LONG_TEXT_CHARS_MAX, "body.note").unwrap_err();
        assert_eq!(e, FieldError::new("body.note", "must not be empty"));
    }

    #[test]
    fn tabs_and_crlf_line_breaks_are_kept_in_multi_line_text() {
        let raw = "Dòng một\r\n\tDòng hai\rDòng ba\nDòng bốn";
        assert_eq!(
            Text::parse_multiline(raw, LONG_TEXT_CHARS_MAX, "n")
                .unwrap()
                .as_str(),
            raw
        );
        assert_eq!(
            Text::parse_multiline("a\tb", 10, "n").unwrap().as_str(),
            "a\tb"
        );
        assert_eq!(
            Text::parse_multiline("a\r\nb", 10, "n").unwrap().as_str(),
            "a\r\nb"
        );
        assert_eq!(
            Text::parse_multiline("a\rb", 10, "n").unwrap().as_str(),
            "a\rb"
        );
    }

    #[test]
    fn tabs_and_carriage_returns_are_refused_on_one_line() {
        for raw in ["a\tb", "a\rb", "a\r\nb", "a\nb"] {
            let e = Text::parse_line(raw, 10, "n").unwrap_err();
            assert_eq!(
                e,
                FieldError::new("n", "must not contain control characters")
            );
        }
    }

    #[test]
    fn other_control_characters_are_refused_in_multi_line_text() {
        for raw in [
            "a\u{0}b", "a\u{b}b", "a\u{c}b", "a\u{7f}b", "a\u{85}b", "a\u{1b}b",
        ] {
            assert!(
                Text::parse_multiline(raw, 10, "n").is_err(),
                "{raw:?} was accepted"
            );
        }
    }
}
