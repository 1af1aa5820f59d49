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

const CLAIM: &str = "\
INSERT INTO deliveries (provider, delivery_id, state, holder, lease_until, updated_at, runs)
VALUES ($1, $2, 'running', $3, $4, $5, 1)
ON CONFLICT (provider, delivery_id) DO UPDATE
SET state = 'running', holder = excluded.holder, lease_until = excluded.lease_until,
    updated_at = excluded.updated_at, runs = deliveries.runs + 1
WHERE (deliveries.state = 'running' AND deliveries.lease_until <= $5)
   OR (deliveries.state = 'done' AND deliveries.updated_at <= $6)
RETURNING holder";

const STATE: &str = "SELECT state FROM deliveries WHERE provider = $1 AND delivery_id = $2";

const COMPLETE: &str = "\
UPDATE deliveries SET state = 'done', updated_at = $4
WHERE provider = $1 AND delivery_id = $2 AND holder = $3 AND state = 'running'";

// A released claim is left running with its lease over, so the next copy takes it over (and
// its run count shows the retry).
const RELEASE: &str = "\
UPDATE deliveries SET lease_until = 0, updated_at = $4
WHERE provider = $1 AND delivery_id = $2 AND holder = $3 AND state = 'running'";

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
async fn execute(backend: &Backend, batch: &[Op]) -> Result<Vec<Answer>, ::sqlx::Error> {
    let mut answers = Vec::with_capacity(batch.len());
    crate::db::on_pool!(backend, pool => {
        let mut connection = pool.acquire().await?;
        let mut tx = connection.begin().await?;
        for op in batch {
            let now = SystemTime::now();
            match op {
                Op::Claim { provider, delivery_id, lease, retention, .. } => {
                    let holder = ::uuid::Uuid::new_v4().to_string();
                    let (now_ms, until, forgotten) =
                        (unix_ms(now), unix_ms(now).saturating_add(ms(*lease)), unix_ms(now).saturating_sub(ms(*retention)));
                    let won: Option<String> = ::sqlx::query(CLAIM)
                        .bind(provider)
                        .bind(delivery_id)
                        .bind(&holder)
                        .bind(until)
                        .bind(now_ms)
                        .bind(forgotten)
                        .fetch_optional(&mut *tx)
                        .await?
                        .map(|r| r.try_get(0))
                        .transpose()?;
                    let claim = if won.as_deref() == Some(holder.as_str()) {
                        Claim::Acquired(Lease { provider: provider.clone(), delivery_id: delivery_id.clone(), holder })
                    } else {
                        let state: Option<String> =
                            ::sqlx::query(STATE).bind(provider).bind(delivery_id).fetch_optional(&mut *tx).await?.map(|r| r.try_get(0)).transpose()?;
                        match state.as_deref() {
                            Some("done") => Claim::Completed,
                            _ => Claim::Running,
                        }
                    };
                    answers.push(Answer::Claim(Ok(claim)));
                }
                Op::Finish { sql, action, lease, .. } => {
                    let done = ::sqlx::query(sql)
                        .bind(&lease.provider)
                        .bind(&lease.delivery_id)
                        .bind(&lease.holder)
                        .bind(unix_ms(now))
                        .execute(&mut *tx)
                        .await?;
                    answers.push(Answer::Finish(match done.rows_affected() {
                        0 => Err(StoreError::new(action, LeaseLost)),
                        _ => Ok(()),
                    }));
                }
            }
        }
        tx.commit().await?;
    });
    Ok(answers)
}
