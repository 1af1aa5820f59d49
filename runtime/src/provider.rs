//! What every generated provider implements, so that code around the crate (an HTTP endpoint, a
//! store of deliveries, a queue of verified bodies) is written once and works for every provider
//! of every catalog.

use ::std::borrow::Cow;
use ::std::fmt;
use ::std::hash::Hash;

use crate::verify::{Headers, VerifyError};
use crate::{Delivery, ParseError};

/// A provider, as configured to receive its webhooks: each generated provider's `Verifier`
/// implements it (keys and limits are what make a provider receivable).
///
/// The flow it supports: [`verify`](Provider::verify) a request; answer the delivery-url
/// validation request ([`is_validation`](Provider::is_validation)) without dispatching; deduplicate
/// on [`delivery_id`](Provider::delivery_id); take the [`event`](Provider::event) and
/// [`dispatch`](Dispatch::dispatch) it. A queue that stores verified text
/// ([`verified_text`](Provider::verified_text)) parses it later with [`parse`](Provider::parse).
///
/// ```
/// use webhook_runtime::verify::Headers;
/// use webhook_runtime::{Dispatch, Provider};
///
/// /// The HTTP status for one request, for any provider and any handler it dispatches to.
/// fn receive<P: Provider + Dispatch<H>, H>(provider: &P, handler: &mut H, headers: &dyn Headers, body: &[u8]) -> u16 {
///     let verified = match provider.verify(headers, body) {
///         Ok(v) => v,
///         Err(e) => return e.status_code(),
///     };
///     if P::is_validation(&verified) {
///         return 200;
///     }
///     let event = match provider.event(&verified) {
///         Ok(event) => event,
///         Err(_) => return 400, // a known event whose payload does not match its shape
///     };
///     P::dispatch(handler, event);
///     200
/// }
/// ```
pub trait Provider: Send + Sync {
    /// The provider's id in the catalog, e.g. `apideck`.
    const NAME: &'static str;

    /// Its event type: every event it sends, open to events added later.
    type EventType: Clone + Eq + Hash + fmt::Debug + fmt::Display + Send + Sync + 'static;

    /// A parsed event, borrowing from the text that was verified.
    type Event<'a>: fmt::Debug + Send
    where
        Self: 'a;

    /// A request whose signature was verified: the only way to its event.
    type Verified<'a>: fmt::Debug + Send
    where
        Self: 'a;

    /// Verifies a request: the body's size, its signature, and that its headers agree with it.
    /// `body` must be the bytes as received.
    fn verify<'a>(&self, headers: &'a dyn Headers, body: &'a [u8]) -> Result<Self::Verified<'a>, VerifyError>;

    /// The text that was verified: what to store, and what [`Provider::parse`] reads back.
    fn verified_text<'v>(verified: &'v Self::Verified<'_>) -> &'v str;

    /// Whether the request is the provider's delivery-url validation: answer it 2xx, dispatch nothing.
    fn is_validation(verified: &Self::Verified<'_>) -> bool;

    /// The delivery's id, for deduplication: always from signed content (a signed id header,
    /// else the payload's event id, else a digest of the verified text), never from an unsigned
    /// header.
    fn delivery_id<'v>(verified: &'v Self::Verified<'_>) -> Cow<'v, str>;

    /// The delivery's context for an asynchronous handler: its [`delivery_id`](Provider::delivery_id)
    /// and the headers worth having.
    fn delivery<'v>(verified: &'v Self::Verified<'_>) -> Delivery<'v>;

    /// The event, parsed from exactly the text that was verified.
    fn event<'v>(&'v self, verified: &'v Self::Verified<'_>) -> Result<Self::Event<'v>, ParseError>;

    /// Parses text that was verified earlier (read back from a store or a queue).
    fn parse<'t>(&'t self, verified_text: &'t str) -> Result<Self::Event<'t>, ParseError>;

    /// An event's type.
    fn event_type(event: &Self::Event<'_>) -> Self::EventType;
}

/// Dispatching a provider's events to a handler of type `H`: each generated provider implements
/// it for every type implementing its `Handler` trait.
pub trait Dispatch<H: ?Sized>: Provider {
    /// What the handler returns.
    type Output;

    /// Calls the handler's method for the event.
    fn dispatch(handler: &mut H, event: Self::Event<'_>) -> Self::Output;
}

/// A boxed future that is `Send`: what [`DispatchAsync::dispatch_async`] returns, so that code
/// generic over providers can hold it without naming each handler's future.
pub type BoxFuture<'a, T> = ::std::pin::Pin<Box<dyn ::std::future::Future<Output = T> + Send + 'a>>;

/// Dispatching a provider's events to an asynchronous handler of type `H` (`&self` methods whose
/// futures are `Send`): each generated provider implements it, with its crate's `async` feature,
/// for every type implementing its `AsyncHandler` trait (its `Router` included).
///
/// ```
/// use webhook_runtime::verify::Headers;
/// use webhook_runtime::{DispatchAsync, Provider};
///
/// /// Verifies a request and runs its handler: for any provider, and any handler it dispatches
/// /// to whose methods give a `Result`.
/// async fn receive<P, H, E>(provider: &P, handler: &H, headers: &dyn Headers, body: &[u8]) -> u16
/// where
///     P: Provider + DispatchAsync<H, Output = Result<(), E>>,
/// {
///     let Ok(verified) = provider.verify(headers, body) else { return 401 };
///     if P::is_validation(&verified) {
///         return 200;
///     }
///     let Ok(event) = provider.event(&verified) else { return 400 };
///     match P::dispatch_async(handler, P::delivery(&verified), event).await {
///         Ok(()) => 200,
///         Err(_) => 500, // the provider retries
///     }
/// }
/// ```
pub trait DispatchAsync<H: ?Sized>: Provider {
    /// What the handler's futures give.
    type Output;

    /// Calls the handler's method for the event, with the event's catalog row added to
    /// `delivery`; the future borrows the handler, the delivery and the event.
    fn dispatch_async<'a>(handler: &'a H, delivery: Delivery<'a>, event: Self::Event<'a>) -> BoxFuture<'a, Self::Output>;
}
