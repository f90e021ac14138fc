//! The seven entry forms declared: each one's title, submit button and
//! introduction, the values it starts with, its fields, and how its
//! checked values become an entry's body (and private record), with the
//! lines of goods the gift in kind and the distribution share.

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde_json::{json, Map, Value};
use time::Date;

use super::engine::{Checked, Control, Field};
use super::labels::{category, support_type, CATEGORIES, SUPPORT_TYPES};
use super::{Context, EntryForm};
use crate::web::Text;

/// How many lines of goods a form offers.
const GOODS_LINES: usize = 3;

impl EntryForm {
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
