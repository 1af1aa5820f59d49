//! What an asynchronous handler learns of a delivery besides its payload.

use ::std::borrow::Cow;

use crate::EventInfo;

/// A delivery's context, given to every method of a provider's `AsyncHandler`: its id (for
/// deduplication), the catalog's row for its event, and the verified headers worth having.
///
/// Build it from what was verified with `Verified::delivery`; `dispatch_async` fills in
/// [`Delivery::info`] from the event.
#[derive(Clone, Debug, Default)]
pub struct Delivery<'a> {
    /// The delivery's id, from signed content (see `Verified::delivery_id`): the key to
    /// deduplicate on.
    pub id: Cow<'a, str>,
    /// The catalog's row for the event (its wire name, api, status, description); `None` for an
    /// event this crate does not know, or before dispatch.
    pub info: Option<&'static EventInfo>,
    /// The event type header, if the provider sent one.
    pub event_type_header: Option<Cow<'a, str>>,
    /// The idempotency-key header, if sent: information only, since nothing signs it.
    pub idempotency_key: Option<Cow<'a, str>>,
}

impl Delivery<'_> {
    /// The same delivery, owning its text, to keep past the request (in a queue, a task).
    pub fn into_owned(self) -> Delivery<'static> {
        Delivery {
            id: Cow::Owned(self.id.into_owned()),
            info: self.info,
            event_type_header: self.event_type_header.map(|h| Cow::Owned(h.into_owned())),
            idempotency_key: self.idempotency_key.map(|k| Cow::Owned(k.into_owned())),
        }
    }
}
