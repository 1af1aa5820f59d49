//! The writes of a store whose claims its process holds in memory ([`Held`]; SQLite's): a claim
//! writes nothing, and reads its delivery's row only when the delivery may have one; a
//! completion or a release writes the row, with the run count the claim kept.

use ::std::collections::{HashMap, HashSet};
use ::std::sync::{Mutex, MutexGuard, PoisonError};
use ::std::time::SystemTime;

use super::batch::{each_claim, firsts, read_rows, ClaimOp, Finish, FinishOp};
use super::held::{Held, Rows};
use super::{Claim, DeliveryKey, Lease};
use crate::db::{ms, on_database, unix_ms};
use crate::session::Link;

/// The table of claims. Callers taking claims at once, the claims' task and the writer each hold
/// it briefly, never across an `.await`, and never panic holding it.
pub(super) fn lock(held: &Mutex<Held>) -> MutexGuard<'_, Held> {
    held.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The rows of `rows` claims ended by `finish`: `$1` now, then four parameters a row (provider,
/// delivery id, holder, runs). A row is new, or one that its claim took over.
pub(super) fn record_sql(finish: Finish, rows: usize) -> String {
    let state = match finish {
        Finish::Complete => "'done'",
        // Left running with its lease over, so the next copy takes it over.
        Finish::Release => "'running'",
    };
    let values: Vec<String> =
        (0..rows).map(|n| format!("(${}, ${}, {state}, ${}, 0, $1, ${})", 4 * n + 2, 4 * n + 3, 4 * n + 4, 4 * n + 5)).collect();
    format!(
        "INSERT INTO deliveries (provider, delivery_id, state, holder, lease_until, updated_at, runs)\nVALUES {}\n\
         ON CONFLICT (provider, delivery_id) DO UPDATE\n\
         SET state = excluded.state, holder = excluded.holder, lease_until = 0, updated_at = excluded.updated_at, runs = excluded.runs",
        values.join(", ")
    )
}

/// Claims `key` for `lease` from memory alone, when that can tell: [`Claim::Running`] when a
/// holder here runs it, [`Claim::Acquired`] when it has no row (a delivery never seen, almost
/// every claim); `None` when its row must be read.
pub(super) fn claim_at_once(held: &Mutex<Held>, key: DeliveryKey<'_>, lease: ::std::time::Duration) -> Option<Claim> {
    let now = unix_ms(SystemTime::now());
    let mut held = lock(held);
    if held.running(key.provider, key.delivery_id, now) {
        return Some(Claim::Running);
    }
    if held.may_have_row(key.provider, key.delivery_id) {
        return None;
    }
    let holder = ::uuid::Uuid::new_v4().to_string();
    held.take(key.provider, key.delivery_id, holder.clone(), now.saturating_add(ms(lease)), None);
    held.sweep(now);
    Some(Claim::Acquired(Lease { provider: key.provider.to_owned(), delivery_id: key.delivery_id.to_owned(), holder }))
}

/// Counts the rows of the table into `held`, before the store's first claim is read: a page of
/// keys at a time, in key order, so that memory holds one page of them.
pub(super) async fn load(link: &mut Link, held: &Mutex<Held>) -> Result<(), ::sqlx::Error> {
    const FIRST: &str = "SELECT provider, delivery_id FROM deliveries ORDER BY provider, delivery_id LIMIT 10000";
    const NEXT: &str =
        "SELECT provider, delivery_id FROM deliveries WHERE (provider, delivery_id) > ($1, $2) ORDER BY provider, delivery_id LIMIT 10000";
    let mut rows = Rows::default();
    let mut after: Option<(String, String)> = None;
    loop {
        let page: Vec<(String, String)> = on_database!(link, connection => {
            let query = match &after {
                None => ::sqlx::query_as(FIRST),
                Some((provider, delivery_id)) => ::sqlx::query_as(NEXT).bind(provider).bind(delivery_id),
            };
            query.fetch_all(&mut *connection).await?
        });
        page.iter().for_each(|(provider, delivery_id)| rows.add(provider, delivery_id));
        match page.into_iter().last() {
            Some(last) => after = Some(last),
            None => break,
        }
    }
    lock(held).loaded(rows);
    Ok(())
}

/// Deletes the deliveries completed at or before `horizon`, telling `held` of each; how many.
pub(super) async fn purge(link: &mut Link, held: &Mutex<Held>, horizon: i64) -> Result<u64, ::sqlx::Error> {
    let sql = format!("{} RETURNING provider, delivery_id", super::sql::PURGE);
    let keys: Vec<(String, String)> =
        on_database!(link, connection => ::sqlx::query_as(&sql).bind(horizon).fetch_all(&mut *connection).await?);
    let mut held = lock(held);
    keys.iter().for_each(|(provider, delivery_id)| held.deleted(provider, delivery_id));
    Ok(u64::try_from(keys.len()).unwrap_or(u64::MAX))
}

/// Claims `claims` (sorted by key): each one's answer, in order. A delivery running here is
/// [`Claim::Running`]; the rows of the others are read: done within the retention, it is
/// [`Claim::Completed`]; running under a lease not over (a claim written by an earlier version
/// of the store), [`Claim::Running`]; else it is taken here.
pub(super) async fn claim(link: &mut Link, held: &Mutex<Held>, claims: &[ClaimOp]) -> Result<Vec<Claim>, ::sqlx::Error> {
    let now = unix_ms(SystemTime::now());
    let (firsts, first_of) = firsts(claims);
    // For each claim: running here, and else whether a claim whose lease is over is held here.
    let mut here = vec![false; claims.len()];
    let mut over = vec![false; claims.len()];
    let (free, read_at) = {
        let held = lock(held);
        let mut free: Vec<(&str, &str)> = Vec::new();
        for &i in &firsts {
            let (provider, delivery_id) = claims[i].key();
            here[i] = held.running(provider, delivery_id, now);
            over[i] = !here[i] && held.runs(provider, delivery_id).is_some();
            if !here[i] {
                free.push((provider, delivery_id));
            }
        }
        (free, held.deletions())
    };
    let rows = if free.is_empty() { HashMap::new() } else { read_rows(link, &free).await? };
    // Meanwhile a claim may have been taken at once, a claim's end written, or rows purged.
    let mut held = lock(held);
    let answers = each_claim(&first_of, |i| {
        let op = &claims[i];
        if here[i] || held.running(&op.provider, &op.delivery_id, now) {
            return Claim::Running;
        }
        // The claim whose lease was over has ended since: its row was written after the read, so
        // the read does not tell whether the delivery is done. The provider's retry will.
        if over[i] && held.runs(&op.provider, &op.delivery_id).is_none() {
            return Claim::Running;
        }
        let row = rows.get(&(op.provider.clone(), op.delivery_id.clone()));
        match row {
            Some(row) if row.state == "done" && row.updated_at > now.saturating_sub(ms(op.retention)) => Claim::Completed,
            Some(row) if row.state == "running" && row.lease_until > now => Claim::Running,
            _ => {
                let holder = ::uuid::Uuid::new_v4().to_string();
                let lease_until = now.saturating_add(ms(op.lease));
                held.take(&op.provider, &op.delivery_id, holder.clone(), lease_until, row.map(|r| (r.runs, read_at)));
                Claim::Acquired(Lease { provider: op.provider.clone(), delivery_id: op.delivery_id.clone(), holder })
            }
        }
    });
    held.sweep(now);
    Ok(answers)
}

/// Writes `finish` of `ops`' claims (sorted by key), committed: for each, whether it was written
/// (`false`: its lease was lost). A claim held here is written, then forgotten; one that another
/// holder took over here is lost; any other is answered from its row: written before under the
/// same holder (the same write sent twice), or lost.
pub(super) async fn finish(link: &mut Link, held: &Mutex<Held>, finish: Finish, ops: &[FinishOp]) -> Result<Vec<bool>, ::sqlx::Error> {
    let now = unix_ms(SystemTime::now());
    let key = |i: usize| (ops[i].lease.provider.as_str(), ops[i].lease.delivery_id.as_str());
    // The claims held here, each once, with their run counts and whether they have rows.
    let mine: Vec<(usize, (i64, bool))> = {
        let held = lock(held);
        let mut seen = HashSet::new();
        ops.iter()
            .enumerate()
            .filter_map(|(i, op)| {
                let holding = held.held_by(&op.lease.provider, &op.lease.delivery_id, &op.lease.holder)?;
                seen.insert(key(i)).then_some((i, holding))
            })
            .collect()
    };
    let mut written = vec![false; ops.len()];
    if !mine.is_empty() {
        let sql = record_sql(finish, mine.len());
        on_database!(link, connection => {
            let mut query = ::sqlx::query(&sql).bind(now);
            for &(i, (runs, _)) in &mine {
                let lease = &ops[i].lease;
                query = query.bind(&lease.provider).bind(&lease.delivery_id).bind(&lease.holder).bind(runs);
            }
            query.execute(&mut *connection).await?;
        });
        let mut held = lock(held);
        for &(i, (_, had_row)) in &mine {
            let lease = &ops[i].lease;
            held.ended(&lease.provider, &lease.delivery_id, &lease.holder, had_row);
            written[i] = true;
        }
    }
    // A claim held here under another holder is newer than the row: this one's lease is lost.
    let others: Vec<usize> = {
        let held = lock(held);
        (0..ops.len()).filter(|&i| !written[i] && held.runs(key(i).0, key(i).1).is_none()).collect()
    };
    if !others.is_empty() {
        let rows = read_rows(link, &others.iter().map(|&i| key(i)).collect::<Vec<_>>()).await?;
        for i in others {
            let lease = &ops[i].lease;
            written[i] = rows.get(&(lease.provider.clone(), lease.delivery_id.clone())).is_some_and(|row| {
                row.holder == lease.holder
                    && match finish {
                        Finish::Complete => row.state == "done",
                        Finish::Release => row.state == "running" && row.lease_until == 0,
                    }
            });
        }
    }
    Ok(written)
}
