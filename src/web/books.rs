//! The public pages of a fund's books: a campaign, the statement of a
//! period, where the money went, and the latest gifts, all read from the
//! same books the API serves.
//!
//! Where the money went is read from the fund's books kept folded in
//! memory ([`crate::service::AppState::folded`]), so it costs no more on a
//! fund of 100,000 entries than on a new one. The statement of a period
//! is the API's own ([`crate::service::AppState::statement`]): folded from
//! the ledger up to the period's end, and kept while it stays true.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use time::Date;

use super::charts;
use super::forms::support_type;
use super::words::vnd;
use super::{html, lang_of, other_lang, urlencode, Missing, OrPage, PageError, Text};
use crate::ledger::book::CampaignStatus;
use crate::ledger::ids::{format_date, parse_date, today_in_vietnam};
use crate::ledger::money::SumVnd;
use crate::ledger::uses::{where_it_went, Places, WhereItWent};
use crate::service::AppState;
use crate::store::donations::{DonationFilter, Gift};

/// A campaign's phase in the reader's words.
pub fn phase_text(t: &Text, phase: crate::ledger::book::CampaignPhase) -> &'static str {
    use crate::ledger::book::CampaignPhase as P;
    match phase {
        P::Upcoming => t.pick("chưa bắt đầu", "not started yet"),
        P::Open => t.open,
        P::Ended => t.pick("đã hết hạn nhận ủng hộ", "no longer taking gifts"),
        P::Closed => t.closed,
    }
}

/// `1.500.000 ₫`, or `−1.500.000 ₫` below zero.
pub fn vnd_sum(amount: SumVnd) -> String {
    let figure = vnd(u64::try_from(amount.unsigned_abs()).unwrap_or(u64::MAX));
    if amount < 0 {
        format!("−{figure}")
    } else {
        figure
    }
}

/// One gift in a list of gifts.
pub struct GiftRow {
    pub receipt_no: String,
    pub received_on: String,
    pub donor: String,
    pub amount: String,
    pub goods: Option<String>,
    pub status: &'static str,
    /// Why a voided gift was voided.
    pub voided_reason: Option<String>,
    /// The bank's reference of a transfer, to find it by.
    pub bank_ref: Option<String>,
    /// The gift's page, where the browser checks its proof.
    pub href: String,
}

/// Gifts as the statement of gifts has them.
pub fn gift_rows(t: &Text, fund: &str, rows: &[Gift]) -> Vec<GiftRow> {
    rows.iter()
        .map(|r| GiftRow {
            bank_ref: r.bank_ref.clone(),
            href: format!("/f/{fund}/g/{}?lang={}", r.seq, t.lang),
            receipt_no: r.receipt_no.clone(),
            received_on: crate::format::vn_date(&r.received_on),
            donor: r.donor.display.clone(),
            amount: vnd_sum(SumVnd::from(r.amount_vnd)),
            goods: r.goods.clone(),
            status: if r.is_voided() { t.voided } else { t.valid },
            voided_reason: r.voided_reason.clone().filter(|_| r.is_voided()),
        })
        .collect()
}

/// One kind of support given.
pub struct SupportRow {
    pub label: &'static str,
    pub distributions: u64,
    pub households: u64,
    pub cash: String,
    pub goods: String,
    /// Cash and goods together: the bar the chart draws.
    pub total: String,
}

/// Where the money went, as the pages show it.
pub struct WentView {
    pub gifts: u64,
    pub came_cash: String,
    pub came_goods: String,
    pub transfers_in: String,
    pub given_cash: String,
    pub given_goods: String,
    pub distributions: u64,
    pub households: u64,
    pub rows: Vec<SupportRow>,
    pub pending: u64,
    pub pending_vnd: String,
    pub transfers_out: String,
    pub expenses: String,
    pub balance: String,
    pub stock_value: String,
    pub houses_built: u64,
    pub houses_repaired: u64,
    pub tet_gifts: u64,
    /// For the whole fund (transfers, expenses, balance shown).
    pub whole_fund: bool,
    /// The rows as bars (SVG), empty when there are none.
    pub chart: String,
    /// Given by commune: (commune, households, cash and goods), and as
    /// bars.
    pub communes: Vec<(String, u64, String)>,
    pub commune_chart: String,
}

/// A sum as a chart's length: nothing below 0.
fn length(v: SumVnd) -> u64 {
    u64::try_from(v.max(0)).unwrap_or(u64::MAX)
}

pub fn went_view(t: &Text, w: &WhereItWent) -> WentView {
    let marks: Vec<charts::Mark> = w
        .uses
        .by_support_type
        .iter()
        .map(|(code, g)| charts::Mark {
            label: support_type(t, code).to_owned(),
            value: length(g.cash_vnd + g.goods_vnd),
            shown: vnd_sum(g.cash_vnd + g.goods_vnd),
        })
        .collect();
    let chart = charts::bars(
        "chart-support",
        "by-support",
        t.pick(
            "Tiền và hàng đã trao, theo hình thức hỗ trợ",
            "Cash and goods given, by kind of support",
        ),
        &marks,
    );
    let by_commune: Vec<(String, u64, SumVnd)> = w
        .uses
        .by_place
        .iter()
        .map(|(commune, hamlets)| {
            let (households, value) = hamlets.values().fold((0, 0), |(h, v), g| {
                (h + g.households, v + g.cash_vnd + g.goods_vnd)
            });
            (commune.clone(), households, value)
        })
        .collect();
    let commune_marks: Vec<charts::Mark> = by_commune
        .iter()
        .map(|(commune, _, value)| charts::Mark {
            label: commune.clone(),
            value: length(*value),
            shown: vnd_sum(*value),
        })
        .collect();
    let commune_chart = charts::bars(
        "chart-commune",
        "by-commune",
        t.pick(
            "Tiền và hàng đã trao, theo xã, phường",
            "Cash and goods given, by commune",
        ),
        &commune_marks,
    );
    WentView {
        chart,
        commune_chart,
        communes: by_commune
            .into_iter()
            .map(|(c, h, v)| (c, h, vnd_sum(v)))
            .collect(),
        gifts: w.sources.gifts,
        came_cash: vnd_sum(w.sources.cash_vnd),
        came_goods: vnd_sum(w.sources.goods_vnd),
        transfers_in: vnd_sum(w.sources.transfers_in_vnd),
        given_cash: vnd_sum(w.uses.total.cash_vnd),
        given_goods: vnd_sum(w.uses.total.goods_vnd),
        distributions: w.uses.total.distributions,
        households: w.uses.total.households,
        rows: w
            .uses
            .by_support_type
            .iter()
            .map(|(code, g)| SupportRow {
                label: support_type(t, code),
                distributions: g.distributions,
                households: g.households,
                cash: vnd_sum(g.cash_vnd),
                goods: vnd_sum(g.goods_vnd),
                total: vnd_sum(g.cash_vnd + g.goods_vnd),
            })
            .collect(),
        pending: w.pending.distributions,
        pending_vnd: vnd_sum(w.pending.cash_vnd + w.pending.goods_vnd),
        transfers_out: vnd_sum(w.uses.transfers_out_vnd),
        expenses: vnd_sum(w.uses.expenses_vnd),
        balance: vnd_sum(w.balance_vnd),
        stock_value: vnd_sum(w.stock_value_vnd),
        houses_built: w.uses.houses_built,
        houses_repaired: w.uses.houses_repaired,
        tet_gifts: w.uses.tet_gifts,
        whole_fund: w.campaign_id.is_none(),
    }
}

/// The fund's cash at the end of each day of the last year it recorded
/// something: the chart and its rows (day, balance).
pub async fn balance_view(
    s: &AppState,
    t: &Text,
    fund: &str,
    today: Date,
) -> Result<(String, Vec<(String, String)>), PageError> {
    let from = today.saturating_sub(time::Duration::days(365));
    let days = s
        .store
        .period_days(fund, &format_date(from), &format_date(today))
        .await?;
    let marks: Vec<charts::Mark> = days
        .days
        .iter()
        .map(|d| charts::Mark {
            label: crate::format::vn_date(&d.day),
            value: length(d.closing.balance_vnd),
            shown: vnd_sum(d.closing.balance_vnd),
        })
        .collect();
    let rows = marks
        .iter()
        .map(|m| (m.label.clone(), m.shown.clone()))
        .collect();
    let svg = charts::line(
        "chart-balance",
        "by-balance",
        t.pick(
            "Số dư tiền của quỹ cuối mỗi ngày, trong một năm qua",
            "The fund's cash at the end of each day, over the last year",
        ),
        &marks,
        None,
    );
    Ok((svg, rows))
}

/// Where the whole fund's money went, from its folded books.
pub async fn fund_went(s: &AppState, t: &Text, fund: &str) -> Result<WentView, PageError> {
    let hamlets = s.private_hamlets(fund).await.map_err(PageError::internal)?;
    let places = Places {
        private_hamlets: &hamlets,
        min_households: s.min_public_households(),
    };
    let books = s.page_books(fund).await.map_err(PageError::internal)?;
    let w = where_it_went(&books.book, None, places)
        .ok_or_else(|| PageError::internal(format!("fund {fund}: the books hold no fund")))?;
    Ok(went_view(t, &w))
}

/// The latest gifts of a fund, or of one of its campaigns.
pub async fn latest_gifts(
    s: &AppState,
    t: &Text,
    fund: &str,
    campaign: Option<&str>,
) -> Result<Vec<GiftRow>, PageError> {
    let filter = DonationFilter {
        campaign: campaign.map(str::to_owned),
        ..Default::default()
    };
    let rows = s.store.latest_donations(fund, &filter, 10).await?;
    Ok(gift_rows(t, fund, &rows))
}

/// Links to the statements people ask for most: this month, last month,
/// this year.
pub fn period_links(t: &Text, code: &str, today: Date) -> Vec<(String, String)> {
    let month_start = today.replace_day(1).unwrap_or(today);
    let last_month_end = month_start.previous_day().unwrap_or(month_start);
    let last_month_start = last_month_end.replace_day(1).unwrap_or(last_month_end);
    let year_start =
        Date::from_calendar_date(today.year(), time::Month::January, 1).unwrap_or(today);
    let link = |from: Date, to: Date| {
        format!(
            "/f/{code}/bao-cao?from={}&to={}&lang={}",
            format_date(from),
            format_date(to),
            t.lang
        )
    };
    vec![
        (
            t.pick("Tháng này", "This month").to_owned(),
            link(month_start, today),
        ),
        (
            t.pick("Tháng trước", "Last month").to_owned(),
            link(last_month_start, last_month_end),
        ),
        (
            format!("{} {}", t.pick("Năm", "Year"), today.year()),
            link(year_start, today),
        ),
    ]
}

#[derive(Template)]
#[template(path = "campaign.html")]
struct CampaignPage {
    t: &'static Text,
    other_lang_href: String,
    code: String,
    fund_name: String,
    name: String,
    kind: &'static str,
    window: String,
    /// Where the campaign stands today (see [`phase_text`]).
    status: &'static str,
    closed_reason: Option<String>,
    target: Option<String>,
    percent: u64,
    /// The progress bar's fill: the percentage, at most 100.
    bar: u64,
    received: String,
    pledges: u64,
    went: WentView,
    gifts: Vec<GiftRow>,
    saoke_href: String,
    /// What came in each day, added up, against the target (SVG).
    days_chart: String,
    days: Vec<DayRow>,
    sponsors: Vec<super::tree::SponsorRow>,
    left: Vec<super::tree::LeftRow>,
    min_households: u64,
    notice_href: String,
}

/// A day of gifts, as the table beside the chart shows it.
pub struct DayRow {
    pub day: String,
    pub gifts: u64,
    pub value: String,
    pub so_far: String,
}

/// What a campaign received each day, added up: the chart and its rows.
fn days_view(
    t: &Text,
    days: &[crate::store::donations::CampaignDay],
    target: Option<SumVnd>,
) -> (String, Vec<DayRow>) {
    let mut so_far: SumVnd = 0;
    let mut marks = Vec::with_capacity(days.len());
    let mut rows = Vec::with_capacity(days.len());
    for d in days {
        let value = SumVnd::from(d.value_vnd);
        so_far += value;
        let label = crate::format::vn_date(&d.day);
        marks.push(charts::Mark {
            label: label.clone(),
            value: length(so_far),
            shown: vnd_sum(so_far),
        });
        rows.push(DayRow {
            day: label,
            gifts: d.gifts,
            value: vnd_sum(value),
            so_far: vnd_sum(so_far),
        });
    }
    let level = target.filter(|t| *t > 0).map(|v| charts::Mark {
        label: t.pick("Chỉ tiêu", "Target").to_owned(),
        value: length(v),
        shown: vnd_sum(v),
    });
    let svg = charts::line(
        "chart-days",
        "by-day",
        t.pick(
            "Đã nhận, cộng dồn theo ngày",
            "Received, added up day by day",
        ),
        &marks,
        level.as_ref(),
    );
    (svg, rows)
}

pub fn campaign_kind(t: &Text, kind: &str) -> &'static str {
    match kind {
        "peak_month" => t.pick("Tháng cao điểm Vì người nghèo", "Peak month for the poor"),
        "disaster_relief" => t.pick("Cứu trợ thiên tai", "Disaster relief"),
        "tet" => t.pick("Tết vì người nghèo", "Tet for the poor"),
        "housing" => t.pick("Nhà đại đoàn kết", "Solidarity houses"),
        _ => t.pick("Vận động khác", "Other"),
    }
}

/// A campaign of `fund` as its pages read it: the campaign, where its
/// money went (hamlets of few households merged), and the sponsorships
/// its distributions fulfil; a campaign that does not exist is the page's
/// 404.
pub async fn campaign_books(
    s: &AppState,
    t: &'static Text,
    fund: &str,
    id: &str,
) -> Result<
    (
        crate::ledger::book::Campaign,
        WhereItWent,
        (Vec<super::tree::SponsorRow>, Vec<super::tree::LeftRow>),
    ),
    PageError,
> {
    let hamlets = s.private_hamlets(fund).await.map_err(PageError::internal)?;
    let places = Places {
        private_hamlets: &hamlets,
        min_households: s.min_public_households(),
    };
    let books = s.page_books(fund).await.map_err(PageError::internal)?;
    match (
        books.book.campaigns.get(id).cloned(),
        where_it_went(&books.book, Some(id), places),
    ) {
        (Some(c), Some(w)) => Ok((
            c,
            w,
            super::tree::outcome_rows(t, &books.book, s.min_public_households(), Some(id)),
        )),
        _ => Err(PageError::not_found(t, Missing::Campaign, id)),
    }
}

/// A campaign: its window, progress to target, gifts, and where its
/// money went.
pub async fn campaign_page(
    State(s): State<AppState>,
    Path((code, id)): Path<(String, String)>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let t = lang_of(&q);
    let fund = s.fund(&code).await.or_page(t, Missing::Fund, &code)?;
    let (c, w, (sponsors, left)) = campaign_books(&s, t, &fund.code, &id).await?;
    let days = s
        .campaign_days(&fund.code, &id)
        .await
        .map_err(PageError::internal)?;
    let (days_chart, days) = days_view(t, &days, c.target());
    let gifts = latest_gifts(&s, t, &fund.code, Some(&id)).await?;
    Ok(html(CampaignPage {
        t,
        other_lang_href: other_lang(t, &format!("/f/{}/c/{}", fund.code, id), &q),
        fund_name: fund.name,
        name: c.name.clone(),
        kind: campaign_kind(t, &c.kind),
        window: format!(
            "{} – {}",
            crate::format::vn_date(&c.starts_on),
            crate::format::vn_date(&c.ends_on)
        ),
        status: phase_text(
            t,
            c.phase(&format_date(today_in_vietnam(
                time::OffsetDateTime::now_utc(),
            ))),
        ),
        closed_reason: c
            .closed_reason
            .clone()
            .filter(|_| c.status == CampaignStatus::Closed),
        target: c.target().map(vnd_sum),
        percent: c.progress_percent().unwrap_or(0),
        bar: c.progress_percent().unwrap_or(0).min(100),
        received: vnd_sum(c.received_vnd()),
        pledges: c.pledges,
        went: went_view(t, &w),
        gifts,
        days_chart,
        days,
        sponsors,
        left,
        min_households: s.min_public_households(),
        notice_href: format!("/f/{}/c/{}/cong-khai?lang={}", fund.code, id, t.lang),
        saoke_href: format!(
            "/f/{}/sao-ke?campaign={}&lang={}",
            fund.code,
            urlencode(&id),
            t.lang
        ),
        code: fund.code,
    }))
}

/// One line of the statement as the page shows it.
pub struct Line {
    pub label: String,
    pub count: Option<u64>,
    pub amount: String,
    /// A heading line.
    pub head: bool,
}

#[derive(Template)]
#[template(path = "statement.html")]
struct StatementPage {
    t: &'static Text,
    other_lang_href: String,
    code: String,
    fund_name: String,
    from: String,
    to: String,
    from_iso: String,
    to_iso: String,
    error: Option<String>,
    lines: Vec<Line>,
    goods: Vec<(String, String, String, String, String)>,
    adjustments: Vec<(u64, u64, String, String)>,
    balanced: bool,
    entries: u64,
    periods: Vec<(String, String)>,
    api: String,
}

fn statement_lines(t: &Text, st: &crate::ledger::statement::Statement) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut head = |label: &str, amount: SumVnd| {
        lines.push(Line {
            label: label.to_owned(),
            count: None,
            amount: vnd_sum(amount),
            head: true,
        })
    };
    head(
        t.pick("Số dư đầu kỳ", "Opening balance"),
        st.opening.balance_vnd,
    );
    let src = &st.sources;
    let total_in = src.gifts_cash.amount_vnd + src.transfers_in.amount_vnd;
    head(t.pick("Tiền nhận trong kỳ", "Money received"), total_in);
    let mut line = |label: String, count: u64, amount: SumVnd| {
        lines.push(Line {
            label,
            count: Some(count),
            amount: vnd_sum(amount),
            head: false,
        })
    };
    for (channel, tally) in &src.gifts_by_channel {
        let name = match channel.as_str() {
            "cash" => t.cash,
            "bank_transfer" => t.bank_transfer,
            "qr_transfer" => t.qr_transfer,
            "e_wallet" => t.e_wallet,
            other => other,
        };
        line(
            format!("{}: {name}", t.pick("Ủng hộ", "Gifts")),
            tally.count,
            tally.amount_vnd,
        );
    }
    line(
        t.pick("Nhận từ quỹ khác", "From other funds").to_owned(),
        src.transfers_in.count,
        src.transfers_in.amount_vnd,
    );
    line(
        t.pick(
            "Ủng hộ bằng hiện vật (giá trị, không tính vào tiền)",
            "Gifts in kind (value, not cash)",
        )
        .to_owned(),
        src.gifts_in_kind.count,
        src.gifts_in_kind.amount_vnd,
    );
    let uses = &st.uses;
    let total_out =
        uses.distributions.cash_vnd + uses.transfers_out.amount_vnd + uses.expenses.amount_vnd;
    lines.push(Line {
        label: t.pick("Tiền chi trong kỳ", "Money spent").to_owned(),
        count: None,
        amount: vnd_sum(total_out),
        head: true,
    });
    for (kind, s) in &uses.distributions_by_type {
        lines.push(Line {
            label: format!(
                "{} ({} {})",
                support_type(t, kind),
                s.households,
                t.pick("hộ", "households")
            ),
            count: Some(s.count),
            amount: vnd_sum(s.cash_vnd),
            head: false,
        });
    }
    lines.push(Line {
        label: t.pick("Chuyển quỹ khác", "To other funds").to_owned(),
        count: Some(uses.transfers_out.count),
        amount: vnd_sum(uses.transfers_out.amount_vnd),
        head: false,
    });
    lines.push(Line {
        label: t
            .pick(
                "Chi phí (phí ngân hàng, vận chuyển…)",
                "Expenses (bank fees, transport…)",
            )
            .to_owned(),
        count: Some(uses.expenses.count),
        amount: vnd_sum(uses.expenses.amount_vnd),
        head: false,
    });
    lines.push(Line {
        label: t.pick("Điều chỉnh do hủy bút toán", "Reversals").to_owned(),
        count: Some(st.reversals.count),
        amount: vnd_sum(st.reversals.cash_effect_vnd),
        head: true,
    });
    lines.push(Line {
        label: t.pick("Số dư cuối kỳ", "Closing balance").to_owned(),
        count: None,
        amount: vnd_sum(st.closing.balance_vnd),
        head: true,
    });
    lines.push(Line {
        label: t
            .pick(
                "Trong đó đang giữ cho khoản chờ duyệt",
                "Of which held for pending support",
            )
            .to_owned(),
        count: None,
        amount: vnd_sum(st.closing.reserved_vnd),
        head: false,
    });
    lines
}

/// The statement of a period (`from`, `to`; this month by default): what
/// came in, what went out, the goods, corrections, and the balance at
/// both ends.
pub async fn statement_page(
    State(s): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let t = lang_of(&q);
    let fund = s.fund(&code).await.or_page(t, Missing::Fund, &code)?;
    let today = today_in_vietnam(time::OffsetDateTime::now_utc());
    let param = |k: &str| {
        q.iter()
            .find(|(n, v)| n == k && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_owned())
    };
    let day = |k: &str, default: Date| match param(k) {
        None => Ok(default),
        Some(v) => parse_date(&v, k)
            .map_err(|_| format!("{} {v:?}", t.pick("Ngày không hợp lệ:", "Not a date:"))),
    };
    let (from, to) = match (
        day("from", today.replace_day(1).unwrap_or(today)),
        day("to", today),
    ) {
        (Ok(f), Ok(to)) => (f, to),
        (Err(e), _) | (_, Err(e)) => return Ok(statement_error(t, &fund, &q, today, e)),
    };
    if from > to {
        return Ok(statement_error(
            t,
            &fund,
            &q,
            today,
            t.pick(
                "Ngày bắt đầu sau ngày kết thúc.",
                "The first day is after the last.",
            )
            .to_owned(),
        ));
    }
    let st = match s.statement(&fund.code, from, to).await {
        Ok(st) => st,
        Err(e) => return Err(PageError::internal(e)),
    };
    let goods = st
        .goods
        .iter()
        .map(|g| {
            (
                g.item.clone(),
                format!("{} {}", g.opening_quantity.normalize(), g.unit),
                format!("{} {}", g.received_quantity.normalize(), g.unit),
                format!("{} {}", g.distributed_quantity.normalize(), g.unit),
                format!("{} {}", g.closing_quantity.normalize(), g.unit),
            )
        })
        .collect();
    let adjustments = st
        .reversals
        .prior_period_adjustments
        .iter()
        .map(|a| {
            (
                a.seq,
                a.reverses_seq,
                vnd_sum(a.cash_effect_vnd),
                a.reason.clone(),
            )
        })
        .collect();
    Ok(html(StatementPage {
        t,
        other_lang_href: other_lang(t, &format!("/f/{}/bao-cao", fund.code), &q),
        fund_name: fund.name.clone(),
        from: crate::format::vn_date(&format_date(from)),
        to: crate::format::vn_date(&format_date(to)),
        from_iso: format_date(from),
        to_iso: format_date(to),
        error: None,
        lines: statement_lines(t, &st),
        goods,
        adjustments,
        balanced: st.balanced,
        entries: st.entries,
        periods: period_links(t, &fund.code, today),
        api: format!(
            "/api/v1/funds/{}/statement?from={}&to={}",
            fund.code,
            format_date(from),
            format_date(to)
        ),
        code: fund.code,
    }))
}

fn statement_error(
    t: &'static Text,
    fund: &crate::store::FundInfo,
    q: &[(String, String)],
    today: Date,
    error: String,
) -> Response {
    let page = StatementPage {
        t,
        other_lang_href: other_lang(t, &format!("/f/{}/bao-cao", fund.code), q),
        code: fund.code.clone(),
        fund_name: fund.name.clone(),
        from: String::new(),
        to: String::new(),
        from_iso: String::new(),
        to_iso: String::new(),
        error: Some(error),
        lines: Vec::new(),
        goods: Vec::new(),
        adjustments: Vec::new(),
        balanced: true,
        entries: 0,
        periods: period_links(t, &fund.code, today),
        api: String::new(),
    };
    (axum::http::StatusCode::BAD_REQUEST, html(page)).into_response()
}
