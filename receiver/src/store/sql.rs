//! [`SqlStore`]: deliveries in SQLite (one file, the default) or PostgreSQL (several receiver
//! instances sharing one database). The claim is one `INSERT … ON CONFLICT DO UPDATE … WHERE`,
//! atomic in both; writes are committed in groups by `batch`, which also says which are synced.

use ::std::time::{Duration, SystemTime};

use ::sqlx::Row;

use super::batch::Writer;
use super::{Claim, DeliveryKey, DeliveryStore, Lease, StoreError, DEFAULT_RETENTION};
use crate::db::{ms, on_database, unix_ms, Backend};

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
    /// Claims, completions and releases, committed in groups (see `batch`).
    writer: Writer,
    retention: Duration,
}

/// Completed deliveries older than `$1`: down the `deliveries_done` index.
pub(super) const PURGE: &str = "DELETE FROM deliveries WHERE state = 'done' AND updated_at <= $1";

impl SqlStore {
    /// Opens the database at `url` and migrates it: `sqlite://path/to/file.db` (created if
    /// missing; write-ahead log) or `postgres://user@host/db`. A completion is synced to disk
    /// before [`complete`](DeliveryStore::complete) returns; a claim or a release is committed
    /// at once and synced with the next completion (why that is safe: the `batch` module).
    pub async fn open(url: &str) -> Result<SqlStore, StoreError> {
        let backend = Backend::open(url).await?;
        Ok(SqlStore { writer: Writer::start(backend.clone()), backend, retention: DEFAULT_RETENTION })
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
        on_database!(&self.backend, pool => {
            let row = ::sqlx::query(RUNS).bind(key.provider).bind(key.delivery_id).fetch_optional(pool).await;
            row.and_then(|row| row.map(|r| r.try_get::<i64, _>(0)).transpose()).map_err(|e| StoreError::new("read a delivery", e))
        })
    }

    /// Every delivery completed, as `(provider, delivery id, runs)`, in key order. For tests and
    /// operators.
    pub async fn completed(&self) -> Result<Vec<(String, String, i64)>, StoreError> {
        const DONE: &str = "SELECT provider, delivery_id, runs FROM deliveries WHERE state = 'done' ORDER BY provider, delivery_id";
        on_database!(&self.backend, pool => {
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
        self.writer.claim(key, lease, self.retention).await
    }

    async fn complete(&self, lease: &Lease) -> Result<(), StoreError> {
        self.writer.complete(lease).await
    }

    async fn release(&self, lease: &Lease) -> Result<(), StoreError> {
        self.writer.release(lease).await
    }

    async fn purge(&self) -> Result<u64, StoreError> {
        let forgotten = unix_ms(SystemTime::now()).saturating_sub(ms(self.retention));
        on_database!(&self.backend, pool => {
            let done = ::sqlx::query(PURGE).bind(forgotten).execute(pool).await;
            done.map(|d| d.rows_affected()).map_err(|e| StoreError::new("purge deliveries", e))
        })
    }
}
