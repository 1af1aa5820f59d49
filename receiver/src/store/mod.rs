//! Deliveries claimed, run and completed: the duplicate and replay defence, shared by every
//! instance of a receiver that shares the database.
//!
//! A delivery is keyed by its provider and its delivery id (taken from signed content, see
//! `Provider::delivery_id`). [`DeliveryStore::claim`] answers one of three ways, atomically, so
//! that two concurrent copies of one delivery never both run:
//!
//! - [`Claim::Acquired`]: run the handler, then [`complete`](DeliveryStore::complete) (it is now a
//!   duplicate for the retention) or, if it failed, [`release`](DeliveryStore::release) (the
//!   provider's retry runs it);
//! - [`Claim::Completed`]: a duplicate of a delivery already run; answer 2xx and run nothing;
//! - [`Claim::Running`]: another holder is running it; answer so the provider retries later.
//!
//! A claim whose holder died (the process was killed mid-handler) expires after its lease, and
//! the next copy takes it over. A SQLite store holds its claims in its process's memory (the
//! file is one process's), so there a claim ends with its process, and the copy sent after a
//! restart takes it at once.

mod batch;
mod held;
mod local;
mod owner;
mod row_ids;
mod sql;

use ::std::fmt;
use ::std::future::Future;
use ::std::time::Duration;

pub use sql::SqlStore;

/// How long a completed delivery is remembered: 48 hours. Apideck retries a delivery up to 9
/// times over 24 hours and signs no timestamp, so a copy can arrive a day after the first (when
/// the first answer was lost); twice that covers the retry window with room for a provider's
/// slow queue and clock skew between instances.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(48 * 60 * 60);

/// How long a claim holds before another copy may take it over: 5 minutes, well past Apideck's
/// 60-second delivery timeout, so a handler still running when the provider gives up is not run
/// a second time by its retry. A receiver stops a handler before its lease ends.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(5 * 60);

/// Which delivery: its provider's name and its delivery id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeliveryKey<'a> {
    /// The provider's name (`Provider::NAME`).
    pub provider: &'a str,
    /// The delivery's id (`Provider::delivery_id`).
    pub delivery_id: &'a str,
}

/// A claim held: proof that this caller runs the delivery's handler, until the lease ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    provider: String,
    delivery_id: String,
    holder: String,
}

impl Lease {
    /// A lease no store recorded (for [`NoStore`](crate::NoStore)).
    pub(crate) fn unrecorded(key: DeliveryKey<'_>) -> Lease {
        Lease { provider: key.provider.to_owned(), delivery_id: key.delivery_id.to_owned(), holder: String::new() }
    }

    /// The delivery this claim is for.
    pub fn key(&self) -> DeliveryKey<'_> {
        DeliveryKey { provider: &self.provider, delivery_id: &self.delivery_id }
    }
}

/// What [`DeliveryStore::claim`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// The caller holds the delivery: run it, then complete or release the lease.
    Acquired(Lease),
    /// The delivery was completed within the retention: a duplicate.
    Completed,
    /// Another holder is running it, and its lease has not expired.
    Running,
}

/// A store that failed: the database is unreachable, or answered with an error.
#[derive(Debug)]
pub struct StoreError {
    /// What the store was doing.
    pub action: &'static str,
    source: Box<dyn ::std::error::Error + Send + Sync>,
}

impl StoreError {
    pub(crate) fn new(action: &'static str, source: impl Into<Box<dyn ::std::error::Error + Send + Sync>>) -> Self {
        StoreError { action, source: source.into() }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "delivery store: {}: {}", self.action, self.source)
    }
}

impl ::std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn ::std::error::Error + 'static)> {
        Some(&*self.source)
    }
}

/// Where deliveries are claimed and completed. [`SqlStore`] keeps them in SQLite or PostgreSQL;
/// every implementation passes the conformance suite in `tests/store.rs`.
pub trait DeliveryStore: Send + Sync + 'static {
    /// Claims `key` for `lease`, atomically: of many concurrent claims of one delivery, exactly
    /// one is [`Claim::Acquired`].
    fn claim(&self, key: DeliveryKey<'_>, lease: Duration) -> impl Future<Output = Result<Claim, StoreError>> + Send;

    /// Marks the delivery run: copies within the retention are [`Claim::Completed`]. Fails with
    /// [`LeaseLost`] if the lease expired and another holder took the delivery over, or the
    /// claim was released; completing it again under the same lease changes nothing and
    /// succeeds.
    fn complete(&self, lease: &Lease) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Gives the claim up (the handler failed): the next copy is [`Claim::Acquired`].
    fn release(&self, lease: &Lease) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Forgets deliveries completed more than the retention ago, and those given up as long ago
    /// (released, or claimed by a holder that died, and not claimed since: the provider stopped
    /// retrying them); returns how many.
    fn purge(&self) -> impl Future<Output = Result<u64, StoreError>> + Send;
}

/// Completing a claim whose lease had expired and been taken over by another holder.
#[derive(Debug)]
pub struct LeaseLost;

impl fmt::Display for LeaseLost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the lease expired and another holder took the delivery over")
    }
}

impl ::std::error::Error for LeaseLost {}
