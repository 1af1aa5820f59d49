//! The claims a SQLite store's process is running: held in memory, not written.
//!
//! A SQLite file is one process's (`owner` makes sure of it), so its claims and its handlers
//! share the process's fate. A claim exists to keep a copy from running while the first holder
//! may still be running; when the process dies, every holder dies with it, so no claim needs to
//! outlive it. After a restart the provider's retry finds no claim and runs at once, where a
//! written claim would have kept it waiting for its lease.
//!
//! What must outlive the process is written: a completion (synced before it is answered) and a
//! release (so the run count survives).
//!
//! The table also knows which deliveries have a row, by a 32-bit fingerprint of their key: a
//! claim of a delivery whose fingerprint is not there is taken at once, without reading the
//! database, which is almost every claim (a copy is the exception). Fingerprints are counted,
//! exactly, because the store's writer is the only one to add rows (an ended claim) or delete
//! them (the purge), and it tells the table of each; two keys that share a fingerprint only cost
//! a read. The count is loaded from the table when the store opens, a page of keys at a time: for
//! a million deliveries kept, 1.9 s (1.1 times one read of every key) and 23 MiB (BENCHMARKS §4).
//!
//! PostgreSQL's store keeps its claims in the database: there, several processes share them.

use ::std::collections::HashMap;
use ::std::hash::{Hash, Hasher};

/// Claims running in this process, by provider and delivery id; times are Unix milliseconds.
#[derive(Debug, Default)]
pub(crate) struct Held {
    running: HashMap<String, HashMap<String, Holding>>,
    /// How many claims were held after the last sweep.
    after_sweep: usize,
    /// How many deliveries have a row, by fingerprint; `None` until loaded.
    rows: Option<HashMap<u32, u32>>,
    /// How many rows the purge has deleted: a row read before a deletion may be gone.
    deletions: u64,
}

/// One claim.
#[derive(Debug)]
struct Holding {
    holder: String,
    lease_until: i64,
    /// The runs the delivery's row will record: those before, and this one.
    runs: i64,
    /// Whether the delivery has a row (counted in `rows`).
    has_row: bool,
}

/// The table's rows, counted by fingerprint as they are read.
#[derive(Default)]
pub(crate) struct Rows(HashMap<u32, u32>);

impl Rows {
    #[cfg(test)]
    pub(crate) fn into_counts(self) -> HashMap<u32, u32> {
        self.0
    }

    pub(crate) fn add(&mut self, provider: &str, delivery_id: &str) {
        let count = self.0.entry(fingerprint(provider, delivery_id)).or_default();
        *count = count.saturating_add(1);
    }
}

/// A key's fingerprint: SipHash, whose keys are fixed, so the same in every run; the ids are
/// signed by the provider, and a collision costs only a read.
fn fingerprint(provider: &str, delivery_id: &str) -> u32 {
    let mut hasher = ::std::collections::hash_map::DefaultHasher::new();
    (provider, delivery_id).hash(&mut hasher);
    // The high half: both halves are as good, and the low one feeds the map's own hashing.
    (hasher.finish() >> 32) as u32
}

/// Below this many claims a sweep is not worth its time.
const SWEEP_FROM: usize = 1024;

impl Held {
    /// Whether a holder runs the delivery with its lease not over at `now`.
    pub(crate) fn running(&self, provider: &str, delivery_id: &str, now: i64) -> bool {
        self.get(provider, delivery_id).is_some_and(|h| h.lease_until > now)
    }

    /// If `holder` holds the delivery (its lease over or not): the runs its row will record, and
    /// whether it has a row already.
    pub(crate) fn held_by(&self, provider: &str, delivery_id: &str, holder: &str) -> Option<(i64, bool)> {
        self.get(provider, delivery_id).filter(|h| h.holder == holder).map(|h| (h.runs, h.has_row))
    }

    /// The runs of the delivery, if it is held (its lease over or not).
    pub(crate) fn runs(&self, provider: &str, delivery_id: &str) -> Option<i64> {
        self.get(provider, delivery_id).map(|h| h.runs)
    }

    /// `holder` takes the delivery until `lease_until`, over any claim before it. `row` is the
    /// delivery's row, if it has one, as read: the runs it records, and what
    /// [`deletions`](Self::deletions) said when it was read. The runs the claim now counts.
    ///
    /// If the purge deleted rows since the read, it may have deleted this one, so the row is
    /// taken to be gone: counted when the claim ends, a row that was not gone is counted twice.
    /// A count too high costs a read; one too low would let a copy run.
    pub(crate) fn take(&mut self, provider: &str, delivery_id: &str, holder: String, lease_until: i64, row: Option<(i64, u64)>) -> i64 {
        let has_row = row.is_some_and(|(_, read_at)| read_at == self.deletions);
        let stored_runs = row.map(|(runs, _)| runs);
        // A claim held here is newer than the row: a row is written only when a claim ends.
        let before = self.get(provider, delivery_id);
        let runs = before.map(|h| h.runs).or(stored_runs).unwrap_or(0).saturating_add(1);
        let held = Holding { holder, lease_until, runs, has_row };
        self.running.entry(provider.to_owned()).or_default().insert(delivery_id.to_owned(), held);
        runs
    }

    /// Takes the count of the table's rows, made when the store opens.
    pub(crate) fn loaded(&mut self, rows: Rows) {
        self.rows = Some(rows.0);
    }

    /// How many rows the purge has deleted so far.
    pub(crate) fn deletions(&self) -> u64 {
        self.deletions
    }

    /// Whether the delivery may have a row (surely not when `false`); `true` until loaded.
    pub(crate) fn may_have_row(&self, provider: &str, delivery_id: &str) -> bool {
        self.rows.as_ref().is_none_or(|rows| rows.contains_key(&fingerprint(provider, delivery_id)))
    }

    /// `holder`'s claim ended and its row is written (`had_row`: it had one before, as
    /// [`held_by`](Self::held_by) said): counts the row if it is new, and forgets the claim if
    /// `holder` still holds it. (Only the writer writes rows, one round after another, so nothing
    /// else counted this row meanwhile; a claim that took the delivery over meanwhile now has a
    /// row.)
    pub(crate) fn ended(&mut self, provider: &str, delivery_id: &str, holder: &str, had_row: bool) {
        if !had_row {
            if let Some(rows) = &mut self.rows {
                let count = rows.entry(fingerprint(provider, delivery_id)).or_default();
                *count = count.saturating_add(1);
            }
        }
        let Some(of_provider) = self.running.get_mut(provider) else { return };
        match of_provider.get_mut(delivery_id) {
            Some(held) if held.holder == holder => {
                of_provider.remove(delivery_id);
                if of_provider.is_empty() {
                    self.running.remove(provider);
                }
            }
            Some(other) => other.has_row = true,
            None => {}
        }
    }

    /// The delivery's row was deleted (the purge).
    pub(crate) fn deleted(&mut self, provider: &str, delivery_id: &str) {
        self.deletions = self.deletions.wrapping_add(1);
        if let Some(held) = self.running.get_mut(provider).and_then(|of_provider| of_provider.get_mut(delivery_id)) {
            held.has_row = false;
        }
        if let Some(rows) = &mut self.rows {
            let print = fingerprint(provider, delivery_id);
            if let Some(count) = rows.get_mut(&print) {
                *count = count.saturating_sub(1);
                if *count == 0 {
                    rows.remove(&print);
                }
            }
        }
    }

    /// Forgets the claims whose lease is over at `now` once there are twice as many as the last
    /// sweep left (and enough to matter), so that claims whose holder vanished without an end
    /// (a request dropped mid-handler) take memory in proportion to those running. Their run
    /// count goes with them: the next claim counts from the delivery's row.
    pub(crate) fn sweep(&mut self, now: i64) {
        let held = self.len();
        if held < SWEEP_FROM.max(self.after_sweep.saturating_mul(2)) {
            return;
        }
        for of_provider in self.running.values_mut() {
            of_provider.retain(|_, h| h.lease_until > now);
        }
        self.running.retain(|_, of_provider| !of_provider.is_empty());
        self.after_sweep = self.len();
    }

    /// The count of rows by fingerprint, if loaded.
    #[cfg(test)]
    pub(crate) fn counted(&self) -> Option<&HashMap<u32, u32>> {
        self.rows.as_ref()
    }

    fn len(&self) -> usize {
        self.running.values().map(HashMap::len).sum()
    }

    fn get(&self, provider: &str, delivery_id: &str) -> Option<&Holding> {
        self.running.get(provider)?.get(delivery_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loaded(keys: &[(&str, &str)]) -> Held {
        let mut rows = Rows::default();
        keys.iter().for_each(|(p, d)| rows.add(p, d));
        let mut held = Held::default();
        held.loaded(rows);
        held
    }

    #[test]
    fn a_claim_runs_until_its_lease_ends_or_it_ends() {
        let mut held = loaded(&[]);
        assert_eq!(held.take("p", "d", "h1".into(), 100, None), 1);
        assert!(held.running("p", "d", 99));
        assert!(!held.running("p", "d", 100), "the lease is over at its end");
        assert!(!held.running("q", "d", 0), "another provider's delivery");
        assert_eq!(held.held_by("p", "d", "h1"), Some((1, false)));
        assert_eq!(held.held_by("p", "d", "h2"), None, "only its holder");
        held.ended("p", "d", "h1", false);
        assert!(!held.running("p", "d", 0));
        assert_eq!(held.runs("p", "d"), None);
    }

    #[test]
    fn runs_count_from_the_claim_held_then_from_the_row() {
        let mut held = loaded(&[]);
        assert_eq!(held.take("p", "d", "h1".into(), 10, Some((3, held.deletions()))), 4, "after the row's three");
        // Taken over after the lease: the claim held counts, not the older row.
        assert_eq!(held.take("p", "d", "h2".into(), 20, Some((3, held.deletions()))), 5);
        assert_eq!(held.held_by("p", "d", "h1"), None, "the first holder lost it");
        assert_eq!(held.take("p", "e", "h3".into(), 20, Some((i64::MAX, held.deletions()))), i64::MAX, "saturating");
    }

    #[test]
    fn nothing_is_known_to_have_no_row_until_the_rows_are_loaded() {
        let held = Held::default();
        assert!(held.may_have_row("p", "never"));
        let held = loaded(&[("p", "old")]);
        assert!(held.may_have_row("p", "old"));
        assert!(!held.may_have_row("p", "never"));
        assert!(!held.may_have_row("q", "old"), "another provider's");
    }

    /// A row is counted once, when the claim that wrote it ends, whoever holds the delivery by
    /// then; and no longer once the purge deletes it.
    #[test]
    fn rows_are_counted_as_they_are_written_and_deleted() {
        let mut held = loaded(&[]);
        held.take("p", "d", "h1".into(), 10, None);
        held.ended("p", "d", "h1", false);
        assert!(held.may_have_row("p", "d"));
        // Claimed again (it has a row), released, claimed, completed: still one row.
        held.take("p", "d", "h2".into(), 10, Some((1, held.deletions())));
        let (_, had_row) = held.held_by("p", "d", "h2").unwrap();
        held.ended("p", "d", "h2", had_row);
        held.deleted("p", "d");
        assert!(!held.may_have_row("p", "d"), "counted once: one deletion forgets it");

        // Taken over while its first holder's row was written: the new holder has a row now.
        held.take("p", "e", "h1".into(), 0, None);
        held.take("p", "e", "h2".into(), 10, None);
        held.ended("p", "e", "h1", false);
        assert!(held.running("p", "e", 5), "the new holder keeps it");
        assert_eq!(held.held_by("p", "e", "h2"), Some((2, true)));
        held.ended("p", "e", "h2", true);
        held.deleted("p", "e");
        assert!(!held.may_have_row("p", "e"));

        // Deleted while claimed: the claim's row is new when it ends.
        held.take("p", "f", "h1".into(), 10, Some((1, held.deletions())));
        held.deleted("p", "f");
        assert_eq!(held.held_by("p", "f", "h1"), Some((2, false)));
    }

    /// A row read before the purge deleted rows may be gone: it counts as gone, so the claim's
    /// row is counted when it ends (once too often at worst, never too few).
    #[test]
    fn a_row_read_before_a_purge_counts_as_gone() {
        let mut held = loaded(&[("p", "old"), ("p", "other")]);
        let read_at = held.deletions();
        held.deleted("p", "old");
        held.take("p", "old", "h".into(), 10, Some((1, read_at)));
        assert_eq!(held.held_by("p", "old", "h"), Some((2, false)));
        held.ended("p", "old", "h", false);
        assert!(held.may_have_row("p", "old"), "its new row is counted");
        // Read after the purge: as read.
        let read_at = held.deletions();
        held.take("p", "other", "h".into(), 10, Some((1, read_at)));
        assert_eq!(held.held_by("p", "other", "h"), Some((2, true)));
    }

    #[test]
    fn two_keys_with_one_fingerprint_are_each_counted() {
        let mut held = loaded(&[("p", "a"), ("p", "a")]);
        held.deleted("p", "a");
        assert!(held.may_have_row("p", "a"), "the other key's row is still there");
        held.deleted("p", "a");
        assert!(!held.may_have_row("p", "a"));
    }

    #[test]
    fn a_sweep_keeps_every_claim_whose_lease_runs() {
        let mut held = Held::default();
        for i in 0..SWEEP_FROM {
            // Every other lease over at 50.
            held.take("p", &i.to_string(), "h".into(), if i % 2 == 0 { 50 } else { 500 }, None);
        }
        held.sweep(100);
        assert_eq!(held.len(), SWEEP_FROM / 2);
        assert!((0..SWEEP_FROM).all(|i| held.running("p", &i.to_string(), 100) == (i % 2 == 1)));
        // Not again before the claims double.
        held.take("p", "x", "h".into(), 0, None);
        held.sweep(1000);
        assert_eq!(held.len(), SWEEP_FROM / 2 + 1);
    }
}
