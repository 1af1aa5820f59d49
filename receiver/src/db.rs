//! The database under the store and the inbox: SQLite (one file, the default) or PostgreSQL
//! (several receiver instances sharing one database), through `sqlx`, with the schema migrated
//! on open: `migrations/`, both databases', then on SQLite `migrations-sqlite/` (embedded).
//!
//! Every statement is written once, with `$n` parameters (which both databases read), and run on
//! whichever pool was opened, by [`on_database!`].

use ::std::str::FromStr;
use ::std::time::{Duration, SystemTime, UNIX_EPOCH};

use ::sqlx::postgres::{PgPool, PgPoolOptions};
use ::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use crate::store::StoreError;

/// One thing per database: a pool ([`Backend`]) or a connection
/// ([`Link`](crate::session::Link)).
#[derive(Clone, Debug)]
pub(crate) enum Database<S, P> {
    Sqlite(S),
    Postgres(P),
}

/// The two databases, each with its pool.
pub(crate) type Backend = Database<SqlitePool, PgPool>;

/// Runs `$body` with `$x` bound to whichever database's pool or connection `$database` holds:
/// the same code, compiled for each database.
macro_rules! on_database {
    ($database:expr, $x:ident => $body:expr) => {
        match $database {
            crate::db::Database::Sqlite($x) => $body,
            crate::db::Database::Postgres($x) => $body,
        }
    };
}
pub(crate) use on_database;

impl Backend {
    /// Connects to `url` (`sqlite:path`, `sqlite://path` or `postgres://…`) and migrates it.
    pub(crate) async fn open(url: &str) -> Result<Backend, StoreError> {
        let backend = Backend::connect(url).await?;
        backend.migrate().await?;
        Ok(backend)
    }

    /// Connects to `url`, without migrating it (a SQLite file is created if missing).
    pub(crate) async fn connect(url: &str) -> Result<Backend, StoreError> {
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool =
                PgPoolOptions::new().max_connections(16).connect(url).await.map_err(|e| StoreError::new("connect to PostgreSQL", e))?;
            Backend::Postgres(pool)
        } else if url.starts_with("sqlite:") {
            // Durable commits: the write-ahead log, synced at every commit (the writers of the
            // store and the inbox relax that for the writes that need no sync; see `session`).
            let options = SqliteConnectOptions::from_str(url)
                .map_err(|e| StoreError::new("read the SQLite URL", e))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(30));
            let pool =
                SqlitePoolOptions::new().max_connections(4).connect_with(options).await.map_err(|e| StoreError::new("open SQLite", e))?;
            Backend::Sqlite(pool)
        } else {
            return Err(StoreError::new("open the database", format!("`{url}` is neither a `sqlite:` nor a `postgres://` URL")));
        };
        Ok(backend)
    }

    /// Migrates the database: `migrations/`, then on SQLite `migrations-sqlite/`.
    pub(crate) async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Backend::Postgres(pool) => {
                ::sqlx::migrate!("./migrations").run(pool).await.map_err(|e| StoreError::new("migrate PostgreSQL", e))
            }
            Backend::Sqlite(pool) => {
                let migrate = |e| StoreError::new("migrate SQLite", e);
                // Two sets, each told that the other's versions are not missing.
                let (mut shared, mut own) = (::sqlx::migrate!("./migrations"), ::sqlx::migrate!("./migrations-sqlite"));
                shared.set_ignore_missing(true).run(pool).await.map_err(migrate)?;
                own.set_ignore_missing(true).run(pool).await.map_err(migrate)
            }
        }
    }

    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }
}

/// Milliseconds since the Unix epoch, saturating (a clock before 1970 reads as 0).
pub(crate) fn unix_ms(t: SystemTime) -> i64 {
    let ms = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
    i64::try_from(ms).unwrap_or(i64::MAX)
}

/// `d` in milliseconds, saturating.
pub(crate) fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The steps of SQLite's plan for `sql`, on a freshly migrated database: with no statistics the
/// planner takes every table to be big, so a step that reads one whole (`SCAN table`) is one the
/// statement would take on a big table too.
#[cfg(test)]
pub(crate) async fn sqlite_plan(sql: &str) -> Vec<String> {
    use ::sqlx::Row;
    let dir = ::tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("plan.db").display());
    let Ok(Backend::Sqlite(pool)) = Backend::open(&url).await else { panic!("cannot open {url}") };
    let rows = ::sqlx::query(&format!("EXPLAIN QUERY PLAN {sql}")).fetch_all(&pool).await.expect("a plan");
    rows.iter().map(|row| row.get::<String, _>("detail")).collect()
}
