//! How a writer task makes the commits it acknowledges durable, and when it answers them.
//!
//! PostgreSQL syncs its log at the commit (`synchronous_commit = on`), off its locks, and other
//! sessions' commits join the same sync. SQLite syncs at the commit too (`synchronous = FULL`),
//! but while it holds the database's one write lock, so every other write waits for the disk.
//! With its write-ahead log in a file, a writer does better to commit without a sync
//! (`synchronous = NORMAL`) and have the log file synced after the commit, by a task of its own
//! ([`LogSync`]): the next round's statements run while the disk syncs the last round's, and
//! each answer waits for the first sync that starts after its commit.
//!
//! Why that is as durable as a synced commit: SQLite's commits are frames appended to the log
//! file (`<database>-wal`), and a sync of the file (by any descriptor of it) puts every frame
//! written before it on the disk. A checkpoint that copies the frames into the database syncs
//! both files first, so frames that the log no longer holds are on the disk already. With
//! `synchronous = NORMAL` the log is always consistent (SQLite's documentation): a crash can
//! lose only the commits after the last sync, and those were not answered.
//!
//! What a writer answers only after the sync: every write whose answer acknowledges a delivery or
//! records it as done, including a duplicate's answer that its delivery is done (its row may be
//! one not synced yet).

use ::std::fs::File;
use ::std::io;
use ::std::path::{Path, PathBuf};
use ::std::sync::Arc;

use ::sqlx::sqlite::SqlitePool;
use ::tokio::sync::mpsc;

use crate::db::Backend;
use crate::session::{Link, Session};

/// What runs once the writes before it are durable, told whether they are.
type Then = Box<dyn FnOnce(Result<(), &io::Error>) + Send>;

/// How a writer's acknowledged commits become durable.
#[derive(Clone)]
pub(crate) enum Durability {
    /// Each durable commit syncs ([`Session::durable`]).
    AtCommit,
    /// Commits are quick ([`Session::quick`]), and answered after a sync of the log file.
    AfterLogSync(LogSync),
}

impl Durability {
    /// How `backend`'s commits are made durable: after a sync of SQLite's write-ahead log file
    /// when the database has one (not an in-memory database, nor a journal in another mode);
    /// else at the commit.
    pub(crate) async fn of(backend: &Backend) -> Durability {
        match backend {
            Backend::Sqlite(pool) => match log_file(pool).await {
                Some(log) => Durability::AfterLogSync(LogSync::start(move || sync_log(&log))),
                None => Durability::AtCommit,
            },
            Backend::Postgres(_) => Durability::AtCommit,
        }
    }

    /// `session`'s connection, set for the commits this writes.
    pub(crate) async fn link<'s>(&self, session: &'s mut Session) -> Result<&'s mut Link, ::sqlx::Error> {
        match self {
            Durability::AtCommit => session.durable().await,
            Durability::AfterLogSync(_) => session.quick().await,
        }
    }

    /// Gives `then` what a commit `written` through [`link`](Self::link) returned, once it is
    /// durable: at once when the commit synced, or failed; else after the log's next sync, with
    /// the sync's error if it failed.
    pub(crate) fn answer<T: Send + 'static>(
        &self,
        written: Result<T, ::sqlx::Error>,
        then: impl FnOnce(Result<T, ::sqlx::Error>) + Send + 'static,
    ) {
        match (self, written) {
            (Durability::AfterLogSync(sync), Ok(written)) => sync
                .then(move |synced| then(synced.map(|()| written).map_err(|e| ::sqlx::Error::Io(io::Error::new(e.kind(), e.to_string()))))),
            (_, written) => then(written),
        }
    }
}

/// The write-ahead log file of the database `pool` opens, if it has one and it is where SQLite
/// names it; `None` (logged) otherwise.
async fn log_file(pool: &SqlitePool) -> Option<PathBuf> {
    let mode: String = match ::sqlx::query_scalar("PRAGMA journal_mode").fetch_one(pool).await {
        Ok(mode) => mode,
        Err(e) => {
            ::tracing::warn!(reason = %e, "cannot read SQLite's journal mode; every durable commit syncs");
            return None;
        }
    };
    if !mode.eq_ignore_ascii_case("wal") {
        return None;
    }
    let database = pool.connect_options().get_filename().to_owned();
    match wal_of(&database) {
        Ok(log) => Some(log),
        Err(e) => {
            ::tracing::warn!(reason = %e, database = %database.display(), "cannot find SQLite's log file; every durable commit syncs");
            None
        }
    }
}

/// SQLite's name for `database`'s write-ahead log: the database's path, its links resolved (as
/// SQLite resolves them), with `-wal` appended. It exists while a connection is open.
fn wal_of(database: &Path) -> io::Result<PathBuf> {
    let mut log = ::std::fs::canonicalize(database)?.into_os_string();
    log.push("-wal");
    let log = PathBuf::from(log);
    File::open(&log)?;
    Ok(log)
}

/// Syncs the log file at `log`. A log that is gone was deleted by SQLite as the last connection
/// to the database closed, which it does only after a checkpoint has copied every frame into the
/// database and synced it: nothing is left to sync.
fn sync_log(log: &Path) -> io::Result<()> {
    match File::open(log) {
        Ok(file) => file.sync_data(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// A task that syncs the log file for the answers that wait on it: one sync at a time, for every
/// answer waiting when it starts, so a slow disk gets fewer, bigger syncs rather than a queue.
#[derive(Clone)]
pub(crate) struct LogSync {
    waiting: mpsc::UnboundedSender<Then>,
}

impl LogSync {
    /// Starts the task; `sync` syncs the file (on a blocking thread). It ends once the
    /// `LogSync` is dropped and every waiting answer is given.
    pub(crate) fn start(sync: impl Fn() -> io::Result<()> + Send + Sync + 'static) -> LogSync {
        let (waiting, queue) = mpsc::unbounded_channel();
        ::tokio::spawn(run(Arc::new(sync), queue));
        LogSync { waiting }
    }

    /// Runs `then` after the first sync that starts after this call.
    pub(crate) fn then(&self, then: impl FnOnce(Result<(), &io::Error>) + Send + 'static) {
        // The task ends only after this sender is dropped, so the send cannot fail.
        drop(self.waiting.send(Box::new(then)));
    }
}

async fn run(sync: Arc<dyn Fn() -> io::Result<()> + Send + Sync>, mut queue: mpsc::UnboundedReceiver<Then>) {
    // A failed sync may have dropped the pages it could not write, and the next sync of the file
    // can report success without them (Linux does), so after one failure no sync is trusted:
    // every answer fails until the process restarts, as PostgreSQL stops in that case.
    let mut failed: Option<io::Error> = None;
    let mut batch = Vec::new();
    while queue.recv_many(&mut batch, 4096).await > 0 {
        if failed.is_none() {
            let sync = Arc::clone(&sync);
            let synced = ::tokio::task::spawn_blocking(move || sync()).await.unwrap_or_else(|e| Err(io::Error::other(e.to_string())));
            if let Err(e) = synced {
                ::tracing::error!(reason = %e, "syncing SQLite's log failed; no write is acknowledged until the service restarts");
                failed = Some(e);
            }
        }
        let synced = failed.as_ref().map_or(Ok(()), Err);
        batch.drain(..).for_each(|then| then(synced));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::std::sync::atomic::{AtomicUsize, Ordering};
    use ::tokio::sync::oneshot;

    /// A migrated SQLite file in a new directory (kept until the directory drops), its pool and
    /// its log file.
    async fn sqlite_file() -> (::tempfile::TempDir, SqlitePool, PathBuf) {
        let dir = ::tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("store.db").display());
        let Backend::Sqlite(pool) = Backend::open(&url).await.unwrap() else { unreachable!() };
        let log = log_file(&pool).await.expect("a log file");
        (dir, pool, log)
    }

    #[tokio::test]
    async fn a_sqlite_file_is_synced_after_its_commit_and_memory_at_it() {
        let (dir, pool, log) = sqlite_file().await;
        assert_eq!(log, ::std::fs::canonicalize(dir.path()).unwrap().join("store.db-wal"));
        assert!(matches!(Durability::of(&Backend::Sqlite(pool)).await, Durability::AfterLogSync(_)));

        let memory = Backend::open("sqlite::memory:").await.unwrap();
        assert!(matches!(Durability::of(&memory).await, Durability::AtCommit));
    }

    /// The log is the file SQLite writes its commits to: it grows with a commit.
    #[tokio::test]
    async fn the_log_file_is_the_one_commits_go_to() {
        let (_dir, pool, log) = sqlite_file().await;
        let before = ::std::fs::metadata(&log).unwrap().len();
        ::sqlx::query("INSERT INTO deliveries (provider, delivery_id, state, holder, lease_until, updated_at, runs) VALUES ('p', 'd', 'done', 'h', 0, 0, 1)")
            .execute(&pool)
            .await
            .unwrap();
        assert!(::std::fs::metadata(&log).unwrap().len() > before);
    }

    /// A log that SQLite deleted when its last connection closed has nothing left to sync; a log
    /// that cannot be opened for another reason fails the sync.
    #[tokio::test]
    async fn a_log_that_is_gone_needs_no_sync() {
        use ::sqlx::{ConnectOptions, Connection};
        use ::std::str::FromStr;
        // One connection, so that its close is the last (connections of a pool that close at
        // once may each leave the log to the other).
        let dir = ::tempfile::tempdir().unwrap();
        let options = ::sqlx::sqlite::SqliteConnectOptions::from_str(&format!("sqlite://{}", dir.path().join("store.db").display()))
            .unwrap()
            .create_if_missing(true)
            .journal_mode(::sqlx::sqlite::SqliteJournalMode::Wal);
        let mut connection = options.connect().await.unwrap();
        ::sqlx::query("CREATE TABLE t (x)").execute(&mut connection).await.unwrap();
        let log = wal_of(&dir.path().join("store.db")).unwrap();
        assert!(sync_log(&log).is_ok());
        connection.close().await.unwrap();
        assert!(!log.exists(), "SQLite kept its log after its last connection closed");
        assert!(sync_log(&log).is_ok());
        assert!(sync_log(&log.join("below-a-file-that-is-gone")).is_ok());
        ::std::fs::write(&log, b"frames").unwrap();
        assert!(sync_log(&log.join("below-a-file")).is_err());
    }

    /// An answer waits for a sync that started after it was asked for, and a sync serves every
    /// answer waiting when it starts.
    #[tokio::test]
    async fn answers_wait_for_the_next_sync() {
        let syncs = Arc::new(AtomicUsize::new(0));
        let (gate, opened) = ::std::sync::mpsc::channel::<()>();
        let opened = ::std::sync::Mutex::new(opened);
        let counted = Arc::clone(&syncs);
        let sync = LogSync::start(move || {
            opened.lock().unwrap().recv().unwrap();
            counted.fetch_add(1, Ordering::SeqCst);
            Ok(())
        });
        let durability = Durability::AfterLogSync(sync);
        let mut answers = Vec::new();
        for n in 0..3 {
            let (tx, rx) = oneshot::channel();
            durability.answer(Ok(n), move |written| tx.send(written.unwrap()).unwrap());
            answers.push(rx);
        }
        ::tokio::time::sleep(::std::time::Duration::from_millis(50)).await;
        assert!(answers.iter_mut().all(|rx| rx.try_recv().is_err()), "answered before the sync");
        gate.send(()).unwrap();
        // The first sync started with the first answer alone waiting, or with all three.
        let first = answers.remove(0).await.unwrap();
        assert_eq!(first, 0);
        gate.send(()).unwrap();
        for (n, rx) in answers.into_iter().enumerate() {
            assert_eq!(rx.await.unwrap(), n + 1);
        }
        assert!((1..=2).contains(&syncs.load(Ordering::SeqCst)));
    }

    /// After a failed sync, no later answer is given as durable, though later syncs succeed.
    #[tokio::test]
    async fn a_failed_sync_fails_every_later_answer() {
        let calls = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&calls);
        let durability = Durability::AfterLogSync(LogSync::start(move || match counted.fetch_add(1, Ordering::SeqCst) {
            0 => Err(io::Error::other("the disk said no")),
            _ => Ok(()),
        }));
        for _ in 0..3 {
            let (tx, rx) = oneshot::channel();
            durability.answer(Ok(()), move |written| drop(tx.send(written)));
            let answer = rx.await.unwrap();
            assert!(matches!(&answer, Err(::sqlx::Error::Io(e)) if e.to_string() == "the disk said no"), "{answer:?}");
        }
        let (tx, rx) = oneshot::channel();
        durability.answer(Err::<(), _>(::sqlx::Error::PoolClosed), move |written| drop(tx.send(written)));
        assert!(matches!(rx.await.unwrap(), Err(::sqlx::Error::PoolClosed)), "a failed write is answered with its own error");
    }
}
