//! What the writer tasks (the store's and the inbox's group commit) share: their connection, held
//! for as long as it works and switched between quick and durable commits; the retrying of a
//! statement that fails on it; and the gathering of the writes that wait.

use ::sqlx::postgres::PgConnection;
use ::sqlx::sqlite::SqliteConnection;
use ::sqlx::Executor;

use ::tokio::sync::{mpsc, oneshot};

use crate::db::{on_database, Backend, Database};
use crate::store::StoreError;

/// How many times a statement that failed (a dropped connection, a deadlock) is run, on a new
/// connection after a failure, before its writes fail: a failed statement wrote nothing.
pub(crate) const ATTEMPTS: usize = 3;

/// A writer's connection, to either database.
pub(crate) type Link = Database<SqliteConnection, PgConnection>;

/// A writer's connection, taken out of the pool, and how its commits are made: `quick` ones do
/// not wait for a sync (SQLite's `synchronous = NORMAL`, under which a commit to the write-ahead
/// log is not synced; PostgreSQL's `synchronous_commit = off`), `durable` ones do (the pool's
/// settings). Both databases keep commits in log order, so a durable commit syncs every quick
/// one before it.
///
/// One connection switched between the two, not one of each: a SQLite connection drops its
/// whole page cache when it finds that another connection wrote, so two connections taking turns
/// would each read back every page they touch.
pub(crate) struct Session {
    link: Link,
    synced: bool,
}

impl Session {
    pub(crate) async fn open(backend: &Backend) -> Result<Session, ::sqlx::Error> {
        let link = match backend {
            Backend::Sqlite(pool) => Link::Sqlite(pool.acquire().await?.detach()),
            Backend::Postgres(pool) => Link::Postgres(pool.acquire().await?.detach()),
        };
        Ok(Session { link, synced: true })
    }

    /// The connection, its commits not waiting for a sync.
    pub(crate) async fn quick(&mut self) -> Result<&mut Link, ::sqlx::Error> {
        self.synced(false).await
    }

    /// The connection, its commits synced.
    pub(crate) async fn durable(&mut self) -> Result<&mut Link, ::sqlx::Error> {
        self.synced(true).await
    }

    async fn synced(&mut self, synced: bool) -> Result<&mut Link, ::sqlx::Error> {
        if self.synced != synced {
            let setting = match (&self.link, synced) {
                (Link::Sqlite(_), true) => "PRAGMA synchronous = FULL",
                (Link::Sqlite(_), false) => "PRAGMA synchronous = NORMAL",
                (Link::Postgres(_), true) => "SET synchronous_commit = on",
                (Link::Postgres(_), false) => "SET synchronous_commit = off",
            };
            on_database!(&mut self.link, connection => connection.execute(setting).await.map(|_| ())?);
            self.synced = synced;
        }
        Ok(&mut self.link)
    }
}

/// Runs `$statement` (an expression of `$session`, the open [`Session`] in the
/// `Option<Session>` that `$open` points to) until it succeeds, at most [`ATTEMPTS`] times, on a new
/// connection after a failure; its result, or the last error.
macro_rules! retried {
    ($backend:expr, $open:expr, $session:ident => $statement:expr) => {{
        let mut outcome = Err(::sqlx::Error::PoolClosed);
        for _ in 0..crate::session::ATTEMPTS {
            let $session = match $open {
                Some(session) => session,
                None => match crate::session::Session::open($backend).await {
                    Ok(session) => $open.insert(session),
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

/// Sends the write `op` makes of its reply channel to a writer task through `queue`, and waits
/// for the writer's answer; fails as `reaching` (the action named in the error) once the task
/// has stopped.
pub(crate) async fn ask<Op, T>(
    queue: &mpsc::Sender<Op>,
    reaching: &'static str,
    op: impl FnOnce(oneshot::Sender<T>) -> Op,
) -> Result<T, StoreError> {
    let gone = || StoreError::new(reaching, "the writer task stopped");
    let (reply, answer) = oneshot::channel();
    queue.send(op(reply)).await.map_err(|_| gone())?;
    answer.await.map_err(|_| gone())
}

/// The writes waiting for a writer task, sorted by kind as they arrive.
pub(crate) trait Gather {
    type Op;

    fn len(&self) -> usize;

    fn push(&mut self, op: Self::Op);
}

/// Takes what has arrived on `queue` into `waiting`, up to `max` waiting, and waits for something
/// when nothing waits; `false` once every handle is gone and nothing is left.
pub(crate) async fn gather<W: Gather>(waiting: &mut W, queue: &mut mpsc::Receiver<W::Op>, max: usize) -> bool {
    if waiting.len() == 0 {
        let mut arrived = Vec::new();
        if queue.recv_many(&mut arrived, max).await == 0 {
            return false;
        }
        arrived.into_iter().for_each(|op| waiting.push(op));
    }
    while waiting.len() < max {
        match queue.try_recv() {
            Ok(op) => waiting.push(op),
            Err(_) => break,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What SQLite's connection says its commits are: `FULL` (2) syncs the log before a commit
    /// is seen by anyone, `NORMAL` (1) does not sync it.
    async fn synchronous(session: &mut Session) -> i64 {
        let Link::Sqlite(connection) = &mut session.link else { unreachable!() };
        ::sqlx::query_scalar("PRAGMA synchronous").fetch_one(connection).await.unwrap()
    }

    #[tokio::test]
    async fn durable_commits_are_synced_and_quick_ones_are_not() {
        let dir = ::tempfile::tempdir().unwrap();
        let backend = Backend::open(&format!("sqlite://{}", dir.path().join("session.db").display())).await.unwrap();
        let mut session = Session::open(&backend).await.unwrap();
        assert_eq!(synchronous(&mut session).await, 2, "a new session is durable");
        session.quick().await.unwrap();
        assert_eq!(synchronous(&mut session).await, 1);
        session.durable().await.unwrap();
        assert_eq!(synchronous(&mut session).await, 2);
    }
}
