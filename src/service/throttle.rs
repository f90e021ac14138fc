//! Back-off for sign-ins (SPEC §9): after a few wrong passwords for one
//! username, or from one address, further attempts wait, twice as long
//! each time, up to 15 minutes. While a name or an address waits, the
//! password is not checked at all, so guessing gains nothing and costs the
//! server nothing. Kept in memory per process: a restart forgives.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Wrong passwords allowed before the first wait.
pub const FREE_FAILURES: u32 = 5;
/// The first wait; each further failure doubles it.
pub const FIRST_WAIT: Duration = Duration::from_secs(1);
/// The longest wait.
pub const WAIT_MAX: Duration = Duration::from_secs(15 * 60);
/// Most names and addresses remembered; past this, those no longer
/// waiting are forgotten first.
pub const KEYS_MAX: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    until: Instant,
}

/// Failed sign-ins by key (`user:<name>`, `addr:<ip>`).
#[derive(Debug, Default)]
pub struct Throttle {
    failures: Mutex<HashMap<String, Failures>>,
}

/// How long the attempt must wait, if at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Go,
    Wait(Duration),
}

impl Throttle {
    /// May an attempt for these keys go ahead at `now`?
    pub fn check(&self, keys: &[String], now: Instant) -> Verdict {
        let Ok(map) = self.failures.lock() else {
            return Verdict::Go;
        };
        let longest = keys
            .iter()
            .filter_map(|k| map.get(k))
            .filter(|f| f.until > now)
            .map(|f| f.until - now)
            .max();
        longest.map_or(Verdict::Go, Verdict::Wait)
    }

    /// Counts a wrong password for each key.
    pub fn failed(&self, keys: &[String], now: Instant) {
        let Ok(mut map) = self.failures.lock() else {
            return;
        };
        if map.len() >= KEYS_MAX {
            map.retain(|_, f| f.until > now);
            if map.len() >= KEYS_MAX {
                map.clear();
            }
        }
        for k in keys {
            let f = map.entry(k.clone()).or_insert(Failures {
                count: 0,
                until: now,
            });
            f.count = f.count.saturating_add(1);
            f.until = now + wait_after(f.count);
        }
    }

    /// Forgets the failures of these keys, after a right password.
    pub fn succeeded(&self, keys: &[String]) {
        if let Ok(mut map) = self.failures.lock() {
            for k in keys {
                map.remove(k);
            }
        }
    }
}

/// The wait after the `count`-th failure in a row.
pub fn wait_after(count: u32) -> Duration {
    if count < FREE_FAILURES {
        return Duration::ZERO;
    }
    let doublings = (count - FREE_FAILURES).min(20);
    FIRST_WAIT.saturating_mul(1 << doublings).min(WAIT_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Vec<String> {
        vec!["user:lan".into(), "addr:127.0.0.1".into()]
    }

    #[test]
    fn a_few_wrong_passwords_cost_nothing_then_waits_double_up_to_fifteen_minutes() {
        let waits: Vec<u64> = (1..=20).map(|n| wait_after(n).as_secs()).collect();
        assert_eq!(&waits[..4], &[0, 0, 0, 0]);
        assert_eq!(&waits[4..10], &[1, 2, 4, 8, 16, 32]);
        assert_eq!(waits[13], 512);
        assert_eq!(waits[14], 900, "capped at 15 minutes");
        assert_eq!(wait_after(u32::MAX), WAIT_MAX);
    }

    #[test]
    fn a_name_that_failed_too_often_waits_and_a_right_password_forgives() {
        let t = Throttle::default();
        let now = Instant::now();
        for _ in 0..4 {
            t.failed(&keys(), now);
        }
        assert_eq!(t.check(&keys(), now), Verdict::Go);
        t.failed(&keys(), now);
        assert_eq!(t.check(&keys(), now), Verdict::Wait(Duration::from_secs(1)));
        assert_eq!(t.check(&keys(), now + Duration::from_secs(1)), Verdict::Go);
        // The address alone keeps another name waiting too.
        let other = vec!["user:minh".to_owned(), "addr:127.0.0.1".to_owned()];
        assert_eq!(t.check(&other, now), Verdict::Wait(Duration::from_secs(1)));
        t.succeeded(&keys());
        assert_eq!(t.check(&other, now), Verdict::Go);
    }
}
