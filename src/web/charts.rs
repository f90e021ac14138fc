//! Charts drawn on the server as SVG: no script, a title and a summary for
//! screen readers (`role="img"`), and a `<title>` on every mark that says
//! what the row of the table beside it says ("label: value"), so the
//! picture and its table can be checked against each other.
//!
//! They are drawn in a 360-unit-wide box that scales to the page's width
//! (a 375 px phone shows it at about its own size), with text at 12 units.

use std::fmt::Write as _;

/// Width of the drawing box.
const W: u64 = 360;
/// Text size, in the box's units.
const TEXT: u64 = 12;

/// One mark of a chart: its label, its value for the drawing, and the
/// value as the page writes it.
pub struct Mark {
    pub label: String,
    pub value: u64,
    pub shown: String,
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

fn open(out: &mut String, id: &str, table: &str, height: u64, title: &str, summary: &str) {
    let _ = write!(
        out,
        r#"<svg class="chart" id="{id}" data-table="{table}" viewBox="0 0 {W} {height}" role="img" aria-labelledby="{id}-t {id}-d" xmlns="http://www.w3.org/2000/svg"><title id="{id}-t">{}</title><desc id="{id}-d">{}</desc>"#,
        escape(title),
        escape(summary)
    );
}

/// `value` of `max` as a share of `span` units (0 when `max` is 0).
fn scale(value: u64, max: u64, span: u64) -> u64 {
    if max == 0 {
        return 0;
    }
    (u128::from(value) * u128::from(span) / u128::from(max)) as u64
}

/// A chart's text alternative: every mark, in order.
fn summary_of(marks: &[Mark]) -> String {
    marks
        .iter()
        .map(|m| format!("{}: {}", m.label, m.shown))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Horizontal bars, one per mark, each under its label and followed by its
/// value. `table` is the id of the table that holds the same rows. No
/// marks, no chart: an empty string.
pub fn bars(id: &str, table: &str, title: &str, marks: &[Mark]) -> String {
    const ROW: u64 = 40;
    if marks.is_empty() {
        return String::new();
    }
    let height = ROW * marks.len() as u64 + 4;
    let max = marks.iter().map(|m| m.value).max().unwrap_or(0);
    let mut out = String::new();
    open(&mut out, id, table, height, title, &summary_of(marks));
    for (n, m) in marks.iter().enumerate() {
        let y = ROW * n as u64;
        let width = scale(m.value, max, W - 120).max(2);
        let _ = write!(
            out,
            r#"<g class="mark"><title>{label}: {shown}</title><text x="0" y="{ty}" font-size="{TEXT}">{label}</text><rect x="0" y="{by}" width="{width}" height="16" rx="2"/><text x="{vx}" y="{vy}" font-size="{TEXT}">{shown}</text></g>"#,
            label = escape(&m.label),
            shown = escape(&m.shown),
            ty = y + TEXT + 2,
            by = y + TEXT + 8,
            vx = width + 6,
            vy = y + TEXT + 20,
        );
    }
    out.push_str("</svg>");
    out
}

/// A line through the marks in order (days, say), from the first to the
/// last, with an optional level drawn dashed across it (a target) and
/// named. The lowest value drawn is 0. No marks, no chart: an empty
/// string.
pub fn line(id: &str, table: &str, title: &str, marks: &[Mark], level: Option<&Mark>) -> String {
    const HEIGHT: u64 = 200;
    const TOP: u64 = 24;
    const BOTTOM: u64 = 176;
    const LEFT: u64 = 4;
    const RIGHT: u64 = W - 8;
    if marks.is_empty() {
        return String::new();
    }
    let max = marks
        .iter()
        .map(|m| m.value)
        .chain(level.map(|l| l.value))
        .max()
        .unwrap_or(0);
    let x = |n: usize| match marks.len() {
        0 | 1 => (LEFT + RIGHT) / 2,
        len => LEFT + (RIGHT - LEFT) * n as u64 / (len as u64 - 1),
    };
    let y = |v: u64| BOTTOM - scale(v, max, BOTTOM - TOP);
    let mut out = String::new();
    open(&mut out, id, table, HEIGHT, title, &summary_of(marks));
    let _ = write!(
        out,
        r#"<line class="axis" x1="{LEFT}" y1="{BOTTOM}" x2="{RIGHT}" y2="{BOTTOM}"/>"#
    );
    if let Some(l) = level {
        let ly = y(l.value);
        let _ = write!(
            out,
            r#"<g class="level"><title>{label}: {shown}</title><line x1="{LEFT}" y1="{ly}" x2="{RIGHT}" y2="{ly}" stroke-dasharray="6 4"/><text x="{LEFT}" y="{ty}" font-size="{TEXT}">{label}: {shown}</text></g>"#,
            label = escape(&l.label),
            shown = escape(&l.shown),
            ty = ly.saturating_sub(6).max(TEXT),
        );
    }
    let points: Vec<String> = marks
        .iter()
        .enumerate()
        .map(|(n, m)| format!("{},{}", x(n), y(m.value)))
        .collect();
    let _ = write!(
        out,
        r#"<polyline class="path" fill="none" points="{}"/>"#,
        points.join(" ")
    );
    for (n, m) in marks.iter().enumerate() {
        let _ = write!(
            out,
            r#"<circle class="mark" cx="{}" cy="{}" r="3"><title>{}: {}</title></circle>"#,
            x(n),
            y(m.value),
            escape(&m.label),
            escape(&m.shown)
        );
    }
    if let (Some(first), Some(last)) = (marks.first(), marks.last()) {
        let _ = write!(
            out,
            r#"<text x="{LEFT}" y="{by}" font-size="{TEXT}">{}</text><text x="{RIGHT}" y="{by}" font-size="{TEXT}" text-anchor="end">{}</text><text x="{RIGHT}" y="{ty}" font-size="{TEXT}" text-anchor="end">{}</text>"#,
            escape(&first.label),
            escape(&last.label),
            escape(&last.shown),
            by = BOTTOM + TEXT + 6,
            ty = y(last.value).saturating_sub(8).max(TEXT + 2),
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(label: &str, value: u64) -> Mark {
        Mark {
            label: label.into(),
            value,
            shown: format!("{value} ₫"),
        }
    }

    #[test]
    fn every_bar_is_as_long_as_its_share_and_says_its_row() {
        let svg = bars(
            "c",
            "t",
            "Where <it> went",
            &[mark("Nhà & cửa", 240), mark("Quà Tết", 60)],
        );
        assert!(svg.contains("<desc id=\"c-d\">Nhà &amp; cửa: 240 ₫; Quà Tết: 60 ₫</desc>"));
        assert!(svg.starts_with(r#"<svg class="chart" id="c" data-table="t""#));
        assert!(svg.contains(r#"role="img""#));
        assert!(svg.contains("<title id=\"c-t\">Where &lt;it&gt; went</title>"));
        assert!(svg.contains("<title>Nhà &amp; cửa: 240 ₫</title>"));
        assert!(svg.contains("<title>Quà Tết: 60 ₫</title>"));
        // The largest fills the bars' span (240 units), the other its share.
        assert!(svg.contains(r#"width="240""#), "{svg}");
        assert!(svg.contains(r#"width="60""#), "{svg}");
        assert_eq!(svg.matches("<g class=\"mark\">").count(), 2);
        // Each row 40 units below the last: label, then bar, then value.
        assert!(
            svg.contains(r#"<text x="0" y="14" font-size="12">Nhà &amp; cửa</text>"#),
            "{svg}"
        );
        assert!(
            svg.contains(r#"<text x="0" y="54" font-size="12">Quà Tết</text>"#),
            "{svg}"
        );
        assert!(svg.contains(r#"<rect x="0" y="60" width="60""#), "{svg}");
        assert!(svg.contains(r#"viewBox="0 0 360 84""#), "{svg}");
    }

    #[test]
    fn a_line_runs_from_the_first_mark_to_the_last_under_its_level() {
        let svg = line(
            "l",
            "t",
            "Gifts",
            &[mark("01/11", 0), mark("02/11", 50), mark("03/11", 100)],
            Some(&mark("Target", 200)),
        );
        // x from 4 to 352; y from 176 (0) up to 24 (the level, 200).
        assert!(svg.contains(r#"points="4,176 178,138 352,100""#), "{svg}");
        assert!(svg.contains(r#"y1="24" x2="352" y2="24""#), "{svg}");
        assert!(svg.contains("<title>Target: 200 ₫</title>"));
        assert_eq!(svg.matches("<circle class=\"mark\"").count(), 3);
        assert!(svg.contains("<title>03/11: 100 ₫</title>"));
        // One mark: drawn in the middle; none: an empty frame.
        let one = line("l", "t", "x", &[mark("01/11", 5)], None);
        assert!(one.contains(r#"points="178,24""#), "{one}");
        assert_eq!(line("l", "t", "x", &[], None), "");
    }

    #[test]
    fn nothing_to_draw_draws_no_bar_longer_than_its_floor() {
        assert_eq!(scale(5, 0, 240), 0);
        assert_eq!(scale(u64::MAX, u64::MAX, 240), 240);
        let svg = bars("c", "t", "x", &[mark("a", 0)]);
        assert!(svg.contains(r#"width="2""#), "{svg}");
        assert_eq!(bars("c", "t", "x", &[]), "");
    }
}
