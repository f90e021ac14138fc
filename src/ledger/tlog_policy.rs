//! Witnessing policies in the C2SP `tlog-policy` format: which logs, which
//! witnesses (with the URL a log pushes to), and the quorum of cosignatures
//! that makes a checkpoint count as witnessed.
//!
//! `witnessing.policy_file` names one (SPEC §12). A fund pushes each new
//! checkpoint to the policy's witnesses, and a receipt's `witness_status`
//! is `met` once the quorum has cosigned a checkpoint holding it.
//!
//! The reading is strict, as the format asks: names and keys defined once,
//! groups and the quorum referring only to names defined above them, one
//! quorum line, only tab, newline, printable ASCII and high octets. A file
//! that breaks a rule is refused with its line number, so a service never
//! starts on a policy it half understood.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;

use super::witness::CosignerKey;

/// Most logs, witnesses and groups a policy may define, each. The format
/// asks implementations to take at least 32.
pub const ENTRIES_MAX: usize = 64;
/// Most bytes of a policy file.
pub const BYTES_MAX: usize = 64 * 1024;

/// Algorithm byte of an Ed25519 note (log) key.
const ALG_ED25519: u8 = 0x01;

/// A log the policy names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyLog {
    /// The key name: the log's origin.
    pub origin: String,
    pub vkey: String,
    pub url: Option<String>,
}

/// A witness the policy names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyWitness {
    /// Its name in the policy (for groups and the quorum).
    pub name: String,
    /// Its cosignature/v1 verifier key; the key name is the name on its
    /// cosignature lines.
    pub vkey: String,
    pub key: CosignerKey,
    /// Its submission prefix: a log POSTs to `<url>/add-checkpoint`.
    pub url: Option<String>,
}

/// A witness or a group, by index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Member {
    None,
    Witness(usize),
    Group(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Group {
    name: String,
    /// How many members must have witnessed.
    threshold: usize,
    members: Vec<Member>,
}

/// A policy, read and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlogPolicy {
    pub logs: Vec<PolicyLog>,
    pub witnesses: Vec<PolicyWitness>,
    groups: Vec<Group>,
    quorum: Member,
}

/// Why a policy file was refused: the line (from 1; 0 for the whole file)
/// and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", if *line > 0 { format!("line {line}: ") } else { String::new() })]
pub struct PolicyError {
    pub line: usize,
    pub message: String,
}

fn err<T>(line: usize, message: impl Into<String>) -> Result<T, PolicyError> {
    Err(PolicyError {
        line,
        message: message.into(),
    })
}

/// The raw Ed25519 key of a note verifier key of type `alg`, after checking
/// its key id; `None` when it is not one.
fn vkey_bytes(vkey: &str, alg: u8) -> Option<(String, [u8; 32])> {
    let mut parts = vkey.splitn(3, '+');
    let (name, id, key) = (parts.next()?, parts.next()?, parts.next()?);
    if !signed_note::is_key_name_valid(name) {
        return None;
    }
    let raw = BASE64.decode(key).ok()?;
    if raw.first() != Some(&alg) {
        return None;
    }
    let key: [u8; 32] = raw[1..].try_into().ok()?;
    ed25519_dalek::VerifyingKey::from_bytes(&key).ok()?;
    let want = hex::encode(signed_note::key_id(name, &raw).to_be_bytes());
    (want == id).then(|| (name.to_owned(), key))
}

/// A URL a log can push to: `http://` or `https://`, a host, no spaces.
fn url_ok(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    rest.is_some_and(|r| {
        let host = r.split('/').next().unwrap_or_default();
        !host.is_empty() && !r.contains(['?', '#'])
    })
}

impl TlogPolicy {
    /// Reads a policy file's text.
    pub fn parse(text: &[u8]) -> Result<Self, PolicyError> {
        if text.len() > BYTES_MAX {
            return err(0, format!("the file is over {BYTES_MAX} bytes"));
        }
        let mut logs: Vec<PolicyLog> = Vec::new();
        let mut witnesses: Vec<PolicyWitness> = Vec::new();
        let mut groups: Vec<Group> = Vec::new();
        let mut quorum = None;
        let mut log_keys: Vec<[u8; 32]> = Vec::new();
        let mut witness_keys: Vec<[u8; 32]> = Vec::new();
        let mut members_so_far: Vec<Member> = Vec::new();
        for (i, raw) in text.split(|&b| b == b'\n').enumerate() {
            let n = i + 1;
            if let Some(&b) = raw.iter().find(|&&b| b != b'\t' && (b < 0x20 || b == 0x7f)) {
                return err(
                    n,
                    if b == b'\r' {
                        "a carriage return: save the file with plain newlines".to_owned()
                    } else {
                        format!("control character 0x{b:02x}")
                    },
                );
            }
            // Names, URLs and comments may hold high octets; this reading
            // asks them to be UTF-8 (the format recommends it), so that
            // names compare as the bytes they are. Keys and keywords are
            // ASCII.
            let Ok(line) = std::str::from_utf8(raw) else {
                return err(n, "text that is not UTF-8");
            };
            let words: Vec<&str> = line.split([' ', '\t']).filter(|w| !w.is_empty()).collect();
            let Some((&keyword, args)) = words.split_first() else {
                continue;
            };
            if keyword.starts_with('#') {
                continue;
            }
            let defined = |name: &str| {
                name == "none"
                    || witnesses.iter().any(|w| w.name == name)
                    || groups.iter().any(|g| g.name == name)
            };
            let over = |count: usize, what: &str| -> Result<(), PolicyError> {
                if count >= ENTRIES_MAX {
                    return err(n, format!("more than {ENTRIES_MAX} {what}"));
                }
                Ok(())
            };
            match keyword {
                "log" => {
                    over(logs.len(), "logs")?;
                    let (vkey, url) = match args {
                        [v] => (*v, None),
                        [v, u] => (*v, Some(*u)),
                        _ => return err(n, "a log line is `log <vkey> [<url>]`"),
                    };
                    let Some((origin, key)) = vkey_bytes(vkey, ALG_ED25519) else {
                        return err(n, format!("{vkey:?} is not an Ed25519 note verifier key"));
                    };
                    if log_keys.contains(&key) {
                        return err(n, "this log's key is already listed");
                    }
                    if url.is_some_and(|u| !url_ok(u)) {
                        return err(n, "the URL must be http:// or https:// with a host");
                    }
                    log_keys.push(key);
                    logs.push(PolicyLog {
                        origin,
                        vkey: vkey.to_owned(),
                        url: url.map(str::to_owned),
                    });
                }
                "witness" => {
                    over(witnesses.len(), "witnesses")?;
                    let (name, vkey, url) = match args {
                        [name, v] => (*name, *v, None),
                        [name, v, u] => (*name, *v, Some(*u)),
                        _ => return err(n, "a witness line is `witness <name> <vkey> [<url>]`"),
                    };
                    if defined(name) {
                        return err(n, format!("the name {name:?} is already defined"));
                    }
                    let Some(key) = CosignerKey::parse(vkey) else {
                        return err(
                            n,
                            format!("{vkey:?} is not a cosignature/v1 (type 0x04) verifier key"),
                        );
                    };
                    let Some((_, raw)) = vkey_bytes(vkey, super::witness::ALG_COSIGNATURE_V1)
                    else {
                        return err(n, format!("{vkey:?} is not a verifier key"));
                    };
                    if witness_keys.contains(&raw) {
                        return err(n, "this witness's key is already listed");
                    }
                    // Cosignature lines name the key: two keys of one
                    // name could not be told apart on them.
                    if witnesses.iter().any(|w| w.key.name == key.name) {
                        return err(
                            n,
                            format!("another witness's key is also named {:?}", key.name),
                        );
                    }
                    if url.is_some_and(|u| !url_ok(u)) {
                        return err(n, "the URL must be http:// or https:// with a host");
                    }
                    witness_keys.push(raw);
                    witnesses.push(PolicyWitness {
                        name: name.to_owned(),
                        vkey: vkey.to_owned(),
                        key,
                        url: url.map(|u| u.trim_end_matches('/').to_owned()),
                    });
                }
                "group" => {
                    over(groups.len(), "groups")?;
                    let [name, k, members @ ..] = args else {
                        return err(n, "a group line is `group <name> <all|any|k> <name>...`");
                    };
                    if defined(name) {
                        return err(n, format!("the name {name:?} is already defined"));
                    }
                    if members.is_empty() {
                        return err(n, "a group needs at least one member");
                    }
                    let mut list = Vec::with_capacity(members.len());
                    for m in members {
                        let member = if *m == "none" {
                            return err(n, "`none` cannot be a group member");
                        } else if let Some(i) = witnesses.iter().position(|w| w.name == *m) {
                            Member::Witness(i)
                        } else if let Some(i) = groups.iter().position(|g| g.name == *m) {
                            Member::Group(i)
                        } else {
                            return err(n, format!("{m:?} is not defined above"));
                        };
                        // Once in the whole file: each witness counts
                        // towards the quorum in one way only.
                        if list.contains(&member) || members_so_far.contains(&member) {
                            return err(n, format!("{m:?} is already a member of a group"));
                        }
                        list.push(member);
                    }
                    let threshold = match *k {
                        "all" => list.len(),
                        "any" => 1,
                        k if k.bytes().all(|b| b.is_ascii_digit()) => match k.parse::<usize>() {
                            Ok(k) if (1..=list.len()).contains(&k) => k,
                            _ => {
                                return err(
                                    n,
                                    format!(
                                        "the threshold must be from 1 to {} (the members)",
                                        list.len()
                                    ),
                                )
                            }
                        },
                        _ => {
                            return err(
                                n,
                                format!("{k:?} is no threshold: `all`, `any` or a number"),
                            )
                        }
                    };
                    members_so_far.extend(list.iter().copied());
                    groups.push(Group {
                        name: (*name).to_owned(),
                        threshold,
                        members: list,
                    });
                }
                "quorum" => {
                    let [name] = args else {
                        return err(n, "the quorum line is `quorum <name>`");
                    };
                    if quorum.is_some() {
                        return err(n, "a second quorum line");
                    }
                    quorum = Some(if *name == "none" {
                        Member::None
                    } else if let Some(i) = witnesses.iter().position(|w| w.name == *name) {
                        Member::Witness(i)
                    } else if let Some(i) = groups.iter().position(|g| g.name == *name) {
                        Member::Group(i)
                    } else {
                        return err(n, format!("{name:?} is not defined above"));
                    });
                }
                other => {
                    return err(
                        n,
                        format!("unknown keyword {other:?} (log, witness, group, quorum)"),
                    )
                }
            }
        }
        let Some(quorum) = quorum else {
            return err(0, "no quorum line");
        };
        Ok(Self {
            logs,
            witnesses,
            groups,
            quorum,
        })
    }

    /// Whether the policy is about the log `origin`: it lists no logs
    /// (then it is about every fund here) or lists that one.
    pub fn covers(&self, origin: &str) -> bool {
        self.logs.is_empty() || self.logs.iter().any(|l| l.origin == origin)
    }

    /// Whether the witnesses for which `cosigned` says yes (by index in
    /// [`Self::witnesses`]) make the quorum.
    pub fn met(&self, cosigned: impl Fn(usize) -> bool) -> bool {
        self.member_met(self.quorum, &cosigned)
    }

    fn member_met(&self, m: Member, cosigned: &impl Fn(usize) -> bool) -> bool {
        match m {
            Member::None => true,
            Member::Witness(i) => cosigned(i),
            Member::Group(g) => {
                let group = &self.groups[g];
                group
                    .members
                    .iter()
                    .filter(|&&m| self.member_met(m, cosigned))
                    .count()
                    >= group.threshold
            }
        }
    }

    /// Whether the quorum is `none`: no cosignature is asked for.
    pub fn asks_nothing(&self) -> bool {
        self.quorum == Member::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::checkpoint::{LogKey, MasterSecret};
    use crate::ledger::witness::WitnessKey;

    fn secret() -> MasterSecret {
        MasterSecret::from_bytes(std::array::from_fn(|i| i as u8))
    }

    fn wkey(name: &str) -> String {
        WitnessKey::derive(&secret(), name)
            .unwrap()
            .verifier_key()
            .to_owned()
    }

    fn lkey(origin: &str) -> String {
        LogKey::from_seed(origin, &secret().derive_seed(origin))
            .unwrap()
            .verifier_key()
            .to_owned()
    }

    fn refused(text: &str) -> PolicyError {
        TlogPolicy::parse(text.as_bytes()).expect_err(text)
    }

    #[test]
    fn the_format_s_example_reads_and_its_quorum_counts() {
        let mut text = format!("# two organisations\nlog {}\n\n", lkey("sv.test/fund/A"));
        for x in ["X1", "X2", "X3", "Y1", "Y2", "Y3"] {
            text.push_str(&format!(
                "witness {x}\t{} https://w.test/{x}/\n",
                wkey(&format!("w.test/{x}"))
            ));
        }
        text.push_str("group X-witnesses 2 X1 X2 X3\n  group Y-witnesses any Y1 Y2 Y3\n");
        text.push_str("group X-and-Y all X-witnesses Y-witnesses\nquorum X-and-Y\n");
        let p = TlogPolicy::parse(text.as_bytes()).unwrap();
        assert_eq!(p.logs.len(), 1);
        assert_eq!(p.logs[0].origin, "sv.test/fund/A");
        assert!(p.covers("sv.test/fund/A"));
        assert!(!p.covers("sv.test/fund/B"));
        assert_eq!(p.witnesses.len(), 6);
        assert_eq!(p.witnesses[4].name, "Y2");
        assert_eq!(p.witnesses[4].key.name, "w.test/Y2");
        // The trailing slash goes: pushes go to <url>/add-checkpoint.
        assert_eq!(p.witnesses[0].url.as_deref(), Some("https://w.test/X1"));
        let with = |set: &[usize]| p.met(|i| set.contains(&i));
        assert!(with(&[0, 1, 3]));
        assert!(with(&[0, 2, 5]));
        assert!(!with(&[0, 3, 4, 5]), "one X is not two");
        assert!(!with(&[0, 1, 2]), "no Y");
        assert!(!with(&[]));
        assert!(!p.asks_nothing());
    }

    #[test]
    fn a_log_may_name_its_url_and_a_bad_one_is_refused() {
        let log = lkey("sv.test/fund/A");
        let p =
            TlogPolicy::parse(format!("log {log} https://sv.test/fund/A\nquorum none").as_bytes())
                .unwrap();
        assert_eq!(p.logs[0].url.as_deref(), Some("https://sv.test/fund/A"));
        assert_eq!(p.logs[0].vkey, log);
        for bad in ["ftp://sv.test", "https://", "http://a?b=1"] {
            let e = refused(&format!("log {log} {bad}\nquorum none"));
            assert_eq!(e.line, 1, "{bad}: {e}");
            assert!(e.message.contains("http"), "{bad}: {e}");
        }
        assert!(refused(&format!("log {log} https://a b\nquorum none"))
            .message
            .contains("log line"));
    }

    #[test]
    fn a_single_witness_or_none_is_a_quorum() {
        let p =
            TlogPolicy::parse(format!("witness P {}\nquorum P\n", wkey("a/p")).as_bytes()).unwrap();
        assert!(p.covers("anything/fund/X"), "no log lines: every fund");
        assert!(p.met(|i| i == 0));
        assert!(!p.met(|_| false));
        let none = TlogPolicy::parse(b"quorum none\n").unwrap();
        assert!(none.asks_nothing());
        assert!(none.met(|_| false));
        let k = TlogPolicy::parse(
            format!(
                "witness A {}\nwitness B {}\nwitness C {}\ngroup g 3 A B C\nquorum g",
                wkey("a/a"),
                wkey("a/b"),
                wkey("a/c")
            )
            .as_bytes(),
        )
        .unwrap();
        assert!(k.met(|_| true));
        assert!(!k.met(|i| i != 1), "3 of 3 needs all three");
    }

    #[test]
    fn broken_files_are_refused_with_their_line() {
        let w = wkey("a/w");
        let v = wkey("a/v");
        let cases: Vec<(String, usize, &str)> = vec![
            ("".into(), 0, "no quorum"),
            ("# only a comment\n".into(), 0, "no quorum"),
            ("quorum none\nquorum none\n".into(), 2, "second quorum"),
            ("quorum W\n".into(), 1, "not defined above"),
            (format!("quorum W\nwitness W {w}\n"), 1, "not defined above"),
            (format!("witness W {w}\r\nquorum W\n"), 1, "carriage return"),
            (
                format!("witness W {w}\nquorum W\x0c\n"),
                2,
                "control character",
            ),
            (
                format!("witness W {w}\nwitness W {v}\nquorum W"),
                2,
                "already defined",
            ),
            (
                format!("witness none {w}\nquorum none"),
                1,
                "already defined",
            ),
            (
                format!("witness W {w}\nwitness V {w}\nquorum W"),
                2,
                "already listed",
            ),
            (
                format!("witness W {}\nquorum W", lkey("a/fund/L")),
                1,
                "type 0x04",
            ),
            (format!("log {w}\nquorum none"), 1, "Ed25519"),
            (
                format!(
                    "log {}\nlog {}\nquorum none",
                    lkey("a/fund/L"),
                    lkey("a/fund/L")
                ),
                2,
                "already listed",
            ),
            (
                "witness W a/w+00000000+BAAA\nquorum W".into(),
                1,
                "type 0x04",
            ),
            (format!("witness W {w} ftp://x\nquorum W"), 1, "http"),
            (format!("witness W {w} https://\nquorum W"), 1, "http"),
            (
                format!("witness W {w} https://x extra\nquorum W"),
                1,
                "witness line",
            ),
            ("witness W\nquorum none".into(), 1, "witness line"),
            (format!("witness W {w}\ngroup g\nquorum g"), 2, "group line"),
            (
                format!("witness W {w}\ngroup g any\nquorum g"),
                2,
                "at least one",
            ),
            (
                format!("witness W {w}\ngroup g 2 W\nquorum g"),
                2,
                "from 1 to 1",
            ),
            (
                format!("witness W {w}\ngroup g 0 W\nquorum g"),
                2,
                "from 1 to 1",
            ),
            (
                format!("witness W {w}\ngroup g 00 W\nquorum g"),
                2,
                "from 1 to 1",
            ),
            (
                format!("witness W {w}\ngroup g -1 W\nquorum g"),
                2,
                "no threshold",
            ),
            (
                format!("witness W {w}\ngroup g some W\nquorum g"),
                2,
                "no threshold",
            ),
            (
                format!("witness W {w}\ngroup g any W W\nquorum g"),
                2,
                "already a member",
            ),
            (
                format!("witness W {w}\nwitness V {v}\ngroup g any W\ngroup h any W V\nquorum h"),
                4,
                "already a member",
            ),
            (
                format!("witness W {w}\ngroup g any W\ngroup h any g\ngroup i any g\nquorum i"),
                4,
                "already a member",
            ),
            (
                format!(
                    "witness W {w}\nwitness V {}\nquorum W",
                    WitnessKey::derive(&MasterSecret::from_bytes([9; 32]), "a/w")
                        .unwrap()
                        .verifier_key()
                ),
                2,
                "also named",
            ),
            (
                format!("witness W {w}\ngroup g any none\nquorum g"),
                2,
                "`none`",
            ),
            (
                format!("witness W {w}\ngroup g any X\nquorum g"),
                2,
                "not defined",
            ),
            (
                format!("witness W {w}\ngroup g any g\nquorum g"),
                2,
                "not defined",
            ),
            (format!("witness W {w}\nquorum W W"), 2, "quorum line"),
            ("witnesses W\nquorum none".into(), 1, "unknown keyword"),
        ];
        for (text, line, says) in cases {
            let e = refused(&text);
            assert_eq!(e.line, line, "{text:?}: {e}");
            assert!(e.to_string().contains(says), "{text:?}: {e}");
        }
        let big = format!("{}quorum none\n", "#\n".repeat(BYTES_MAX));
        assert!(refused(&big).to_string().contains("bytes"));
        let mut full = "quorum none\n#".to_owned();
        full.push_str(&"x".repeat(BYTES_MAX - full.len()));
        assert_eq!(full.len(), BYTES_MAX);
        assert!(
            TlogPolicy::parse(full.as_bytes()).is_ok(),
            "as long as allowed"
        );
        full.push('x');
        assert!(refused(&full).to_string().contains("bytes"));
        let many: String = (0..=ENTRIES_MAX)
            .map(|i| format!("witness W{i} {}\n", wkey(&format!("a/w{i}"))))
            .collect();
        let e = refused(&format!("{many}quorum none"));
        assert_eq!(e.line, ENTRIES_MAX + 1, "{e}");
    }

    #[test]
    fn names_are_their_bytes_and_utf_8_is_allowed() {
        let text = format!(
            "# Ủy ban MTTQ tỉnh\nwitness Tỉnh {}\nwitness K {}\ngroup nhóm all Tỉnh K\nquorum nhóm\n",
            wkey("a/t"),
            wkey("a/k")
        );
        let p = TlogPolicy::parse(text.as_bytes()).unwrap();
        assert_eq!(p.witnesses[0].name, "Tỉnh");
        assert!(p.met(|_| true));
        assert!(!p.met(|i| i == 0));
        // A name is its bytes: the precomposed "ỉ" is not "i" and a
        // combining hook.
        let other = text.replacen("group nhóm all Tỉnh K", "group nhóm all Ti\u{309}nh K", 1);
        assert!(TlogPolicy::parse(other.as_bytes())
            .unwrap_err()
            .to_string()
            .contains("not defined"));
        // International host names in URLs are taken as written.
        let idn = format!(
            "witness W {} https://mttq.việtnam.vn/w\nquorum W",
            wkey("a/w")
        );
        assert_eq!(
            TlogPolicy::parse(idn.as_bytes()).unwrap().witnesses[0]
                .url
                .as_deref(),
            Some("https://mttq.việtnam.vn/w")
        );
        let mut latin1 = b"quorum none\n# ".to_vec();
        latin1.push(0xff);
        let e = TlogPolicy::parse(&latin1).unwrap_err();
        assert_eq!((e.line, e.message.contains("UTF-8")), (2, true), "{e}");
    }
}
