//! What each reversible entry did, so that a reversal can undo it.
//!
//! A fund of a national appeal holds a million cash gifts, all reversible.
//! Each is kept as a fixed 32-byte record of its figures in a vector in
//! seq order (found by binary search), its campaign and pledge ids as
//! indexes into a table of the ids in use: 32 MB for a million gifts,
//! where a hash map of bodies took ten times that. Its donor's name, bank
//! reference and note play no part in undoing it, and are not kept.
//! Every other reversible entry (distributions, expenses, transfers,
//! in-kind gifts, …) is kept whole: there are few of them.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use super::Change;
use crate::ledger::ids::Id;
use crate::ledger::kinds::{Body, Channel, DonationCash, DonorKind, SupportType};
use crate::ledger::money::AmountVnd;
use crate::ledger::values::Day;

/// A cash gift's figures: what a reversal or a bank statement's seal
/// reads of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Gift {
    pub seq: u64,
    pub amount: AmountVnd,
    pub received_on: Day,
    /// Index + 1 into [`Posted::ids`]; 0 for none.
    pub campaign: u32,
    pub pledge: u32,
    pub channel: Channel,
    pub donor: DonorKind,
    pub earmark: Option<SupportType>,
}

/// The record of every reversible entry of a fund.
#[derive(Debug, Clone, Default)]
pub(super) struct Posted {
    /// Cash gifts, in seq order.
    gifts: Vec<Gift>,
    /// Campaign and pledge ids the gifts name, in the order first named,
    /// each with the seq of the gift that first named it.
    ids: Vec<(Id, u64)>,
    id_at: HashMap<Id, u32>,
    /// Every other reversible entry, with the figures it was applied with.
    other: BTreeMap<u64, (Body, Change)>,
}

/// One reversible entry, as [`Posted::get`] finds it.
pub(super) enum Entry<'a> {
    Gift(Gift, &'a Posted),
    Other(&'a Body, Change),
}

impl Posted {
    /// Records entry `seq`, applied with `change`.
    pub fn insert(&mut self, seq: u64, body: &Body, change: Change) {
        match body {
            Body::DonationCash(g) => {
                // A cash gift changes no figure the rules work out (see
                // `Book::check`): what it was applied with is the default,
                // as [`Entry::change`] answers for it.
                debug_assert_eq!(change, Change::default());
                let gift = Gift {
                    seq,
                    amount: g.amount_vnd,
                    received_on: g.received_on,
                    campaign: self.intern(g.campaign_id.as_ref(), seq),
                    pledge: self.intern(g.pledge_id.as_ref(), seq),
                    channel: g.channel,
                    donor: g.donor.kind,
                    earmark: g.earmark,
                };
                self.push_gift(gift);
            }
            other => {
                self.other.insert(seq, (other.clone(), change));
            }
        }
    }

    /// Adds a gift after the last one. Gifts come in seq order: the
    /// books commit entry `size` only (`Book::commit`), and a saved copy
    /// whose gifts are out of order is refused (`Book::from_saved`);
    /// [`Posted::get`] finds them by binary search.
    pub fn push_gift(&mut self, gift: Gift) {
        debug_assert!(self.gifts.last().is_none_or(|last| last.seq < gift.seq));
        self.gifts.push(gift);
    }

    fn intern(&mut self, id: Option<&Id>, seq: u64) -> u32 {
        let Some(id) = id else { return 0 };
        if let Some(n) = self.id_at.get(id) {
            return *n;
        }
        self.ids.push((id.clone(), seq));
        let n = u32::try_from(self.ids.len()).unwrap_or(u32::MAX);
        self.id_at.insert(id.clone(), n);
        n
    }

    /// The id at index + 1 `n`, none for 0.
    pub fn id(&self, n: u32) -> Option<&Id> {
        n.checked_sub(1)
            .and_then(|i| self.ids.get(i as usize))
            .map(|(id, _)| id)
    }

    /// The ids in use, in the order first named, each with the seq of the
    /// gift that first named it.
    pub fn ids(&self) -> &[(Id, u64)] {
        &self.ids
    }

    /// Interns an id read back from a saved copy: its index + 1.
    pub fn intern_id(&mut self, id: &Id, seq: u64) -> u32 {
        self.intern(Some(id), seq)
    }

    pub fn get(&self, seq: u64) -> Option<Entry<'_>> {
        if let Some((body, change)) = self.other.get(&seq) {
            return Some(Entry::Other(body, *change));
        }
        let at = self.gifts.binary_search_by_key(&seq, |g| g.seq).ok()?;
        Some(Entry::Gift(self.gifts[at], self))
    }

    /// Forgets every entry from seq `size` on (a savepoint restored).
    pub fn keep_below(&mut self, size: u64) {
        let at = self.gifts.partition_point(|g| g.seq < size);
        self.gifts.truncate(at);
        self.other.split_off(&size);
        // Ids are named in seq order: those the forgotten gifts named
        // first are the last ones.
        while self.ids.last().is_some_and(|(_, seq)| *seq >= size) {
            if let Some((id, _)) = self.ids.pop() {
                self.id_at.remove(&id);
            }
        }
    }

    pub fn gifts(&self) -> &[Gift] {
        &self.gifts
    }

    pub fn others(&self) -> impl Iterator<Item = (u64, &Body, Change)> {
        self.other.iter().map(|(s, (b, c))| (*s, b, *c))
    }

    pub fn insert_other(&mut self, seq: u64, body: Body, change: Change) {
        self.other.insert(seq, (body, change));
    }
}

impl<'a> Entry<'a> {
    /// The amount and day of a cash gift that came by bank (a transfer or
    /// a QR code), the kind a bank statement's credit line can be.
    pub fn bank_gift(&self) -> Option<(u64, Day)> {
        match self {
            Entry::Gift(g, _)
                if matches!(g.channel, Channel::BankTransfer | Channel::QrTransfer) =>
            {
                Some((g.amount.get(), g.received_on))
            }
            Entry::Gift(..) | Entry::Other(..) => None,
        }
    }

    pub fn change(&self) -> Change {
        match self {
            Entry::Gift(..) => Change::default(),
            Entry::Other(_, c) => *c,
        }
    }

    /// The body it was written with; a cash gift's without its texts.
    pub fn body(self) -> Cow<'a, Body> {
        match self {
            Entry::Other(b, _) => Cow::Borrowed(b),
            Entry::Gift(g, posted) => Cow::Owned(Body::DonationCash(DonationCash {
                receipt_no: String::new(),
                donor: crate::ledger::kinds::Donor {
                    display: crate::ledger::fields::Text::kept_out(),
                    kind: g.donor,
                    donor_ref: None,
                },
                amount_vnd: g.amount,
                channel: g.channel,
                received_on: g.received_on,
                campaign_id: posted.id(g.campaign).cloned(),
                pledge_id: posted.id(g.pledge).cloned(),
                earmark: g.earmark,
                bank_ref: None,
                original_currency: None,
                note: None,
            })),
        }
    }
}
