//! Receiving webhooks for any provider of `webhook-runtime`: an axum endpoint that verifies,
//! deduplicates and dispatches; delivery stores on SQLite and PostgreSQL; a durable inbox.
//!
//! The flow of one request through [`Endpoint`]: read the body up to the limit (413 beyond);
//! verify it (401 for a bad signature, 400 for a malformed request); answer the provider's
//! delivery-url validation request; parse the event (400 if its payload does not fit); claim the
//! delivery id in the [`store`] (a completed copy is answered 200 and runs nothing, a running one
//! 409 so the provider retries later); run the handler; complete the claim, or release it when
//! the handler fails (500) so the provider's retry runs it.

mod db;
mod endpoint;
mod http;
pub mod inbox;
mod outcome;
mod session;
pub mod store;

pub use endpoint::{Endpoint, NoStore, Receive, DEFAULT_HANDLER_TIMEOUT};
pub use outcome::{Accepted, Rejection};

/// A seeded sequence for the tests' random mixes (xorshift64): each call, a number below `n`.
#[cfg(test)]
pub(crate) fn seeded(mut state: u64) -> impl FnMut(u64) -> u64 {
    move |n| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    }
}
