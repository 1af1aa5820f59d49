//! [`SqlStore`]: deliveries in SQLite (one file, the default) or PostgreSQL (several receiver
//! instances sharing one database). On PostgreSQL the claim is one `INSERT … ON CONFLICT DO
//! UPDATE … WHERE`, atomic; on SQLite claims are held in memory (`held`). Writes are committed in
//! groups by `batch`, which also says which are synced.

use ::std::sync::{Arc, Mutex};
use ::std::time::{Duration, SystemTime};

use ::sqlx::Row;

use super::batch::{Claims, Writer};
use super::held::Held;
use super::local;
use super::owner::{one_per_file, Lock};
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
    open: Arc<Opened>,
    retention: Duration,
}

/// A store open on a database: what its handles share.
#[derive(Debug)]
pub(super) struct Opened {
    backend: Backend,
    /// Claims, completions and releases, committed in groups (see `batch`).
    writer: Writer,
    /// The claims running, when this process holds them (SQLite; see `held`).
    held: Option<Arc<Mutex<Held>>>,
    /// The database file's, while the store is open (see `owner`).
    _lock: Option<Lock>,
}

impl Opened {
    fn new(backend: Backend, held: Option<Arc<Mutex<Held>>>, lock: Option<Lock>) -> Opened {
        let claims = held.as_ref().map_or(Claims::Stored, |held| Claims::Held(Arc::clone(held)));
        Opened { writer: Writer::start(backend.clone(), claims), backend, held, _lock: lock }
    }
}

/// Completed deliveries older than `$1`: down the `deliveries_done` index (PostgreSQL's).
pub(super) const PURGE: &str = "DELETE FROM deliveries WHERE state = 'done' AND updated_at <= $1";

/// Deliveries given up (released, or whose holder died) older than `$1`, whose lease ended by
/// then: down the `deliveries_running` index (PostgreSQL's). A claim that takes one over
/// meanwhile makes it new, and the deletion passes it by.
pub(super) const PURGE_GIVEN_UP: &str = "DELETE FROM deliveries WHERE state = 'running' AND updated_at <= $1 AND lease_until <= $1";

impl SqlStore {
    /// Opens the database at `url` and migrates it: `sqlite://path/to/file.db` (created if
    /// missing; write-ahead log) or `postgres://user@host/db`. A completion is synced to disk
    /// before [`complete`](DeliveryStore::complete) returns.
    ///
    /// PostgreSQL keeps the claims too, so that several receiver instances can share it: a claim
    /// or a release is committed at once and synced with the next completion (why that is safe:
    /// the `batch` module). A SQLite file serves one process, which keeps the claims running in
    /// its memory: it holds the file's lock (`<file>-lock`) while the store is open, and opening
    /// a store on the file from another process fails until then. Stores opened on one file in
    /// one process are handles to one store. It also holds in memory where each delivery it keeps
    /// is, read before its first claim is answered: for a million deliveries kept (six a second
    /// for the default retention), about 20 MiB and 2–3 s (BENCHMARKS §4).
    pub async fn open(url: &str) -> Result<SqlStore, StoreError> {
        let backend = Backend::connect(url).await?;
        let open = match &backend {
            Backend::Postgres(_) => {
                backend.migrate().await?;
                Arc::new(Opened::new(backend, None, None))
            }
            Backend::Sqlite(pool) => {
                let held = Some(Arc::new(Mutex::new(Held::default())));
                match ::std::fs::canonicalize(pool.connect_options().get_filename()) {
                    // Migrated only under the file's lock: a process whose store has the file
                    // open keeps its tables as it knows them (an older version's, say).
                    Ok(file) => {
                        let backend = backend.clone();
                        one_per_file(&file, |lock| async move {
                            backend.migrate().await?;
                            Ok(Opened::new(backend, held, Some(lock)))
                        })
                        .await?
                    }
                    // In memory: no other process can open it.
                    Err(_) => {
                        backend.migrate().await?;
                        Arc::new(Opened::new(backend, held, None))
                    }
                }
            }
        };
        Ok(SqlStore { open, retention: DEFAULT_RETENTION })
    }

    /// The same store, remembering completed deliveries for `retention` instead of
    /// [`DEFAULT_RETENTION`].
    pub fn with_retention(mut self, retention: Duration) -> SqlStore {
        self.retention = retention;
        self
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn kind(&self) -> &'static str {
        self.open.backend.kind()
    }

    /// How many times the delivery's handler was claimed to run (`None` if never): 1 for a
    /// delivery run once, more if a holder failed or died. For tests and operators.
    pub async fn runs(&self, key: DeliveryKey<'_>) -> Result<Option<i64>, StoreError> {
        const RUNS: &str = "SELECT runs FROM deliveries WHERE provider = $1 AND delivery_id = $2";
        if let (Backend::Sqlite(pool), Some(held)) = (&self.open.backend, &self.open.held) {
            return local::runs(pool, held, key).await.map_err(|e| StoreError::new("read a delivery", e));
        }
        on_database!(&self.open.backend, pool => {
            let row = ::sqlx::query(RUNS).bind(key.provider).bind(key.delivery_id).fetch_optional(pool).await;
            row.and_then(|row| row.map(|r| r.try_get::<i64, _>(0)).transpose()).map_err(|e| StoreError::new("read a delivery", e))
        })
    }

    /// Every delivery completed, as `(provider, delivery id, runs)`, in key order. For tests and
    /// operators.
    pub async fn completed(&self) -> Result<Vec<(String, String, i64)>, StoreError> {
        const DONE: &str = "SELECT provider, delivery_id, runs FROM deliveries WHERE state = 'done' ORDER BY provider, delivery_id";
        if let (Backend::Sqlite(pool), Some(_)) = (&self.open.backend, &self.open.held) {
            return local::completed(pool).await.map_err(|e| StoreError::new("list deliveries", e));
        }
        on_database!(&self.open.backend, pool => {
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
        self.open.writer.claim(key, lease, self.retention).await
    }

    async fn complete(&self, lease: &Lease) -> Result<(), StoreError> {
        self.open.writer.complete(lease).await
    }

    async fn release(&self, lease: &Lease) -> Result<(), StoreError> {
        self.open.writer.release(lease).await
    }

    async fn purge(&self) -> Result<u64, StoreError> {
        let forgotten = unix_ms(SystemTime::now()).saturating_sub(ms(self.retention));
        self.open.writer.purge(forgotten).await
    }
}
