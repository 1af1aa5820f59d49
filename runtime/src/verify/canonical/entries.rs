//! Sorting an object's members by key, as [`super::rearrange`] does for every object whose
//! members are out of order: the cost an attacker picks by sending one big object in random
//! order. Each member is an entry `(word, position)` whose word decides most comparisons; a
//! big object is sorted by word in linear time (a radix sort, a byte a pass), and only runs of
//! equal words are compared member by member.

use ::std::cmp::Ordering;

/// An entry: the word that orders it first, and the member's position in its object.
pub(super) type Entry = (u64, usize);

/// Below this many entries a comparison sort is as fast, with no second buffer.
pub(super) const RADIX_FROM: usize = 64;

/// Sorts `entries` by word, then by `tie` (given two positions), then by position. `spare` is
/// scratch space, reused between calls.
pub(super) fn sort(entries: &mut Vec<Entry>, spare: &mut Vec<Entry>, tie: impl Fn(usize, usize) -> Ordering) {
    let by_all = |a: &Entry, b: &Entry| a.0.cmp(&b.0).then_with(|| tie(a.1, b.1)).then(a.1.cmp(&b.1));
    if entries.len() < RADIX_FROM {
        entries.sort_unstable_by(by_all);
        return;
    }
    radix_sort(entries, spare);
    // Entries of one word are still in position order (the radix sort is stable); `tie` decides
    // between them.
    for run in entries.chunk_by_mut(|a, b| a.0 == b.0) {
        if run.len() > 1 && !run.is_sorted_by(|a, b| by_all(a, b).is_le()) {
            run.sort_unstable_by(by_all);
        }
    }
}

/// Sorts by word, stably: least significant byte first, skipping a byte every word shares
/// (most of them, for words that are keys' prefixes or small numbers).
fn radix_sort(entries: &mut Vec<Entry>, spare: &mut Vec<Entry>) {
    let mut counts = [[0usize; 256]; 8];
    for &(word, _) in entries.iter() {
        for (byte, count) in word.to_le_bytes().into_iter().zip(&mut counts) {
            count[usize::from(byte)] += 1;
        }
    }
    // Sized once: after a pass the two buffers swap, and both keep this length.
    spare.clear();
    spare.resize(entries.len(), (0, 0));
    for (pass, count) in counts.iter().enumerate() {
        if count.contains(&entries.len()) {
            continue;
        }
        let mut next = [0usize; 256];
        let mut sum = 0;
        for (next, &n) in next.iter_mut().zip(count) {
            *next = sum;
            sum += n;
        }
        for &entry in entries.iter() {
            let byte = usize::from(entry.0.to_le_bytes()[pass]);
            spare[next[byte]] = entry;
            next[byte] += 1;
        }
        ::std::mem::swap(entries, spare);
    }
}

#[cfg(test)]
mod tests {
    use super::{sort, Entry};

    /// A small deterministic generator (xorshift), so the test needs no dependency.
    fn words(seed: u64, n: usize, spread: u64) -> Vec<Entry> {
        let mut x = seed;
        (0..n)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x % spread, i)
            })
            .collect()
    }

    #[test]
    fn sorts_as_a_comparison_sort_does() {
        for (seed, n, spread) in [(1, 10, 4), (2, 100, 1 << 40), (3, 1000, 7), (4, 5000, u64::MAX), (5, 300, 1)] {
            let mut entries = words(seed, n, spread);
            // `tie` orders positions backwards, so its use shows.
            let tie = |a: usize, b: usize| b.cmp(&a);
            let mut expected = entries.clone();
            expected.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| tie(a.1, b.1)));
            sort(&mut entries, &mut Vec::new(), tie);
            assert_eq!(entries, expected, "seed {seed}, {n} entries");
        }
    }
}
