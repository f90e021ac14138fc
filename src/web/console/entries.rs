//! The entry forms: opening a form of a fund in the staff's scope,
//! drawing it fresh or refilled with its errors, recording what it sends
//! through the one append path (`crate::service::append`) under its nonce,
//! and the page that shows what was recorded.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde_json::Value;

use super::session::{forged_form, form_key, Staff};
use super::{fund_in_scope, random_hex};
use crate::ledger::book::{Campaign, CampaignPhase, CampaignStatus};
use crate::ledger::kinds::EntryKind;
use crate::ledger::state::{Draft, Rejection};
use crate::service::append::{append, AppendError};
use crate::service::reads::Page;
use crate::service::AppState;
use crate::web::forms::{self, Context, EntryForm, FieldView};
use crate::web::{html, not_found, other_lang, page_error, Text};

#[derive(Template)]
#[template(path = "entry.html")]
struct EntryPage {
    t: &'static Text,
    other_lang_href: String,
    code: String,
    fund_name: String,
    slug: &'static str,
    title: &'static str,
    intro: Option<&'static str>,
    submit: &'static str,
    csrf: String,
    nonce: String,
    fields: Vec<FieldView>,
    failed: bool,
    top_errors: Vec<String>,
}

#[derive(Template)]
#[template(path = "done.html")]
struct DonePage {
    t: &'static Text,
    other_lang_href: String,
    code: String,
    slug: &'static str,
    title: &'static str,
    message: String,
    highlight: Option<String>,
    facts: Vec<(&'static str, String)>,
    again: &'static str,
    /// A pledge's own VietQR code, when the fund has an account.
    qr: Option<crate::web::donate::Transfer>,
}

/// Most campaigns a form offers.
const CAMPAIGNS_OFFERED_MAX: u64 = 100;

/// A form of the fund, its fund in the staff's scope, and what the form
/// needs to know of the fund.
async fn open_form(
    s: &AppState,
    staff: &Staff,
    code: &str,
    slug: &str,
) -> Result<(EntryForm, crate::store::FundInfo, Context), Response> {
    let Some(form) = EntryForm::from_slug(slug) else {
        return Err(not_found(staff.t));
    };
    let fund = fund_in_scope(s, staff, code, form.kind()).await?;
    let campaigns: Page<Campaign> = s
        .objects(&fund.code, Default::default(), CAMPAIGNS_OFFERED_MAX)
        .await
        .map_err(page_error)?;
    // A gift or a pledge goes only to a campaign in its window today; a
    // distribution may still spend what an ended campaign raised.
    let gift = matches!(
        form.kind(),
        EntryKind::DonationCash | EntryKind::DonationInKind | EntryKind::Pledge
    );
    let today = crate::ledger::ids::format_date(crate::ledger::ids::today_in_vietnam(
        time::OffsetDateTime::now_utc(),
    ));
    let campaigns = campaigns
        .items
        .into_iter()
        .filter(|c| c.status == CampaignStatus::Open)
        .filter(|c| !gift || c.phase(&today) == CampaignPhase::Open)
        .map(|c| (c.campaign_id, c.name))
        .collect();
    let ctx = Context {
        campaigns,
        committee_code: fund.committee_code.clone(),
    };
    Ok((form, fund, ctx))
}

/// Draws `form` with `values` and `errors`: fresh (nonce made) or
/// refilled after a refusal (the same nonce, so a corrected form is
/// still one submission).
#[allow(clippy::too_many_arguments)]
fn entry_page(
    staff: &Staff,
    fund: &crate::store::FundInfo,
    form: EntryForm,
    ctx: &Context,
    q: &[(String, String)],
    values: &HashMap<String, String>,
    mut errors: HashMap<String, Vec<String>>,
    top_errors: Vec<String>,
    nonce: String,
) -> Response {
    let t = staff.t;
    let fields = form.fields(t, ctx);
    let failed = !errors.is_empty() || !top_errors.is_empty();
    let views = forms::views(&fields, values, &std::mem::take(&mut errors));
    let page = EntryPage {
        t,
        other_lang_href: other_lang(t, &format!("/console/f/{}/{}", fund.code, form.slug()), q),
        code: fund.code.clone(),
        fund_name: fund.name.clone(),
        slug: form.slug(),
        title: form.title(t),
        intro: form.intro(t),
        submit: form.submit(t),
        csrf: staff.csrf.clone(),
        nonce,
        fields: views,
        failed,
        top_errors,
    };
    let status = if failed {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    (status, html(page)).into_response()
}

pub(super) async fn entry_form(
    State(s): State<AppState>,
    staff: Staff,
    Path((code, slug)): Path<(String, String)>,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let (form, fund, ctx) = match open_form(&s, &staff, &code, &slug).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let today = crate::ledger::ids::today_in_vietnam(time::OffsetDateTime::now_utc());
    let values = form.defaults(&ctx, today);
    entry_page(
        &staff,
        &fund,
        form,
        &ctx,
        &q,
        &values,
        HashMap::new(),
        Vec::new(),
        random_hex(16),
    )
}

pub(super) async fn record_entry(
    State(s): State<AppState>,
    staff: Staff,
    Path((code, slug)): Path<(String, String)>,
    Query(q): Query<Vec<(String, String)>>,
    Form(sent): Form<HashMap<String, String>>,
) -> Response {
    if !staff.csrf_ok(&sent) {
        return forged_form();
    }
    let (form, fund, ctx) = match open_form(&s, &staff, &code, &slug).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let t = staff.t;
    let nonce = sent.get("nonce").cloned().unwrap_or_else(|| random_hex(16));
    let refill = |errors: HashMap<String, Vec<String>>, top: Vec<String>| {
        entry_page(
            &staff,
            &fund,
            form,
            &ctx,
            &q,
            &sent,
            errors,
            top,
            nonce.clone(),
        )
    };
    let today = crate::ledger::ids::today_in_vietnam(time::OffsetDateTime::now_utc());
    let fields = form.fields(t, &ctx);
    let checked = forms::check(t, &fields, &sent, today);
    if !checked.errors.is_empty() {
        return refill(checked.errors, Vec::new());
    }
    let (body, private) = match form.body(t, &checked) {
        Ok(b) => b,
        Err(errors) => return refill(errors, Vec::new()),
    };
    let outcome = match submit_form(
        &s,
        &staff,
        &fund.code,
        form.slug(),
        &sent,
        (form.kind().as_str(), body, private),
    )
    .await
    {
        Ok(o) => o,
        Err(Refused::Fields(errors)) => {
            // Each of the core's messages goes on the field it names, or
            // above the form when no field of this form has that name.
            let mut by_field: HashMap<String, Vec<String>> = HashMap::new();
            let mut top = Vec::new();
            for (path, message) in errors {
                // The field whose path is the error's, or else the one
                // with the longest path the error's lies under.
                let field = fields
                    .iter()
                    .filter(|f| {
                        path == f.path
                            || path.starts_with(&format!("{}.", f.path))
                            || path.starts_with(&format!("{}[", f.path))
                    })
                    .max_by_key(|f| f.path.len());
                match field {
                    Some(f) => by_field.entry(f.name.clone()).or_default().push(message),
                    None => top.push(message),
                }
            }
            return refill(by_field, top);
        }
        Err(Refused::Page(r)) => return r,
    };
    tracing::info!(
        user = staff.caller.id(),
        fund = %fund.code,
        kind = form.kind().as_str(),
        seq = o_seq(&outcome),
        replayed = outcome.replayed,
        "recorded from the console"
    );
    if let Some(receipt) = outcome.first().and_then(|e| e.receipt.as_ref()) {
        let key_id = crate::ledger::checkpoint::key_id_of(&fund.verifier_key).unwrap_or_default();
        return Redirect::to(&format!("/r/{}?lang={}&k={key_id}", receipt.code, t.lang))
            .into_response();
    }
    // A pledge's confirmation carries its own QR code: the donor pays it
    // with the reference already written.
    let qr = if form == EntryForm::Pledge {
        let entry: Value = outcome
            .first()
            .and_then(|e| serde_json::from_str(&e.canonical).ok())
            .unwrap_or_default();
        let amount = entry["body"]["amount_vnd"]
            .as_str()
            .and_then(|a| a.parse().ok());
        match entry["body"]["pledge_id"].as_str() {
            Some(id) => crate::web::donate::pledge_qr(&s, t, &fund.code, id, amount).await,
            None => None,
        }
    } else {
        None
    };
    done_page(&staff, &fund, form, &q, &outcome, qr)
}

fn o_seq(o: &crate::store::writer::Outcome) -> u64 {
    o.first().map_or(0, |e| e.seq)
}

/// What was recorded, as the clerk needs it next: the pledge's transfer
/// reference, the household's id, the distribution's status.
fn done_page(
    staff: &Staff,
    fund: &crate::store::FundInfo,
    form: EntryForm,
    q: &[(String, String)],
    o: &crate::store::writer::Outcome,
    qr: Option<crate::web::donate::Transfer>,
) -> Response {
    let t = staff.t;
    let entry: Value = o
        .first()
        .and_then(|e| serde_json::from_str(&e.canonical).ok())
        .unwrap_or_default();
    let b = &entry["body"];
    let s = |k: &str| b[k].as_str().unwrap_or_default().to_owned();
    let seq = o_seq(o);
    let mut facts = vec![(
        t.pick("Số thứ tự trên sổ", "Seq on the ledger"),
        format!("#{seq}"),
    )];
    let mut highlight = None;
    let message = match form {
        EntryForm::Pledge => {
            highlight = Some(s("reference"));
            facts.push((t.pick("Mã đăng ký", "Pledge id"), s("pledge_id")));
            facts.push((
                t.donor,
                b["donor"]["display"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            ));
            facts.push((
                t.amount,
                crate::web::words::vnd(s("amount_vnd").parse().unwrap_or(0)),
            ));
            t.pick(
                "Đã ghi đăng ký. Xin nhà hảo tâm ghi mã dưới đây trong nội dung chuyển khoản, để khoản chuyển được đối chiếu với đăng ký:",
                "Pledge recorded. Ask the donor to write this reference in the transfer message, so the transfer is matched to the pledge:",
            )
            .to_owned()
        }
        EntryForm::Household => {
            highlight = Some(s("household_id"));
            facts.push((
                t.pick("Diện hộ", "Category"),
                forms::category(t, &s("category")).to_owned(),
            ));
            facts.push((
                t.pick(
                    "Dấu băm thông tin riêng",
                    "Commitment to the private record",
                ),
                s("commitment"),
            ));
            t.pick(
                "Đã đăng ký hộ. Mã hộ dùng khi đề xuất hỗ trợ:",
                "Household registered. Its id, for proposing support:",
            )
            .to_owned()
        }
        EntryForm::Distribution => {
            highlight = Some(s("distribution_id"));
            let cash: u64 = s("cash_vnd").parse().unwrap_or(0);
            facts.push((t.pick("Hộ", "Household"), s("household_id")));
            facts.push((
                t.pick("Hình thức", "Support"),
                forms::support_type(t, &s("support_type")).to_owned(),
            ));
            facts.push((t.pick("Tiền mặt", "Cash"), crate::web::words::vnd(cash)));
            if b["status"] == "pending" {
                t.pick(
                    "Đã ghi đề xuất; khoản này chờ người phê duyệt duyệt. Mã khoản hỗ trợ:",
                    "Proposal recorded; it waits for an approver. Distribution id:",
                )
                .to_owned()
            } else {
                t.pick(
                    "Đã ghi khoản hỗ trợ (đã duyệt). Mã khoản hỗ trợ, dùng khi ghi biên bản bàn giao:",
                    "Distribution recorded (approved). Its id, for the handover record:",
                )
                .to_owned()
            }
        }
        EntryForm::Acknowledgement => {
            facts.push((t.pick("Khoản hỗ trợ", "Distribution"), s("distribution_id")));
            t.pick("Đã ghi biên bản bàn giao.", "Handover recorded.")
                .to_owned()
        }
        EntryForm::Reversal => {
            facts.push((
                t.pick("Bút toán bị hủy", "Entry reversed"),
                format!("#{}", b["reverses_seq"]),
            ));
            facts.push((t.pick("Lý do", "Reason"), s("reason")));
            t.pick("Đã ghi bút toán hủy.", "Reversal recorded.")
                .to_owned()
        }
        EntryForm::CashGift | EntryForm::GoodsGift => t.pick("Đã ghi sổ.", "Recorded.").to_owned(),
    };
    facts.push((
        t.pick("Dấu băm bút toán", "Entry hash"),
        o.first().map(|e| e.hash.clone()).unwrap_or_default(),
    ));
    let status = if o.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let page = DonePage {
        t,
        other_lang_href: other_lang(t, &format!("/console/f/{}/{}", fund.code, form.slug()), q),
        code: fund.code.clone(),
        slug: form.slug(),
        title: form.title(t),
        message,
        highlight,
        facts,
        again: t.pick("Ghi tiếp", "Record another"),
        qr,
    };
    (status, html(page)).into_response()
}

/// Why a form's entry was not recorded.
pub(super) enum Refused {
    /// Field errors to show on the form.
    Fields(Vec<(String, String)>),
    /// A page to answer with instead.
    Page(Response),
}

/// Parses a form's entry and sends it to the writer under the form's
/// nonce, as the API would: the one path every console form takes.
pub(super) async fn submit_form(
    s: &AppState,
    staff: &Staff,
    fund: &str,
    route: &str,
    form: &HashMap<String, String>,
    (kind, body, private): (&str, Value, Option<Value>),
) -> Result<crate::store::writer::Outcome, Refused> {
    let now = time::OffsetDateTime::now_utc();
    let t = staff.t;
    let draft = Draft::parse(kind, body, private, now)
        .map_err(|r| Refused::Fields(rejection_errors(t, r)))?;
    let fields: Vec<(&String, &String)> = form.iter().collect();
    let key = form_key(staff, fund, route, &fields);
    match append(s, &staff.caller, fund, vec![draft], false, key).await {
        Ok(o) => Ok(o),
        Err(AppendError::Rejected { rejection, .. }) => {
            Err(Refused::Fields(rejection_errors(t, rejection)))
        }
        Err(AppendError::NotFound(_)) => Err(Refused::Page(not_found(staff.t))),
        Err(AppendError::KeyReused { .. }) => Err(Refused::Fields(vec![(
            "form".into(),
            t.pick(
                "Mẫu này đã được gửi với nội dung khác; xin mở một mẫu mới.",
                "This form was already sent with other values; open a new form.",
            )
            .into(),
        )])),
        Err(e) => Err(Refused::Page(page_error(format!("{e:?}")))),
    }
}

/// The core's refusal as messages by field, in the user's language: a
/// rule's own sentence where there is one, with the core's detail (in
/// English, with the figures) beside it.
fn rejection_errors(t: &Text, r: Rejection) -> Vec<(String, String)> {
    match r {
        Rejection::Internal(detail) => {
            tracing::error!(%detail, "an entry could not be built; nothing was recorded");
            vec![(
                "form".into(),
                t.pick(
                    "Máy chủ gặp lỗi; chưa ghi gì. Xin thử lại sau.",
                    "The server failed; nothing was recorded. Please try again later.",
                )
                .into(),
            )]
        }
        Rejection::Invalid(errors) => errors
            .0
            .into_iter()
            .map(|e| {
                let m = match t.lang {
                    "en" => e.message,
                    _ => format!("Giá trị không hợp lệ ({}).", e.message),
                };
                (e.field, m)
            })
            .collect(),
        Rejection::Rule {
            rule,
            field,
            message,
        } => {
            let m = match (t.lang, forms::rule_sentence(t, rule)) {
                ("en", _) | (_, None) => message,
                (_, Some(said)) => format!("{said} ({message})"),
            };
            vec![(field, m)]
        }
    }
}
