//! The statements of a store whose claims its process holds in memory ([`Held`]; SQLite's), on
//! its table `delivery_log` (migration `1001`): a claim writes nothing, and reads its delivery's
//! row, by the ids held in memory, only when the delivery may have one; a completion or a release
//! appends the delivery's row, with the run count the claim kept, and deletes the row it
//! replaces.

use ::std::collections::{HashMap, HashSet};
use ::std::sync::{Mutex, MutexGuard, PoisonError};
use ::std::time::{Duration, SystemTime};

use ::sqlx::sqlite::{SqliteConnection, SqlitePool};
use ::sqlx::{Connection, FromRow, Row};

use super::batch::{each_claim, firsts, ClaimOp, Finish, FinishOp, Stored};
use super::held::Held;
use super::row_ids::RowIds;
use super::{Claim, DeliveryKey, Lease};
use crate::db::{ms, unix_ms};
use crate::session::Link;

/// The table of claims. Callers taking claims at once, the claims' task and the writer each hold
/// it briefly, never across an `.await`, and never panic holding it.
pub(super) fn lock(held: &Mutex<Held>) -> MutexGuard<'_, Held> {
    held.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The connection, which is SQLite's: only a SQLite store holds its claims.
fn sqlite(link: &mut Link) -> Result<&mut SqliteConnection, ::sqlx::Error> {
    match link {
        Link::Sqlite(connection) => Ok(connection),
        Link::Postgres(_) => Err(::sqlx::Error::Configuration("claims are held in memory on SQLite only".into())),
    }
}

/// The rows of `rows` claims ended by `finish`, appended: `$1` now, then four parameters a row
/// (provider, delivery id, holder, runs); their ids.
pub(super) fn record_sql(finish: Finish, rows: usize) -> String {
    let state = match finish {
        Finish::Complete => "'done'",
        // Left running with its lease over, so the next copy takes it over.
        Finish::Release => "'running'",
    };
    let values: Vec<String> =
        (0..rows).map(|n| format!("(${}, ${}, {state}, ${}, 0, $1, ${})", 4 * n + 2, 4 * n + 3, 4 * n + 4, 4 * n + 5)).collect();
    format!(
        "INSERT INTO delivery_log (provider, delivery_id, state, holder, lease_until, updated_at, runs)\nVALUES {}\n\
         RETURNING id, provider, delivery_id",
        values.join(", ")
    )
}

/// The rows of `ids` (`$n` each) whose key is one of `keys` (two parameters a key after the ids),
/// deleted: the rows that claims ending replace. Their ids.
pub(super) fn replaced_sql(ids: usize, keys: usize) -> String {
    let ids_in: Vec<String> = (1..=ids).map(|n| format!("${n}")).collect();
    let keys_in: Vec<String> = (0..keys).map(|n| format!("(${}, ${})", ids + 2 * n + 1, ids + 2 * n + 2)).collect();
    format!(
        "DELETE FROM delivery_log WHERE id IN ({}) AND (provider, delivery_id) IN (VALUES {})\nRETURNING id, provider, delivery_id",
        ids_in.join(", "),
        keys_in.join(", ")
    )
}

/// The rows of `ids` (`$n` each).
pub(super) fn rows_sql(ids: usize) -> String {
    let ids_in: Vec<String> = (1..=ids).map(|n| format!("${n}")).collect();
    format!(
        "SELECT id, provider, delivery_id, state, holder, lease_until, updated_at, runs FROM delivery_log WHERE id IN ({})",
        ids_in.join(", ")
    )
}

/// The rows older than `$1`, deleted, down the `delivery_log_age` index: completed ones, and
/// those given up (released, or claims from a store made before this table whose lease ended by
/// then).
pub(super) const PURGE: &str = "DELETE FROM delivery_log WHERE updated_at <= $1 AND (state = 'done' OR lease_until <= $1)\n\
                                RETURNING id, provider, delivery_id";

/// Claims `key` for `lease` from memory alone, when that can tell: [`Claim::Running`] when a
/// holder here runs it, [`Claim::Acquired`] when it has no row (a delivery never seen, almost
/// every claim); `None` when its row must be read.
pub(super) fn claim_at_once(held: &Mutex<Held>, key: DeliveryKey<'_>, lease: Duration) -> Option<Claim> {
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

/// Reads where the table's rows are into `held`, before the store's first claim is read: a page
/// at a time, in id order, so that memory holds one page of keys.
pub(super) async fn load(link: &mut Link, held: &Mutex<Held>) -> Result<(), ::sqlx::Error> {
    const PAGE: &str = "SELECT id, provider, delivery_id FROM delivery_log WHERE id > $1 ORDER BY id LIMIT 10000";
    let connection = sqlite(link)?;
    let mut rows = RowIds::default();
    let mut after = i64::MIN;
    loop {
        let page: Vec<(i64, String, String)> = ::sqlx::query_as(PAGE).bind(after).fetch_all(&mut *connection).await?;
        page.iter().for_each(|(id, provider, delivery_id)| rows.add(provider, delivery_id, *id));
        match page.last() {
            Some((id, _, _)) => after = *id,
            None => break,
        }
    }
    lock(held).loaded(rows);
    Ok(())
}

/// Deletes the rows of deliveries completed or given up at or before `horizon`, telling `held` of
/// each; how many.
pub(super) async fn purge(link: &mut Link, held: &Mutex<Held>, horizon: i64) -> Result<u64, ::sqlx::Error> {
    let connection = sqlite(link)?;
    let deleted: Vec<(i64, String, String)> = ::sqlx::query_as(PURGE).bind(horizon).fetch_all(connection).await?;
    forget(&mut lock(held), &deleted);
    Ok(u64::try_from(deleted.len()).unwrap_or(u64::MAX))
}

/// Tells `held` that the rows `deleted` are gone.
fn forget(held: &mut Held, deleted: &[(i64, String, String)]) {
    if let Some(rows) = held.rows_mut() {
        deleted.iter().for_each(|(id, provider, delivery_id)| rows.remove(provider, delivery_id, *id));
    }
}

/// The ids of the rows that may be `key`'s.
fn ids_of(held: &Held, (provider, delivery_id): (&str, &str)) -> Vec<i64> {
    held.rows().map(|rows| rows.of(provider, delivery_id)).unwrap_or_default()
}

/// The rows of `ids`, by key (a key's newest row, should it have two).
async fn read(connection: &mut SqliteConnection, ids: &[i64]) -> Result<HashMap<(String, String), Stored>, ::sqlx::Error> {
    let mut rows: HashMap<(String, String), (i64, Stored)> = HashMap::with_capacity(ids.len());
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = rows_sql(ids.len());
    let mut query = ::sqlx::query(&sql);
    for id in ids {
        query = query.bind(id);
    }
    for row in query.fetch_all(connection).await? {
        let id: i64 = row.try_get(0)?;
        let found = Stored::from_row(&row)?;
        let key = (row.try_get(1)?, row.try_get(2)?);
        if rows.get(&key).is_none_or(|(newest, _)| *newest < id) {
            rows.insert(key, (id, found));
        }
    }
    Ok(rows.into_iter().map(|(key, (_, row))| (key, row)).collect())
}

/// Claims `claims` (sorted by key): each one's answer, in order. A delivery running here is
/// [`Claim::Running`]; the rows of the others are read: done within the retention, it is
/// [`Claim::Completed`]; running under a lease not over (a claim written by an earlier version
/// of the store), [`Claim::Running`]; else it is taken here.
pub(super) async fn claim(link: &mut Link, held: &Mutex<Held>, claims: &[ClaimOp]) -> Result<Vec<Claim>, ::sqlx::Error> {
    let connection = sqlite(link)?;
    let now = unix_ms(SystemTime::now());
    let (firsts, first_of) = firsts(claims);
    // For each claim: running here, and else the ids of the rows that may be its delivery's.
    let mut here = vec![false; claims.len()];
    let mut seen: Vec<Vec<i64>> = vec![Vec::new(); claims.len()];
    {
        let held = lock(held);
        for &i in &firsts {
            here[i] = held.running(claims[i].key().0, claims[i].key().1, now);
            if !here[i] {
                seen[i] = ids_of(&held, claims[i].key());
            }
        }
    }
    let rows = read(connection, &seen.concat()).await?;
    // Meanwhile a claim may have been taken at once, a claim's end written, or rows purged.
    let mut held = lock(held);
    let answers = each_claim(&first_of, |i| {
        let op = &claims[i];
        let row = rows.get(&(op.provider.clone(), op.delivery_id.clone()));
        answer(&mut held, op, here[i], &seen[i], row, now)
    });
    held.sweep(now);
    Ok(answers)
}

/// The answer to `op`, from what was found before the read (`here`: a holder here ran it; `seen`:
/// the ids of the rows that might be its delivery's) and its row as read, if it has one; taken,
/// `held` holds it.
fn answer(held: &mut Held, op: &ClaimOp, here: bool, seen: &[i64], row: Option<&Stored>, now: i64) -> Claim {
    if here || held.running(&op.provider, &op.delivery_id, now) {
        return Claim::Running;
    }
    // A row written since the read (a claim taken here meanwhile, or one whose lease was over,
    // has ended): the read does not tell whether the delivery is done. The provider's retry will.
    // (Ids are never used twice: a new row has a new one.)
    if ids_of(held, op.key()).iter().any(|id| !seen.contains(id)) {
        return Claim::Running;
    }
    match row {
        Some(row) if row.state == "done" && row.updated_at > now.saturating_sub(ms(op.retention)) => Claim::Completed,
        Some(row) if row.state == "running" && row.lease_until > now => Claim::Running,
        _ => {
            let holder = ::uuid::Uuid::new_v4().to_string();
            held.take(&op.provider, &op.delivery_id, holder.clone(), now.saturating_add(ms(op.lease)), row.map(|r| r.runs));
            Claim::Acquired(Lease { provider: op.provider.clone(), delivery_id: op.delivery_id.clone(), holder })
        }
    }
}

/// Writes `finish` of `ops`' claims (sorted by key), committed: for each, whether it was written
/// (`false`: its lease was lost). A claim held here is written (its delivery's row replaced by a
/// new one, in one transaction), then forgotten; one that another holder took over here is lost;
/// any other is answered from its row: written before under the same holder (the same write sent
/// twice), or lost.
pub(super) async fn finish(link: &mut Link, held: &Mutex<Held>, finish: Finish, ops: &[FinishOp]) -> Result<Vec<bool>, ::sqlx::Error> {
    let connection = sqlite(link)?;
    let now = unix_ms(SystemTime::now());
    let key = |i: usize| (ops[i].lease.provider.as_str(), ops[i].lease.delivery_id.as_str());
    // The claims held here, each once, with their run counts, and the rows they may replace. Only
    // this task writes rows, so these are the table's until it writes.
    let (mine, replaced): (Vec<(usize, i64)>, Vec<i64>) = {
        let mut held = lock(held);
        let mut seen = HashSet::new();
        let mut mine: Vec<(usize, i64)> = Vec::new();
        for (i, op) in ops.iter().enumerate() {
            // The holder's write, once: a lost lease's write of the same key may come first.
            if !seen.contains(&key(i)) {
                if let Some(runs) = held.ending(&op.lease.provider, &op.lease.delivery_id, &op.lease.holder) {
                    seen.insert(key(i));
                    mine.push((i, runs));
                }
            }
        }
        let replaced = mine.iter().flat_map(|&(i, _)| ids_of(&held, key(i))).collect();
        (mine, replaced)
    };
    let mut written = vec![false; ops.len()];
    if !mine.is_empty() {
        let outcome = if replaced.is_empty() {
            record(&mut *connection, finish, now, ops, &mine).await.map(|added| (Vec::new(), added))
        } else {
            let keys: Vec<(&str, &str)> = mine.iter().map(|&(i, _)| key(i)).collect();
            replace_and_record(&mut *connection, &replaced, &keys, finish, now, ops, &mine).await
        };
        // One change, whatever the outcome: a claim sees the claims' end and their rows at once.
        let mut held = lock(held);
        let (deleted, added) = match outcome {
            Ok(rows) => rows,
            Err(e) => {
                mine.iter().for_each(|&(i, _)| held.not_ended(key(i).0, key(i).1, &ops[i].lease.holder));
                return Err(e);
            }
        };
        forget(&mut held, &deleted);
        if let Some(rows) = held.rows_mut() {
            added.iter().for_each(|(id, provider, delivery_id)| rows.add(provider, delivery_id, *id));
        }
        for &(i, _) in &mine {
            held.ended(key(i).0, key(i).1, &ops[i].lease.holder);
            written[i] = true;
        }
    }
    // A claim held here under another holder is newer than the row: this one's lease is lost.
    let (others, ids): (Vec<usize>, Vec<i64>) = {
        let held = lock(held);
        let others: Vec<usize> = (0..ops.len()).filter(|&i| !written[i] && held.runs(key(i).0, key(i).1).is_none()).collect();
        let ids = others.iter().flat_map(|&i| ids_of(&held, key(i))).collect();
        (others, ids)
    };
    let rows = read(connection, &ids).await?;
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
    Ok(written)
}

/// Appends the rows of `mine` (index into `ops`, runs): their ids and keys.
async fn record(
    connection: &mut SqliteConnection,
    finish: Finish,
    now: i64,
    ops: &[FinishOp],
    mine: &[(usize, i64)],
) -> Result<Vec<(i64, String, String)>, ::sqlx::Error> {
    let sql = record_sql(finish, mine.len());
    let mut query = ::sqlx::query_as(&sql).bind(now);
    for &(i, runs) in mine {
        let lease = &ops[i].lease;
        query = query.bind(&lease.provider).bind(&lease.delivery_id).bind(&lease.holder).bind(runs);
    }
    query.fetch_all(connection).await
}

/// Deletes those of the rows `ids` that are of `keys`, and appends the rows of `mine`, in one
/// transaction: the ids and keys deleted, and those added.
async fn replace_and_record(
    connection: &mut SqliteConnection,
    ids: &[i64],
    keys: &[(&str, &str)],
    finish: Finish,
    now: i64,
    ops: &[FinishOp],
    mine: &[(usize, i64)],
) -> Result<(Vec<(i64, String, String)>, Vec<(i64, String, String)>), ::sqlx::Error> {
    let mut transaction = connection.begin().await?;
    let sql = replaced_sql(ids.len(), keys.len());
    let mut query = ::sqlx::query_as(&sql);
    for id in ids {
        query = query.bind(id);
    }
    for (provider, delivery_id) in keys {
        query = query.bind(*provider).bind(*delivery_id);
    }
    let deleted = query.fetch_all(&mut *transaction).await?;
    let added = record(&mut transaction, finish, now, ops, mine).await?;
    transaction.commit().await?;
    Ok((deleted, added))
}

/// How many times the delivery's handler was claimed to run, if it has been.
pub(super) async fn runs(pool: &SqlitePool, held: &Mutex<Held>, key: DeliveryKey<'_>) -> Result<Option<i64>, ::sqlx::Error> {
    let ids = {
        let held = lock(held);
        if let Some(runs) = held.runs(key.provider, key.delivery_id) {
            return Ok(Some(runs));
        }
        ids_of(&held, (key.provider, key.delivery_id))
    };
    let rows = read(&mut *pool.acquire().await?, &ids).await?;
    Ok(rows.get(&(key.provider.to_owned(), key.delivery_id.to_owned())).map(|row| row.runs))
}

/// Every delivery completed, as `(provider, delivery id, runs)`, in key order.
pub(super) async fn completed(pool: &SqlitePool) -> Result<Vec<(String, String, i64)>, ::sqlx::Error> {
    const DONE: &str = "SELECT provider, delivery_id, runs FROM delivery_log WHERE state = 'done' ORDER BY provider, delivery_id";
    ::sqlx::query_as(DONE).fetch_all(pool).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(delivery_id: &str) -> ClaimOp {
        ClaimOp::new("p", delivery_id, Duration::from_secs(60), Duration::from_secs(3600))
    }

    fn released(runs: i64) -> Stored {
        Stored { state: "running".into(), holder: "h".into(), lease_until: 0, updated_at: 0, runs }
    }

    /// What a claim read its row for answers, by what happened while it read.
    #[test]
    fn a_claim_read_is_answered_by_what_changed_while_it_read() {
        let mut held = Held::default();
        let mut rows = RowIds::default();
        rows.add("p", "d", 7);
        held.loaded(rows);
        let now = 1_000;
        // As read: a released row, taken with its runs counted on.
        assert!(matches!(answer(&mut held, &op("d"), false, &[7], Some(&released(2)), now), Claim::Acquired(_)));
        assert_eq!(held.runs("p", "d"), Some(3));
        // Running here when the read began, or since.
        assert_eq!(answer(&mut held, &op("d"), true, &[7], Some(&released(2)), now), Claim::Running);
        assert_eq!(answer(&mut held, &op("d"), false, &[7], Some(&released(2)), now), Claim::Running);
        // A row written since the read, which did not see it: not taken on the strength of the
        // older row.
        held.rows_mut().unwrap().add("p", "e", 8);
        let mut row = released(1);
        row.updated_at = now;
        assert_eq!(answer(&mut held, &op("e"), false, &[], None, now), Claim::Running);
        assert_eq!(answer(&mut held, &op("e"), false, &[], Some(&row), now), Claim::Running);
        // Done within the retention, or not.
        row.state = "done".into();
        assert_eq!(answer(&mut held, &op("e"), false, &[8], Some(&row), now), Claim::Completed);
        row.updated_at = now - 3_600_000;
        assert!(matches!(answer(&mut held, &op("e"), false, &[8], Some(&row), now), Claim::Acquired(_)));
    }
}
