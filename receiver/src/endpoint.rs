//! [`Endpoint`]: one provider's webhook endpoint, independent of the HTTP framework: verify,
//! answer the validation request, claim the delivery, dispatch to the handler, record the outcome.

use ::std::fmt::Display;
use ::std::future::Future;
use ::std::sync::Arc;
use ::std::time::Duration;

use ::tracing::{field, Instrument, Span};
use ::webhook_runtime::verify::{Headers, DEFAULT_MAX_BODY_BYTES};
use ::webhook_runtime::{Delivery, DispatchAsync, Provider};

use crate::outcome::{Accepted, Rejection};
use crate::store::{Claim, DeliveryKey, DeliveryStore, DEFAULT_LEASE};

/// How long a handler may run before it counts as failed: 50 seconds, inside Apideck's 60-second
/// delivery timeout (an answer after it is lost, and the delivery retried) and far inside the
/// claim's lease.
pub const DEFAULT_HANDLER_TIMEOUT: Duration = Duration::from_secs(50);

/// A store that keeps nothing: every delivery runs, duplicates included. For an endpoint whose
/// handler is idempotent on its own, and as the benchmark's "no store" case.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoStore;

impl DeliveryStore for NoStore {
    async fn claim(&self, key: DeliveryKey<'_>, _: Duration) -> Result<Claim, crate::store::StoreError> {
        Ok(Claim::Acquired(crate::store::Lease::unrecorded(key)))
    }

    async fn complete(&self, _: &crate::store::Lease) -> Result<(), crate::store::StoreError> {
        Ok(())
    }

    async fn release(&self, _: &crate::store::Lease) -> Result<(), crate::store::StoreError> {
        Ok(())
    }

    async fn purge(&self) -> Result<u64, crate::store::StoreError> {
        Ok(0)
    }
}

/// One provider's endpoint: `P` verifies and parses, `H` handles events (any handler `P`
/// dispatches to whose futures give `Result<(), E>`), `S` remembers deliveries.
///
/// ```
/// use webhook_events::apideck::{self, Event, Verifier};
/// use webhook_events::Delivery;
/// use webhook_receiver::store::SqlStore;
/// use webhook_receiver::Endpoint;
///
/// /// Runs each Apideck event once: the store answers a copy of a done delivery itself.
/// struct Orders;
///
/// impl apideck::AsyncHandler for Orders {
///     type Output = Result<(), String>;
///
///     async fn on_event(&self, delivery: &Delivery<'_>, event: Event<'_>) -> Result<(), String> {
///         println!("{} ({:?})", delivery.id, event.event_type());
///         Ok(())
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = tempfile::tempdir()?;
/// # let url = format!("sqlite://{}", dir.path().join("deliveries.db").display());
/// let store = SqlStore::open(&url).await?; // `sqlite://deliveries.db`, or a `postgres://` URL
/// let endpoint = Endpoint::new(Verifier::new("sk_live_…")?, Orders).with_store(store);
/// let app: axum::Router = endpoint.router("/webhooks/apideck");
/// # let _ = app;
/// # Ok(())
/// # }
/// ```
pub struct Endpoint<P, H, S = NoStore> {
    pub(crate) provider: P,
    pub(crate) handler: H,
    pub(crate) store: S,
    pub(crate) max_body_bytes: usize,
    pub(crate) handler_timeout: Duration,
    pub(crate) lease: Duration,
}

impl<P, H> Endpoint<P, H, NoStore> {
    /// An endpoint for `provider`'s deliveries, dispatched to `handler`, with no store (add one
    /// with [`Endpoint::with_store`]).
    pub fn new(provider: P, handler: H) -> Self {
        Endpoint {
            provider,
            handler,
            store: NoStore,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            handler_timeout: DEFAULT_HANDLER_TIMEOUT,
            lease: DEFAULT_LEASE,
        }
    }
}

impl<P, H, S> Endpoint<P, H, S> {
    /// The same endpoint, deduplicating through `store`.
    pub fn with_store<T>(self, store: T) -> Endpoint<P, H, T> {
        Endpoint {
            provider: self.provider,
            handler: self.handler,
            store,
            max_body_bytes: self.max_body_bytes,
            handler_timeout: self.handler_timeout,
            lease: self.lease,
        }
    }

    /// Reads bodies of at most `limit` bytes (413 beyond); default
    /// [`DEFAULT_MAX_BODY_BYTES`]. Keep it at or under the verifier's own limit.
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// Counts a handler still running after `timeout` as failed; default
    /// [`DEFAULT_HANDLER_TIMEOUT`]. The claim's lease is kept at least twice as long.
    pub fn handler_timeout(mut self, timeout: Duration) -> Self {
        self.handler_timeout = timeout;
        self.lease = self.lease.max(timeout.saturating_mul(2));
        self
    }

    /// Holds a claim for `lease` (default [`DEFAULT_LEASE`]): how long a delivery whose process
    /// died mid-handler waits before a copy runs it. Kept at least twice the handler timeout.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease.max(self.handler_timeout.saturating_mul(2));
        self
    }

    /// The store the endpoint deduplicates through.
    pub fn store(&self) -> &S {
        &self.store
    }
}

impl<P, H, S, E> Receive for Endpoint<P, H, S>
where
    P: Provider + DispatchAsync<H, Output = Result<(), E>> + 'static,
    H: Send + Sync + 'static,
    S: DeliveryStore,
    E: Display + 'static,
{
    const PROVIDER: &'static str = P::NAME;

    fn max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }

    async fn receive(&self, headers: &(dyn Headers + Sync), body: &[u8]) -> Result<Accepted, Rejection> {
        traced(P::NAME, |span| self.receive_in(span, headers, body)).await
    }
}

impl<P, H, S, E> Endpoint<P, H, S>
where
    P: Provider + DispatchAsync<H, Output = Result<(), E>> + 'static,
    H: Send + Sync + 'static,
    S: DeliveryStore,
    E: Display + 'static,
{
    async fn receive_in(&self, span: Span, headers: &(dyn Headers + Sync), body: &[u8]) -> Result<Accepted, Rejection> {
        let Some(verified) = verify(&self.provider, self.max_body_bytes, headers, body)? else {
            return Ok(Accepted::Validation);
        };
        let event = self.provider.event(&verified).map_err(Rejection::Unparseable)?;
        let delivery = P::delivery(&verified);
        record(&span, &delivery.id, &P::event_type(&event));
        let key = DeliveryKey { provider: P::NAME, delivery_id: &delivery.id };
        let lease = match self.store.claim(key, self.lease).await.map_err(Rejection::Store)? {
            Claim::Acquired(lease) => lease,
            Claim::Completed => return Ok(Accepted::Duplicate),
            Claim::Running => return Err(Rejection::InProgress),
        };
        match run::<P, H, E>(&self.handler, self.handler_timeout, delivery.clone(), event).await {
            None => {
                self.store.complete(&lease).await.map_err(Rejection::Store)?;
                Ok(Accepted::Processed)
            }
            Some(rejection) => {
                self.release(&lease).await;
                Err(rejection)
            }
        }
    }

    /// Gives a failed delivery's claim up; if that fails too, the lease expires on its own.
    async fn release(&self, lease: &crate::store::Lease) {
        if let Err(e) = self.store.release(lease).await {
            ::tracing::error!(reason = %e, "could not release the claim; it expires with its lease");
        }
    }

    /// The endpoint as an axum router answering `POST path`, bodies read up to the endpoint's
    /// limit.
    pub fn router(self, path: &str) -> ::axum::Router {
        crate::http::router(Arc::new(self), path)
    }
}

/// What an HTTP endpoint does with one request; [`Endpoint`] (inline) and
/// [`InboxEndpoint`](crate::inbox::InboxEndpoint) implement it, and the axum router serves either.
pub trait Receive: Send + Sync + 'static {
    /// The provider's name, for logs.
    const PROVIDER: &'static str;

    /// The largest body read (413 beyond).
    fn max_body_bytes(&self) -> usize;

    /// Receives one request: `headers` and `body` exactly as they arrived. Records a span with
    /// the provider, delivery id, event type and outcome, and logs rejections with their reason.
    fn receive(&self, headers: &(dyn Headers + Sync), body: &[u8]) -> impl Future<Output = Result<Accepted, Rejection>> + Send;
}

/// The steps every mode takes first: the size limit, the signature, the validation request
/// (`None`).
pub(crate) fn verify<'a, P: Provider>(
    provider: &P,
    limit: usize,
    headers: &'a (dyn Headers + Sync),
    body: &'a [u8],
) -> Result<Option<P::Verified<'a>>, Rejection> {
    if body.len() > limit {
        return Err(Rejection::TooLarge { limit });
    }
    let verified = provider.verify(headers, body).map_err(Rejection::Unverified)?;
    Ok((!P::is_validation(&verified)).then_some(verified))
}

/// Names the delivery and its event in the request's span.
pub(crate) fn record(span: &Span, delivery_id: &str, event_type: &dyn Display) {
    span.record("delivery_id", delivery_id);
    span.record("event_type", field::display(event_type));
}

/// Runs `receive` in a span for one request, then records its outcome and logs it: accepted at
/// `info`, rejected at `warn`, failed on the server at `error`, each with its reason.
pub(crate) async fn traced<F, Fut>(provider: &'static str, receive: F) -> Result<Accepted, Rejection>
where
    F: FnOnce(Span) -> Fut,
    Fut: Future<Output = Result<Accepted, Rejection>>,
{
    let span = ::tracing::info_span!("webhook", provider, delivery_id = field::Empty, event_type = field::Empty, outcome = field::Empty);
    let result = receive(span.clone()).instrument(span.clone()).await;
    let _entered = span.enter();
    match &result {
        Ok(accepted) => {
            span.record("outcome", accepted.name());
            ::tracing::info!("accepted");
        }
        Err(rejection) => {
            span.record("outcome", rejection.name());
            if rejection.status().is_server_error() {
                ::tracing::error!(reason = %rejection, "failed");
            } else {
                ::tracing::warn!(reason = %rejection, "rejected");
            }
        }
    }
    result
}

/// Runs the handler for one event, within `timeout`: `None` if it succeeded, else why not. (A
/// `Rejection` is `Send`; the handler's error need not be, so nothing of it outlives this.)
pub(crate) async fn run<'a, P, H, E>(handler: &'a H, timeout: Duration, delivery: Delivery<'a>, event: P::Event<'a>) -> Option<Rejection>
where
    P: Provider + DispatchAsync<H, Output = Result<(), E>>,
    E: Display,
{
    match ::tokio::time::timeout(timeout, P::dispatch_async(handler, delivery, event)).await {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(Rejection::Handler(e.to_string())),
        Err(_) => Some(Rejection::HandlerTimedOut),
    }
}
