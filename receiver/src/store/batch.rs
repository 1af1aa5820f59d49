//! Group commit: the claims, completions and releases of concurrent requests go to one writer
//! task, which runs whatever has arrived (up to [`MAX_BATCH`]) in one transaction and answers
//! each after the commit. A commit is durable (SQLite syncs its write-ahead log, PostgreSQL its
//! WAL) and costs about one sync however many operations it holds, so under load deliveries share
//! syncs instead of waiting for one each; an answer still comes only once its own write is
//! durable.

use ::std::time::{Duration, SystemTime};

use ::sqlx::{Connection, Row};
use ::tokio::sync::{mpsc, oneshot};

use super::{Claim, DeliveryKey, Lease, LeaseLost, StoreError};
use crate::db::{ms, unix_ms, Backend};

/// The most operations one transaction holds.
const MAX_BATCH: usize = 256;

/// The claims' upsert, around its rows (`$1` now, `$2` the retention's horizon, then four
/// parameters a row): a row is taken over when its holder's lease is over, or it was completed
/// before the horizon; the rows returned are the claims won.
const CLAIM_INTO: &str = "INSERT INTO deliveries (provider, delivery_id, state, holder, lease_until, updated_at, runs)";
const CLAIM_CONFLICT: &str = "\
ON CONFLICT (provider, delivery_id) DO UPDATE
SET state = 'running', holder = excluded.holder, lease_until = excluded.lease_until,
    updated_at = excluded.updated_at, runs = deliveries.runs + 1
WHERE (deliveries.state = 'running' AND deliveries.lease_until <= $1)
   OR (deliveries.state = 'done' AND deliveries.updated_at <= $2)
RETURNING provider, delivery_id, holder";

/// A completion (`$1` now), before its `WHERE`.
const COMPLETE: &str = "UPDATE deliveries SET state = 'done', updated_at = $1";

/// A release (`$1` now): left running with its lease over, so the next copy takes it over (and
/// its run count shows the retry).
const RELEASE: &str = "UPDATE deliveries SET lease_until = 0, updated_at = $1";

// Every statement finds its rows by the primary key: deliveries are kept for the retention, and
// a batch must not cost more for each of them (the `lookups_use_the_primary_key` test).

/// The claims of `rows` keys: `$1` now, `$2` the retention's horizon, then four parameters a row
/// (provider, delivery id, holder, lease end); returns the claims won.
fn claims_sql(rows: usize) -> String {
    let values: Vec<String> =
        (0..rows).map(|n| format!("(${}, ${}, 'running', ${}, ${}, $1, 1)", 4 * n + 3, 4 * n + 4, 4 * n + 5, 4 * n + 6)).collect();
    format!("{CLAIM_INTO}\nVALUES {}\n{CLAIM_CONFLICT}", values.join(", "))
}

/// The states of `rows` keys (two parameters a row).
fn states_sql(rows: usize) -> String {
    let keys: Vec<String> = (0..rows).map(|n| format!("(${}, ${})", 2 * n + 1, 2 * n + 2)).collect();
    format!("SELECT provider, delivery_id, state FROM deliveries WHERE (provider, delivery_id) IN (VALUES {})", keys.join(", "))
}

/// `write` ([`COMPLETE`] or [`RELEASE`]) of `rows` running claims: `$1` now, then three
/// parameters a row (provider, delivery id, holder); returns the claims written.
fn finish_sql(write: &str, rows: usize) -> String {
    let keys: Vec<String> = (0..rows).map(|n| format!("(${}, ${}, ${})", 3 * n + 2, 3 * n + 3, 3 * n + 4)).collect();
    format!(
        "{write}\nWHERE state = 'running' AND (provider, delivery_id, holder) IN (VALUES {})\nRETURNING provider, delivery_id, holder",
        keys.join(", ")
    )
}

/// One write, and where its answer goes.
enum Op {
    Claim { provider: String, delivery_id: String, lease: Duration, retention: Duration, reply: oneshot::Sender<Result<Claim, StoreError>> },
    Finish { sql: &'static str, action: &'static str, lease: Lease, reply: oneshot::Sender<Result<(), StoreError>> },
}

/// The handle requests send their writes through; cloned freely.
#[derive(Clone, Debug)]
pub(crate) struct Writer {
    ops: mpsc::Sender<Op>,
}

impl Writer {
    /// Starts the writer task on `backend` (it ends when every handle is dropped).
    pub(crate) fn start(backend: Backend) -> Writer {
        let (ops, queue) = mpsc::channel(4 * MAX_BATCH);
        ::tokio::spawn(run(backend, queue));
        Writer { ops }
    }

    pub(crate) async fn claim(&self, key: DeliveryKey<'_>, lease: Duration, retention: Duration) -> Result<Claim, StoreError> {
        let (reply, answer) = oneshot::channel();
        let op = Op::Claim { provider: key.provider.to_owned(), delivery_id: key.delivery_id.to_owned(), lease, retention, reply };
        self.send(op, answer).await?
    }

    pub(crate) async fn complete(&self, lease: &Lease) -> Result<(), StoreError> {
        self.finish(COMPLETE, "complete a delivery", lease).await
    }

    pub(crate) async fn release(&self, lease: &Lease) -> Result<(), StoreError> {
        self.finish(RELEASE, "release a delivery", lease).await
    }

    async fn finish(&self, sql: &'static str, action: &'static str, lease: &Lease) -> Result<(), StoreError> {
        let (reply, answer) = oneshot::channel();
        self.send(Op::Finish { sql, action, lease: lease.clone(), reply }, answer).await?
    }

    async fn send<T>(&self, op: Op, answer: oneshot::Receiver<T>) -> Result<T, StoreError> {
        let gone = || StoreError::new("reach the store's writer", "the writer task stopped");
        self.ops.send(op).await.map_err(|_| gone())?;
        answer.await.map_err(|_| gone())
    }
}

/// The writer task: a batch at a time, each in one transaction.
async fn run(backend: Backend, mut queue: mpsc::Receiver<Op>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        write(&backend, &mut batch).await;
        batch.clear();
    }
}

/// What one operation answers, decided inside the transaction, sent after the commit.
enum Answer {
    Claim(Result<Claim, StoreError>),
    Finish(Result<(), StoreError>),
}

/// How many times a batch whose transaction failed (a deadlock, a dropped connection) is run
/// again before its operations fail: nothing of a failed transaction was written, so running it
/// again is safe.
const ATTEMPTS: usize = 3;

async fn write(backend: &Backend, batch: &mut Vec<Op>) {
    // Every transaction touches rows in key order, so two instances' batches cannot deadlock.
    batch.sort_by(|a, b| a.key().cmp(&b.key()));
    let mut result = execute(backend, batch).await;
    for _ in 1..ATTEMPTS {
        if result.is_ok() {
            break;
        }
        result = execute(backend, batch).await;
    }
    // Nothing is answered before the commit; if it failed, every operation in it failed.
    let mut answers: Vec<Option<Answer>> = match result {
        Ok(answers) => answers.into_iter().map(Some).collect(),
        Err(e) => {
            ::tracing::error!(reason = %e, "a batch of delivery writes failed");
            (0..batch.len()).map(|_| None).collect()
        }
    };
    let failed = |action: &'static str| StoreError::new(action, "the transaction failed; see the log");
    for (op, answer) in batch.drain(..).zip(answers.drain(..)) {
        match (op, answer) {
            (Op::Claim { reply, .. }, Some(Answer::Claim(answer))) => drop(reply.send(answer)),
            (Op::Finish { reply, .. }, Some(Answer::Finish(answer))) => drop(reply.send(answer)),
            (Op::Claim { reply, .. }, _) => drop(reply.send(Err(failed("commit a claim")))),
            (Op::Finish { reply, action, .. }, _) => drop(reply.send(Err(failed(action)))),
        }
    }
}

impl Op {
    fn key(&self) -> (&str, &str) {
        match self {
            Op::Claim { provider, delivery_id, .. } => (provider, delivery_id),
            Op::Finish { lease, .. } => (&lease.provider, &lease.delivery_id),
        }
    }
}

/// Runs `batch` in one transaction: each operation's answer, or the transaction's error.
///
/// A statement per kind of write, not per write: the claims are one multi-row upsert (each key
/// once; a second claim of a key in the same batch answers as the first's loser would), one read
/// of the states of those it did not win, and the completions and releases one update each.
/// Per-statement cost, not the sync, is what bounds a batch once commits are shared.
async fn execute(backend: &Backend, batch: &[Op]) -> Result<Vec<Answer>, ::sqlx::Error> {
    let now = unix_ms(SystemTime::now());
    // The claims to write: the first of each key (the batch is sorted by key), with its holder.
    let mut first_of_key: Vec<Option<usize>> = vec![None; batch.len()];
    let mut claims: Vec<(usize, String)> = Vec::new();
    for (i, op) in batch.iter().enumerate() {
        if let Op::Claim { .. } = op {
            match claims.last() {
                Some(&(j, _)) if batch[j].key() == op.key() => first_of_key[i] = Some(j),
                _ => claims.push((i, ::uuid::Uuid::new_v4().to_string())),
            }
        }
    }
    let mut won: ::std::collections::HashSet<(String, String, String)> = Default::default();
    let mut states: ::std::collections::HashMap<(String, String), String> = Default::default();
    let mut finished: ::std::collections::HashSet<(&'static str, String, String, String)> = Default::default();
    crate::db::on_pool!(backend, pool => {
        let mut connection = pool.acquire().await?;
        let mut tx = connection.begin().await?;
        // Claims, grouped by retention (one group: a store has one).
        let mut retentions: Vec<Duration> = claims.iter().filter_map(|(i, _)| match &batch[*i] { Op::Claim { retention, .. } => Some(*retention), _ => None }).collect();
        retentions.sort();
        retentions.dedup();
        for retention in retentions {
            let group: Vec<&(usize, String)> = claims.iter().filter(|(i, _)| matches!(&batch[*i], Op::Claim { retention: r, .. } if *r == retention)).collect();
            let sql = claims_sql(group.len());
            let mut query = ::sqlx::query(&sql).bind(now).bind(now.saturating_sub(ms(retention)));
            for (i, holder) in &group {
                let Op::Claim { provider, delivery_id, lease, .. } = &batch[*i] else { unreachable!("grouped from claims") };
                query = query.bind(provider).bind(delivery_id).bind(holder).bind(now.saturating_add(ms(*lease)));
            }
            for row in query.fetch_all(&mut *tx).await? {
                won.insert((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?));
            }
        }
        // The states of the keys claimed and not won.
        let lost: Vec<(&str, &str)> = claims
            .iter()
            .filter(|(i, holder)| { let (p, d) = batch[*i].key(); !won.contains(&(p.to_owned(), d.to_owned(), holder.clone())) })
            .map(|(i, _)| batch[*i].key())
            .collect();
        if !lost.is_empty() {
            let sql = states_sql(lost.len());
            let mut query = ::sqlx::query(&sql);
            for (p, d) in &lost {
                query = query.bind(*p).bind(*d);
            }
            for row in query.fetch_all(&mut *tx).await? {
                states.insert((row.try_get(0)?, row.try_get(1)?), row.try_get(2)?);
            }
        }
        // Completions, then releases.
        for sql in [COMPLETE, RELEASE] {
            let leases: Vec<&Lease> = batch.iter().filter_map(|op| match op { Op::Finish { sql: s, lease, .. } if *s == sql => Some(lease), _ => None }).collect();
            if leases.is_empty() {
                continue;
            }
            let statement = finish_sql(sql, leases.len());
            let mut query = ::sqlx::query(&statement).bind(now);
            for lease in &leases {
                query = query.bind(&lease.provider).bind(&lease.delivery_id).bind(&lease.holder);
            }
            for row in query.fetch_all(&mut *tx).await? {
                finished.insert((sql, row.try_get(0)?, row.try_get(1)?, row.try_get(2)?));
            }
        }
        tx.commit().await?;
    });
    // Each operation's answer, from what the statements returned.
    let holder_of: ::std::collections::HashMap<usize, &String> = claims.iter().map(|(i, h)| (*i, h)).collect();
    let claim_of = |i: usize| -> Claim {
        let (p, d) = batch[i].key();
        let holder = holder_of[&i];
        if won.contains(&(p.to_owned(), d.to_owned(), holder.clone())) {
            return Claim::Acquired(Lease { provider: p.to_owned(), delivery_id: d.to_owned(), holder: holder.clone() });
        }
        match states.get(&(p.to_owned(), d.to_owned())).map(String::as_str) {
            Some("done") => Claim::Completed,
            _ => Claim::Running,
        }
    };
    Ok(batch
        .iter()
        .enumerate()
        .map(|(i, op)| match op {
            Op::Claim { .. } => Answer::Claim(Ok(match first_of_key[i] {
                // A second claim of a key in one batch: the first one's loser.
                Some(first) => match claim_of(first) {
                    Claim::Acquired(_) => Claim::Running,
                    other => other,
                },
                None => claim_of(i),
            })),
            Op::Finish { sql, action, lease, .. } => {
                let key = (*sql, lease.provider.clone(), lease.delivery_id.clone(), lease.holder.clone());
                Answer::Finish(if finished.contains(&key) { Ok(()) } else { Err(StoreError::new(action, LeaseLost)) })
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::sqlite_plan;

    /// No statement a batch runs reads `deliveries` whole: each key is a lookup, so a batch costs
    /// the same however many deliveries the retention keeps.
    #[tokio::test]
    async fn lookups_use_the_primary_key() {
        for rows in 1..=3 {
            for sql in [claims_sql(rows), states_sql(rows), finish_sql(COMPLETE, rows), finish_sql(RELEASE, rows)] {
                let plan = sqlite_plan(&sql).await;
                assert!(!plan.iter().any(|step| step.starts_with("SCAN deliveries")), "{sql}\nreads the table whole:\n{plan:#?}");
            }
        }
    }
}
