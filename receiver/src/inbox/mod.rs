//! The durable inbox: a verified delivery is committed to the database before it is
//! acknowledged, and workers run the handlers afterwards. This is how a receiver answers within
//! the provider's timeout (Apideck's is 60 seconds) however slow its handlers, and how work
//! spreads over several machines sharing one PostgreSQL database.
//!
//! A delivery's life: `pending` (committed, waiting) → `running` (a worker holds it, under a
//! lease) → `done`; a failure puts it back to `pending` after a backoff, and after the policy's
//! last attempt it is `dead` (a dead letter), listed and requeued by hand
//! ([`Inbox::dead_letters`], [`Inbox::requeue`]). Workers take deliveries with
//! `FOR UPDATE SKIP LOCKED` on PostgreSQL (no two take one, none waits for another) and in
//! SQLite's single write transaction.

mod batch;
mod endpoint;
mod worker;

use ::std::sync::Arc;
use ::std::time::{Duration, SystemTime};

use ::sqlx::Row;
use ::tokio::sync::Notify;

use crate::db::{ms, on_database, unix_ms, Backend};
use crate::store::{DeliveryKey, StoreError, DEFAULT_RETENTION};

pub use endpoint::InboxEndpoint;
pub use worker::Worker;

/// How a failed delivery is retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts before a delivery is dead: 8 by default.
    pub max_attempts: u32,
    /// The wait after the first failure, doubled after each one after it: 1 second by default.
    pub first_backoff: Duration,
    /// The longest wait: 10 minutes by default (8 attempts then span about 4 minutes).
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { max_attempts: 8, first_backoff: Duration::from_secs(1), max_backoff: Duration::from_secs(600) }
    }
}

impl RetryPolicy {
    /// The wait after the `attempts`-th failure.
    pub fn backoff(&self, attempts: u32) -> Duration {
        let doublings = attempts.saturating_sub(1).min(31);
        self.first_backoff.saturating_mul(1 << doublings).min(self.max_backoff)
    }
}

/// A verified delivery, as it is committed.
#[derive(Clone, Copy, Debug)]
pub struct NewDelivery<'a> {
    /// Which delivery.
    pub key: DeliveryKey<'a>,
    /// Its event's type.
    pub event_type: &'a str,
    /// The text that was verified.
    pub body: &'a str,
    /// The event-type header, if sent.
    pub event_type_header: Option<&'a str>,
    /// The idempotency-key header, if sent.
    pub idempotency_key: Option<&'a str>,
}

/// What [`Inbox::enqueue`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Enqueued {
    /// Committed: a worker will run it.
    Queued,
    /// Already in the inbox (a copy): nothing added.
    Duplicate,
}

/// A delivery a worker took: run it, then report [`Inbox::done`] or [`Inbox::failed`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Taken {
    /// The provider's name.
    pub provider: String,
    /// The delivery's id.
    pub delivery_id: String,
    /// The verified text, to parse again.
    pub body: String,
    /// The event-type header, if sent.
    pub event_type_header: Option<String>,
    /// The idempotency-key header, if sent.
    pub idempotency_key: Option<String>,
    /// This attempt's number (1 the first time).
    pub attempts: u32,
    holder: String,
}

/// What became of a failed delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    /// Pending again, after this wait.
    After(Duration),
    /// Out of attempts: a dead letter.
    Dead,
}

/// A delivery that ran out of attempts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeadLetter {
    /// The provider's name.
    pub provider: String,
    /// The delivery's id.
    pub delivery_id: String,
    /// Its event's type.
    pub event_type: String,
    /// How many attempts failed.
    pub attempts: u32,
    /// The last attempt's error.
    pub last_error: Option<String>,
}

/// How many deliveries are in each state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Waiting for a worker.
    pub pending: u64,
    /// Held by a worker.
    pub running: u64,
    /// Run.
    pub done: u64,
    /// Out of attempts.
    pub dead: u64,
}

/// The inbox, in SQLite or PostgreSQL.
///
/// ```no_run
/// # async fn run() -> Result<(), webhook_receiver::store::StoreError> {
/// use webhook_receiver::inbox::Inbox;
///
/// let inbox = Inbox::open("sqlite://deliveries.db").await?;
/// for dead in inbox.dead_letters().await? {
///     println!("{} {} failed {} times: {:?}", dead.provider, dead.delivery_id, dead.attempts, dead.last_error);
/// }
/// let requeued = inbox.requeue(None).await?; // every dead letter, pending again
/// # let _ = requeued;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Inbox {
    backend: Backend,
    retention: Duration,
    policy: RetryPolicy,
    /// New deliveries, takes, completions and failures, committed in groups (see `batch`).
    writer: batch::Writer,
    /// Wakes this process's workers when a delivery is queued (others poll).
    queued: Arc<Notify>,
}

const DEAD: &str = "\
SELECT provider, delivery_id, event_type, attempts, last_error FROM inbox
WHERE state = 'dead' ORDER BY received_at, provider, delivery_id";

const REQUEUE_ALL: &str = "UPDATE inbox SET state = 'pending', attempts = 0, next_at = $1, updated_at = $1 WHERE state = 'dead'";

const REQUEUE_ONE: &str = "\
UPDATE inbox SET state = 'pending', attempts = 0, next_at = $1, updated_at = $1
WHERE state = 'dead' AND provider = $2 AND delivery_id = $3";

/// Done deliveries older than `$1`: down the `inbox_done` index.
const PURGE: &str = "DELETE FROM inbox WHERE state = 'done' AND updated_at <= $1";

const COUNTS: &str = "SELECT state, COUNT(*) FROM inbox GROUP BY state";

impl Inbox {
    /// Opens the inbox in the database at `url` (see [`SqlStore::open`](crate::store::SqlStore::open)).
    pub async fn open(url: &str) -> Result<Inbox, StoreError> {
        let backend = Backend::open(url).await?;
        Ok(Inbox {
            writer: batch::Writer::start(backend.clone()),
            backend,
            retention: DEFAULT_RETENTION,
            policy: RetryPolicy::default(),
            queued: Arc::default(),
        })
    }

    /// The same inbox, retrying failures by `policy`.
    pub fn with_policy(mut self, policy: RetryPolicy) -> Inbox {
        self.policy = policy;
        self
    }

    /// The same inbox, remembering done deliveries (so copies are duplicates) for `retention`
    /// instead of [`DEFAULT_RETENTION`].
    pub fn with_retention(mut self, retention: Duration) -> Inbox {
        self.retention = retention;
        self
    }

    /// The retry policy.
    pub fn policy(&self) -> RetryPolicy {
        self.policy
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn kind(&self) -> &'static str {
        self.backend.kind()
    }

    /// Commits a verified delivery, unless a copy is already in the inbox. When this returns,
    /// the delivery is durable: acknowledge it.
    pub async fn enqueue(&self, delivery: NewDelivery<'_>) -> Result<Enqueued, StoreError> {
        let enqueued = self.writer.enqueue(delivery).await?;
        if enqueued == Enqueued::Queued {
            self.queued.notify_waiters();
        }
        Ok(enqueued)
    }

    /// Takes the next delivery to run, holding it for `lease`; `None` when nothing is ready.
    pub async fn take(&self, lease: Duration) -> Result<Option<Taken>, StoreError> {
        self.writer.take(lease).await
    }

    /// Marks a taken delivery run. Fails with [`LeaseLost`](crate::store::LeaseLost) if its lease ran out and another
    /// worker took it over.
    pub async fn done(&self, taken: &Taken) -> Result<(), StoreError> {
        self.writer.settle(taken, batch::Outcome::Done).await
    }

    /// Records a taken delivery's failure: pending again after the policy's backoff, or dead
    /// after its last attempt.
    pub async fn failed(&self, taken: &Taken, error: &str) -> Result<Retry, StoreError> {
        let now = unix_ms(SystemTime::now());
        let retry = match taken.attempts >= self.policy.max_attempts {
            true => Retry::Dead,
            false => Retry::After(self.policy.backoff(taken.attempts)),
        };
        let (state, next_at) = match retry {
            Retry::Dead => ("dead", now),
            Retry::After(wait) => ("pending", now.saturating_add(ms(wait))),
        };
        self.writer.settle(taken, batch::Outcome::Failed { state, next_at, error: error.to_owned() }).await?;
        Ok(retry)
    }

    /// Every dead letter, oldest first.
    pub async fn dead_letters(&self) -> Result<Vec<DeadLetter>, StoreError> {
        on_database!(&self.backend, pool => {
            let rows = ::sqlx::query(DEAD).fetch_all(pool).await.map_err(|e| StoreError::new("list dead letters", e))?;
            rows.iter()
                .map(|r| {
                    Ok(DeadLetter {
                        provider: r.try_get(0)?,
                        delivery_id: r.try_get(1)?,
                        event_type: r.try_get(2)?,
                        attempts: u32::try_from(r.try_get::<i64, _>(3)?).unwrap_or(u32::MAX),
                        last_error: r.try_get(4)?,
                    })
                })
                .collect::<Result<Vec<_>, ::sqlx::Error>>()
                .map_err(|e| StoreError::new("list dead letters", e))
        })
    }

    /// Makes dead letters pending again with their attempts reset: all of them, or the one
    /// `which` names. Returns how many.
    pub async fn requeue(&self, which: Option<DeliveryKey<'_>>) -> Result<u64, StoreError> {
        let now = unix_ms(SystemTime::now());
        let count = on_database!(&self.backend, pool => {
            let done = match which {
                None => ::sqlx::query(REQUEUE_ALL).bind(now).execute(pool).await,
                Some(key) => ::sqlx::query(REQUEUE_ONE).bind(now).bind(key.provider).bind(key.delivery_id).execute(pool).await,
            };
            done.map(|d| d.rows_affected()).map_err(|e| StoreError::new("requeue dead letters", e))?
        });
        if count > 0 {
            self.queued.notify_waiters();
        }
        Ok(count)
    }

    /// Forgets deliveries done more than the retention ago; returns how many.
    pub async fn purge(&self) -> Result<u64, StoreError> {
        let forgotten = unix_ms(SystemTime::now()).saturating_sub(ms(self.retention));
        on_database!(&self.backend, pool => {
            let done = ::sqlx::query(PURGE).bind(forgotten).execute(pool).await;
            done.map(|d| d.rows_affected()).map_err(|e| StoreError::new("purge the inbox", e))
        })
    }

    /// How many deliveries are in each state.
    pub async fn counts(&self) -> Result<Counts, StoreError> {
        let rows: Vec<(String, i64)> = on_database!(&self.backend, pool => {
            let rows = ::sqlx::query(COUNTS).fetch_all(pool).await.map_err(|e| StoreError::new("count the inbox", e))?;
            rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect::<Result<_, ::sqlx::Error>>().map_err(|e| StoreError::new("count the inbox", e))?
        });
        let mut counts = Counts::default();
        for (state, n) in rows {
            let n = u64::try_from(n).unwrap_or(0);
            match state.as_str() {
                "pending" => counts.pending = n,
                "running" => counts.running = n,
                "done" => counts.done = n,
                _ => counts.dead = n,
            }
        }
        Ok(counts)
    }

    /// Waits until a delivery is queued in this process, or `timeout` passes (workers of other
    /// processes are not heard: this is what bounds their wait).
    pub(crate) async fn wait_for_work(&self, timeout: Duration) {
        let _ = ::tokio::time::timeout(timeout, self.queued.notified()).await;
    }
}

fn taken<R: Row>(row: &R, holder: &str) -> Result<Taken, ::sqlx::Error>
where
    usize: ::sqlx::ColumnIndex<R>,
    for<'r> String: ::sqlx::Decode<'r, R::Database> + ::sqlx::Type<R::Database>,
    for<'r> Option<String>: ::sqlx::Decode<'r, R::Database>,
    for<'r> i64: ::sqlx::Decode<'r, R::Database> + ::sqlx::Type<R::Database>,
{
    Ok(Taken {
        provider: row.try_get(0)?,
        delivery_id: row.try_get(1)?,
        body: row.try_get(2)?,
        event_type_header: row.try_get(3)?,
        idempotency_key: row.try_get(4)?,
        attempts: u32::try_from(row.try_get::<i64, _>(5)?).unwrap_or(u32::MAX),
        holder: holder.to_owned(),
    })
}
