//! The console's entry forms: one declaration per form (its fields, how
//! they become an entry's body), read and answered by one generic path.
//!
//! A form is checked twice. First here, field by field, in the user's
//! language: what people get wrong when typing (a missing field, an
//! amount with letters, a date in the future, a CCCD number of 11
//! digits). Amounts may be typed as people write them (`1.500.000`,
//! `1 500 000 ₫`) and quantities with a decimal comma (`2,5`). Then the
//! entry goes through the same core as the API; what the core refuses
//! (a rule of the fund, a format the form cannot know) is shown on the
//! field it names, with a sentence in the user's language for each rule
//! and the core's own detail beside it.

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde_json::{json, Map, Value};
use time::Date;

use super::Text;
use crate::ledger::kinds::EntryKind;

impl Text {
    /// The Vietnamese or the English of a phrase.
    pub fn pick(&self, vi: &'static str, en: &'static str) -> &'static str {
        if self.lang == "en" {
            en
        } else {
            vi
        }
    }
}

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
    fn new(name: &str, path: &str, label: &'static str, control: Control) -> Self {
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

    fn required(mut self) -> Self {
        self.required = true;
        self
    }

    fn options(mut self, options: Vec<(String, String)>) -> Self {
        self.options = options;
        self
    }

    fn hint(mut self, hint: &'static str) -> Self {
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
    fn get(&self, name: &str) -> Option<&str> {
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

/// What a form needs to know of its fund.
pub struct Context {
    /// The fund's campaigns: id and name.
    pub campaigns: Vec<(String, String)>,
    /// The committee's code, the usual commune of its households.
    pub committee_code: String,
}

/// Every entry form of the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryForm {
    CashGift,
    GoodsGift,
    Pledge,
    Household,
    Distribution,
    Acknowledgement,
    Reversal,
}

/// How many lines of goods a form offers.
const GOODS_LINES: usize = 3;

impl EntryForm {
    pub const ALL: [EntryForm; 7] = [
        EntryForm::CashGift,
        EntryForm::GoodsGift,
        EntryForm::Pledge,
        EntryForm::Household,
        EntryForm::Distribution,
        EntryForm::Acknowledgement,
        EntryForm::Reversal,
    ];

    /// The form's address under `/console/f/{fund}/`.
    pub fn slug(self) -> &'static str {
        match self {
            EntryForm::CashGift => "gift",
            EntryForm::GoodsGift => "goods",
            EntryForm::Pledge => "pledge",
            EntryForm::Household => "household",
            EntryForm::Distribution => "distribution",
            EntryForm::Acknowledgement => "acknowledgement",
            EntryForm::Reversal => "reversal",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.slug() == slug)
    }

    pub fn kind(self) -> EntryKind {
        match self {
            EntryForm::CashGift => EntryKind::DonationCash,
            EntryForm::GoodsGift => EntryKind::DonationInKind,
            EntryForm::Pledge => EntryKind::Pledge,
            EntryForm::Household => EntryKind::HouseholdRegistered,
            EntryForm::Distribution => EntryKind::Distribution,
            EntryForm::Acknowledgement => EntryKind::DistributionAcknowledged,
            EntryForm::Reversal => EntryKind::Reversal,
        }
    }

    pub fn title(self, t: &Text) -> &'static str {
        match self {
            EntryForm::CashGift => t.record_gift,
            EntryForm::GoodsGift => {
                t.pick("Ghi nhận ủng hộ bằng hiện vật", "Record a gift in kind")
            }
            EntryForm::Pledge => t.pick("Ghi nhận đăng ký ủng hộ", "Record a pledge"),
            EntryForm::Household => t.pick("Đăng ký hộ được hỗ trợ", "Register a household"),
            EntryForm::Distribution => {
                t.pick("Đề xuất hỗ trợ một hộ", "Propose support for a household")
            }
            EntryForm::Acknowledgement => t.pick(
                "Ghi nhận hộ đã nhận (biên bản bàn giao)",
                "Record a handover (acknowledgement)",
            ),
            EntryForm::Reversal => t.pick(
                "Điều chỉnh: hủy một bút toán đã ghi",
                "Correct: reverse an entry",
            ),
        }
    }

    pub fn submit(self, t: &Text) -> &'static str {
        match self {
            EntryForm::CashGift | EntryForm::GoodsGift => t.save_and_print,
            EntryForm::Reversal => t.pick("Ghi bút toán hủy", "Record the reversal"),
            _ => t.pick("Ghi sổ", "Record"),
        }
    }

    /// A sentence under the title, where the form needs one.
    pub fn intro(self, t: &Text) -> Option<&'static str> {
        match self {
            EntryForm::Household => Some(t.pick(
                "Họ tên, số CCCD, điện thoại và địa chỉ của chủ hộ được giữ riêng, không ghi lên sổ công khai; sổ chỉ ghi dấu băm của chúng. Chỉ thanh tra đọc được, và mỗi lần đọc đều được ghi lại.",
                "The head of household's name, CCCD number, phone and address are kept apart, off the public ledger, which carries only their hash. Only inspectors can read them, and every read is logged.",
            )),
            EntryForm::Distribution => Some(t.pick(
                "Khoản hỗ trợ từ ngưỡng phê duyệt trở lên chờ người phê duyệt (không phải người ghi) duyệt; đến khi đó số tiền và hàng được giữ lại.",
                "Support at or above the approval threshold waits for an approver other than the recorder; until then its money and goods are held.",
            )),
            EntryForm::Reversal => Some(t.pick(
                "Sổ không bao giờ sửa hay xóa: một sai sót được sửa bằng bút toán hủy, công khai, có lý do.",
                "The ledger is never edited: a mistake is corrected by a visible reversal, with its reason.",
            )),
            _ => None,
        }
    }

    /// Values a new form starts with.
    pub fn defaults(self, ctx: &Context, today: Date) -> HashMap<String, String> {
        let today = crate::ledger::ids::format_date(today);
        let mut d = HashMap::new();
        match self {
            EntryForm::CashGift => {
                d.insert("channel".into(), "cash".into());
                d.insert("donor_kind".into(), "individual".into());
                d.insert("received_on".into(), today);
            }
            EntryForm::GoodsGift | EntryForm::Pledge => {
                d.insert("donor_kind".into(), "individual".into());
                if self == EntryForm::GoodsGift {
                    d.insert("received_on".into(), today);
                }
            }
            EntryForm::Household => {
                d.insert("commune_code".into(), ctx.committee_code.clone());
                d.insert("review_year".into(), today[..4].to_owned());
            }
            EntryForm::Distribution => {
                d.insert("cash_vnd".into(), "0".into());
            }
            EntryForm::Acknowledgement => {
                d.insert("acknowledged_on".into(), today);
                d.insert("method".into(), "signature".into());
            }
            EntryForm::Reversal => {}
        }
        d
    }

    pub fn fields(self, t: &Text, ctx: &Context) -> Vec<Field> {
        let donor = || {
            vec![
                Field::new("donor_display", "body.donor", t.donor, Control::Text(200)).hint(
                    t.pick(
                        "Tên sẽ công bố, như nhà hảo tâm chọn; để trống nếu ẩn danh.",
                        "The name to publish, as the donor chose; empty if anonymous.",
                    ),
                ),
                Field::new(
                    "donor_kind",
                    "body.donor.kind",
                    t.donor_kind,
                    Control::Choice,
                )
                .required()
                .options(vec![
                    ("individual".into(), t.individual.into()),
                    ("organization".into(), t.organization.into()),
                    ("anonymous".into(), t.anonymous.into()),
                ]),
            ]
        };
        let campaign = || {
            let mut options = vec![(
                String::new(),
                t.pick("(không thuộc đợt nào)", "(none)").to_owned(),
            )];
            options.extend(ctx.campaigns.iter().cloned());
            Field::new(
                "campaign_id",
                "body.campaign_id",
                t.campaign,
                Control::Choice,
            )
            .options(options)
        };
        let note = || {
            Field::new(
                "note",
                "body.note",
                t.pick("Ghi chú (công khai)", "Note (public)"),
                Control::Area(2000),
            )
        };
        let goods_line = |i: usize, first: bool| {
            let p = |f: &str| format!("body.items[{i}].{f}");
            let n = |f: &str| format!("item{}_{f}", i + 1);
            let mut item = Field::new(
                &n("item"),
                &p("item"),
                t.pick("Mã hàng", "Item code"),
                Control::Text(32),
            )
            .hint(t.pick(
                "Chữ in hoa, số và '-', ví dụ XI-MANG, GAO, BO-GIONG.",
                "Capitals, digits and '-', e.g. CEMENT, RICE, COW.",
            ));
            item.heading = Some(match t.lang {
                "en" => format!("Goods, line {}", i + 1),
                _ => format!("Hàng hóa, dòng {}", i + 1),
            });
            let mut line = vec![
                item,
                Field::new(
                    &n("description"),
                    &p("description"),
                    t.pick("Mô tả", "Description"),
                    Control::Text(200),
                ),
                Field::new(
                    &n("quantity"),
                    &p("quantity"),
                    t.quantity,
                    Control::Quantity,
                ),
                Field::new(
                    &n("unit"),
                    &p("unit"),
                    t.pick("Đơn vị tính", "Unit"),
                    Control::Text(20),
                ),
                Field::new(
                    &n("unit_value"),
                    &p("unit_value_vnd"),
                    t.pick("Đơn giá (đồng)", "Unit value (đồng)"),
                    Control::Money { zero: false },
                ),
            ];
            if first {
                for f in line.iter_mut().filter(|f| !f.name.ends_with("description")) {
                    f.required = true;
                }
            }
            line
        };
        let mut fields = Vec::new();
        match self {
            EntryForm::CashGift => {
                fields.extend(donor());
                fields.push(
                    Field::new(
                        "amount_vnd",
                        "body.amount_vnd",
                        t.pick("Số tiền (đồng)", "Amount (đồng)"),
                        Control::Money { zero: false },
                    )
                    .required(),
                );
                fields.push(
                    Field::new("channel", "body.channel", t.channel, Control::Choice)
                        .required()
                        .options(vec![
                            ("cash".into(), t.cash.into()),
                            ("bank_transfer".into(), t.bank_transfer.into()),
                            ("qr_transfer".into(), t.qr_transfer.into()),
                            ("e_wallet".into(), t.e_wallet.into()),
                        ]),
                );
                fields.push(
                    Field::new(
                        "received_on",
                        "body.received_on",
                        t.received_on,
                        Control::Date { past: true },
                    )
                    .required(),
                );
                fields.push(campaign());
                fields.push(Field::new(
                    "bank_ref",
                    "body.bank_ref",
                    t.bank_ref,
                    Control::Text(40),
                ));
                fields.push(note());
            }
            EntryForm::GoodsGift => {
                fields.extend(donor());
                fields.push(
                    Field::new(
                        "received_on",
                        "body.received_on",
                        t.received_on,
                        Control::Date { past: true },
                    )
                    .required(),
                );
                fields.push(campaign());
                for i in 0..GOODS_LINES {
                    fields.extend(goods_line(i, i == 0));
                }
                fields.push(note());
            }
            EntryForm::Pledge => {
                fields.extend(donor());
                fields.push(
                    Field::new(
                        "amount_vnd",
                        "body.amount_vnd",
                        t.pick("Số tiền đăng ký (đồng)", "Amount pledged (đồng)"),
                        Control::Money { zero: false },
                    )
                    .required(),
                );
                fields.push(campaign());
                fields.push(Field::new(
                    "due_on",
                    "body.due_on",
                    t.pick("Hạn chuyển", "Due on"),
                    Control::Date { past: false },
                ));
                fields.push(note());
            }
            EntryForm::Household => {
                fields.push(
                    Field::new(
                        "commune_code",
                        "body.commune_code",
                        t.pick("Mã xã/phường", "Commune code"),
                        Control::Text(32),
                    )
                    .required(),
                );
                fields.push(
                    Field::new(
                        "hamlet",
                        "body.hamlet",
                        t.pick("Thôn, tổ dân phố", "Hamlet"),
                        Control::Text(200),
                    )
                    .required(),
                );
                fields.push(
                    Field::new(
                        "category",
                        "body.category",
                        t.pick("Diện hộ", "Category"),
                        Control::Choice,
                    )
                    .required()
                    .options(
                        CATEGORIES
                            .iter()
                            .map(|c| (c.to_string(), category(t, c).to_owned()))
                            .collect(),
                    ),
                );
                fields.push(
                    Field::new(
                        "members",
                        "body.members",
                        t.pick("Số nhân khẩu", "Members"),
                        Control::Whole(1, 30),
                    )
                    .required(),
                );
                fields.push(
                    Field::new(
                        "review_year",
                        "body.review_year",
                        t.pick("Năm rà soát", "Review year"),
                        Control::Whole(2000, 2200),
                    )
                    .required(),
                );
                let mut head = Field::new(
                    "head_name",
                    "private.head_name",
                    t.pick("Họ tên chủ hộ", "Head of household"),
                    Control::Text(200),
                )
                .required();
                head.heading = Some(
                    t.pick(
                        "Thông tin riêng (không công khai)",
                        "Private record (never published)",
                    )
                    .to_owned(),
                );
                fields.push(head);
                fields.push(
                    Field::new(
                        "cccd",
                        "private.cccd",
                        t.pick("Số CCCD", "CCCD number"),
                        Control::Cccd,
                    )
                    .required(),
                );
                fields.push(Field::new(
                    "phone",
                    "private.phone",
                    t.pick("Điện thoại", "Phone"),
                    Control::Text(16),
                ));
                fields.push(
                    Field::new(
                        "address",
                        "private.address",
                        t.pick("Địa chỉ", "Address"),
                        Control::Area(500),
                    )
                    .required(),
                );
                fields.push(note());
            }
            EntryForm::Distribution => {
                fields.push(
                    Field::new(
                        "household_id",
                        "body.household_id",
                        t.pick("Mã hộ", "Household id"),
                        Control::Text(64),
                    )
                    .required(),
                );
                fields.push(
                    Field::new(
                        "support_type",
                        "body.support_type",
                        t.pick("Hình thức hỗ trợ", "Support"),
                        Control::Choice,
                    )
                    .required()
                    .options(
                        SUPPORT_TYPES
                            .iter()
                            .map(|s| (s.to_string(), support_type(t, s).to_owned()))
                            .collect(),
                    ),
                );
                fields.push(
                    Field::new(
                        "cash_vnd",
                        "body.cash_vnd",
                        t.pick("Tiền mặt (đồng)", "Cash (đồng)"),
                        Control::Money { zero: true },
                    )
                    .required(),
                );
                let mut line = goods_line(0, false);
                if let Some(first) = line.first_mut() {
                    first.heading = Some(
                        t.pick("Hàng hóa trao (nếu có)", "Goods given (if any)")
                            .to_owned(),
                    );
                }
                fields.extend(line);
                fields.push(
                    Field::new(
                        "decision_ref",
                        "body.decision_ref",
                        t.decision,
                        Control::Text(200),
                    )
                    .required(),
                );
                fields.push(campaign());
                fields.push(note());
            }
            EntryForm::Acknowledgement => {
                fields.push(
                    Field::new(
                        "distribution_id",
                        "body.distribution_id",
                        t.pick("Mã khoản hỗ trợ", "Distribution id"),
                        Control::Text(64),
                    )
                    .required(),
                );
                fields.push(
                    Field::new(
                        "method",
                        "body.method",
                        t.pick("Cách xác nhận", "Method"),
                        Control::Choice,
                    )
                    .required()
                    .options(vec![
                        ("signature".into(), t.pick("Chữ ký", "Signature").into()),
                        ("thumbprint".into(), t.pick("Điểm chỉ", "Thumbprint").into()),
                        (
                            "witness".into(),
                            t.pick("Người làm chứng", "Witness").into(),
                        ),
                    ]),
                );
                fields.push(
                    Field::new(
                        "acknowledged_on",
                        "body.acknowledged_on",
                        t.pick("Ngày bàn giao", "Handed over on"),
                        Control::Date { past: true },
                    )
                    .required(),
                );
                fields.push(
                    Field::new("evidence_sha256", "body.evidence_sha256", t.pick("Bản quét biên bản bàn giao", "Scan of the handover record"), Control::FileDigest).hint(t.pick(
                        "Tệp không được gửi đi: trình duyệt chỉ tính dấu băm SHA-256 của nó để ghi lên sổ.",
                        "The file is not sent: the browser computes only its SHA-256 for the ledger.",
                    )),
                );
                fields.push(note());
            }
            EntryForm::Reversal => {
                fields.push(
                    Field::new(
                        "reverses_seq",
                        "body.reverses_seq",
                        t.pick("Số thứ tự bút toán cần hủy", "Seq of the entry to reverse"),
                        Control::Whole(1, u64::from(u32::MAX)),
                    )
                    .required(),
                );
                fields.push(
                    Field::new(
                        "reason",
                        "body.reason",
                        t.pick("Lý do", "Reason"),
                        Control::Area(2000),
                    )
                    .required(),
                );
            }
        }
        fields
    }

    /// The entry's body (and private record) from checked values, or
    /// errors the form alone can tell.
    pub fn body(
        self,
        t: &Text,
        c: &Checked,
    ) -> Result<(Value, Option<Value>), HashMap<String, Vec<String>>> {
        let mut body = Map::new();
        let mut errors: HashMap<String, Vec<String>> = HashMap::new();
        let copy = |body: &mut Map<String, Value>, names: &[&str]| {
            for n in names {
                if let Some(v) = c.get(n) {
                    body.insert((*n).to_owned(), json!(v));
                }
            }
        };
        let donor = |body: &mut Map<String, Value>| {
            let mut d = json!({"kind": c.get("donor_kind").unwrap_or_default()});
            match (c.get("donor_display"), c.get("donor_kind")) {
                (Some(name), _) => d["display"] = json!(name),
                (None, Some("anonymous")) => d["display"] = json!("Ẩn danh"),
                _ => {}
            }
            body.insert("donor".into(), d);
        };
        let mut private = None;
        match self {
            EntryForm::CashGift => {
                donor(&mut body);
                copy(
                    &mut body,
                    &[
                        "amount_vnd",
                        "channel",
                        "received_on",
                        "campaign_id",
                        "bank_ref",
                        "note",
                    ],
                );
            }
            EntryForm::GoodsGift => {
                donor(&mut body);
                copy(&mut body, &["received_on", "campaign_id", "note"]);
                let items = goods_lines(t, c, GOODS_LINES, &mut errors);
                let total = items
                    .iter()
                    .try_fold(0u64, |sum, (_, v)| sum.checked_add(*v));
                let Some(total) = total else {
                    errors.entry("item1_quantity".into()).or_default().push(
                        t.pick("Tổng giá trị quá lớn.", "The total value is too large.")
                            .to_owned(),
                    );
                    return Err(errors);
                };
                body.insert(
                    "items".into(),
                    Value::Array(items.into_iter().map(|(l, _)| l).collect()),
                );
                body.insert("total_value_vnd".into(), json!(total.to_string()));
            }
            EntryForm::Pledge => {
                donor(&mut body);
                copy(&mut body, &["amount_vnd", "campaign_id", "due_on", "note"]);
            }
            EntryForm::Household => {
                copy(&mut body, &["commune_code", "hamlet", "category", "note"]);
                for n in ["members", "review_year"] {
                    if let Some(v) = c.get(n).and_then(|v| v.parse::<u64>().ok()) {
                        body.insert(n.into(), json!(v));
                    }
                }
                let mut p = Map::new();
                for (n, key) in [
                    ("head_name", "head_name"),
                    ("cccd", "cccd"),
                    ("phone", "phone"),
                    ("address", "address"),
                ] {
                    if let Some(v) = c.get(n) {
                        p.insert(key.into(), json!(v));
                    }
                }
                private = Some(Value::Object(p));
            }
            EntryForm::Distribution => {
                copy(
                    &mut body,
                    &[
                        "household_id",
                        "support_type",
                        "cash_vnd",
                        "decision_ref",
                        "campaign_id",
                        "note",
                    ],
                );
                let items = goods_lines(t, c, 1, &mut errors);
                body.insert(
                    "items".into(),
                    Value::Array(items.into_iter().map(|(l, _)| l).collect()),
                );
            }
            EntryForm::Acknowledgement => {
                copy(
                    &mut body,
                    &[
                        "distribution_id",
                        "method",
                        "acknowledged_on",
                        "evidence_sha256",
                        "note",
                    ],
                );
            }
            EntryForm::Reversal => {
                copy(&mut body, &["reason"]);
                if let Some(v) = c.get("reverses_seq").and_then(|v| v.parse::<u64>().ok()) {
                    body.insert("reverses_seq".into(), json!(v));
                }
            }
        }
        if errors.is_empty() {
            Ok((Value::Object(body), private))
        } else {
            Err(errors)
        }
    }
}

/// The filled lines of goods among the first `lines`, each with its
/// value (quantity × unit value, rounded to the đồng); a line half filled
/// is an error on its first empty field.
fn goods_lines(
    t: &Text,
    c: &Checked,
    lines: usize,
    errors: &mut HashMap<String, Vec<String>>,
) -> Vec<(Value, u64)> {
    let mut out = Vec::new();
    let mut blank = false;
    for i in 1..=lines {
        let n = |f: &str| format!("item{i}_{f}");
        let parts = ["item", "quantity", "unit", "unit_value"];
        let filled: Vec<Option<&str>> = parts.iter().map(|p| c.get(&n(p))).collect();
        if filled.iter().all(Option::is_none) && c.get(&n("description")).is_none() {
            blank = true;
            continue;
        }
        // Line k of the entry is line k of the form, so that the core's
        // errors (`body.items[k]`) land on the line they concern.
        if blank {
            errors.entry(n("item")).or_default().push(
                t.pick(
                    "Xin điền các dòng hàng lần lượt, không để trống dòng ở giữa.",
                    "Please fill the lines of goods in order, with no empty line between.",
                )
                .to_owned(),
            );
            continue;
        }
        if let Some(missing) = parts.iter().zip(&filled).find(|(_, v)| v.is_none()) {
            errors.entry(n(missing.0)).or_default().push(
                t.pick(
                    "Dòng hàng này còn thiếu ô này.",
                    "This line of goods needs this field.",
                )
                .to_owned(),
            );
            continue;
        }
        let (item, quantity, unit, unit_value) = (
            filled[0].unwrap_or_default(),
            filled[1].unwrap_or_default(),
            filled[2].unwrap_or_default(),
            filled[3].unwrap_or_default(),
        );
        let value = quantity
            .parse::<Decimal>()
            .ok()
            .zip(unit_value.parse::<u64>().ok())
            .and_then(|(q, u)| q.checked_mul(Decimal::from(u)))
            .map(crate::ledger::values::round_vnd)
            .and_then(|v| u64::try_from(v).ok());
        let Some(value) = value else {
            errors.entry(n("quantity")).or_default().push(
                t.pick(
                    "Giá trị dòng hàng quá lớn.",
                    "The line's value is too large.",
                )
                .to_owned(),
            );
            continue;
        };
        let mut line = json!({
            "item": item.to_uppercase(),
            "quantity": quantity,
            "unit": unit,
            "unit_value_vnd": unit_value,
            "value_vnd": value.to_string(),
        });
        if let Some(d) = c.get(&n("description")) {
            line["description"] = json!(d);
        }
        out.push((line, value));
    }
    out
}

pub const CATEGORIES: [&str; 4] = ["poor", "near_poor", "newly_escaped", "hardship"];

pub const SUPPORT_TYPES: [&str; 10] = [
    "cash_grant",
    "house_new",
    "house_repair",
    "livelihood",
    "tet_gift",
    "scholarship",
    "health_insurance",
    "medical",
    "relief",
    "other",
];

/// A household category as people name it.
pub fn category(t: &Text, code: &str) -> &'static str {
    match code {
        "poor" => t.pick("Hộ nghèo", "Poor"),
        "near_poor" => t.pick("Hộ cận nghèo", "Near-poor"),
        "newly_escaped" => t.pick("Hộ mới thoát nghèo", "Newly out of poverty"),
        "hardship" => t.pick("Hộ có hoàn cảnh khó khăn", "In hardship"),
        _ => t.pick("Khác", "Other"),
    }
}

/// A kind of support as people name it.
pub fn support_type(t: &Text, code: &str) -> &'static str {
    match code {
        "cash_grant" => t.pick("Trợ cấp tiền mặt", "Cash grant"),
        "house_new" => t.pick("Xây nhà đại đoàn kết", "New solidarity house"),
        "house_repair" => t.pick("Sửa chữa nhà", "House repair"),
        "livelihood" => t.pick(
            "Sinh kế (con giống, cây giống)",
            "Livelihood (livestock, seed)",
        ),
        "tet_gift" => t.pick("Quà Tết", "Tet gift"),
        "scholarship" => t.pick("Học bổng", "Scholarship"),
        "health_insurance" => t.pick("Thẻ bảo hiểm y tế", "Health insurance card"),
        "medical" => t.pick("Khám chữa bệnh", "Medical care"),
        "relief" => t.pick("Cứu trợ thiên tai", "Disaster relief"),
        _ => t.pick("Hỗ trợ khác", "Other support"),
    }
}

/// A rule of the fund, said in the user's language; the core's own
/// sentence (in English, with the figures) is shown beside it.
pub fn rule_sentence(t: &Text, rule: &str) -> Option<&'static str> {
    Some(match rule {
        "insufficient_funds" => t.pick(
            "Quỹ không đủ số dư khả dụng.",
            "The fund's available balance is not enough.",
        ),
        "stock_insufficient" => t.pick(
            "Kho không đủ hàng.",
            "There is not enough of this item in stock.",
        ),
        "unknown_item" => t.pick(
            "Kho không có mặt hàng này.",
            "The stock holds no such item.",
        ),
        "unit_mismatch" => t.pick(
            "Đơn vị tính khác với đơn vị trong kho.",
            "The unit differs from the stock's unit.",
        ),
        "unknown_household" => t.pick(
            "Không có hộ nào mang mã này trong quỹ.",
            "The fund has no household with this id.",
        ),
        "ineligible_household" => t.pick(
            "Hộ này không thuộc diện được hỗ trợ loại này.",
            "This household is not eligible for this support.",
        ),
        "house_support_too_recent" => t.pick(
            "Hộ đã được hỗ trợ nhà gần đây.",
            "This household had housing support too recently.",
        ),
        "policy_limit" => t.pick(
            "Vượt mức hỗ trợ tối đa theo quy định.",
            "Above the policy's limit.",
        ),
        "unknown_campaign" => t.pick("Không có đợt vận động này.", "There is no such campaign."),
        "campaign_closed" => t.pick("Đợt vận động đã kết thúc.", "The campaign is closed."),
        "outside_campaign_window" => t.pick(
            "Ngày nhận nằm ngoài thời gian của đợt vận động.",
            "The day lies outside the campaign's window.",
        ),
        "unknown_pledge" => t.pick("Không có đăng ký ủng hộ này.", "There is no such pledge."),
        "pledge_cancelled" => t.pick("Đăng ký ủng hộ đã bị hủy.", "The pledge was cancelled."),
        "unknown_distribution" => t.pick(
            "Không có khoản hỗ trợ này.",
            "There is no such distribution.",
        ),
        "not_approved" => t.pick(
            "Khoản hỗ trợ chưa được duyệt.",
            "The distribution is not approved yet.",
        ),
        "already_acknowledged" => t.pick(
            "Khoản hỗ trợ đã có biên bản bàn giao.",
            "The distribution was already acknowledged.",
        ),
        "not_pending" => t.pick(
            "Khoản hỗ trợ không còn chờ duyệt.",
            "The distribution is no longer pending.",
        ),
        "self_approval" => t.pick(
            "Người ghi khoản hỗ trợ không được tự duyệt.",
            "The recorder of a distribution may not approve it.",
        ),
        "unknown_entry" => t.pick(
            "Sổ chưa có bút toán mang số này.",
            "The ledger has no entry with this seq.",
        ),
        "already_reversed" => t.pick(
            "Bút toán này đã bị hủy trước đó.",
            "This entry was already reversed.",
        ),
        "not_reversible" => t.pick(
            "Bút toán loại này không hủy được.",
            "Entries of this kind cannot be reversed.",
        ),
        "reversal_overdraws" => t.pick(
            "Hủy bút toán này sẽ làm quỹ âm.",
            "Reversing this entry would overdraw the fund.",
        ),
        "void_pending" => t.pick(
            "Khoản chờ duyệt thì hủy duyệt, không hủy bút toán.",
            "Void a pending distribution instead of reversing it.",
        ),
        "duplicate_id" => t.pick("Mã này đã được dùng.", "This id is already used."),
        "duplicate_reference" => t.pick(
            "Mã chuyển khoản này đã được dùng.",
            "This transfer reference is already used.",
        ),
        "period_closed" => t.pick("Kỳ báo cáo đã khóa sổ.", "The period is closed."),
        "household_in_use" | "pledge_in_use" | "campaign_in_use" => t.pick(
            "Mục này đang được dùng ở bút toán sau.",
            "Later entries use this.",
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(raw: &str) -> Result<String, String> {
        let f = Field::new("a", "body.a", "A", Control::Money { zero: false });
        let today = time::macros::date!(2026 - 11 - 23);
        read(&super::super::VI, &f, raw, today)
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
            read(&super::super::VI, &f, "2,5", today).as_deref(),
            Ok("2.5")
        );
        assert_eq!(
            read(&super::super::VI, &f, "12", today).as_deref(),
            Ok("12")
        );
        // A dot is refused, not guessed at: 1.500 is 1500 to a
        // Vietnamese clerk and 1.5 to an English one.
        for raw in ["0", "-1", "1e3", "x", "1,2,3", "1.500", "2.5"] {
            assert!(read(&super::super::VI, &f, raw, today).is_err(), "{raw}");
        }
    }

    #[test]
    fn whole_numbers_take_groups_of_three_only() {
        let f = Field::new("n", "body.n", "N", Control::Whole(1, 1_000_000));
        let today = time::macros::date!(2026 - 11 - 23);
        let read = |raw: &str| read(&super::super::VI, &f, raw, today);
        assert_eq!(read("1.234").as_deref(), Ok("1234"));
        assert_eq!(read("5").as_deref(), Ok("5"));
        for raw in ["1.5", "1.2", "0", "abc", "2000000", ""] {
            assert!(read(raw).is_err(), "{raw}");
        }
    }
}
