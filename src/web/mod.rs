//! Pages for people, served by `sovang serve` itself: server-rendered
//! with compile-time checked templates (`templates/`), a little plain
//! JavaScript (`static/`), Vietnamese by default and English with
//! `?lang=en`.
//!
//! The receipt page `/r/{code}` is where the QR code on a paper receipt
//! leads: the gift as the donor knows it, its status, and a check that
//! runs in the donor's own browser (WebCrypto) from the receipt's proof to
//! the fund's signature, showing each step.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use serde_json::Value;

use crate::http::AppState;
use crate::ledger::ids::normalise_verification_code;

/// Amounts and dates as people read them.
pub mod words;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/r/{code}", get(receipt))
        .route("/static/verify.js", get(verify_js))
        .route("/static/site.css", get(site_css))
}

async fn verify_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        include_str!("../../static/verify.js"),
    )
        .into_response()
}

async fn site_css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        include_str!("../../static/site.css"),
    )
        .into_response()
}

/// The words of the pages, in one language.
#[derive(Debug)]
pub struct Text {
    pub lang: &'static str,
    pub other_lang: &'static str,
    pub other_lang_name: &'static str,
    pub receipt: &'static str,
    pub status: &'static str,
    pub valid: &'static str,
    pub voided: &'static str,
    pub donor: &'static str,
    pub received_on: &'static str,
    pub goods: &'static str,
    pub amount: &'static str,
    pub in_words: &'static str,
    pub campaign: &'static str,
    pub code: &'static str,
    pub qr: &'static str,
    pub print: &'static str,
    pub verify_title: &'static str,
    pub verify_intro: &'static str,
    pub step_fetch: &'static str,
    pub step_leaf: &'static str,
    pub step_text: &'static str,
    pub step_path: &'static str,
    pub step_root: &'static str,
    pub step_sig: &'static str,
    pub key_intro: &'static str,
    pub pass: &'static str,
    pub fail: &'static str,
    pub verified: &'static str,
    pub failed: &'static str,
    pub not_found: &'static str,
}

pub const VI: Text = Text {
    lang: "vi",
    other_lang: "en",
    other_lang_name: "English",
    receipt: "Biên nhận",
    status: "Tình trạng",
    valid: "Hợp lệ",
    voided: "Đã hủy",
    donor: "Nhà hảo tâm",
    received_on: "Ngày nhận",
    goods: "Hàng hóa",
    amount: "Số tiền",
    in_words: "Bằng chữ",
    campaign: "Đợt vận động",
    code: "Mã xác minh",
    qr: "Mã QR dẫn tới trang này",
    print: "In biên nhận (A5)",
    verify_title: "Tự kiểm tra trên máy của bạn",
    verify_intro:
        "Trình duyệt của bạn tự tính lại các mã băm và kiểm tra chữ ký, không cần tin máy chủ.",
    step_fetch: "Tải bằng chứng của biên nhận",
    step_leaf: "Mã băm của bút toán khớp với nội dung bút toán",
    step_text: "Bút toán ghi đúng số biên nhận và số tiền trên trang này",
    step_path: "Đường dẫn Merkle dẫn tới gốc của sổ",
    step_root: "Điểm kiểm tra đã ký xác nhận gốc và kích thước ấy",
    step_sig: "Chữ ký Ed25519 của quỹ trên điểm kiểm tra là đúng",
    key_intro: "Khóa xác minh của quỹ (đối chiếu với khóa Ủy ban công bố):",
    pass: "Đạt",
    fail: "Không đạt",
    verified: "Biên nhận này có trong sổ của quỹ và được quỹ ký xác nhận.",
    failed: "Không xác minh được biên nhận này. Xin báo cho Ủy ban MTTQ.",
    not_found: "Không có biên nhận nào với mã xác minh này.",
};

pub const EN: Text = Text {
    lang: "en",
    other_lang: "vi",
    other_lang_name: "Tiếng Việt",
    receipt: "Receipt",
    status: "Status",
    valid: "Valid",
    voided: "Voided",
    donor: "Donor",
    received_on: "Received on",
    goods: "Goods",
    amount: "Amount",
    in_words: "In words",
    campaign: "Campaign",
    code: "Verification code",
    qr: "QR code leading to this page",
    print: "Print the receipt (A5)",
    verify_title: "Check it yourself, in your browser",
    verify_intro:
        "Your browser recomputes the hashes and checks the signature itself, trusting no server.",
    step_fetch: "Fetch the receipt's proof",
    step_leaf: "The entry's hash matches the entry's text",
    step_text: "The entry states this page's receipt number and amount",
    step_path: "The Merkle path leads to the ledger's root",
    step_root: "A signed checkpoint names that root and size",
    step_sig: "The fund's Ed25519 signature on the checkpoint is valid",
    key_intro: "The fund's verifier key (compare it with the one the committee published):",
    pass: "passed",
    fail: "FAILED",
    verified: "This receipt is in the fund's ledger, signed by the fund.",
    failed: "This receipt could not be verified. Please tell the Front committee.",
    not_found: "There is no receipt with this verification code.",
};

#[derive(Debug, Deserialize)]
struct LangQuery {
    lang: Option<String>,
}

fn text(lang: &Option<String>) -> &'static Text {
    match lang.as_deref() {
        Some("en") => &EN,
        _ => &VI,
    }
}

#[derive(Template)]
#[template(path = "receipt.html")]
struct ReceiptPage {
    t: &'static Text,
    other_lang_href: String,
    receipt_no: String,
    code: String,
    voided: bool,
    voided_reason: Option<String>,
    donor: String,
    received_on: String,
    goods: Option<String>,
    amount_raw: String,
    amount_figures: String,
    amount_words: String,
    campaign: Option<String>,
    committee_name: String,
    fund_name: String,
    verifier_key: String,
    qr_svg: String,
    page_url: String,
    verify_text: String,
}

fn not_found(t: &'static Text) -> Response {
    let body = format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Sổ Vàng</title><link rel=\"stylesheet\" href=\"/static/site.css\"></head><body><main><h1>Sổ Vàng</h1><p>{}</p></main></body></html>",
        t.lang, t.not_found
    );
    (StatusCode::NOT_FOUND, Html(body)).into_response()
}

fn page_error(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "receipt page failed");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Html("<!doctype html><p>Sổ Vàng: error</p>"),
    )
        .into_response()
}

/// A QR code, as SVG, for `url`.
fn qr_svg(url: &str) -> Option<String> {
    let code = qrcode::QrCode::new(url.as_bytes()).ok()?;
    Some(
        code.render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(160, 160)
            .build(),
    )
}

async fn receipt(
    State(s): State<AppState>,
    Path(raw): Path<String>,
    Query(q): Query<LangQuery>,
) -> Response {
    let t = text(&q.lang);
    let Some(code) = normalise_verification_code(&raw) else {
        return not_found(t);
    };
    let r = match s.store.receipt(&code).await {
        Ok(Some(r)) => r,
        Ok(None) => return not_found(t),
        Err(e) => return page_error(e),
    };
    let entry: Value = match serde_json::from_str(&r.entry.canonical) {
        Ok(v) => v,
        Err(e) => return page_error(e),
    };
    let body = &entry["body"];
    let text_of = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let amount_raw = body["amount_vnd"]
        .as_str()
        .or_else(|| body["total_value_vnd"].as_str())
        .unwrap_or("0")
        .to_owned();
    let amount: u64 = amount_raw.parse().unwrap_or(0);
    let goods = body["items"].as_array().map(|items| {
        items
            .iter()
            .map(|l| {
                format!(
                    "{} {} {}",
                    text_of(&l["item"]),
                    text_of(&l["quantity"]),
                    text_of(&l["unit"])
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    });
    let fund = match s.fund(&r.fund_code).await {
        Ok(f) => f,
        Err(_) => return page_error("fund of a receipt is missing"),
    };
    let committee_name = match s.store.committee(&fund.committee_code).await {
        Ok(Some(c)) => c.name,
        _ => fund.committee_code.clone(),
    };
    let page_url = format!(
        "{}/r/{code}",
        s.settings.server.public_base_url.trim_end_matches('/')
    );
    let verify_text = serde_json::json!({
        "pass": t.pass, "fail": t.fail, "verified": t.verified, "failed": t.failed,
    })
    .to_string()
    .replace("</", "<\\/");
    let page = ReceiptPage {
        t,
        other_lang_href: format!("/r/{code}?lang={}", t.other_lang),
        receipt_no: r.receipt_no.clone(),
        code: code.clone(),
        voided: r.voided.is_some(),
        voided_reason: r.voided.as_ref().map(|(_, reason)| reason.clone()),
        donor: text_of(&body["donor"]["display"]),
        received_on: crate::http::vn_date(body["received_on"].as_str().unwrap_or_default()),
        goods,
        amount_figures: words::vnd(amount),
        amount_words: words::vnd_in_words(amount),
        amount_raw,
        campaign: body["campaign_id"].as_str().map(str::to_owned),
        committee_name,
        fund_name: fund.name,
        verifier_key: fund.verifier_key,
        qr_svg: qr_svg(&page_url).unwrap_or_default(),
        page_url,
        verify_text,
    };
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => page_error(e),
    }
}
