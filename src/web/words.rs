//! Amounts as people read them on a receipt: `1.500.000 ₫` in figures and
//! "Một triệu năm trăm nghìn đồng" in words, and dates as `dd/mm/yyyy`.

/// `1500000` → `1.500.000 ₫` (a no-break space before the sign).
pub fn vnd(amount: u64) -> String {
    let digits = amount.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 4);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    // A no-break space: the sign never wraps onto a line of its own.
    out.push_str("\u{a0}₫");
    out
}

const DIGITS: [&str; 10] = [
    "không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín",
];

/// Names of the groups of three digits, from the lowest: a thousand
/// millions is "tỷ", and larger amounts repeat the names before "tỷ".
const GROUPS: [&str; 6] = ["", "nghìn", "triệu", "tỷ", "nghìn tỷ", "triệu tỷ"];

/// Words for a group of three digits; `full` when a higher group stands
/// before it, so that "không trăm" and "lẻ" are said.
fn group_words(n: u64, full: bool) -> Vec<&'static str> {
    let (h, t, u) = (
        (n / 100) as usize,
        ((n / 10) % 10) as usize,
        (n % 10) as usize,
    );
    let mut w = Vec::new();
    if h > 0 || full {
        w.push(DIGITS[h]);
        w.push("trăm");
    }
    match t {
        0 if u > 0 && (h > 0 || full) => w.push("lẻ"),
        0 => {}
        1 => w.push("mười"),
        _ => {
            w.push(DIGITS[t]);
            w.push("mươi");
        }
    }
    match u {
        0 => {}
        1 if t >= 2 => w.push("mốt"),
        5 if t >= 1 => w.push("lăm"),
        _ => w.push(DIGITS[u]),
    }
    w
}

/// An amount of đồng in Vietnamese words, with a capital first letter:
/// 1500000 → "Một triệu năm trăm nghìn đồng".
pub fn vnd_in_words(amount: u64) -> String {
    if amount == 0 {
        return "Không đồng".into();
    }
    let mut groups = Vec::new();
    let mut n = amount;
    while n > 0 {
        groups.push(n % 1000);
        n /= 1000;
    }
    let mut words: Vec<&str> = Vec::new();
    let top = groups.len() - 1;
    for (i, g) in groups.iter().enumerate().rev() {
        if *g == 0 {
            continue;
        }
        words.extend(group_words(*g, i < top));
        if !GROUPS[i.min(GROUPS.len() - 1)].is_empty() {
            words.push(GROUPS[i.min(GROUPS.len() - 1)]);
        }
    }
    words.push("đồng");
    let text = words.join(" ");
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_use_dots_between_thousands() {
        assert_eq!(vnd(0), "0\u{a0}₫");
        assert_eq!(vnd(999), "999\u{a0}₫");
        assert_eq!(vnd(1_000), "1.000\u{a0}₫");
        assert_eq!(vnd(1_500_000), "1.500.000\u{a0}₫");
        assert_eq!(vnd(1_000_000_000_000_000), "1.000.000.000.000.000\u{a0}₫");
    }

    #[test]
    fn amounts_read_as_a_receipt_says_them() {
        assert_eq!(vnd_in_words(1_500_000), "Một triệu năm trăm nghìn đồng");
        assert_eq!(vnd_in_words(200_000), "Hai trăm nghìn đồng");
        assert_eq!(vnd_in_words(15), "Mười lăm đồng");
        assert_eq!(vnd_in_words(21), "Hai mươi mốt đồng");
        assert_eq!(vnd_in_words(105), "Một trăm lẻ năm đồng");
        assert_eq!(
            vnd_in_words(1_005_000),
            "Một triệu không trăm lẻ năm nghìn đồng"
        );
        assert_eq!(vnd_in_words(50_000_000), "Năm mươi triệu đồng");
        assert_eq!(vnd_in_words(2_000_000_000), "Hai tỷ đồng");
        assert_eq!(vnd_in_words(1_000_000_000_000_000), "Một triệu tỷ đồng");
        assert_eq!(vnd_in_words(11_000), "Mười một nghìn đồng");
    }
}
