//! Webhooks from SePay and Casso (SPEC §10, BANKS.md): one bank line per
//! transaction, authenticated with the secret configured for the account,
//! idempotent on the provider's id.
//!
//! - SePay posts one transaction as JSON with `Authorization: Apikey <key>`.
//! - Casso (v2) posts `{error, data: {...}}` signed in `X-Casso-Signature:
//!   t=<ms>,v1=<hex>`: HMAC-SHA512, keyed with the checksum key, over
//!   `<t>.<the payload with every object's keys sorted, as compact JSON>`
//!   (CassoHQ's published verification sample). The legacy form posts
//!   `{error, data: [...]}` with the secret in `Secure-Token`.

use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::Value;
use sha2::Sha512;
use time::{Date, PrimitiveDateTime};

/// A transaction as a provider reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reported {
    pub provider: &'static str,
    pub provider_id: String,
    pub account_no: String,
    pub day: Date,
    pub bank_ref: Option<String>,
    pub credit: bool,
    pub amount_vnd: u64,
    pub balance_vnd: Option<i64>,
    pub narrative: String,
    /// The sender's name and account, where the provider gives them apart
    /// from the narrative (Casso v2).
    pub sender_name: Option<String>,
    pub sender_account: Option<String>,
}

/// Why a webhook was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Invalid(String),
}

/// Compares secrets in constant time.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn date_of(text: &str, field: &str) -> Result<Date, WebhookError> {
    let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    PrimitiveDateTime::parse(text.trim(), &fmt)
        .map(|d| d.date())
        .or_else(|_| {
            Date::parse(
                text.trim(),
                time::macros::format_description!("[year]-[month]-[day]"),
            )
        })
        .map_err(|_| {
            WebhookError::Invalid(format!(
                "{field} must be a date and time YYYY-MM-DD HH:MM:SS"
            ))
        })
}

fn amount_of(v: &Value, field: &str) -> Result<i128, WebhookError> {
    let bad = || WebhookError::Invalid(format!("{field} must be a whole number of đồng"));
    match v {
        Value::Number(n) => n
            .as_i64()
            .map(i128::from)
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 1e15)
                    .map(|f| f as i128)
            })
            .ok_or_else(bad),
        Value::String(s) => s.trim().parse::<i128>().map_err(|_| bad()),
        _ => Err(bad()),
    }
}

fn text_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A transaction's fields as a provider names them, before checking.
struct Fields<'a> {
    id: Option<String>,
    account: Option<String>,
    day: Date,
    bank_ref: Option<String>,
    /// Positive for money in.
    signed: i128,
    balance: Option<&'a Value>,
    narrative: String,
}

fn line(provider: &'static str, f: Fields<'_>) -> Result<Reported, WebhookError> {
    let Fields {
        id,
        account,
        day,
        bank_ref,
        signed,
        balance,
        narrative,
    } = f;
    let provider_id =
        id.ok_or_else(|| WebhookError::Invalid("the transaction has no id".into()))?;
    let account_no = account
        .filter(|a| !a.is_empty() && a.len() <= 19 && a.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| {
            WebhookError::Invalid("the account number must be up to 19 digits".into())
        })?;
    let amount = u64::try_from(signed.unsigned_abs())
        .ok()
        .filter(|a| (1..=crate::ledger::money::AmountVnd::MAX).contains(a))
        .ok_or_else(|| WebhookError::Invalid("the amount must be from 1 to 10^15 đồng".into()))?;
    let balance_vnd = balance
        .filter(|b| !b.is_null())
        .map(|b| amount_of(b, "balance").map(|b| i64::try_from(b).unwrap_or(i64::MAX)))
        .transpose()?;
    Ok(Reported {
        provider,
        provider_id,
        account_no,
        day,
        bank_ref,
        credit: signed > 0,
        amount_vnd: amount,
        balance_vnd,
        narrative,
        sender_name: None,
        sender_account: None,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SePay {
    id: Value,
    transaction_date: String,
    account_number: Option<String>,
    content: Option<String>,
    transfer_type: String,
    transfer_amount: Value,
    accumulated: Option<Value>,
    reference_code: Option<String>,
}

/// Reads a SePay webhook, checking `Authorization: Apikey <key>` against
/// `secret(account)`.
pub fn sepay(
    authorization: Option<&str>,
    body: &[u8],
    secret: impl Fn(&str) -> Option<String>,
) -> Result<Reported, WebhookError> {
    let p: SePay = serde_json::from_slice(body)
        .map_err(|e| WebhookError::Invalid(format!("not a SePay transaction: {e}")))?;
    let account = p.account_number.clone().unwrap_or_default();
    let key = secret(&account).ok_or_else(|| {
        WebhookError::Unauthorized(format!("no SePay key is configured for account {account}"))
    })?;
    let given = authorization
        .and_then(|a| a.strip_prefix("Apikey "))
        .ok_or_else(|| {
            WebhookError::Unauthorized("Authorization: Apikey <key> is required".into())
        })?;
    if !same_secret(given.trim(), &key) {
        return Err(WebhookError::Unauthorized(
            "the API key is not the one configured".into(),
        ));
    }
    let amount = amount_of(&p.transfer_amount, "transferAmount")?;
    let signed = match p.transfer_type.as_str() {
        "in" => amount,
        "out" => -amount,
        _ => {
            return Err(WebhookError::Invalid(
                "transferType must be in or out".into(),
            ))
        }
    };
    line(
        "sepay",
        Fields {
            id: text_of(Some(&p.id)),
            account: p.account_number,
            day: date_of(&p.transaction_date, "transactionDate")?,
            bank_ref: p.reference_code.filter(|r| !r.trim().is_empty()),
            signed,
            balance: p.accumulated.as_ref(),
            narrative: p.content.unwrap_or_default(),
        },
    )
}

/// The text Casso signs: the payload with keys sorted at every level, as
/// compact JSON (serde_json's `Value` keeps object keys sorted), slashes
/// and non-ASCII characters escaped as PHP's `json_encode` writes them.
fn casso_signed_text(payload: &Value, php_escapes: bool) -> String {
    let compact = payload.to_string();
    if !php_escapes {
        return compact;
    }
    let mut out = String::with_capacity(compact.len());
    for c in compact.chars() {
        match c {
            '/' => out.push_str("\\/"),
            c if !c.is_ascii() => {
                let mut buf = [0u16; 2];
                for u in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// Checks `X-Casso-Signature: t=<ms>,v1=<hex>` over `payload`.
pub fn casso_signature_ok(header: &str, payload: &Value, key: &str) -> bool {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", x)) if x.bytes().all(|b| b.is_ascii_digit()) => t = Some(x),
            Some(("v1", x)) => v1 = hex::decode(x).ok(),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return false;
    };
    [false, true].into_iter().any(|php| {
        let Ok(mut mac) = Hmac::<Sha512>::new_from_slice(key.as_bytes()) else {
            return false;
        };
        mac.update(t.as_bytes());
        mac.update(b".");
        mac.update(casso_signed_text(payload, php).as_bytes());
        mac.verify_slice(&v1).is_ok()
    })
}

/// Reads a Casso webhook: v2 (one transaction, signed) or legacy (a list,
/// with `Secure-Token`). Each transaction's account must have a key.
pub fn casso(
    signature: Option<&str>,
    secure_token: Option<&str>,
    body: &[u8],
    secret: impl Fn(&str) -> Option<String>,
) -> Result<Vec<Reported>, WebhookError> {
    let payload: Value = serde_json::from_slice(body)
        .map_err(|e| WebhookError::Invalid(format!("not a Casso webhook: {e}")))?;
    let data = payload
        .get("data")
        .ok_or_else(|| WebhookError::Invalid("a Casso webhook has data".into()))?;
    match data {
        Value::Object(d) => {
            let account = text_of(d.get("accountNumber")).unwrap_or_default();
            let key = secret(&account).ok_or_else(|| {
                WebhookError::Unauthorized(format!(
                    "no Casso key is configured for account {account}"
                ))
            })?;
            let header = signature.ok_or_else(|| {
                WebhookError::Unauthorized("X-Casso-Signature is required".into())
            })?;
            if !casso_signature_ok(header, &payload, &key) {
                return Err(WebhookError::Unauthorized(
                    "the signature does not verify".into(),
                ));
            }
            let mut r = line(
                "casso",
                Fields {
                    id: text_of(d.get("id")),
                    account: Some(account),
                    day: date_of(
                        &text_of(d.get("transactionDateTime")).unwrap_or_default(),
                        "transactionDateTime",
                    )?,
                    bank_ref: text_of(d.get("reference")),
                    signed: amount_of(d.get("amount").unwrap_or(&Value::Null), "amount")?,
                    balance: d.get("runningBalance"),
                    narrative: text_of(d.get("description")).unwrap_or_default(),
                },
            )?;
            r.sender_name = text_of(d.get("counterAccountName"));
            r.sender_account = text_of(d.get("counterAccountNumber"));
            Ok(vec![r])
        }
        Value::Array(list) => {
            let given = secure_token
                .ok_or_else(|| WebhookError::Unauthorized("Secure-Token is required".into()))?;
            list.iter()
                .map(|d| {
                    // The legacy payload names the account by Casso's own
                    // sub-account id, as configured.
                    let account = text_of(d.get("bank_sub_acc_id")).unwrap_or_default();
                    let key = secret(&account).ok_or_else(|| {
                        WebhookError::Unauthorized(format!(
                            "no Casso key is configured for account {account}"
                        ))
                    })?;
                    if !same_secret(given.trim(), &key) {
                        return Err(WebhookError::Unauthorized(
                            "the secure token is not the one configured".into(),
                        ));
                    }
                    line(
                        "casso",
                        Fields {
                            id: text_of(d.get("id")).or_else(|| text_of(d.get("tid"))),
                            account: Some(account),
                            day: date_of(&text_of(d.get("when")).unwrap_or_default(), "when")?,
                            bank_ref: text_of(d.get("tid")),
                            signed: amount_of(d.get("amount").unwrap_or(&Value::Null), "amount")?,
                            balance: d.get("cusum_balance"),
                            narrative: text_of(d.get("description")).unwrap_or_default(),
                        },
                    )
                })
                .collect()
        }
        _ => Err(WebhookError::Invalid(
            "data must be an object or a list".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// CassoHQ's published sample (casso-webhook-v2-verify-signature):
    /// its payload, key and header verify.
    #[test]
    fn casso_s_published_signature_verifies() {
        let payload = json!({
            "error": 0,
            "data": {
                "id": 0,
                "reference": "MA_GIAO_DICH_THU_NGHIEM",
                "description": "giao dich thu nghiem",
                "amount": 599000,
                "runningBalance": 25000000,
                "transactionDateTime": "2024-10-03 15:06:37",
                "accountNumber": "88888888",
                "bankName": "VPBank",
                "bankAbbreviation": "VPB",
                "virtualAccountNumber": "",
                "virtualAccountName": "",
                "counterAccountName": "NGUYEN VAN A",
                "counterAccountNumber": "8888888888",
                "counterAccountBankId": "970415",
                "counterAccountBankName": "VietinBank"
            }
        });
        let key = "mgExMrjj4i7a1p8Cs6LmFbpCd8lbw4sSX4LZXPag7TKazeIogtR90tvWYTkwQbvs";
        let header = "t=1727948258788,v1=ed0a4bd2e826d5cb69988cdb141e6c1a080e21f3b57eb72cd78192220042b9e7dde0868fc667faea8e224900fa7904e7c88dfa098032fb2d6b6996856e8b7ff3";
        assert!(casso_signature_ok(header, &payload, key));
        assert!(!casso_signature_ok(header, &payload, "another key"));
        let mut altered = payload.clone();
        altered["data"]["amount"] = json!(599001);
        assert!(!casso_signature_ok(header, &altered, key));
        let body = payload.to_string();
        let got = casso(Some(header), None, body.as_bytes(), |a| {
            (a == "88888888").then(|| key.to_owned())
        })
        .unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].amount_vnd, 599_000);
        assert!(got[0].credit);
        assert_eq!(got[0].sender_name.as_deref(), Some("NGUYEN VAN A"));
        assert_eq!(got[0].bank_ref.as_deref(), Some("MA_GIAO_DICH_THU_NGHIEM"));
    }

    #[test]
    fn sepay_needs_its_key_and_reads_in_and_out() {
        let body = json!({
            "id": 92704, "gateway": "Vietcombank", "transactionDate": "2026-10-20 11:02:00",
            "accountNumber": "0011001234567", "code": null, "content": "SV K7M2Q9XA ung ho",
            "transferType": "in", "transferAmount": 500000, "accumulated": 19077000,
            "subAccount": null, "referenceCode": "MBVCB.3278907687", "description": ""
        })
        .to_string();
        let key = |a: &str| (a == "0011001234567").then(|| "k-0123456789abcdef".to_owned());
        let r = sepay(Some("Apikey k-0123456789abcdef"), body.as_bytes(), key).unwrap();
        assert_eq!(r.provider_id, "92704");
        assert_eq!(r.day, time::macros::date!(2026 - 10 - 20));
        assert_eq!(
            (r.credit, r.amount_vnd, r.balance_vnd),
            (true, 500_000, Some(19_077_000))
        );
        for bad in [
            None,
            Some("Apikey wrong"),
            Some("Bearer k-0123456789abcdef"),
        ] {
            assert!(
                matches!(
                    sepay(bad, body.as_bytes(), key),
                    Err(WebhookError::Unauthorized(_))
                ),
                "{bad:?}"
            );
        }
        let out = body.replace("\"in\"", "\"out\"");
        assert!(
            !sepay(Some("Apikey k-0123456789abcdef"), out.as_bytes(), key)
                .unwrap()
                .credit
        );
        let frac = body.replace("500000", "500000.5");
        assert!(matches!(
            sepay(Some("Apikey k-0123456789abcdef"), frac.as_bytes(), key),
            Err(WebhookError::Invalid(_))
        ));
    }
}
