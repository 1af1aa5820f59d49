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
//! It also holds where each delivery's row is (`row_ids`, loaded when the store opens): a
//! claim of a delivery without a row, almost every claim, is taken without reading the database.
//!
//! PostgreSQL's store keeps its claims in the database: there, several processes share them.

use ::std::collections::HashMap;

use super::row_ids::RowIds;

/// Claims running in this process, by provider and delivery id; times are Unix milliseconds.
#[derive(Debug, Default)]
pub(crate) struct Held {
    running: HashMap<String, HashMap<String, Holding>>,
    /// How many claims were held after the last sweep.
    after_sweep: usize,
    /// Where the deliveries' rows are; `None` until loaded.
    rows: Option<RowIds>,
}

/// One claim.
#[derive(Debug)]
struct Holding {
    holder: String,
    lease_until: i64,
    /// The runs the delivery's row will record: those before, and this one.
    runs: i64,
    /// Whether its end is being written: until the row is, the delivery runs (its lease over or
    /// not), so that no claim takes it over meanwhile and runs a delivery completed.
    ending: bool,
}

/// Below this many claims a sweep is not worth its time.
const SWEEP_FROM: usize = 1024;

impl Held {
    /// Whether a holder runs the delivery with its lease not over at `now`, or its end is being
    /// written.
    pub(crate) fn running(&self, provider: &str, delivery_id: &str, now: i64) -> bool {
        self.get(provider, delivery_id).is_some_and(|h| h.lease_until > now || h.ending)
    }

    /// If `holder` holds the delivery (its lease over or not), its end is now being written: the
    /// runs its row will record. Until [`ended`](Self::ended) or [`not_ended`](Self::not_ended),
    /// the delivery runs.
    pub(crate) fn ending(&mut self, provider: &str, delivery_id: &str, holder: &str) -> Option<i64> {
        let held = self.running.get_mut(provider)?.get_mut(delivery_id).filter(|h| h.holder == holder)?;
        held.ending = true;
        Some(held.runs)
    }

    /// `holder`'s end was not written (the statement failed): the claim runs as before.
    pub(crate) fn not_ended(&mut self, provider: &str, delivery_id: &str, holder: &str) {
        if let Some(held) = self.running.get_mut(provider).and_then(|p| p.get_mut(delivery_id)).filter(|h| h.holder == holder) {
            held.ending = false;
        }
    }

    /// The runs of the delivery, if it is held (its lease over or not).
    pub(crate) fn runs(&self, provider: &str, delivery_id: &str) -> Option<i64> {
        self.get(provider, delivery_id).map(|h| h.runs)
    }

    /// `holder` takes the delivery until `lease_until`, over any claim before it; `stored_runs`
    /// are those its row records, if it has one. The runs the claim now counts.
    pub(crate) fn take(&mut self, provider: &str, delivery_id: &str, holder: String, lease_until: i64, stored_runs: Option<i64>) -> i64 {
        // A claim held here is newer than the row: a row is written only when a claim ends.
        let before = self.get(provider, delivery_id);
        let runs = before.map(|h| h.runs).or(stored_runs).unwrap_or(0).saturating_add(1);
        let held = Holding { holder, lease_until, runs, ending: false };
        self.running.entry(provider.to_owned()).or_default().insert(delivery_id.to_owned(), held);
        runs
    }

    /// Takes where the table's rows are, read when the store opens.
    pub(crate) fn loaded(&mut self, rows: RowIds) {
        self.rows = Some(rows);
    }

    /// Whether the delivery may have a row (surely not when `false`); `true` until loaded.
    pub(crate) fn may_have_row(&self, provider: &str, delivery_id: &str) -> bool {
        self.rows.as_ref().is_none_or(|rows| rows.may_have(provider, delivery_id))
    }

    /// Where the table's rows are, once loaded. Only the store's writer changes them (it writes
    /// the rows), so between its writes they are the table's exactly.
    pub(crate) fn rows(&self) -> Option<&RowIds> {
        self.rows.as_ref()
    }

    /// The same, to change as the writer writes.
    pub(crate) fn rows_mut(&mut self) -> Option<&mut RowIds> {
        self.rows.as_mut()
    }

    /// `holder`'s claim ended (its row is written): forgets the claim if `holder` still holds it.
    pub(crate) fn ended(&mut self, provider: &str, delivery_id: &str, holder: &str) {
        let Some(of_provider) = self.running.get_mut(provider) else { return };
        if of_provider.get(delivery_id).is_some_and(|held| held.holder == holder) {
            of_provider.remove(delivery_id);
            if of_provider.is_empty() {
                self.running.remove(provider);
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
            of_provider.retain(|_, h| h.lease_until > now || h.ending);
        }
        self.running.retain(|_, of_provider| !of_provider.is_empty());
        self.after_sweep = self.len();
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
        let mut rows = RowIds::default();
        keys.iter().zip(1..).for_each(|((p, d), id)| rows.add(p, d, id));
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
        assert_eq!(held.ending("p", "d", "h2"), None, "only its holder");
        held.ended("p", "d", "h2");
        assert!(held.running("p", "d", 0), "not ended by another holder");
        held.ended("p", "d", "h1");
        assert!(!held.running("p", "d", 0));
        assert_eq!(held.runs("p", "d"), None);
    }

    /// While its end is written, a claim whose lease is over is not taken over: the delivery may
    /// be completed by then.
    #[test]
    fn a_claim_ending_runs_until_its_end_is_written_or_fails() {
        let mut held = loaded(&[]);
        held.take("p", "d", "h1".into(), 100, None);
        assert_eq!(held.ending("p", "d", "h1"), Some(1));
        assert!(held.running("p", "d", 1000), "its lease is over, and it still runs");
        held.sweep(1000);
        held.not_ended("p", "d", "h2");
        assert!(held.running("p", "d", 1000), "not undone by another holder");
        held.not_ended("p", "d", "h1");
        assert!(!held.running("p", "d", 1000), "failed: its lease is over again");
        assert!(held.running("p", "d", 99));
        held.ending("p", "d", "h1");
        held.ended("p", "d", "h1");
        assert!(!held.running("p", "d", 0));
    }

    #[test]
    fn runs_count_from_the_claim_held_then_from_the_row() {
        let mut held = loaded(&[]);
        assert_eq!(held.take("p", "d", "h1".into(), 10, Some(3)), 4, "after the row's three");
        // Taken over after the lease: the claim held counts, not the older row.
        assert_eq!(held.take("p", "d", "h2".into(), 20, Some(3)), 5);
        assert_eq!(held.ending("p", "d", "h1"), None, "the first holder lost it");
        assert_eq!(held.take("p", "e", "h3".into(), 20, Some(i64::MAX)), i64::MAX, "saturating");
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
