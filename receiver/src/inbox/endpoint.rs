//! [`InboxEndpoint`]: the HTTP side of inbox mode. A verified delivery is committed and
//! acknowledged; no handler runs in the request.

use ::std::sync::Arc;

use ::tracing::Span;
use ::webhook_runtime::verify::{Headers, DEFAULT_MAX_BODY_BYTES};
use ::webhook_runtime::Provider;

use super::{Enqueued, Inbox, NewDelivery};
use crate::endpoint::{record, traced, verify, Receive};
use crate::outcome::{Accepted, Rejection};
use crate::store::DeliveryKey;

/// One provider's endpoint in inbox mode: verify, answer the validation request, parse (a
/// delivery a worker could not parse is refused now, 400), commit, answer 200.
pub struct InboxEndpoint<P> {
    provider: P,
    inbox: Inbox,
    max_body_bytes: usize,
}

impl<P: Provider + 'static> InboxEndpoint<P> {
    /// An endpoint committing `provider`'s verified deliveries to `inbox`.
    pub fn new(provider: P, inbox: Inbox) -> Self {
        InboxEndpoint { provider, inbox, max_body_bytes: DEFAULT_MAX_BODY_BYTES }
    }

    /// Reads bodies of at most `limit` bytes (413 beyond).
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// The endpoint as an axum router answering `POST path`.
    pub fn router(self, path: &str) -> ::axum::Router {
        crate::http::router(Arc::new(self), path)
    }

    async fn receive_in(&self, span: Span, headers: &(dyn Headers + Sync), body: &[u8]) -> Result<Accepted, Rejection> {
        let Some(verified) = verify(&self.provider, self.max_body_bytes, headers, body)? else {
            return Ok(Accepted::Validation);
        };
        let event = self.provider.event(&verified).map_err(Rejection::Unparseable)?;
        let delivery = P::delivery(&verified);
        let event_type = P::event_type(&event).to_string();
        record(&span, &delivery.id, &event_type);
        let queued = self
            .inbox
            .enqueue(NewDelivery {
                key: DeliveryKey { provider: P::NAME, delivery_id: &delivery.id },
                event_type: &event_type,
                body: P::verified_text(&verified),
                event_type_header: delivery.event_type_header.as_deref(),
                idempotency_key: delivery.idempotency_key.as_deref(),
            })
            .await
            .map_err(Rejection::Store)?;
        Ok(match queued {
            Enqueued::Queued => Accepted::Queued,
            Enqueued::Duplicate => Accepted::Duplicate,
        })
    }
}

impl<P: Provider + 'static> Receive for InboxEndpoint<P> {
    const PROVIDER: &'static str = P::NAME;

    fn max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }

    async fn receive(&self, headers: &(dyn Headers + Sync), body: &[u8]) -> Result<Accepted, Rejection> {
        traced(P::NAME, |span| self.receive_in(span, headers, body)).await
    }
}
