//! Words in the user's language: a phrase picked by language, household
//! categories and kinds of support as people name them, and a sentence
//! for each rule of the fund the core may refuse an entry under.

use crate::web::Text;

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
        "not_poor" => t.pick("Hộ không nghèo", "Not poor"),
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
