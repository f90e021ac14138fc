//! A fund's log as C2SP tlog-tiles (SPEC §12): hash tiles and entry
//! bundles, named by their C2SP paths.
//!
//! The tile arithmetic is Go's (`tlog_tiles::tile::Tile`, height 8). C2SP's
//! paths drop Go's height element and name entry bundles `entries` where Go
//! says `data`: `tile/0/x001/234.p/5` here is `tile/8/0/x001/234.p/5` there.

use tlog_tiles::tile::Tile;
use tlog_tiles::tlog::stored_hash_index;

/// C2SP's tile height: each tile spans 256 hashes of the level below.
pub const HEIGHT: u8 = 8;
/// Hashes (or entries) in a full tile.
pub const FULL: u32 = 1 << HEIGHT;
/// Longest entry a bundle can hold: its length is a uint16 (SPEC §3).
pub const ENTRY_BYTES_MAX: usize = u16::MAX as usize;

/// A hash tile or an entry bundle, by C2SP path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TileRef(Tile);

/// A decimal with no leading zero (but "0").
fn decimal(s: &str) -> Option<u64> {
    let ok =
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
    ok.then(|| s.parse().ok()).flatten()
}

impl TileRef {
    /// Hash tile `n` of `level`, `width` hashes wide (256 when full).
    pub fn hashes(level: u8, n: u64, width: u32) -> Self {
        Self(Tile::new(HEIGHT, level, n, width, false))
    }

    /// Entry bundle `n`, `width` entries long (256 when full).
    pub fn entries(n: u64, width: u32) -> Self {
        Self(Tile::new(HEIGHT, 0, n, width, true))
    }

    /// Reads a C2SP path (`tile/<L>/<N>[.p/<W>]`, `tile/entries/<N>[.p/<W>]`),
    /// in its one canonical spelling. Levels past 7 name no hash a 64-bit
    /// tree has, so they are no tile here.
    pub fn parse(path: &str) -> Option<Self> {
        // Read here rather than by `Tile::from_path`, which panics on a
        // width of 0 or a level past 63.
        let mut parts: Vec<&str> = path.strip_prefix("tile/")?.split('/').collect();
        let level = parts.remove(0);
        let entries = level == "entries";
        let level: u8 = if entries {
            0
        } else {
            decimal(level)?.try_into().ok()?
        };
        if level >= 8 {
            return None;
        }
        let mut width = FULL;
        if let [.., last, w] = parts.as_slice() {
            if let Some(n) = last.strip_suffix(".p") {
                width = u32::try_from(decimal(w)?)
                    .ok()
                    .filter(|w| (1..FULL).contains(w))?;
                let at = parts.len() - 2;
                parts[at] = n;
                parts.pop();
            }
        }
        let (last, upper) = parts.split_last()?;
        let mut n: u64 = 0;
        for (i, p) in upper.iter().chain([last]).enumerate() {
            let digits = if i < upper.len() {
                p.strip_prefix('x')?
            } else {
                p
            };
            if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            n = n.checked_mul(1000)?.checked_add(digits.parse().ok()?)?;
        }
        let tile = if entries {
            Self::entries(n, width)
        } else {
            Self::hashes(level, n, width)
        };
        // One spelling: no leading `x000/`.
        (tile.path() == path).then_some(tile)
    }

    /// The C2SP path.
    pub fn path(&self) -> String {
        let go = self.0.path();
        let rest = go
            .strip_prefix(&format!("tile/{HEIGHT}/"))
            .unwrap_or(go.as_str());
        match rest.strip_prefix("data/") {
            Some(n) => format!("tile/entries/{n}"),
            None => format!("tile/{rest}"),
        }
    }

    pub fn is_entries(&self) -> bool {
        self.0.is_data()
    }

    pub fn is_full(&self) -> bool {
        self.0.width() == FULL
    }

    pub fn level(&self) -> u8 {
        self.0.level()
    }

    pub fn index(&self) -> u64 {
        self.0.level_index()
    }

    pub fn width(&self) -> u32 {
        self.0.width()
    }

    /// The first entry (for a bundle) or hash of its level (for a tile) it
    /// holds.
    /// (Saturating: a tile past any 64-bit tree is `within` none.)
    pub fn first(&self) -> u64 {
        self.index().saturating_mul(u64::from(FULL))
    }

    /// Whether a tree of `size` holds all of it: what a log whose latest
    /// checkpoint has `size` may serve.
    pub fn within(&self, size: u64) -> bool {
        let level = u32::from(self.level()) * u32::from(HEIGHT);
        let count = if self.is_entries() {
            size
        } else {
            size.checked_shr(level).unwrap_or(0)
        };
        self.index()
            .checked_mul(u64::from(FULL))
            .and_then(|first| first.checked_add(u64::from(self.width())))
            .is_some_and(|end| end <= count)
    }

    /// The stored-hash indexes of a hash tile's hashes, left to right.
    pub fn hash_indexes(&self) -> Vec<u64> {
        let level = self.level() * HEIGHT;
        (0..u64::from(self.width()))
            .map(|i| stored_hash_index(level, self.first() + i))
            .collect()
    }
}

/// The tiles and bundles a tree of `new` adds to one of `old`: the full ones
/// completed since, and the partial ones of `new` (none for a size that
/// fills its tiles). Empty when `new ≤ old`.
pub fn added(old: u64, new: u64) -> Vec<TileRef> {
    if new <= old {
        return Vec::new();
    }
    let mut out = Vec::new();
    for t in Tile::new_tiles(HEIGHT, old, new) {
        let t = TileRef(t);
        out.push(t);
        if t.level() == 0 {
            out.push(TileRef::entries(t.index(), t.width()));
        }
    }
    out
}

/// An entry bundle: each entry's bytes behind their big-endian uint16
/// length. `None` if an entry is longer than a uint16 can say.
pub fn bundle<'a>(entries: impl IntoIterator<Item = &'a [u8]>) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for e in entries {
        let len = u16::try_from(e.len()).ok()?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(e);
    }
    Some(out)
}

/// The entries of a bundle, or `None` if it is not one.
pub fn unbundle(mut b: &[u8]) -> Option<Vec<&[u8]>> {
    let mut out = Vec::new();
    while !b.is_empty() {
        let (len, rest) = b.split_first_chunk::<2>()?;
        let len = usize::from(u16::from_be_bytes(*len));
        if rest.len() < len {
            return None;
        }
        let (entry, rest) = rest.split_at(len);
        out.push(entry);
        b = rest;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::merkle::{leaf_hash, Frontier};

    #[test]
    fn decimals_have_one_spelling() {
        assert_eq!(decimal("0"), Some(0));
        assert_eq!(decimal("10"), Some(10));
        assert_eq!(decimal("18446744073709551615"), Some(u64::MAX));
        for bad in [
            "",
            "00",
            "01",
            "+1",
            "-1",
            " 1",
            "1x",
            "18446744073709551616",
        ] {
            assert_eq!(decimal(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn paths_read_and_write_as_c2sp_spells_them() {
        for (path, level, n, w, entries) in [
            ("tile/0/000", 0, 0, 256, false),
            ("tile/0/x001/234.p/5", 0, 1234, 5, false),
            ("tile/2/001.p/1", 2, 1, 1, false),
            ("tile/entries/x001/x234/067", 0, 1_234_067, 256, true),
            ("tile/entries/273.p/112", 0, 273, 112, true),
        ] {
            let t = TileRef::parse(path).unwrap_or_else(|| panic!("{path}"));
            assert_eq!(
                (t.level(), t.index(), t.width(), t.is_entries()),
                (level, n, w, entries),
                "{path}"
            );
            assert_eq!(t.path(), path);
        }
        for bad in [
            "tile/8/0/000",
            "tile/data/000",
            "tile/0/0000",
            "tile/0/1234",
            "tile/0/x1/234",
            "tile/0/000.p/256",
            "tile/0/000.p/0",
            "tile/0/000.p/01",
            "tile/01/000",
            "tile/8/000",
            "tile/0/-01",
            "tile/64/000",
            "tile/300/000",
            "tile/0/x001/000.p/0",
            "tile/0/000.p/x1",
            "tile/0/x000/001",
            "tile/0/x/001",
            "tiles/0/000",
            "tile/entries/000/",
            "tile/0/000.p/",
            "",
        ] {
            assert_eq!(TileRef::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_tree_of_70000_has_the_tiles_c2sp_names() {
        // "a tree of size 70,000 will be represented by 273 full level 0
        // tiles, one partial level 0 tile of width 112, one full level 1
        // tile, one partial level 1 tile of width 17, and one partial
        // level 2 tile of width 1."
        let all = added(0, 70_000);
        let hashes: Vec<&TileRef> = all.iter().filter(|t| !t.is_entries()).collect();
        let count = |level: u8, full: bool| {
            hashes
                .iter()
                .filter(|t| t.level() == level && t.is_full() == full)
                .count()
        };
        assert_eq!((count(0, true), count(0, false)), (273, 1));
        assert_eq!((count(1, true), count(1, false)), (1, 1));
        assert_eq!((count(2, true), count(2, false)), (0, 1));
        assert_eq!(hashes.len(), 277);
        let widths = |level: u8| {
            hashes
                .iter()
                .filter(|t| t.level() == level && !t.is_full())
                .map(|t| t.width())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            (widths(0), widths(1), widths(2)),
            (vec![112], vec![17], vec![1])
        );
        // A bundle beside every level-0 tile.
        let bundles: Vec<(u64, u32)> = all
            .iter()
            .filter(|t| t.is_entries())
            .map(|t| (t.index(), t.width()))
            .collect();
        let level0: Vec<(u64, u32)> = hashes
            .iter()
            .filter(|t| t.level() == 0)
            .map(|t| (t.index(), t.width()))
            .collect();
        assert_eq!(bundles, level0);
        for t in &all {
            assert!(t.within(70_000), "{}", t.path());
        }
        // "a tree of size 256 will be represented by a full level 0 tile
        // and a partial level 1 tile of width 1."
        let paths: Vec<String> = added(0, 256).iter().map(TileRef::path).collect();
        assert_eq!(paths, ["tile/0/000", "tile/entries/000", "tile/1/000.p/1"]);
    }

    #[test]
    fn growing_adds_only_what_is_new() {
        let paths = |old, new| {
            added(old, new)
                .iter()
                .map(TileRef::path)
                .collect::<Vec<_>>()
        };
        assert!(paths(300, 300).is_empty());
        assert!(paths(300, 200).is_empty());
        assert_eq!(
            paths(300, 301),
            ["tile/0/001.p/45", "tile/entries/001.p/45"]
        );
        assert_eq!(
            paths(300, 512),
            ["tile/0/001", "tile/entries/001", "tile/1/000.p/2"]
        );
        // Whatever the steps, the full tiles are those of one step.
        let mut stepped: Vec<String> = Vec::new();
        let mut old = 0;
        for new in [1, 255, 256, 257, 1000, 65_536, 65_537, 70_000] {
            stepped.extend(paths(old, new).into_iter().filter(|p| !p.contains(".p/")));
            old = new;
        }
        let whole: Vec<String> = paths(0, 70_000)
            .into_iter()
            .filter(|p| !p.contains(".p/"))
            .collect();
        stepped.sort();
        let mut whole_sorted = whole.clone();
        whole_sorted.sort();
        assert_eq!(stepped, whole_sorted);
    }

    #[test]
    fn only_what_a_size_holds_is_within_it() {
        let t = |p: &str| TileRef::parse(p).unwrap();
        assert!(t("tile/0/000.p/5").within(5));
        assert!(!t("tile/0/000.p/6").within(5));
        assert!(!t("tile/0/000").within(255));
        assert!(t("tile/0/000").within(256));
        assert!(t("tile/entries/000").within(256));
        assert!(!t("tile/entries/001.p/1").within(256));
        assert!(t("tile/1/000.p/1").within(256));
        assert!(!t("tile/1/000.p/2").within(511));
        assert!(t("tile/1/000.p/2").within(512));
        assert!(!t("tile/7/000.p/1").within(u64::MAX >> 8));
        assert!(t("tile/7/000.p/1").within(u64::MAX));
        // N of u64::MAX: its first hash would be past any tree.
        assert!(!t("tile/0/x018/x446/x744/x073/x709/x551/615").within(u64::MAX));
        assert!(!t("tile/entries/x018/x446/x744/x073/x709/x551/615.p/1").within(u64::MAX));
        assert_eq!(
            TileRef::parse("tile/0/x018/x446/x744/x073/x709/x551/616"),
            None
        );
    }

    #[test]
    fn a_level_one_hash_is_the_root_of_the_full_tile_below() {
        let mut tree = Frontier::new();
        let mut stored = std::collections::HashMap::new();
        for i in 0..512u32 {
            for (idx, h) in tree.push(leaf_hash(&i.to_be_bytes())) {
                stored.insert(idx, h);
            }
        }
        let level1 = TileRef::parse("tile/1/000.p/2").unwrap().hash_indexes();
        let level0 = TileRef::parse("tile/0/001").unwrap().hash_indexes();
        assert_eq!(level0[0], stored_hash_index(0, 256));
        let leaves: Vec<u8> = level0.iter().flat_map(|i| stored[i].0).collect();
        assert_eq!(Tile::subtree_hash(&leaves), stored[&level1[1]]);
        assert_eq!(
            crate::ledger::merkle::node_hash(&stored[&level1[0]], &stored[&level1[1]]),
            tree.root()
        );
    }

    #[test]
    fn bundles_hold_entries_behind_their_lengths() {
        let entries: [&[u8]; 3] = [b"{}", b"", &[7u8; 300]];
        let b = bundle(entries).unwrap();
        assert_eq!(&b[..4], &[0, 2, b'{', b'}']);
        assert_eq!(&b[4..6], &[0, 0]);
        assert_eq!(&b[6..8], &[1, 44]);
        assert_eq!(b.len(), 2 + 2 + 2 + 2 + 300);
        assert_eq!(unbundle(&b).unwrap(), entries);
        let longest = vec![b'x'; ENTRY_BYTES_MAX];
        assert_eq!(bundle([longest.as_slice()]).unwrap().len(), 65_537);
        let too_long = vec![b'x'; ENTRY_BYTES_MAX + 1];
        assert_eq!(bundle([too_long.as_slice()]), None);
        assert_eq!(unbundle(&[0]), None);
        assert_eq!(unbundle(&[0, 3, 1, 2]), None);
        assert_eq!(unbundle(&[]).unwrap(), Vec::<&[u8]>::new());
    }
}
