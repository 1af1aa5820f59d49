//! The connections of a writer task (the store's and the inbox's group commit): two per
//! database, one for each kind of commit, held for as long as they work, and the retrying of a
//! statement that fails on them.

use ::sqlx::postgres::PgConnection;
use ::sqlx::sqlite::SqliteConnection;
use ::sqlx::Executor;

use crate::db::Backend;

/// How many times a statement that failed (a dropped connection, a deadlock) is run, on new
/// connections after a failure, before its writes fail: a failed statement wrote nothing.
pub(crate) const ATTEMPTS: usize = 3;

/// One of a writer's connections.
pub(crate) enum Link {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

/// Runs `$body` with `$connection` bound to whichever connection `$link` holds: the same code,
/// compiled for each database.
macro_rules! on_link {
    ($link:expr, $connection:ident => $body:expr) => {
        match $link {
            crate::links::Link::Sqlite($connection) => $body,
            crate::links::Link::Postgres($connection) => $body,
        }
    };
}
pub(crate) use on_link;

/// A writer's connections: `quick` commits without waiting for a sync (SQLite's
/// `synchronous = NORMAL`, under which a commit to the write-ahead log is not synced;
/// PostgreSQL's `synchronous_commit = off`), `durable` waits for it (the pool's settings). Both
/// databases keep commits in log order, so a durable commit syncs every quick one before it.
pub(crate) struct Links {
    pub(crate) quick: Link,
    pub(crate) durable: Link,
}

impl Links {
    /// Two connections of `backend`'s pool, taken out of it (the quick one's setting is not the
    /// pool's).
    pub(crate) async fn open(backend: &Backend) -> Result<Links, ::sqlx::Error> {
        Ok(match backend {
            Backend::Sqlite(pool) => {
                let mut quick = pool.acquire().await?.detach();
                quick.execute("PRAGMA synchronous = NORMAL").await?;
                let durable = pool.acquire().await?.detach();
                Links { quick: Link::Sqlite(quick), durable: Link::Sqlite(durable) }
            }
            Backend::Postgres(pool) => {
                let mut quick = pool.acquire().await?.detach();
                quick.execute("SET synchronous_commit = off").await?;
                let durable = pool.acquire().await?.detach();
                Links { quick: Link::Postgres(quick), durable: Link::Postgres(durable) }
            }
        })
    }
}

/// Runs `$statement` (an expression of `$links`, the open connections in the
/// `Option<Links>` that `$open` points to) until it succeeds, at most [`ATTEMPTS`] times, on new
/// connections after a failure; its result, or the last error.
macro_rules! retried {
    ($backend:expr, $open:expr, $links:ident => $statement:expr) => {{
        let mut outcome = Err(::sqlx::Error::PoolClosed);
        for _ in 0..crate::links::ATTEMPTS {
            let $links = match $open {
                Some(links) => links,
                None => match crate::links::Links::open($backend).await {
                    Ok(links) => $open.insert(links),
                    Err(e) => {
                        outcome = Err(e);
                        continue;
                    }
                },
            };
            outcome = $statement.await;
            match outcome {
                Ok(_) => break,
                Err(_) => *$open = None,
            }
        }
        outcome
    }};
}
pub(crate) use retried;
