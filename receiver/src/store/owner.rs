//! One process per SQLite store: the process that opens a store on a database file takes the
//! file's lock (`<database>-lock`, beside it) and holds it while any handle to the store lives,
//! because the store's claims are in that process's memory (`held`): a second process would not
//! see them and would run the same deliveries. In one process, every store opened on a file is
//! a handle to the same store, with one writer and one table of claims.
//!
//! The lock is the operating system's (`flock` on Unix, `LockFileEx` on Windows): it goes when
//! the process dies however it dies, so a restart after a crash takes it at once. Several
//! receiver instances share a PostgreSQL database instead.

use ::std::fs::{File, TryLockError};
use ::std::future::Future;
use ::std::path::{Path, PathBuf};
use ::std::sync::{Arc, Weak};

use ::tokio::sync::Mutex;

use super::sql::Opened;
use super::StoreError;

/// A database file's lock, held while it lives.
#[derive(Debug)]
pub(super) struct Lock {
    _file: File,
}

/// The stores open in this process, by database file. An opening holds it while it takes the
/// lock and migrates, so that two in one process wait for each other rather than fail.
static OPEN: Mutex<Vec<(PathBuf, Weak<Opened>)>> = Mutex::const_new(Vec::new());

/// The store open on `database` in this process, or the one `open` makes of the file's lock when
/// none is; fails when another process holds the lock. `open` runs holding the lock, so that
/// what it does to the file (migrate it) is not done under another process's store. `database`
/// is the file's canonical path.
pub(super) async fn one_per_file<F>(database: &Path, open: impl FnOnce(Lock) -> F) -> Result<Arc<Opened>, StoreError>
where
    F: Future<Output = Result<Opened, StoreError>>,
{
    let mut stores = OPEN.lock().await;
    stores.retain(|(_, store)| store.strong_count() > 0);
    if let Some(store) = stores.iter().find(|(path, _)| path == database).and_then(|(_, store)| store.upgrade()) {
        return Ok(store);
    }
    let store = Arc::new(open(lock(database)?).await?);
    stores.push((database.to_owned(), Arc::downgrade(&store)));
    Ok(store)
}

/// Takes the lock of `database`, without waiting.
fn lock(database: &Path) -> Result<Lock, StoreError> {
    let mut path = database.as_os_str().to_owned();
    path.push("-lock");
    let path = PathBuf::from(path);
    let file = File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| StoreError::new("lock the SQLite store", format!("{}: {e}", path.display())))?;
    match file.try_lock() {
        Ok(()) => Ok(Lock { _file: file }),
        Err(TryLockError::WouldBlock) => Err(StoreError::new(
            "lock the SQLite store",
            format!(
                "another process has a store open on {} (its lock {} is taken): a SQLite store serves one process; \
                 several instances share a PostgreSQL database",
                database.display(),
                path.display()
            ),
        )),
        Err(TryLockError::Error(e)) => Err(StoreError::new("lock the SQLite store", format!("{}: {e}", path.display()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Another process's lock, as this process sees it: `flock` locks belong to an open file, so
    /// a second opening conflicts as another process's would.
    #[test]
    fn a_file_locked_elsewhere_is_refused_with_the_reason() {
        let dir = ::tempfile::tempdir().unwrap();
        let database = dir.path().join("store.db");
        let held = lock(&database).unwrap();
        let refused = lock(&database).unwrap_err().to_string();
        assert!(refused.contains("another process has a store open on"), "{refused}");
        assert!(refused.contains("PostgreSQL"), "it says what to do instead: {refused}");
        drop(held);
        lock(&database).expect("free once its holder lets go");
    }
}
