//! [`SqlStore`]: deliveries in SQLite (one file, the default) or PostgreSQL (several receiver
//! instances sharing one database). The claim is one `INSERT … ON CONFLICT DO UPDATE … WHERE`,
//! atomic in both.

use ::std::time::{Duration, SystemTime};

use ::sqlx::Row;

use super::{Claim, DeliveryKey, DeliveryStore, Lease, LeaseLost, StoreError, DEFAULT_RETENTION};
use crate::db::{ms, on_pool, unix_ms, Backend};

/// Deliveries in SQLite or PostgreSQL.
///
/// ```no_run
/// # async fn run() -> Result<(), webhook_receiver::store::StoreError> {
/// use webhook_receiver::store::{Claim, DeliveryKey, DeliveryStore, SqlStore, DEFAULT_LEASE};
///
/// let store = SqlStore::open("sqlite://deliveries.db").await?;
/// let key = DeliveryKey { provider: "apideck", delivery_id: "d290f1ee" };
/// match store.claim(key, DEFAULT_LEASE).await? {
///     Claim::Acquired(lease) => {
///         // … run the handler; on success:
///         store.complete(&lease).await?;
///     }
///     Claim::Completed => { /* a duplicate: answer 200 */ }
///     Claim::Running => { /* answer so the provider retries later */ }
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct SqlStore {
    backend: Backend,
    retention: Duration,
}

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

const PURGE: &str = "DELETE FROM deliveries WHERE state = 'done' AND updated_at <= $1";

impl SqlStore {
    /// Opens the database at `url` and migrates it: `sqlite://path/to/file.db` (created if
    /// missing; write-ahead log, every commit synced) or `postgres://user@host/db`.
    pub async fn open(url: &str) -> Result<SqlStore, StoreError> {
        Ok(SqlStore { backend: Backend::open(url).await?, retention: DEFAULT_RETENTION })
    }

    /// The same store, remembering completed deliveries for `retention` instead of
    /// [`DEFAULT_RETENTION`].
    pub fn with_retention(mut self, retention: Duration) -> SqlStore {
        self.retention = retention;
        self
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn kind(&self) -> &'static str {
        self.backend.kind()
    }

    /// How many times the delivery's handler was claimed to run (`None` if never): 1 for a
    /// delivery run once, more if a holder failed or died. For tests and operators.
    pub async fn runs(&self, key: DeliveryKey<'_>) -> Result<Option<i64>, StoreError> {
        const RUNS: &str = "SELECT runs FROM deliveries WHERE provider = $1 AND delivery_id = $2";
        on_pool!(&self.backend, pool => {
            let row = ::sqlx::query(RUNS).bind(key.provider).bind(key.delivery_id).fetch_optional(pool).await;
            row.and_then(|row| row.map(|r| r.try_get::<i64, _>(0)).transpose()).map_err(|e| StoreError::new("read a delivery", e))
        })
    }

    /// Every delivery completed, as `(provider, delivery id, runs)`, in key order. For tests and
    /// operators.
    pub async fn completed(&self) -> Result<Vec<(String, String, i64)>, StoreError> {
        const DONE: &str = "SELECT provider, delivery_id, runs FROM deliveries WHERE state = 'done' ORDER BY provider, delivery_id";
        on_pool!(&self.backend, pool => {
            let rows = ::sqlx::query(DONE).fetch_all(pool).await.map_err(|e| StoreError::new("list deliveries", e))?;
            rows.iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
                .collect::<Result<Vec<_>, ::sqlx::Error>>()
                .map_err(|e| StoreError::new("list deliveries", e))
        })
    }
}

impl DeliveryStore for SqlStore {
    async fn claim(&self, key: DeliveryKey<'_>, lease: Duration) -> Result<Claim, StoreError> {
        let holder = ::uuid::Uuid::new_v4().to_string();
        // A row deleted by a purge between the two statements is claimed again.
        for _ in 0..3 {
            let now = SystemTime::now();
            let (now_ms, until, forgotten) =
                (unix_ms(now), unix_ms(now).saturating_add(ms(lease)), unix_ms(now).saturating_sub(ms(self.retention)));
            let won: Option<String> = on_pool!(&self.backend, pool => {
                let row = ::sqlx::query(CLAIM)
                    .bind(key.provider)
                    .bind(key.delivery_id)
                    .bind(&holder)
                    .bind(until)
                    .bind(now_ms)
                    .bind(forgotten)
                    .fetch_optional(pool)
                    .await;
                row.and_then(|row| row.map(|r| r.try_get::<String, _>(0)).transpose()).map_err(|e| StoreError::new("claim a delivery", e))?
            });
            if won.as_deref() == Some(holder.as_str()) {
                return Ok(Claim::Acquired(Lease { provider: key.provider.to_owned(), delivery_id: key.delivery_id.to_owned(), holder }));
            }
            let state: Option<String> = on_pool!(&self.backend, pool => {
                let row = ::sqlx::query(STATE).bind(key.provider).bind(key.delivery_id).fetch_optional(pool).await;
                row.and_then(|row| row.map(|r| r.try_get::<String, _>(0)).transpose()).map_err(|e| StoreError::new("read a delivery", e))?
            });
            match state.as_deref() {
                Some("done") => return Ok(Claim::Completed),
                Some(_) => return Ok(Claim::Running),
                None => continue,
            }
        }
        Err(StoreError::new("claim a delivery", "the delivery's row kept disappearing (purged while claimed)"))
    }

    async fn complete(&self, lease: &Lease) -> Result<(), StoreError> {
        self.finish(COMPLETE, lease, "complete a delivery").await
    }

    async fn release(&self, lease: &Lease) -> Result<(), StoreError> {
        self.finish(RELEASE, lease, "release a delivery").await
    }

    async fn purge(&self) -> Result<u64, StoreError> {
        let forgotten = unix_ms(SystemTime::now()).saturating_sub(ms(self.retention));
        on_pool!(&self.backend, pool => {
            let done = ::sqlx::query(PURGE).bind(forgotten).execute(pool).await;
            done.map(|d| d.rows_affected()).map_err(|e| StoreError::new("purge deliveries", e))
        })
    }
}

impl SqlStore {
    /// Runs `sql` (complete or release) on the lease's row, which must still be this holder's.
    async fn finish(&self, sql: &'static str, lease: &Lease, action: &'static str) -> Result<(), StoreError> {
        let now = unix_ms(SystemTime::now());
        let affected = on_pool!(&self.backend, pool => {
            let done = ::sqlx::query(sql).bind(&lease.provider).bind(&lease.delivery_id).bind(&lease.holder).bind(now).execute(pool).await;
            done.map(|d| d.rows_affected()).map_err(|e| StoreError::new(action, e))?
        });
        match affected {
            0 => Err(StoreError::new(action, LeaseLost)),
            _ => Ok(()),
        }
    }
}
