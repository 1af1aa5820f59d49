//! Group commit for the inbox, as the store's (`store::batch`) does it: one writer task takes
//! the writes of concurrent requests and workers, a round at a time. A round first answers the
//! workers waiting to take a delivery (committed without waiting for a sync), yields to them so
//! the deliveries they finish at once join the round, then writes the round's new deliveries,
//! completions and failures in one transaction, and answers each once the transaction is durable
//! (synced at its commit).
//!
//! Why a take need not be synced: it belongs to a delivery that is not done yet. If a crash of
//! the machine loses it, the delivery is pending again and runs again, as it would once a
//! surviving take's lease ran out. Each database keeps its commits in log order, so the synced
//! completion that follows a take syncs it too. A new delivery is synced before it is
//! acknowledged, and a completion before the delivery counts as done.

use ::std::collections::{HashMap, HashSet};
use ::std::time::{Duration, SystemTime};

use ::sqlx::{Connection, Row};
use ::tokio::sync::{mpsc, oneshot};

use super::{taken, Enqueued, NewDelivery, Taken};
use crate::db::{ms, on_database, unix_ms, Backend};
use crate::session::{ask, gather, retried, Gather, Link, Session};
use crate::store::{LeaseLost, StoreError};

/// The most writes one round takes in.
const MAX_BATCH: usize = 256;

/// Parameters a new delivery takes in [`enqueue_sql`].
const ENQUEUE_PARAMETERS: usize = 6;

/// The new deliveries of `rows` rows: `$1` now, then six parameters a row (provider, delivery
/// id, event type, body, event-type header, idempotency key); returns those added.
fn enqueue_sql(rows: usize) -> String {
    let values: Vec<String> = (0..rows)
        .map(|n| {
            let p = |k: usize| format!("${}", ENQUEUE_PARAMETERS * n + k + 2);
            format!("({}, {}, {}, {}, {}, {}, 'pending', 0, $1, $1, $1)", p(0), p(1), p(2), p(3), p(4), p(5))
        })
        .collect();
    format!(
        "INSERT INTO inbox\n\
         (provider, delivery_id, event_type, body, event_type_header, idempotency_key, state, attempts, next_at, received_at, updated_at)\n\
         VALUES {}\n\
         ON CONFLICT (provider, delivery_id) DO NOTHING\n\
         RETURNING provider, delivery_id",
        values.join(", ")
    )
}

/// Takes the delivery a subquery picks (`$1` holder, `$2` lease end, `$3` now); PostgreSQL
/// appends `FOR UPDATE SKIP LOCKED` to the subquery, then each closes it with `)` and [`TAKEN`].
const TAKE: &str = "\
UPDATE inbox SET state = 'running', holder = $1, lease_until = $2, attempts = attempts + 1, updated_at = $3
WHERE (provider, delivery_id) = (";

/// What [`TAKE`] picks, in turn: the running delivery whose lease ran out longest ago (its worker
/// died), else the pending delivery whose turn came first. Two lookups, each down an index
/// (`inbox_leases`, `inbox_ready`), where one with `OR` would read the whole table.
const PICKS: [&str; 2] = [
    "SELECT provider, delivery_id FROM inbox WHERE state = 'running' AND lease_until <= $3 ORDER BY lease_until LIMIT 1",
    "SELECT provider, delivery_id FROM inbox WHERE state = 'pending' AND next_at <= $3 ORDER BY next_at LIMIT 1",
];

const TAKEN: &str = "RETURNING provider, delivery_id, body, event_type_header, idempotency_key, attempts";

/// The completions of `rows` taken deliveries: `$1` now, then three parameters a row (provider,
/// delivery id, holder); returns those written. A done delivery keeps its last holder: what
/// tells whose completion was written when two holders of one delivery meet in one round.
fn done_sql(rows: usize) -> String {
    let keys: Vec<String> = (0..rows).map(|n| format!("(${}, ${}, ${})", 3 * n + 2, 3 * n + 3, 3 * n + 4)).collect();
    format!(
        "UPDATE inbox SET state = 'done', updated_at = $1\n\
         WHERE state = 'running' AND (provider, delivery_id, holder) IN (VALUES {})\n\
         RETURNING provider, delivery_id, holder",
        keys.join(", ")
    )
}

/// A failure: `$4` the state it leaves (pending or dead), `$5` when it is next taken, `$6` the
/// error, `$7` now.
const FAILED: &str = "\
UPDATE inbox SET state = $4, holder = NULL, next_at = $5, last_error = $6, updated_at = $7
WHERE provider = $1 AND delivery_id = $2 AND holder = $3 AND state = 'running'";

/// A new delivery, and where its answer goes.
struct EnqueueOp {
    provider: String,
    delivery_id: String,
    event_type: String,
    body: String,
    event_type_header: Option<String>,
    idempotency_key: Option<String>,
    reply: oneshot::Sender<Result<Enqueued, StoreError>>,
}

/// A worker's wish to take a delivery, and where its answer goes.
struct TakeOp {
    lease: Duration,
    reply: oneshot::Sender<Result<Option<Taken>, StoreError>>,
}

/// What became of a taken delivery.
#[derive(Clone, Debug)]
pub(super) enum Outcome {
    Done,
    /// Failed, and left `state` (pending or dead), next taken no earlier than `next_at`.
    Failed {
        state: &'static str,
        next_at: i64,
        error: String,
    },
}

/// A taken delivery's outcome, and where its answer goes.
struct SettleOp {
    provider: String,
    delivery_id: String,
    holder: String,
    outcome: Outcome,
    reply: oneshot::Sender<Result<(), StoreError>>,
}

enum Op {
    Enqueue(EnqueueOp),
    Take(TakeOp),
    Settle(SettleOp),
}

/// The handle the inbox sends its writes through; cloned freely.
#[derive(Clone, Debug)]
pub(super) struct Writer {
    ops: mpsc::Sender<Op>,
}

impl Writer {
    /// Starts the writer task on `backend` (it ends when every handle is dropped).
    pub(super) fn start(backend: Backend) -> Writer {
        let (ops, queue) = mpsc::channel(4 * MAX_BATCH);
        ::tokio::spawn(run(backend, queue));
        Writer { ops }
    }

    pub(super) async fn enqueue(&self, delivery: NewDelivery<'_>) -> Result<Enqueued, StoreError> {
        self.ask(|reply| {
            Op::Enqueue(EnqueueOp {
                provider: delivery.key.provider.to_owned(),
                delivery_id: delivery.key.delivery_id.to_owned(),
                event_type: delivery.event_type.to_owned(),
                body: delivery.body.to_owned(),
                event_type_header: delivery.event_type_header.map(str::to_owned),
                idempotency_key: delivery.idempotency_key.map(str::to_owned),
                reply,
            })
        })
        .await?
    }

    pub(super) async fn take(&self, lease: Duration) -> Result<Option<Taken>, StoreError> {
        self.ask(|reply| Op::Take(TakeOp { lease, reply })).await?
    }

    pub(super) async fn settle(&self, taken: &Taken, outcome: Outcome) -> Result<(), StoreError> {
        self.ask(|reply| {
            Op::Settle(SettleOp {
                provider: taken.provider.clone(),
                delivery_id: taken.delivery_id.clone(),
                holder: taken.holder.clone(),
                outcome,
                reply,
            })
        })
        .await?
    }

    async fn ask<T>(&self, op: impl FnOnce(oneshot::Sender<T>) -> Op) -> Result<T, StoreError> {
        ask(&self.ops, "reach the inbox's writer", op).await
    }
}

/// The writes waiting for the writer, by kind.
#[derive(Default)]
struct Waiting {
    enqueues: Vec<EnqueueOp>,
    takes: Vec<TakeOp>,
    settles: Vec<SettleOp>,
}

impl Gather for Waiting {
    type Op = Op;

    fn len(&self) -> usize {
        self.enqueues.len() + self.takes.len() + self.settles.len()
    }

    fn push(&mut self, op: Op) {
        match op {
            Op::Enqueue(op) => self.enqueues.push(op),
            Op::Take(op) => self.takes.push(op),
            Op::Settle(op) => self.settles.push(op),
        }
    }
}

/// The writer task, a round at a time (see the module's documentation).
async fn run(backend: Backend, mut queue: mpsc::Receiver<Op>) {
    let mut open: Option<Session> = None;
    let open = &mut open;
    let mut waiting = Waiting::default();
    while gather(&mut waiting, &mut queue, MAX_BATCH).await {
        let takes = ::std::mem::take(&mut waiting.takes);
        if !takes.is_empty() {
            let mut empty = false;
            for op in takes {
                // Once nothing was ready, nothing is ready for the rest of this round.
                let answer = match empty {
                    true => Ok(None),
                    false => retried!(&backend, open, session => async { take(session.quick().await?, op.lease).await }),
                };
                empty = matches!(answer, Ok(None));
                drop(op.reply.send(answer.map_err(|e| failed("take a delivery", &e))));
            }
            ::tokio::task::yield_now().await;
            gather(&mut waiting, &mut queue, MAX_BATCH).await;
        }
        let mut enqueues = ::std::mem::take(&mut waiting.enqueues);
        let mut settles = ::std::mem::take(&mut waiting.settles);
        if enqueues.is_empty() && settles.is_empty() {
            continue;
        }
        // Every statement touches rows in key order, so two instances' cannot deadlock.
        enqueues.sort_by(|a, b| (&a.provider, &a.delivery_id).cmp(&(&b.provider, &b.delivery_id)));
        settles.sort_by(|a, b| (&a.provider, &a.delivery_id).cmp(&(&b.provider, &b.delivery_id)));
        let written = retried!(&backend, open, session => async { write(session.durable().await?, &enqueues, &settles).await });
        answer(enqueues, settles, written);
    }
}

/// Answers a round's new deliveries and outcomes with what the round's transaction wrote.
fn answer(enqueues: Vec<EnqueueOp>, settles: Vec<SettleOp>, written: Result<(Vec<bool>, Vec<bool>), ::sqlx::Error>) {
    match written {
        Ok((added, settled)) => {
            for (op, added) in enqueues.into_iter().zip(added) {
                drop(op.reply.send(Ok(if added { Enqueued::Queued } else { Enqueued::Duplicate })));
            }
            for (op, settled) in settles.into_iter().zip(settled) {
                let action = op.outcome.action();
                drop(op.reply.send(if settled { Ok(()) } else { Err(StoreError::new(action, LeaseLost)) }));
            }
        }
        Err(e) => {
            for op in enqueues {
                drop(op.reply.send(Err(failed("queue a delivery", &e))));
            }
            for op in settles {
                drop(op.reply.send(Err(failed(op.outcome.action(), &e))));
            }
        }
    }
}

/// A write that failed: logged with its reason, answered without it.
fn failed(action: &'static str, e: &::sqlx::Error) -> StoreError {
    ::tracing::error!(reason = %e, "the inbox could not {action}");
    StoreError::new(action, "the statement failed; see the log")
}

impl Outcome {
    fn action(&self) -> &'static str {
        match self {
            Outcome::Done => "complete a delivery",
            Outcome::Failed { .. } => "record a failure",
        }
    }
}

/// Takes the next delivery to run, holding it for `lease`, committed.
async fn take(link: &mut Link, lease: Duration) -> Result<Option<Taken>, ::sqlx::Error> {
    let holder = ::uuid::Uuid::new_v4().to_string();
    let now = unix_ms(SystemTime::now());
    let until = now.saturating_add(ms(lease));
    for pick in PICKS {
        let row = match &mut *link {
            Link::Sqlite(connection) => {
                let sql = format!("{TAKE}{pick})\n{TAKEN}");
                let row = ::sqlx::query(&sql).bind(&holder).bind(until).bind(now).fetch_optional(&mut *connection).await?;
                row.map(|r| taken(&r, &holder)).transpose()?
            }
            Link::Postgres(connection) => {
                let sql = format!("{TAKE}{pick} FOR UPDATE SKIP LOCKED)\n{TAKEN}");
                let row = ::sqlx::query(&sql).bind(&holder).bind(until).bind(now).fetch_optional(&mut *connection).await?;
                row.map(|r| taken(&r, &holder)).transpose()?
            }
        };
        if row.is_some() {
            return Ok(row);
        }
    }
    Ok(None)
}

/// Writes `enqueues` and `settles` (each sorted by key) in one transaction: for each new
/// delivery whether it was added (`false`: a copy is in the inbox), and for each outcome whether
/// it was written (`false`: its lease was lost).
async fn write(link: &mut Link, enqueues: &[EnqueueOp], settles: &[SettleOp]) -> Result<(Vec<bool>, Vec<bool>), ::sqlx::Error> {
    let now = unix_ms(SystemTime::now());
    let mut added: HashSet<(String, String)> = HashSet::new();
    let mut done: HashSet<(String, String, String)> = HashSet::new();
    let mut failed_written: HashMap<usize, bool> = HashMap::new();
    let dones: Vec<&SettleOp> = settles.iter().filter(|op| matches!(op.outcome, Outcome::Done)).collect();
    on_database!(link, connection => {
        let mut tx = connection.begin().await?;
        if !enqueues.is_empty() {
            let sql = enqueue_sql(enqueues.len());
            let mut query = ::sqlx::query(&sql).bind(now);
            for op in enqueues {
                query = query
                    .bind(&op.provider)
                    .bind(&op.delivery_id)
                    .bind(&op.event_type)
                    .bind(&op.body)
                    .bind(&op.event_type_header)
                    .bind(&op.idempotency_key);
            }
            for row in query.fetch_all(&mut *tx).await? {
                added.insert((row.try_get(0)?, row.try_get(1)?));
            }
        }
        if !dones.is_empty() {
            let sql = done_sql(dones.len());
            let mut query = ::sqlx::query(&sql).bind(now);
            for op in &dones {
                query = query.bind(&op.provider).bind(&op.delivery_id).bind(&op.holder);
            }
            for row in query.fetch_all(&mut *tx).await? {
                done.insert((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?));
            }
        }
        for (i, op) in settles.iter().enumerate() {
            let Outcome::Failed { state, next_at, error } = &op.outcome else { continue };
            let written = ::sqlx::query(FAILED)
                .bind(&op.provider)
                .bind(&op.delivery_id)
                .bind(&op.holder)
                .bind(*state)
                .bind(*next_at)
                .bind(error)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            failed_written.insert(i, written.rows_affected() > 0);
        }
        tx.commit().await?;
    });
    // Of copies of one delivery in the round, the first is the one added.
    let added = enqueues.iter().map(|op| added.remove(&(op.provider.clone(), op.delivery_id.clone()))).collect();
    let settled = settles
        .iter()
        .enumerate()
        .map(|(i, op)| match op.outcome {
            Outcome::Done => done.contains(&(op.provider.clone(), op.delivery_id.clone(), op.holder.clone())),
            Outcome::Failed { .. } => failed_written.get(&i).copied().unwrap_or(false),
        })
        .collect();
    Ok((added, settled))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::sqlite_plan;

    /// No statement run per delivery reads `inbox` whole or sorts what it matches: done
    /// deliveries are kept for the retention and a backlog can be long, and neither may make a
    /// delivery cost more.
    #[tokio::test]
    async fn per_delivery_statements_use_an_index() {
        let mut statements = PICKS.map(|pick| format!("{TAKE}{pick})\n{TAKEN}")).to_vec();
        statements.extend([FAILED.to_owned(), super::super::PURGE.to_owned()]);
        for rows in 1..=3 {
            statements.extend([enqueue_sql(rows), done_sql(rows)]);
        }
        for sql in statements {
            let plan = sqlite_plan(&sql).await;
            let whole = |step: &String| step.starts_with("SCAN inbox") || step.starts_with("USE TEMP B-TREE");
            assert!(!plan.iter().any(whole), "{sql}\nreads or sorts every row it matches:\n{plan:#?}");
        }
        // The single pick these replaced: it sorts every ready delivery to take one.
        let or = "SELECT provider FROM inbox WHERE (state = 'pending' AND next_at <= $1) OR (state = 'running' AND lease_until <= $1) ORDER BY next_at LIMIT 1";
        assert!(sqlite_plan(or).await.iter().any(|step| step.starts_with("USE TEMP B-TREE")));
    }
}
