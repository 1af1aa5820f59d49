//! Where a SQLite store's deliveries are: the ids of `delivery_log`'s rows, by a 32-bit
//! fingerprint of their key. The table has no index on the key (its migration says why), so this
//! is the index, held in memory.
//!
//! It is exact: the store's writer is the only one to add rows (as claims end) or delete them (a
//! row replaced by its delivery's newer one, the purge), and it tells the index of each. A key
//! whose fingerprint is not here has no row, which is almost every claim's (a copy is the
//! exception), so the claim is taken without reading the database. Two keys that share a
//! fingerprint cost only a read of both rows: whoever reads the ids matches the key.
//!
//! One entry for the first row of each fingerprint, and a second map for the rare others (with a
//! million keys, about a hundred), so that a row costs no allocation of its own; and the first
//! row's id in 4 bytes while ids fit (the first 4 billion rows a store writes), so that a row
//! costs 8 bytes and the map's room to grow (BENCHMARKS §4).

use ::std::collections::HashMap;
use ::std::hash::{Hash, Hasher};

/// Row ids by the fingerprint of their key.
#[derive(Debug, Default)]
pub(crate) struct RowIds {
    /// The first row of a fingerprint, when its id fits 4 bytes.
    narrow: HashMap<u32, u32>,
    /// The first row of a fingerprint, when it does not (never in both maps).
    wide: HashMap<u32, i64>,
    /// The others of a fingerprint that has a first.
    more: HashMap<u32, Vec<i64>>,
}

/// A key's fingerprint: SipHash, whose keys are fixed, so the same in every run; the ids are
/// signed by the provider, and a collision costs only a read.
fn fingerprint(provider: &str, delivery_id: &str) -> u32 {
    let mut hasher = ::std::collections::hash_map::DefaultHasher::new();
    (provider, delivery_id).hash(&mut hasher);
    // The high half: both halves are as good, and the low one feeds the map's own hashing.
    (hasher.finish() >> 32) as u32
}

impl RowIds {
    /// The row `id` is the delivery's.
    pub(crate) fn add(&mut self, provider: &str, delivery_id: &str, id: i64) {
        let print = fingerprint(provider, delivery_id);
        match self.first(print) {
            Some(_) => self.more.entry(print).or_default().push(id),
            None => self.set_first(print, id),
        }
    }

    /// The row `id`, the delivery's, was deleted.
    pub(crate) fn remove(&mut self, provider: &str, delivery_id: &str, id: i64) {
        let print = fingerprint(provider, delivery_id);
        if self.first(print) == Some(id) {
            self.narrow.remove(&print);
            self.wide.remove(&print);
            if let Some(next) = self.more.get_mut(&print).and_then(Vec::pop) {
                self.set_first(print, next);
            }
        } else if let Some(more) = self.more.get_mut(&print) {
            more.retain(|&other| other != id);
        }
        if self.more.get(&print).is_some_and(Vec::is_empty) {
            self.more.remove(&print);
        }
    }

    fn first(&self, print: u32) -> Option<i64> {
        self.narrow.get(&print).map(|&id| i64::from(id)).or_else(|| self.wide.get(&print).copied())
    }

    fn set_first(&mut self, print: u32, id: i64) {
        match u32::try_from(id) {
            Ok(narrow) => drop(self.narrow.insert(print, narrow)),
            Err(_) => drop(self.wide.insert(print, id)),
        }
    }

    /// Whether the delivery may have a row (surely not when `false`).
    pub(crate) fn may_have(&self, provider: &str, delivery_id: &str) -> bool {
        self.first(fingerprint(provider, delivery_id)).is_some()
    }

    /// The ids of the rows that may be the delivery's: its row's, if it has one, among those of
    /// keys that share its fingerprint.
    pub(crate) fn of(&self, provider: &str, delivery_id: &str) -> Vec<i64> {
        let print = fingerprint(provider, delivery_id);
        let more = self.more.get(&print).map_or(&[][..], Vec::as_slice);
        self.first(print).into_iter().chain(more.iter().copied()).collect()
    }

    /// How many rows.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.narrow.len() + self.wide.len() + self.more.values().map(Vec::len).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Any mix of additions and removals, with keys that share fingerprints (few keys, and
    /// several rows a key, so that the second map is used), leaves the ids a plain list of
    /// (key, id) pairs holds.
    #[test]
    fn the_index_holds_exactly_the_ids_added_and_not_removed() {
        for seed in [1_u64, 7, 0x9e37_79b9_7f4a_7c15] {
            let mut next = crate::seeded(seed);
            let mut index = RowIds::default();
            let mut model: Vec<(String, i64)> = Vec::new();
            for step in 0..2000_i64 {
                // Ids that fit 4 bytes and ids that do not, negative ones too.
                let id = match next(4) {
                    0 => step.saturating_add(i64::from(u32::MAX)),
                    1 => -step,
                    _ => step,
                };
                let key = format!("d{}", next(8));
                if next(3) == 0 && !model.is_empty() {
                    let (key, id) = model.remove(usize::try_from(next(model.len() as u64)).unwrap());
                    index.remove("p", &key, id);
                } else {
                    index.add("p", &key, id);
                    model.push((key.clone(), id));
                }
                // Removing what is not there changes nothing.
                index.remove("p", &key, i64::MIN);
                for k in 0..8 {
                    let key = format!("d{k}");
                    let mut expected: Vec<i64> = model.iter().filter(|(m, _)| *m == key).map(|(_, id)| *id).collect();
                    let mut found = index.of("p", &key);
                    expected.sort_unstable();
                    found.sort_unstable();
                    assert_eq!(found, expected, "seed {seed}, step {step}, key {key}");
                    assert_eq!(index.may_have("p", &key), !expected.is_empty());
                }
                assert_eq!(index.len(), model.len());
            }
        }
    }

    #[test]
    fn keys_sharing_a_fingerprint_share_their_ids_and_others_do_not() {
        let mut index = RowIds::default();
        index.add("p", "a", 1);
        index.add("p", "a", 2);
        assert_eq!(index.of("p", "a"), [1, 2]);
        assert!(!index.may_have("q", "a"), "another provider's");
        assert!(index.of("p", "b").is_empty());
        index.remove("p", "a", 1);
        assert_eq!(index.of("p", "a"), [2], "the other row takes the first place");
        index.remove("p", "a", 2);
        assert!(!index.may_have("p", "a"));
        assert_eq!(index.len(), 0);
    }
}
