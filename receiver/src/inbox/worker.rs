//! [`Worker`]: takes deliveries from the inbox and runs their handlers, one at a time; run as
//! many as the handlers can use, in as many processes as share the database.

use ::std::borrow::Cow;
use ::std::fmt::Display;
use ::std::future::Future;
use ::std::time::Duration;

use ::tracing::{field, Instrument};
use ::webhook_runtime::{Delivery, DispatchAsync, Provider};

use super::{Inbox, Retry, Taken};
use crate::endpoint::{run, DEFAULT_HANDLER_TIMEOUT};
use crate::store::{StoreError, DEFAULT_LEASE};

/// How long an idle worker waits before looking again, when no delivery was queued in its own
/// process (deliveries queued by other instances are found this way).
pub const DEFAULT_POLL: Duration = Duration::from_millis(500);

/// Runs the handler `H` for `P`'s deliveries in an inbox.
pub struct Worker<P, H> {
    inbox: Inbox,
    provider: P,
    handler: H,
    handler_timeout: Duration,
    lease: Duration,
    poll: Duration,
}

impl<P, H, E> Worker<P, H>
where
    P: Provider + DispatchAsync<H, Output = Result<(), E>> + 'static,
    H: Send + Sync + 'static,
    E: Display + 'static,
{
    /// A worker taking `inbox`'s deliveries for `provider` to `handler`.
    pub fn new(inbox: Inbox, provider: P, handler: H) -> Self {
        Worker { inbox, provider, handler, handler_timeout: DEFAULT_HANDLER_TIMEOUT, lease: DEFAULT_LEASE, poll: DEFAULT_POLL }
    }

    /// Counts a handler still running after `timeout` as failed (the delivery is retried); the
    /// lease is kept at least twice as long.
    pub fn handler_timeout(mut self, timeout: Duration) -> Self {
        self.handler_timeout = timeout;
        self.lease = self.lease.max(timeout.saturating_mul(2));
        self
    }

    /// Holds a delivery for `lease` (default [`DEFAULT_LEASE`]): how long one whose worker died
    /// waits before another takes it. Kept at least twice the handler timeout.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease.max(self.handler_timeout.saturating_mul(2));
        self
    }

    /// Looks for work every `poll` when idle.
    pub fn poll(mut self, poll: Duration) -> Self {
        self.poll = poll;
        self
    }

    /// Runs deliveries until `shutdown` completes; a delivery being run then is finished first.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) {
        let mut shutdown = ::std::pin::pin!(shutdown);
        loop {
            let idle = match self.run_once().await {
                Ok(ran) => !ran,
                Err(e) => {
                    ::tracing::error!(provider = P::NAME, reason = %e, "the inbox failed; waiting before the next attempt");
                    true
                }
            };
            ::tokio::select! {
                biased;
                () = &mut shutdown => return,
                () = self.inbox.wait_for_work(self.poll), if idle => {}
                () = ::std::future::ready(()), if !idle => {}
            }
        }
    }

    /// Takes one delivery and runs it; `false` if none was ready.
    pub async fn run_once(&self) -> Result<bool, StoreError> {
        let Some(taken) = self.inbox.take(self.lease).await? else {
            return Ok(false);
        };
        let span = ::tracing::info_span!(
            "webhook_worker",
            provider = P::NAME,
            delivery_id = %taken.delivery_id,
            attempt = taken.attempts,
            event_type = field::Empty,
            outcome = field::Empty
        );
        self.run_taken(&taken).instrument(span).await?;
        Ok(true)
    }

    async fn run_taken(&self, taken: &Taken) -> Result<(), StoreError> {
        let span = ::tracing::Span::current();
        let failure = match self.provider.parse(&taken.body) {
            Ok(event) => {
                span.record("event_type", field::display(P::event_type(&event)));
                let delivery = Delivery {
                    id: Cow::Borrowed(&taken.delivery_id),
                    info: None,
                    event_type_header: taken.event_type_header.as_deref().map(Cow::Borrowed),
                    idempotency_key: taken.idempotency_key.as_deref().map(Cow::Borrowed),
                };
                run::<P, H, E>(&self.handler, self.handler_timeout, delivery, event).await.map(|r| r.to_string())
            }
            Err(e) => Some(format!("the stored text no longer parses: {e}")),
        };
        match failure {
            None => {
                self.inbox.done(taken).await?;
                span.record("outcome", "done");
                ::tracing::info!("ran");
            }
            Some(reason) => match self.inbox.failed(taken, &reason).await? {
                Retry::After(wait) => {
                    span.record("outcome", "retry");
                    ::tracing::warn!(%reason, retry_in = ?wait, "failed");
                }
                Retry::Dead => {
                    span.record("outcome", "dead");
                    ::tracing::error!(%reason, "failed for the last time: now a dead letter");
                }
            },
        }
        Ok(())
    }
}
