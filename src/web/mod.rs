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
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use crate::ledger::book::Campaign;
use crate::ledger::ids::normalise_verification_code;
use crate::ledger::kinds::Body;
use crate::service::reads::Page;
use crate::service::AppState;

/// The public pages of a fund's books: campaign, statement, where the money went.
pub mod books;
/// Charts drawn on the server as SVG, each beside its table.
pub mod charts;
/// The staff console: sign-in, forms, approvals.
pub mod console;
/// Giving by bank transfer: VietQR page and poster.
pub mod donate;
/// Pages that say why they could not be shown.
pub mod error;
/// The console's entry forms.
pub mod forms;
/// The ledger page: every entry of a fund in people's words.
pub mod ledger;
/// A campaign's public notice.
pub mod notice;
/// A committee's tree and year.
pub mod tree;
/// Amounts and dates as people read them.
pub mod words;

pub use error::{Missing, OrPage, PageError};

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(console::router())
        .route("/", get(home))
        .route("/f/{fund}", get(fund_page))
        .route("/f/{fund}/sao-ke", get(saoke_page))
        .route("/f/{fund}/c/{campaign}", get(books::campaign_page))
        .route("/f/{fund}/c/{campaign}/cong-khai", get(notice::notice_page))
        .route("/f/{fund}/bao-cao", get(books::statement_page))
        .route("/r/{code}", get(receipt))
        .route("/f/{fund}/g/{seq}", get(gift_page))
        .route("/f/{fund}/so-cai", get(ledger::ledger_page))
        .route("/f/{fund}/ung-ho", get(donate::donate_page))
        .route("/f/{fund}/ung-ho/in", get(donate::poster_page))
        .route("/tra-cuu", get(lookup))
        .route("/t/{committee}", get(tree::tree_page))
        .route("/static/verify.js", get(verify_js))
        .route("/static/site.css", get(site_css))
        .route("/static/forms.js", get(forms_js))
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

async fn forms_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        include_str!("../../static/forms.js"),
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
    pub step_key: &'static str,
    pub key_paper: &'static str,
    pub key_none: &'static str,
    pub verified_served: &'static str,
    pub step_witness: &'static str,
    pub witness_pending: &'static str,
    pub witness_none: &'static str,
    pub witness_refused: &'static str,
    pub key_id: &'static str,
    pub key_intro: &'static str,
    pub pass: &'static str,
    pub fail: &'static str,
    pub verified: &'static str,
    pub failed: &'static str,
    pub not_found: &'static str,
    pub footer: &'static str,
    pub funds: &'static str,
    pub home_intro: &'static str,
    pub committee: &'static str,
    pub fund: &'static str,
    pub entries: &'static str,
    pub balance: &'static str,
    pub reserved: &'static str,
    pub available: &'static str,
    pub gifts: &'static str,
    pub saoke: &'static str,
    pub campaigns: &'static str,
    pub open: &'static str,
    pub closed: &'static str,
    pub stock: &'static str,
    pub item: &'static str,
    pub quantity: &'static str,
    pub value: &'static str,
    pub statement: &'static str,
    pub statement_intro: &'static str,
    pub where_went: &'static str,
    pub verify_ledger: &'static str,
    pub export: &'static str,
    pub search_donor: &'static str,
    pub from: &'static str,
    pub to: &'static str,
    pub min: &'static str,
    pub search: &'static str,
    pub next_page: &'static str,
    /// `{count}` gifts totalling `{amount}`.
    pub matched: &'static str,
    pub sign_in: &'static str,
    pub username: &'static str,
    pub password: &'static str,
    pub login_failed: &'static str,
    /// Said when sign-ins wait: `{minutes}` is replaced.
    pub login_wait: &'static str,
    pub sign_out: &'static str,
    pub console: &'static str,
    pub record_gift: &'static str,
    pub pending_title: &'static str,
    pub approve: &'static str,
    pub approved: &'static str,
    pub decision: &'static str,
    pub nothing_pending: &'static str,
    pub donor_kind: &'static str,
    pub individual: &'static str,
    pub organization: &'static str,
    pub anonymous: &'static str,
    pub channel: &'static str,
    pub cash: &'static str,
    pub bank_transfer: &'static str,
    pub qr_transfer: &'static str,
    pub e_wallet: &'static str,
    pub bank_ref: &'static str,
    pub save_and_print: &'static str,
    pub fix_errors: &'static str,
    pub audit: &'static str,
    pub verification: &'static str,
    pub findings: &'static str,
    pub no_findings: &'static str,
    pub household_record: &'static str,
    pub household_id: &'static str,
    pub read_logged: &'static str,
    pub access_log: &'static str,
    pub sound_ledger: &'static str,
    pub unsound_ledger: &'static str,
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
    step_key: "Khóa đã ký là khóa của quỹ ghi trên biên nhận giấy, cho đúng quỹ của bút toán",
    key_paper: "trên giấy",
    key_none: "đường dẫn không có mã khóa in trên biên nhận, nên chỉ kiểm được với khóa máy chủ đang công bố",
    verified_served: "Biên nhận có trong sổ và được ký bằng khóa máy chủ đang công bố; hãy đối chiếu mã khóa in trên biên nhận:",
    step_witness: "Ủy ban cấp trên đã chứng thực điểm kiểm tra này (chữ ký chứng thực)",
    witness_pending: "ủy ban cấp trên chưa chứng thực điểm kiểm tra có biên nhận này; hãy xem lại sau ít phút",
    witness_none: "quỹ của ủy ban cấp cao nhất: không có ủy ban cấp trên chứng thực",
    witness_refused: "ủy ban cấp trên đã từ chối một điểm kiểm tra của quỹ",
    key_id: "Mã khóa của quỹ",
    key_intro: "Khóa xác minh của quỹ (đối chiếu với khóa Ủy ban công bố):",
    pass: "Đạt",
    fail: "Không đạt",
    verified: "Biên nhận này có trong sổ của quỹ và được quỹ ký xác nhận.",
    failed: "Không xác minh được biên nhận này. Xin báo cho Ủy ban MTTQ.",
    not_found: "Không có biên nhận nào với mã xác minh này.",
    footer: "Sổ Vàng: sổ công khai, không sửa được, của Quỹ \"Vì người nghèo\" và Quỹ Cứu trợ.",
    funds: "Các quỹ",
    home_intro:
        "Mọi khoản thu, chi của các quỹ được ghi vào sổ công khai; ai cũng có thể kiểm tra.",
    committee: "Ủy ban",
    fund: "Quỹ",
    entries: "Số bút toán",
    balance: "Số dư",
    reserved: "Đang chờ duyệt chi",
    available: "Có thể chi",
    gifts: "Số khoản ủng hộ",
    saoke: "Sao kê các khoản ủng hộ",
    campaigns: "Các đợt vận động",
    open: "đang vận động",
    closed: "đã kết thúc",
    stock: "Hàng hóa trong kho",
    item: "Mặt hàng",
    quantity: "Số lượng",
    value: "Giá trị",
    statement: "Báo cáo thu chi",
    statement_intro: "Báo cáo nguồn thu và sử dụng, tính lại từ sổ:",
    where_went: "Tiền đã đi đâu",
    verify_ledger: "Kiểm tra sổ",
    export: "Tải toàn bộ sổ (NDJSON) để kiểm tra bằng sovang verify --bundle",
    search_donor: "Tên nhà hảo tâm",
    from: "Từ ngày",
    to: "Đến ngày",
    min: "Số tiền từ",
    search: "Tìm",
    next_page: "Trang sau",
    matched: "{count} khoản ủng hộ, tổng cộng {amount}",
    sign_in: "Đăng nhập",
    username: "Tên đăng nhập",
    password: "Mật khẩu",
    login_failed: "Tên đăng nhập hoặc mật khẩu không đúng.",
    login_wait: "Đã nhập sai quá nhiều lần. Xin thử lại sau {minutes} phút.",
    sign_out: "Đăng xuất",
    console: "Bàn làm việc",
    record_gift: "Ghi nhận khoản ủng hộ",
    pending_title: "Khoản chi chờ duyệt",
    approve: "Duyệt",
    approved: "Đã duyệt:",
    decision: "Số quyết định",
    nothing_pending: "Không có khoản chi nào chờ duyệt.",
    donor_kind: "Loại nhà hảo tâm",
    individual: "Cá nhân",
    organization: "Tổ chức, doanh nghiệp",
    anonymous: "Ẩn danh",
    channel: "Hình thức",
    cash: "Tiền mặt",
    bank_transfer: "Chuyển khoản",
    qr_transfer: "Quét mã QR",
    e_wallet: "Ví điện tử",
    bank_ref: "Mã giao dịch ngân hàng",
    save_and_print: "Ghi sổ và in biên nhận",
    fix_errors: "Chưa ghi được: xin sửa các ô báo lỗi dưới đây.",
    audit: "Kiểm tra quỹ",
    verification: "Xác minh sổ",
    findings: "Các điểm cần xem lại",
    no_findings: "Không có điểm nào cần xem lại.",
    household_record: "Hồ sơ riêng của hộ (mỗi lần xem đều được ghi lại)",
    household_id: "Mã hộ",
    read_logged: "Xem (có ghi nhật ký)",
    access_log: "Nhật ký xem hồ sơ riêng",
    sound_ledger: "Sổ toàn vẹn: {size} bút toán, các chữ ký và gốc Merkle đều đúng.",
    unsound_ledger: "Sổ KHÔNG toàn vẹn, từ bút toán #{seq}: {reason}",
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
    step_key: "The key that signed is the fund's key printed on the paper receipt, for the entry's own fund",
    key_paper: "on paper",
    key_none: "the link carries no key id from a paper receipt, so only the key this server shows now was checked",
    verified_served: "The receipt is in the ledger, signed with the key this server shows now; compare the key id printed on the receipt:",
    step_witness: "The committee above vouched for this checkpoint (its cosignature)",
    witness_pending: "the committee above has not yet cosigned a checkpoint holding this receipt; look again in a few minutes",
    witness_none: "a fund of the top committee: no committee above witnesses it",
    witness_refused: "the committee above refused a checkpoint of this fund",
    key_id: "The fund's key id",
    key_intro: "The fund's verifier key (compare it with the one the committee published):",
    pass: "passed",
    fail: "FAILED",
    verified: "This receipt is in the fund's ledger, signed by the fund.",
    failed: "This receipt could not be verified. Please tell the Front committee.",
    not_found: "There is no receipt with this verification code.",
    footer: "Sổ Vàng: the public, append-only ledger of the For the Poor and Relief funds.",
    funds: "Funds",
    home_intro: "Every gift and every payment of these funds is written in a public ledger that anyone can check.",
    committee: "Committee",
    fund: "Fund",
    entries: "Entries",
    balance: "Balance",
    reserved: "Awaiting approval",
    available: "Available",
    gifts: "Gifts",
    saoke: "Statement of gifts",
    campaigns: "Campaigns",
    open: "open",
    closed: "closed",
    stock: "Goods in stock",
    item: "Item",
    quantity: "Quantity",
    value: "Value",
    statement: "Sources and uses",
    statement_intro: "The statement of sources and uses, recomputed from the ledger:",
    where_went: "Where the money went",
    verify_ledger: "Verify the ledger",
    export: "Download the whole ledger (NDJSON) to check with sovang verify --bundle",
    search_donor: "Donor's name",
    from: "From",
    to: "To",
    min: "Amount from",
    search: "Search",
    next_page: "Next page",
    matched: "{count} gifts, {amount} in all",
    sign_in: "Sign in",
    username: "Username",
    password: "Password",
    login_failed: "The username or password is wrong.",
    login_wait: "Too many wrong attempts. Please try again in {minutes} minutes.",
    sign_out: "Sign out",
    console: "Console",
    record_gift: "Record a gift",
    pending_title: "Distributions awaiting approval",
    approve: "Approve",
    approved: "Approved:",
    decision: "Decision",
    nothing_pending: "Nothing awaits approval.",
    donor_kind: "Donor is",
    individual: "a person",
    organization: "an organisation or business",
    anonymous: "anonymous",
    channel: "Channel",
    cash: "Cash",
    bank_transfer: "Bank transfer",
    qr_transfer: "QR transfer",
    e_wallet: "E-wallet",
    bank_ref: "Bank transaction reference",
    save_and_print: "Record and print the receipt",
    fix_errors: "Not recorded: please correct the fields marked below.",
    audit: "Audit the fund",
    verification: "Verification",
    findings: "Findings",
    no_findings: "Nothing to look at again.",
    household_record: "A household's private record (every read is logged)",
    household_id: "Household id",
    read_logged: "Read (logged)",
    access_log: "Reads of private records",
    sound_ledger: "The ledger is sound: {size} entries, signatures and Merkle root all correct.",
    unsound_ledger: "The ledger is NOT sound, from entry #{seq}: {reason}",
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
    /// "Số tiền" for cash, "Giá trị" for goods.
    amount_label: &'static str,
    amount_figures: String,
    amount_words: String,
    campaign: Option<String>,
    committee_name: String,
    fund_name: String,
    verifier_key: String,
    fund_code: String,
    /// The fund key's id, printed and carried by the QR link.
    key_id: String,
    qr_svg: String,
    page_url: String,
    verify_text: String,
    /// Where the page's script fetches the proof: the receipt's API, or
    /// the gift's by seq for a gift found in the public statement.
    proof_url: String,
    /// False on a gift's page by seq: its verification code stays the
    /// donor's, so no code, QR or link to the receipt is shown.
    show_code: bool,
}

fn not_found(t: &'static Text) -> Response {
    PageError::not_found(t, Missing::Page, "").into_response()
}

fn page_error(e: impl std::fmt::Display) -> Response {
    PageError::internal(e).into_response()
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

/// What a receipt shows of its gift, cash or in kind.
struct ReceiptGift<'a> {
    amount: u64,
    donor: &'a str,
    received_on: crate::ledger::values::Day,
    campaign: Option<&'a crate::ledger::ids::Id>,
    goods: Option<String>,
}

/// The home page's receipt lookup: the code as typed (any case, with or
/// without hyphens or spaces) to its receipt page, or the page that says
/// no receipt has it.
async fn lookup(Query(q): Query<Vec<(String, String)>>) -> Result<Response, PageError> {
    let t = lang_of(&q);
    let raw = q
        .iter()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default();
    match normalise_verification_code(&raw) {
        Some(code) => {
            Ok(axum::response::Redirect::to(&format!("/r/{code}?lang={}", t.lang)).into_response())
        }
        None => Err(PageError::not_found(t, Missing::Receipt, &raw)),
    }
}

async fn receipt(
    State(s): State<AppState>,
    Path(raw): Path<String>,
    Query(q): Query<LangQuery>,
) -> Result<Response, PageError> {
    let t = text(&q.lang);
    let Some(code) = normalise_verification_code(&raw) else {
        return Err(PageError::not_found(t, Missing::Receipt, &raw));
    };
    let r = match s.store.receipt(&code).await {
        Ok(Some(r)) => r,
        Ok(None) => return Err(PageError::not_found(t, Missing::Receipt, &code)),
        Err(e) => return Err(e.into()),
    };
    receipt_page(&s, t, r, true).await
}

/// A gift of the public statement by its seq, checked in the browser like
/// a receipt (SPEC §10: a donor who paid by transfer holds no paper).
async fn gift_page(
    State(s): State<AppState>,
    Path((fund, seq)): Path<(String, String)>,
    Query(q): Query<LangQuery>,
) -> Result<Response, PageError> {
    let t = text(&q.lang);
    let Some(seq) = seq.parse::<u64>().ok() else {
        return Err(PageError::not_found(t, Missing::Page, &seq));
    };
    let r = match s.store.gift_by_seq(&fund, seq).await {
        Ok(Some(r)) => r,
        Ok(None) => {
            return Err(PageError::not_found(
                t,
                Missing::Page,
                &format!("{fund}/{seq}"),
            ))
        }
        Err(e) => return Err(e.into()),
    };
    receipt_page(&s, t, r, false).await
}

async fn receipt_page(
    s: &AppState,
    t: &'static Text,
    r: crate::store::Receipt,
    show_code: bool,
) -> Result<Response, PageError> {
    let code = r.code.clone();
    let body = crate::ledger::replay::read_entry(&r.entry.canonical)
        .map_err(PageError::internal)?
        .body;
    let gift = match &body {
        Body::DonationCash(b) => ReceiptGift {
            amount: b.amount_vnd.get(),
            donor: b.donor.display.as_str(),
            received_on: b.received_on,
            campaign: b.campaign_id.as_ref(),
            goods: None,
        },
        Body::DonationInKind(b) => ReceiptGift {
            amount: b.total_value_vnd.get(),
            donor: b.donor.display.as_str(),
            received_on: b.received_on,
            campaign: b.campaign_id.as_ref(),
            goods: Some(
                b.items
                    .iter()
                    .map(|l| {
                        // What the donor gave, in its description's words
                        // when the clerk wrote one, not the stock code.
                        let what = l
                            .description
                            .as_ref()
                            .map_or(l.item.as_str(), |d| d.as_str());
                        format!("{what} {} {}", l.quantity.0, l.unit.as_str())
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
        },
        other => {
            return Err(PageError::internal(format!(
                "receipt {code} names entry {} of kind {}, not a gift",
                r.entry.seq,
                other.kind().as_str()
            )))
        }
    };
    let fund = match s.fund(&r.fund_code).await {
        Ok(f) => f,
        Err(e) => {
            return Err(PageError::internal(format!(
                "the fund of receipt {code} could not be read: {e}"
            )))
        }
    };
    let committee_name = match s.store.committee(&fund.committee_code).await {
        Ok(Some(c)) => c.name,
        _ => fund.committee_code.clone(),
    };
    // The link on paper names the fund's key, so the donor's browser can
    // tell the key that signed the ledger from one the server shows now.
    let key_id = crate::ledger::checkpoint::key_id_of(&fund.verifier_key)
        .unwrap_or_default()
        .to_owned();
    let base = s.settings.server.public_base_url.trim_end_matches('/');
    let (page_url, proof_url, other_lang_href) = if show_code {
        (
            format!("{base}/r/{code}?k={key_id}"),
            format!("/api/v1/receipts/{code}"),
            format!("/r/{code}?lang={}", t.other_lang),
        )
    } else {
        (
            format!("{base}/f/{}/g/{}", fund.code, r.entry.seq),
            format!("/api/v1/funds/{}/gifts/{}", fund.code, r.entry.seq),
            format!("/f/{}/g/{}?lang={}", fund.code, r.entry.seq, t.other_lang),
        )
    };
    let verify_text = serde_json::json!({
        "pass": t.pass, "fail": t.fail, "verified": t.verified, "failed": t.failed,
        "key_paper": t.key_paper, "key_none": t.key_none, "verified_served": t.verified_served,
        "witness_pending": t.witness_pending, "witness_none": t.witness_none,
        "witness_refused": t.witness_refused,
    })
    .to_string()
    .replace("</", "<\\/");
    let page = ReceiptPage {
        t,
        other_lang_href,
        receipt_no: r.receipt_no.clone(),
        code: code.clone(),
        voided: r.voided.is_some(),
        voided_reason: r.voided.as_ref().map(|(_, reason)| reason.clone()),
        donor: gift.donor.to_owned(),
        received_on: crate::format::vn_date(&crate::ledger::ids::format_date(gift.received_on.0)),
        amount_label: if gift.goods.is_some() {
            t.pick("Giá trị", "Value")
        } else {
            t.amount
        },
        goods: gift.goods,
        amount_figures: words::vnd(gift.amount),
        amount_words: words::vnd_in_words(gift.amount),
        amount_raw: gift.amount.to_string(),
        campaign: match gift.campaign {
            Some(id) => Some(campaign_name(s, &r.fund_code, id.as_str()).await),
            None => None,
        },
        committee_name,
        fund_name: fund.name,
        verifier_key: fund.verifier_key,
        fund_code: fund.code.clone(),
        key_id,
        qr_svg: if show_code {
            qr_svg(&page_url).unwrap_or_default()
        } else {
            String::new()
        },
        page_url,
        verify_text,
        proof_url,
        show_code,
    };
    Ok(html(page))
}

/// A campaign's name, or its id when it cannot be read.
async fn campaign_name(s: &AppState, fund: &str, id: &str) -> String {
    let found = s.store.object(fund, "campaign", id).await;
    found
        .ok()
        .flatten()
        .and_then(|data| serde_json::from_str::<Campaign>(&data).ok())
        .map_or_else(|| id.to_owned(), |c| c.name)
}

/// `path?query` with `lang` set to the other language.
fn other_lang(t: &Text, path: &str, query: &[(String, String)]) -> String {
    let mut q: Vec<String> = query
        .iter()
        .filter(|(k, _)| k != "lang")
        .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
        .collect();
    q.push(format!("lang={}", t.other_lang));
    format!("{path}?{}", q.join("&"))
}

fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn html<T: Template>(page: T) -> Response {
    match page.render() {
        Ok(body) => Html(body).into_response(),
        Err(e) => page_error(e),
    }
}

/// The language a raw query string asks for (`lang=en`), Vietnamese by
/// default.
pub fn lang_of_query(query: &str) -> &'static Text {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
    lang_of(&pairs)
}

fn lang_of(query: &[(String, String)]) -> &'static Text {
    let lang = query
        .iter()
        .find(|(k, _)| k == "lang")
        .map(|(_, v)| v.clone());
    text(&lang)
}

struct FundRow {
    code: String,
    name: String,
    committee_name: String,
    committee_code: String,
    size: u64,
    balance: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    t: &'static Text,
    other_lang_href: String,
    funds: Vec<FundRow>,
}

/// The list of committees' funds, with their balances.
async fn home(
    State(s): State<AppState>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let t = lang_of(&q);
    let funds = s.store.funds().await?;
    let committees = s.store.committees().await?;
    let name_of = |code: &str| {
        committees
            .iter()
            .find(|c| c.code == code)
            .map_or(code.to_owned(), |c| c.name.clone())
    };
    let mut rows: Vec<(String, FundRow)> = funds
        .into_iter()
        .map(|(f, head)| {
            let path = committees
                .iter()
                .find(|c| c.code == f.committee_code)
                .map(|c| c.path.clone())
                .unwrap_or_default();
            (
                path,
                FundRow {
                    committee_name: name_of(&f.committee_code),
                    committee_code: f.committee_code,
                    code: f.code,
                    name: f.name,
                    size: head.size,
                    balance: books::vnd_sum(head.balance_vnd),
                },
            )
        })
        .collect();
    // The committee tree in order: a province, then its communes.
    rows.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.code.cmp(&b.1.code)));
    Ok(html(HomePage {
        t,
        other_lang_href: other_lang(t, "/", &q),
        funds: rows.into_iter().map(|(_, r)| r).collect(),
    }))
}

struct CampaignRow {
    id: String,
    name: String,
    window: String,
    status: &'static str,
    received: String,
    target: Option<String>,
    percent: u64,
    /// The progress bar's fill: the percentage, at most 100.
    bar: u64,
}

struct StockRow {
    item: String,
    unit: String,
    quantity: String,
    value: String,
}

#[derive(Template)]
#[template(path = "fund.html")]
struct FundPage {
    t: &'static Text,
    other_lang_href: String,
    code: String,
    name: String,
    committee_name: String,
    balance: String,
    reserved: String,
    available: String,
    gift_count: u64,
    size: u64,
    campaigns: Vec<CampaignRow>,
    stock: Vec<StockRow>,
    verifier_key: String,
    went: books::WentView,
    periods: Vec<(String, String)>,
    gifts: Vec<books::GiftRow>,
    statements: Vec<SealedRow>,
    has_accounts: bool,
    /// The fund's cash over the last year (SVG) and its rows.
    balance_chart: String,
    balances: Vec<(String, String)>,
    sponsors: Vec<tree::SponsorRow>,
    left: Vec<tree::LeftRow>,
    min_households: u64,
}

/// A bank statement sealed on the ledger, beside the gifts it is.
struct SealedRow {
    account: String,
    days: String,
    lines: u64,
    credits: String,
    gifts: String,
    not_gifts: String,
    /// Whether the gifts (and credits settled as not gifts) are every
    /// credit of the bank's statement, in count and sum.
    matched: bool,
    status: String,
    seq: u64,
}

/// The fund's sealed statements as the fund page lists them.
async fn sealed_rows(s: &AppState, t: &Text, fund: &str) -> Result<Vec<SealedRow>, PageError> {
    let list = crate::service::bank::fund_statements(s, fund)
        .await
        .map_err(PageError::internal)?;
    Ok(list
        .iter()
        .rev()
        .take(50)
        .map(|st| {
            let matched = st.review_credit_lines == 0
                && st.gifts + st.not_gift_lines == st.credit_lines
                && st.gifts_vnd + st.not_gifts_vnd == st.credits_vnd;
            let status = if matched {
                t.pick(
                    "Khớp: mọi khoản có của ngân hàng đã vào sổ",
                    "Matches: every credit is in the books",
                )
                .to_owned()
            } else {
                t.pick(
                    "Còn {n} khoản có ({amount}) chờ cán bộ xử lý",
                    "{n} credits ({amount}) wait for a clerk",
                )
                .replace("{n}", &st.review_credit_lines.to_string())
                .replace("{amount}", &books::vnd_sum(st.review_credits_vnd))
            };
            SealedRow {
                account: st.account_no.clone(),
                days: format!(
                    "{} – {}",
                    crate::format::vn_date(&st.first_day),
                    crate::format::vn_date(&st.last_day)
                ),
                lines: st.lines,
                credits: format!("{} · {}", st.credit_lines, books::vnd_sum(st.credits_vnd)),
                gifts: format!("{} · {}", st.gifts, books::vnd_sum(st.gifts_vnd)),
                not_gifts: format!(
                    "{} · {}",
                    st.not_gift_lines,
                    books::vnd_sum(st.not_gifts_vnd)
                ),
                matched,
                status,
                seq: st.seq,
            }
        })
        .collect())
}

/// Most campaigns the fund page lists.
const CAMPAIGNS_SHOWN_MAX: u64 = 100;

/// A fund: its figures, campaigns with progress, stock, and where to read
/// and check the rest.
async fn fund_page(
    State(s): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let t = lang_of(&q);
    let fund = s.fund(&code).await.or_page(t, Missing::Fund, &code)?;
    // Every fund has figures from its opening on: none is a fault.
    let summary = s
        .summary(&fund.code)
        .await
        .map_err(PageError::internal)?
        .ok_or_else(|| PageError::internal(format!("fund {} has no figures", fund.code)))?;
    let head = s.store.fund_head(&fund.code).await?;
    let campaigns: Page<Campaign> = s
        .objects(&fund.code, Default::default(), CAMPAIGNS_SHOWN_MAX)
        .await
        .map_err(PageError::internal)?;
    let stock = s.stock(&fund.code).await.map_err(PageError::internal)?;
    let committee = s.store.committee(&fund.committee_code).await?;
    let campaigns = campaigns
        .items
        .iter()
        .map(|c| CampaignRow {
            id: c.campaign_id.clone(),
            name: c.name.clone(),
            window: format!(
                "{} – {}",
                crate::format::vn_date(&c.starts_on),
                crate::format::vn_date(&c.ends_on)
            ),
            status: books::phase_text(
                t,
                c.phase(&crate::ledger::ids::format_date(
                    crate::ledger::ids::today_in_vietnam(time::OffsetDateTime::now_utc()),
                )),
            ),
            received: books::vnd_sum(c.received_vnd()),
            target: c.target().map(books::vnd_sum),
            percent: c.progress_percent().unwrap_or(0),
            bar: c.progress_percent().unwrap_or(0).min(100),
        })
        .collect();
    let stock = stock
        .into_iter()
        .map(|l| StockRow {
            quantity: l.line.quantity.to_string(),
            value: books::vnd_sum(l.line.value_vnd),
            item: l.line.item,
            unit: l.line.unit,
        })
        .collect();
    let went = books::fund_went(&s, t, &fund.code).await?;
    let gifts = books::latest_gifts(&s, t, &fund.code, None).await?;
    let today = crate::ledger::ids::today_in_vietnam(time::OffsetDateTime::now_utc());
    let (balance_chart, balances) = books::balance_view(&s, t, &fund.code, today).await?;
    let statements = sealed_rows(&s, t, &fund.code).await?;
    let (sponsors, left) = {
        let books = s
            .page_books(&fund.code)
            .await
            .map_err(PageError::internal)?;
        tree::outcome_rows(t, &books.book, s.min_public_households(), None)
    };
    let has_accounts = !crate::service::bank::fund_accounts(&s, &fund.code)
        .await
        .map_err(PageError::internal)?
        .is_empty();
    Ok(html(FundPage {
        min_households: s.min_public_households(),
        sponsors,
        left,
        balance_chart,
        balances,
        went,
        gifts,
        statements,
        has_accounts,
        periods: books::period_links(t, &fund.code, today),
        t,
        other_lang_href: other_lang(t, &format!("/f/{}", fund.code), &q),
        name: fund.name,
        committee_name: committee.map_or(fund.committee_code.clone(), |c| c.name),
        balance: books::vnd_sum(summary.balance_vnd),
        reserved: books::vnd_sum(summary.reserved_vnd),
        available: books::vnd_sum(summary.available_vnd),
        gift_count: summary.totals.gifts,
        size: head.map_or(0, |h| h.size),
        campaigns,
        stock,
        verifier_key: fund.verifier_key,
        code: fund.code,
    }))
}

#[derive(Template)]
#[template(path = "saoke.html")]
struct SaokePage {
    t: &'static Text,
    other_lang_href: String,
    code: String,
    name: String,
    q: String,
    from: String,
    to: String,
    min_vnd: String,
    max_vnd: String,
    bank_ref: String,
    error: Option<String>,
    matched: String,
    gifts: Vec<books::GiftRow>,
    campaign: String,
    csv_href: String,
    xlsx_href: String,
    next_href: Option<String>,
}

/// Gifts shown per page of the statement.
const SAOKE_PAGE: u64 = 100;

/// A sum the database wrote as a decimal string, as people read it; a
/// sum that is not one is an error, not zero.
fn amount_text(sum: &str) -> Result<String, PageError> {
    sum.parse::<crate::ledger::money::SumVnd>()
        .map(books::vnd_sum)
        .map_err(|_| PageError::internal(format!("a sum of gifts reads {sum:?}")))
}

/// The statement of gifts, searchable as people type.
async fn saoke_page(
    State(s): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let t = lang_of(&q);
    let fund = s.fund(&code).await.or_page(t, Missing::Fund, &code)?;
    // A form sends its empty fields too; they ask for nothing.
    let params: std::collections::HashMap<String, String> = q
        .iter()
        .filter(|(k, v)| k != "lang" && !v.trim().is_empty())
        .cloned()
        .collect();
    let field = |k: &str| params.get(k).cloned().unwrap_or_default();
    let search: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k.as_str() != "cursor")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let api_query = |format: &str| {
        let mut parts: Vec<String> = search
            .iter()
            .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
            .collect();
        parts.push(format!("format={format}"));
        format!("/api/v1/funds/{}/donations?{}", fund.code, parts.join("&"))
    };
    let mut page = SaokePage {
        t,
        other_lang_href: other_lang(t, &format!("/f/{}/sao-ke", fund.code), &q),
        code: fund.code.clone(),
        name: fund.name.clone(),
        q: field("q"),
        from: field("from"),
        to: field("to"),
        min_vnd: field("min_vnd"),
        max_vnd: field("max_vnd"),
        bank_ref: field("bank_ref"),
        error: None,
        matched: String::new(),
        gifts: Vec::new(),
        campaign: field("campaign"),
        csv_href: api_query("csv"),
        xlsx_href: api_query("xlsx"),
        next_href: None,
    };
    let mut filter_params = params.clone();
    // Amounts as people type them: 1.000.000, 1 000 000 ₫.
    for name in ["min_vnd", "max_vnd"] {
        if let Some(raw) = filter_params.get(name).cloned() {
            match crate::web::forms::money_digits(t, &raw) {
                Ok(digits) => {
                    filter_params.insert(name.to_owned(), digits);
                }
                Err(e) => {
                    page.error = Some(e);
                    return Ok(html(page));
                }
            }
        }
    }
    let cursor = filter_params
        .remove("cursor")
        .and_then(|c| c.parse::<u64>().ok());
    let filter = match crate::store::donations::DonationFilter::from_query(&filter_params) {
        Ok(f) => f,
        Err(e) => {
            page.error = Some(e);
            return Ok(html(page));
        }
    };
    let rows = match s
        .store
        .donations(&fund.code, &filter, cursor, SAOKE_PAGE)
        .await
    {
        Ok(r) => r,
        Err(e) => return Err(PageError::internal(e)),
    };
    let matched = match s.store.donations_matched(&fund.code, &filter).await {
        Ok(m) => m,
        Err(e) => return Err(PageError::internal(e)),
    };
    page.matched = t
        .matched
        .replace("{count}", &matched.count.to_string())
        .replace("{amount}", &amount_text(&matched.amount_vnd)?);
    // The rows include voided gifts: say how many, so counts match rows.
    if matched.voided_count > 0 {
        page.matched.push_str(
            &t.pick(
                "; và {count} khoản đã hủy ({amount}), không tính vào tổng",
                "; and {count} voided ({amount}), not counted",
            )
            .replace("{count}", &matched.voided_count.to_string())
            .replace("{amount}", &amount_text(&matched.voided_amount_vnd)?),
        );
    }
    if rows.len() as u64 == SAOKE_PAGE {
        if let Some(last) = rows.last().map(|r| r.seq) {
            let mut parts: Vec<String> = search
                .iter()
                .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
                .collect();
            parts.push(format!("cursor={last}"));
            parts.push(format!("lang={}", t.lang));
            page.next_href = Some(format!("/f/{}/sao-ke?{}", fund.code, parts.join("&")));
        }
    }
    page.gifts = books::gift_rows(t, &fund.code, &rows);
    Ok(html(page))
}
