//! A fund's books written out whole, and read back: what a snapshot of
//! the books stores (`store::snapshots`), so that a writer starting on a
//! fund of a million gifts folds only the entries after it.
//!
//! Two parts:
//! - `books`: JSON of every figure and object of the [`Book`], of the
//!   reversible entries other than cash gifts (kind and body, as on the
//!   ledger) and of the campaign and pledge ids the gifts name;
//! - `gifts`: the cash gifts' figures, 31 bytes each in seq order
//!   (little-endian: seq u64, amount u64, Julian day i32, campaign and
//!   pledge as id index + 1 u32, channel, donor kind and earmark u8).
//!
//! Both are deterministic: the same books give the same bytes (maps are
//! written in key order), so an inspector's fold of the ledger up to a
//! snapshot's seq gives byte for byte what a writer saved, and
//! `verify --deep` compares them.
//!
//! The derived objects' public JSON (the read model pages show) leaves
//! out some fields the rules need (a campaign's window as dates, who
//! classified a household, what a pending outflow holds back). They are
//! written here, and only here: [`public`] tells serde which of the two
//! is being written.

use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use time::Date;

use super::posted::{Gift, Posted};
use super::{Book, Change, DayEnd};
use crate::ledger::ids::Id;
use crate::ledger::kinds::{Body, Channel, DonorKind, EntryKind, SupportType};
use crate::ledger::money::{AmountVnd, SumVnd};
use crate::ledger::values::Day;

/// The version of this layout; a saved copy of another is not read.
pub const VERSION: u32 = 2;

/// Bytes per gift in [`Saved::gifts`].
pub const GIFT_BYTES: usize = 31;

thread_local! {
    static WHOLE: Cell<bool> = const { Cell::new(false) };
}

/// `skip_serializing_if` of the fields the public read model leaves out:
/// true unless the books are being written whole.
pub(crate) fn public<T>(_: &T) -> bool {
    !WHOLE.with(Cell::get)
}

/// Writes whole while it lives.
struct WritingWhole;

impl WritingWhole {
    fn start() -> Self {
        WHOLE.with(|w| w.set(true));
        WritingWhole
    }
}

impl Drop for WritingWhole {
    fn drop(&mut self) {
        WHOLE.with(|w| w.set(false));
    }
}

/// A hash map written in key order.
pub(crate) fn sorted<K: Ord + Serialize, V: Serialize, S: Serializer>(
    m: &HashMap<K, V>,
    s: S,
) -> Result<S::Ok, S::Error> {
    m.iter().collect::<BTreeMap<&K, &V>>().serialize(s)
}

/// A map keyed by date, as a list of pairs (JSON keys are strings).
pub(super) mod by_date {
    use super::*;

    pub fn serialize<S: Serializer>(m: &BTreeMap<Date, DayEnd>, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(m.iter())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<Date, DayEnd>, D::Error> {
        Ok(Vec::<(Date, DayEnd)>::deserialize(d)?.into_iter().collect())
    }
}

/// Quantities by item, as decimal strings.
pub(crate) mod quantities {
    use super::*;

    pub fn serialize<S: Serializer>(
        m: &BTreeMap<String, Decimal>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_map(m.iter().map(|(k, v)| (k, v.to_string())))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<String, Decimal>, D::Error> {
        BTreeMap::<String, String>::deserialize(d)?
            .into_iter()
            .map(|(k, v)| v.parse().map(|q| (k, q)).map_err(serde::de::Error::custom))
            .collect()
    }
}

/// Goods held back: (item, quantity, value) as strings.
pub(crate) mod goods {
    use super::*;

    pub fn serialize<S: Serializer>(
        g: &[(String, Decimal, SumVnd)],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(
            g.iter()
                .map(|(item, q, v)| (item, q.to_string(), v.to_string())),
        )
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Vec<(String, Decimal, SumVnd)>, D::Error> {
        Vec::<(String, String, String)>::deserialize(d)?
            .into_iter()
            .map(|(item, q, v)| {
                let q = q.parse().map_err(serde::de::Error::custom)?;
                let v = v.parse().map_err(serde::de::Error::custom)?;
                Ok((item, q, v))
            })
            .collect()
    }
}

/// A fund's books written out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    /// JSON: the figures and objects, the other reversible entries, the ids.
    pub books: String,
    /// The cash gifts' figures, [`GIFT_BYTES`] each.
    pub gifts: Vec<u8>,
}

#[derive(Serialize)]
struct WholeOut<'a> {
    v: u32,
    book: &'a Book,
    /// Ids the gifts name, with the seq of the first gift naming each.
    ids: Vec<(&'a str, u64)>,
    others: Vec<OtherOut>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WholeIn {
    v: u32,
    book: Book,
    ids: Vec<(String, u64)>,
    others: Vec<OtherOut>,
}

/// A reversible entry other than a cash gift.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OtherOut {
    seq: u64,
    kind: EntryKind,
    body: Value,
    from_earmark_vnd: u64,
    #[serde(with = "crate::ledger::money::as_string")]
    value_delta_vnd: SumVnd,
}

impl Book {
    /// The books written out whole (see the module's documentation).
    pub fn save(&self) -> Result<Saved, String> {
        let _whole = WritingWhole::start();
        let others = self
            .posted
            .others()
            .map(|(seq, body, change)| {
                Ok(OtherOut {
                    seq,
                    kind: body.kind(),
                    body: body.to_value().map_err(|e| e.to_string())?,
                    from_earmark_vnd: change.from_earmark_vnd,
                    value_delta_vnd: change.value_delta_vnd,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let whole = WholeOut {
            v: VERSION,
            book: self,
            ids: self
                .posted
                .ids()
                .iter()
                .map(|(id, seq)| (id.as_str(), *seq))
                .collect(),
            others,
        };
        let books = serde_json::to_string(&whole).map_err(|e| e.to_string())?;
        let mut gifts = Vec::with_capacity(self.posted.gifts().len() * GIFT_BYTES);
        for g in self.posted.gifts() {
            write_gift(g, &mut gifts);
        }
        Ok(Saved { books, gifts })
    }

    /// Reads books written by [`Book::save`], checking that every part
    /// is well formed; a copy that is not is refused, never half read.
    pub fn from_saved(saved: &Saved) -> Result<Book, String> {
        let whole: WholeIn = serde_json::from_str(&saved.books).map_err(|e| e.to_string())?;
        if whole.v != VERSION {
            return Err(format!("saved books of version {}, not {VERSION}", whole.v));
        }
        let mut book = whole.book;
        let size = book.size;
        let mut posted = Posted::default();
        let mut last = None;
        for (n, (id, seq)) in whole.ids.iter().enumerate() {
            let id = Id::parse(id, "ids").map_err(|e| e.message)?;
            if *seq >= size || last.is_some_and(|l| l > *seq) {
                return Err(format!("id {} is out of order", id.as_str()));
            }
            last = Some(*seq);
            if posted.intern_id(&id, *seq) as usize != n + 1 {
                return Err(format!("id {} is named twice", id.as_str()));
            }
        }
        let mut last = None;
        for o in whole.others {
            if o.seq >= size || last.is_some_and(|l| l >= o.seq) {
                return Err(format!("entry {} is out of order", o.seq));
            }
            last = Some(o.seq);
            let body = Body::from_stored(o.kind, o.body)
                .map_err(|e| format!("entry {}: {:?}", o.seq, e.0.first().map(|f| &f.message)))?;
            let change = Change {
                from_earmark_vnd: o.from_earmark_vnd,
                value_delta_vnd: o.value_delta_vnd,
            };
            posted.insert_other(o.seq, body, change);
        }
        if !saved.gifts.len().is_multiple_of(GIFT_BYTES) {
            return Err("the gifts' figures are cut short".into());
        }
        let ids = whole.ids.len() as u64;
        let mut last = None;
        for chunk in saved.gifts.chunks_exact(GIFT_BYTES) {
            let g = read_gift(chunk)?;
            if g.seq >= size || last.is_some_and(|l| l >= g.seq) {
                return Err(format!("gift {} is out of order", g.seq));
            }
            if u64::from(g.campaign) > ids || u64::from(g.pledge) > ids {
                return Err(format!("gift {} names an unknown id", g.seq));
            }
            last = Some(g.seq);
            posted.push_gift(g);
        }
        book.posted = posted;
        Ok(book)
    }
}

fn write_gift(g: &Gift, out: &mut Vec<u8>) {
    out.extend_from_slice(&g.seq.to_le_bytes());
    out.extend_from_slice(&g.amount.get().to_le_bytes());
    out.extend_from_slice(&g.received_on.0.to_julian_day().to_le_bytes());
    out.extend_from_slice(&g.campaign.to_le_bytes());
    out.extend_from_slice(&g.pledge.to_le_bytes());
    out.push(channel_code(g.channel));
    out.push(donor_code(g.donor));
    out.push(g.earmark.map_or(0, |t| support_code(t) + 1));
}

fn read_gift(b: &[u8]) -> Result<Gift, String> {
    let u64_at = |i: usize| {
        b.get(i..i + 8)
            .and_then(|s| <[u8; 8]>::try_from(s).ok())
            .map(u64::from_le_bytes)
    };
    let u32_at = |i: usize| {
        b.get(i..i + 4)
            .and_then(|s| <[u8; 4]>::try_from(s).ok())
            .map(u32::from_le_bytes)
    };
    let cut = || "a gift's figures are cut short".to_owned();
    let seq = u64_at(0).ok_or_else(cut)?;
    let amount = u64_at(8).ok_or_else(cut)?;
    let day = u32_at(16).ok_or_else(cut)? as i32;
    let bad = |what: &str| format!("gift {seq}: bad {what}");
    let amount = AmountVnd::new(amount).ok_or_else(|| bad("amount"))?;
    let received_on = Date::from_julian_day(day)
        .map(Day)
        .map_err(|_| bad("day"))?;
    let earmark = match b.get(30).copied().ok_or_else(cut)? {
        0 => None,
        n => Some(support_of(n - 1).ok_or_else(|| bad("earmark"))?),
    };
    Ok(Gift {
        seq,
        amount,
        received_on,
        campaign: u32_at(20).ok_or_else(cut)?,
        pledge: u32_at(24).ok_or_else(cut)?,
        channel: b
            .get(28)
            .and_then(|c| channel_of(*c))
            .ok_or_else(|| bad("channel"))?,
        donor: b
            .get(29)
            .and_then(|c| donor_of(*c))
            .ok_or_else(|| bad("donor kind"))?,
        earmark,
    })
}

const CHANNELS: [Channel; 4] = [
    Channel::Cash,
    Channel::BankTransfer,
    Channel::QrTransfer,
    Channel::EWallet,
];

fn channel_code(c: Channel) -> u8 {
    match c {
        Channel::Cash => 0,
        Channel::BankTransfer => 1,
        Channel::QrTransfer => 2,
        Channel::EWallet => 3,
    }
}

fn channel_of(n: u8) -> Option<Channel> {
    CHANNELS.get(usize::from(n)).copied()
}

const DONORS: [DonorKind; 3] = [
    DonorKind::Individual,
    DonorKind::Organization,
    DonorKind::Anonymous,
];

fn donor_code(d: DonorKind) -> u8 {
    match d {
        DonorKind::Individual => 0,
        DonorKind::Organization => 1,
        DonorKind::Anonymous => 2,
    }
}

fn donor_of(n: u8) -> Option<DonorKind> {
    DONORS.get(usize::from(n)).copied()
}

const SUPPORTS: [SupportType; 10] = [
    SupportType::CashGrant,
    SupportType::HouseNew,
    SupportType::HouseRepair,
    SupportType::Livelihood,
    SupportType::TetGift,
    SupportType::Scholarship,
    SupportType::HealthInsurance,
    SupportType::Medical,
    SupportType::Relief,
    SupportType::Other,
];

fn support_code(t: SupportType) -> u8 {
    match t {
        SupportType::CashGrant => 0,
        SupportType::HouseNew => 1,
        SupportType::HouseRepair => 2,
        SupportType::Livelihood => 3,
        SupportType::TetGift => 4,
        SupportType::Scholarship => 5,
        SupportType::HealthInsurance => 6,
        SupportType::Medical => 7,
        SupportType::Relief => 8,
        SupportType::Other => 9,
    }
}

fn support_of(n: u8) -> Option<SupportType> {
    SUPPORTS.get(usize::from(n)).copied()
}
