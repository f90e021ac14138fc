//! Rebuilding a fund's books from its stored entries alone: how a writer
//! catches up with entries another process appended, and how an inspector's
//! `audit/replay` recomputes everything to compare with the live tables.

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::book::{At, Book};
use super::ids::today_in_vietnam;
use super::kinds::{Body, EntryKind};

/// Why an entry could not be folded into the books.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("entry {seq}: {reason}")]
pub struct ReplayError {
    pub seq: u64,
    pub reason: String,
}

#[derive(Deserialize)]
struct Stored<'a> {
    actor: String,
    #[serde(borrow)]
    body: &'a RawValue,
    kind: String,
    recorded_at: String,
    seq: u64,
    v: u64,
}

/// A stored entry, read: where, by whom and under which version it was
/// written, and its body.
#[derive(Debug, Clone)]
pub struct Read {
    pub seq: u64,
    pub v: u64,
    pub actor: String,
    pub recorded_at: OffsetDateTime,
    pub body: Body,
}

/// Reads a stored entry's kind, body and where it was written.
pub fn read_entry(canonical: &str) -> Result<Read, ReplayError> {
    if let Some(w) = read_whole(canonical) {
        return Ok(w.read);
    }
    let e: Stored = serde_json::from_str(canonical).map_err(|err| ReplayError {
        seq: 0,
        reason: format!("not an entry: {err}"),
    })?;
    read_parts(e.seq, e.v, e.actor, &e.kind, &e.recorded_at, e.body.get())
}

/// An entry read in one pass: its envelope's fields, and what the books
/// need of it.
pub(crate) struct ReadWhole<'a> {
    pub fund: &'a str,
    pub prev: &'a str,
    pub kind: EntryKind,
    pub read: Read,
}

/// Reads an entry as the ledger writes it in one pass, body included:
/// its kind, which the body's type depends on but which sorts after the
/// body, is taken beforehand from the last `"kind":"` of the text (the
/// body comes before it, and `prev`, `recorded_at`, `seq` and `v` after
/// it hold no such key). Reading the body as a raw text first, then
/// again as its kind, costs some tenth of a whole-fund verification.
///
/// `None` on anything else: a kind that is not the one guessed, a field
/// missing, repeated, unknown or escaped, a body or timestamp that does
/// not read. The caller then reads the entry the careful way, which
/// names what is wrong; so this pass decides nothing on its own.
pub(crate) fn read_whole(canonical: &str) -> Option<ReadWhole<'_>> {
    const KEY: &str = "\"kind\":\"";
    let at = canonical.rfind(KEY)? + KEY.len();
    let name = &canonical[at..at + canonical[at..].find('"')?];
    let hint = EntryKind::parse(name)?;
    let mut de = serde_json::Deserializer::from_str(canonical);
    let w = serde::de::DeserializeSeed::deserialize(WholeSeed(hint), &mut de).ok()?;
    de.end().ok()?;
    if w.kind != name {
        return None;
    }
    let recorded_at = OffsetDateTime::parse(w.recorded_at, &Rfc3339).ok()?;
    Some(ReadWhole {
        fund: w.fund,
        prev: w.prev,
        kind: hint,
        read: Read {
            seq: w.seq,
            v: w.v,
            actor: w.actor,
            recorded_at,
            body: w.body,
        },
    })
}

/// The fields of an entry, read by [`read_whole`].
struct Whole<'a> {
    actor: String,
    body: Body,
    fund: &'a str,
    kind: &'a str,
    prev: &'a str,
    recorded_at: &'a str,
    seq: u64,
    v: u64,
}

/// Reads an entry whose body is of the kind given.
struct WholeSeed(EntryKind);

/// Reads a body of the kind given.
struct BodySeed(EntryKind);

impl<'de> serde::de::DeserializeSeed<'de> for BodySeed {
    type Value = Body;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Body, D::Error> {
        Body::deserialize_kind(self.0, d)
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for WholeSeed {
    type Value = Whole<'de>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Whole<'de>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for WholeSeed {
    type Value = Whole<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an entry")
    }

    fn visit_map<M: serde::de::MapAccess<'de>>(self, mut m: M) -> Result<Whole<'de>, M::Error> {
        use serde::de::Error;
        fn once<T, E: Error>(slot: &mut Option<T>, value: T) -> Result<(), E> {
            match slot.replace(value) {
                None => Ok(()),
                Some(_) => Err(E::custom("a field twice")),
            }
        }
        let (mut actor, mut body, mut fund, mut id) = (None, None, None, None);
        let (mut kind, mut prev, mut recorded_at, mut seq, mut v) = (None, None, None, None, None);
        while let Some(key) = m.next_key::<&'de str>()? {
            match key {
                "actor" => once(&mut actor, m.next_value::<String>()?)?,
                "body" => once(&mut body, m.next_value_seed(BodySeed(self.0))?)?,
                "fund" => once(&mut fund, m.next_value::<&'de str>()?)?,
                "id" => once(&mut id, m.next_value::<&'de str>()?)?,
                "kind" => once(&mut kind, m.next_value::<&'de str>()?)?,
                "prev" => once(&mut prev, m.next_value::<&'de str>()?)?,
                "recorded_at" => once(&mut recorded_at, m.next_value::<&'de str>()?)?,
                "seq" => once(&mut seq, m.next_value::<u64>()?)?,
                "v" => once(&mut v, m.next_value::<u64>()?)?,
                _ => return Err(M::Error::custom("a field no entry has")),
            }
        }
        let missing = || M::Error::custom("a field missing");
        id.ok_or_else(missing)?;
        Ok(Whole {
            actor: actor.ok_or_else(missing)?,
            body: body.ok_or_else(missing)?,
            fund: fund.ok_or_else(missing)?,
            kind: kind.ok_or_else(missing)?,
            prev: prev.ok_or_else(missing)?,
            recorded_at: recorded_at.ok_or_else(missing)?,
            seq: seq.ok_or_else(missing)?,
            v: v.ok_or_else(missing)?,
        })
    }
}

/// [`read_entry`] from an entry's fields, already split out.
pub fn read_parts(
    seq: u64,
    v: u64,
    actor: String,
    kind: &str,
    recorded_at: &str,
    body: &str,
) -> Result<Read, ReplayError> {
    let fail = |reason: String| ReplayError { seq, reason };
    let kind = EntryKind::parse(kind).ok_or_else(|| fail(format!("unknown kind {kind:?}")))?;
    let at = OffsetDateTime::parse(recorded_at, &Rfc3339)
        .map_err(|_| fail(format!("recorded_at {recorded_at:?} is not a timestamp")))?;
    let body = Body::from_stored_text(kind, body).map_err(|errs| {
        fail(
            errs.0
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("; "),
        )
    })?;
    Ok(Read {
        seq,
        v,
        actor,
        recorded_at: at,
        body,
    })
}

/// Folds one stored entry into `book`, checking the ledger's rules on the
/// way. On error `book` is unchanged.
pub fn fold(book: &mut Book, canonical: &str) -> Result<(), ReplayError> {
    fold_read(book, &read_entry(canonical)?)
}

/// [`fold`] for an entry already read with [`read_entry`].
pub fn fold_read(book: &mut Book, r: &Read) -> Result<(), ReplayError> {
    let (seq, body) = (r.seq, &r.body);
    let at = At {
        seq,
        actor: &r.actor,
        date: today_in_vietnam(r.recorded_at),
        v: r.v,
    };
    let change = book.check(at, body).map_err(|b| ReplayError {
        seq,
        reason: format!("breaks rule {} ({}): {}", b.rule, b.field, b.message),
    })?;
    book.commit(at, body, change);
    Ok(())
}

/// Where the live books and a replay disagree.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Difference {
    /// `summary`, or `<kind>/<id>` of a derived object.
    pub object: String,
    /// Path of the field inside it, `""` for the whole object.
    pub field: String,
    pub replayed: Value,
    pub live: Value,
}

/// Most differences one comparison reports.
pub const DIFFERENCES_MAX: usize = 1_000;

/// Compares the books rebuilt from the ledger with the live tables, field
/// by field: every derived object and the fund's summary.
pub fn compare(
    book: &Book,
    live_objects: &[(String, String, Value)],
    live_summary: &Value,
) -> Vec<Difference> {
    let mut out = Vec::new();
    diff("summary", "", &book.summary(), live_summary, &mut out);
    let replayed: std::collections::BTreeMap<(String, String), Value> = book
        .objects()
        .into_iter()
        .map(|(k, id, v)| ((k.to_owned(), id), v))
        .collect();
    let live: std::collections::BTreeMap<(String, String), &Value> = live_objects
        .iter()
        .map(|(k, id, v)| ((k.clone(), id.clone()), v))
        .collect();
    for (key, r) in &replayed {
        let name = format!("{}/{}", key.0, key.1);
        match live.get(key) {
            Some(l) => diff(&name, "", r, l, &mut out),
            None => out.push(Difference {
                object: name,
                field: String::new(),
                replayed: r.clone(),
                live: Value::Null,
            }),
        }
    }
    for (key, l) in &live {
        if !replayed.contains_key(key) {
            out.push(Difference {
                object: format!("{}/{}", key.0, key.1),
                field: String::new(),
                replayed: Value::Null,
                live: (*l).clone(),
            });
        }
    }
    out.truncate(DIFFERENCES_MAX);
    out
}

/// Compares the totals by day rebuilt from the ledger with the stored
/// rows (day, JSON), each day named `days/<day>`. A stored row for a day
/// whose entries reach past `size` was written after the walk began and
/// is left out.
pub fn compare_days(
    rebuilt: &[super::statement::DayTotals],
    live: &[(String, Value)],
    size: u64,
) -> Vec<Difference> {
    let mut out = Vec::new();
    let live: std::collections::BTreeMap<&str, &Value> =
        live.iter().map(|(d, v)| (d.as_str(), v)).collect();
    let after_walk = |v: &Value| {
        v.pointer("/movements/last_seq")
            .and_then(Value::as_u64)
            .is_some_and(|last| last >= size)
    };
    for day in rebuilt {
        let name = format!("days/{}", day.day);
        let r = serde_json::to_value(day).unwrap_or(Value::Null);
        match live.get(day.day.as_str()) {
            Some(l) if after_walk(l) => {}
            Some(l) => diff(&name, "", &r, l, &mut out),
            None => out.push(Difference {
                object: name,
                field: String::new(),
                replayed: r,
                live: Value::Null,
            }),
        }
    }
    let known: std::collections::BTreeSet<&str> = rebuilt.iter().map(|d| d.day.as_str()).collect();
    for (day, l) in &live {
        if !known.contains(day) && !after_walk(l) {
            out.push(Difference {
                object: format!("days/{day}"),
                field: String::new(),
                replayed: Value::Null,
                live: (*l).clone(),
            });
        }
    }
    out.truncate(DIFFERENCES_MAX);
    out
}

/// Compares the books folded from the ledger up to a snapshot's size
/// with the snapshot, named `snapshot/<size>`: the JSON part field by
/// field, and the first cash gift whose figures differ
/// (`gifts/<seq>`).
pub fn compare_saved(
    size: u64,
    rebuilt: &super::book::saved::Saved,
    stored: &super::book::saved::Saved,
) -> Vec<Difference> {
    use super::book::saved::GIFT_BYTES;
    let object = format!("snapshot/{size}");
    let mut out = Vec::new();
    let json = |t: &str| serde_json::from_str(t).unwrap_or_else(|_| Value::String(t.to_owned()));
    diff(
        &object,
        "",
        &json(&rebuilt.books),
        &json(&stored.books),
        &mut out,
    );
    if rebuilt.gifts != stored.gifts {
        let r: Vec<&[u8]> = rebuilt.gifts.chunks(GIFT_BYTES).collect();
        let l: Vec<&[u8]> = stored.gifts.chunks(GIFT_BYTES).collect();
        let at = (0..r.len().max(l.len()))
            .find(|i| r.get(*i) != l.get(*i))
            .unwrap_or(0);
        let seq_of = |g: Option<&&[u8]>| {
            g.and_then(|g| g.get(..8))
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map(u64::from_le_bytes)
        };
        let seq = seq_of(r.get(at)).or(seq_of(l.get(at))).unwrap_or(0);
        let hex = |g: Option<&&[u8]>| g.map_or(Value::Null, |g| Value::String(hex::encode(g)));
        out.push(Difference {
            object,
            field: format!("gifts/{seq}"),
            replayed: hex(r.get(at)),
            live: hex(l.get(at)),
        });
    }
    out.truncate(DIFFERENCES_MAX);
    out
}

fn diff(object: &str, path: &str, r: &Value, l: &Value, out: &mut Vec<Difference>) {
    if out.len() >= DIFFERENCES_MAX {
        return;
    }
    match (r, l) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for k in keys {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                diff(
                    object,
                    &p,
                    a.get(k).unwrap_or(&Value::Null),
                    b.get(k).unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        _ if r != l => out.push(Difference {
            object: object.to_owned(),
            field: path.to_owned(),
            replayed: r.clone(),
            live: l.clone(),
        }),
        _ => {}
    }
}
