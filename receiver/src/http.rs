//! The endpoint under axum: `POST` with the raw body read up to the endpoint's limit, each
//! outcome answered with its status. A server error's reason stays in the log; the response
//! says only what the sender can act on.

use ::std::sync::Arc;

use crate::endpoint::Receive;
use crate::outcome::{Accepted, Rejection};
use ::axum::extract::{Request, State};
use ::axum::http::request::Parts;
use ::axum::http::{header, StatusCode};
use ::axum::response::{IntoResponse, Response};
use ::axum::routing::post;

/// How long a provider should wait before retrying a delivery that is still running, in seconds.
const RETRY_AFTER_SECONDS: &str = "30";

pub(crate) fn router<R: Receive>(endpoint: Arc<R>, path: &str) -> ::axum::Router {
    ::axum::Router::new().route(path, post(receive::<R>)).with_state(endpoint)
}

async fn receive<R: Receive>(State(endpoint): State<Arc<R>>, request: Request) -> Response {
    // The request's own headers: axum's `HeaderMap` extractor would copy them.
    let (Parts { headers, .. }, body) = request.into_parts();
    let limit = endpoint.max_body_bytes();
    let bytes = match ::axum::body::to_bytes(body, limit).await {
        Ok(bytes) => bytes,
        Err(e) => {
            // `to_bytes` fails for a body over the limit, or a connection that broke mid-body.
            let too_large = ::std::error::Error::source(&e).is_some_and(|s| s.is::<::http_body_util::LengthLimitError>());
            let rejection = if too_large { Rejection::TooLarge { limit } } else { Rejection::UnreadableBody };
            ::tracing::warn!(provider = R::PROVIDER, outcome = rejection.name(), reason = %rejection, "rejected");
            return rejection.into_response();
        }
    };
    match endpoint.receive(&headers, &bytes).await {
        Ok(accepted) => accepted.into_response(),
        Err(rejection) => rejection.into_response(),
    }
}

impl IntoResponse for Accepted {
    fn into_response(self) -> Response {
        (StatusCode::OK, self.name()).into_response()
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let status = self.status();
        let text = if status.is_server_error() { "temporarily unavailable; retry later".to_string() } else { self.to_string() };
        let mut response = (status, text).into_response();
        if matches!(self, Rejection::InProgress) {
            response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static(RETRY_AFTER_SECONDS));
        }
        response
    }
}
