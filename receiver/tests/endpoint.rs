//! The axum endpoint, request by request: every outcome and every rejection, in process (no
//! socket), against SQLite and PostgreSQL stores.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use tower::ServiceExt;
use webhook_events::apideck::{self, testing, Event, EventType, Verifier};
use webhook_events::Delivery;
use webhook_receiver::store::{DeliveryKey, DeliveryStore, SqlStore};
use webhook_receiver::{Endpoint, NoStore};

use common::{databases, request, send, PATH};

const KEY: &str = "sk_test_receiver";

/// What the handler saw, shared with the test; it fails, or waits, for the event types it is told to.
#[derive(Default)]
struct Recorder {
    ran: Mutex<Vec<(String, String)>>,
    fail: Mutex<Vec<String>>,
    /// Notified when a handler starts, which then waits for `wait`.
    started: Arc<tokio::sync::Notify>,
    wait: Option<Arc<tokio::sync::Notify>>,
}

impl Recorder {
    fn ran(&self) -> Vec<(String, String)> {
        self.ran.lock().unwrap().clone()
    }
}

/// The handler the endpoint owns, recording into a [`Recorder`] the test keeps.
struct Handler(Arc<Recorder>);

impl apideck::AsyncHandler for Handler {
    type Output = Result<(), String>;

    async fn on_event(&self, delivery: &Delivery<'_>, event: Event<'_>) -> Result<(), String> {
        let recorder = &self.0;
        let event_type = event.event_type().to_string();
        if let Some(wait) = &recorder.wait {
            recorder.started.notify_one();
            wait.notified().await;
        }
        recorder.ran.lock().unwrap().push((delivery.id.to_string(), event_type.clone()));
        match recorder.fail.lock().unwrap().contains(&event_type) {
            true => Err(format!("{event_type} failed on purpose")),
            false => Ok(()),
        }
    }
}

fn fixture(event_type: &str) -> webhook_events::runtime::verify::SignedRequest {
    testing::sign_fixture(KEY, &EventType::from_wire(event_type)).unwrap()
}

fn app<S: DeliveryStore>(handler: Arc<Recorder>, store: S) -> axum::Router {
    Endpoint::new(Verifier::new(KEY).unwrap(), Handler(handler)).with_store(store).router(PATH)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_runs_once_and_its_copies_are_answered_without_running() {
    for db in databases().await {
        let store = SqlStore::open(&db.url).await.unwrap();
        let handler = Arc::new(Recorder::default());
        let app = app(Arc::clone(&handler), store.clone());
        let signed = fixture("pos.order.created");
        assert_eq!(send(&app, &signed).await, (StatusCode::OK, "processed".into()));
        // The same delivery again, and replayed with a new idempotency key (which is not signed).
        assert_eq!(send(&app, &signed).await, (StatusCode::OK, "duplicate".into()));
        let replayed = testing::sign_as(KEY, &signed.body, "a-fresh-key").unwrap();
        assert_eq!(send(&app, &replayed).await, (StatusCode::OK, "duplicate".into()));
        let ran = handler.ran();
        assert_eq!(ran.len(), 1, "{}: {ran:?}", store.kind());
        assert_eq!(ran[0].1, "pos.order.created");
        assert_eq!(store.runs(DeliveryKey { provider: "apideck", delivery_id: &ran[0].0 }).await.unwrap(), Some(1));
    }
}

#[tokio::test]
async fn the_validation_request_is_answered_signed_or_not_and_runs_nothing() {
    let handler = Arc::new(Recorder::default());
    let app = app(Arc::clone(&handler), NoStore);
    let unsigned = testing::validation_request();
    assert_eq!(send(&app, &unsigned).await, (StatusCode::OK, "validation".into()));
    let signed = testing::sign(KEY, &unsigned.body).unwrap();
    assert_eq!(send(&app, &signed).await, (StatusCode::OK, "validation".into()));
    assert!(handler.ran().is_empty());
}

#[tokio::test]
async fn each_rejection_has_its_status_and_runs_nothing() {
    let handler = Arc::new(Recorder::default());
    let small = Endpoint::new(Verifier::new(KEY).unwrap(), Handler(Arc::clone(&handler))).max_body_bytes(1024).router(PATH);
    let app = app(Arc::clone(&handler), NoStore);
    let genuine = fixture("pos.order.created");

    // Over the endpoint's limit: 413, before anything is verified.
    let big = testing::sign(KEY, format!(r#"{{"payload":{{"pad":"{}"}}}}"#, "x".repeat(2048)).as_bytes()).unwrap();
    let (status, reason) = send(&small, &big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{reason}");
    assert!(reason.contains("larger than 1024 bytes"), "{reason}");

    // Signed with another key: 401.
    let forged = testing::sign("sk_test_forger", &genuine.body).unwrap();
    assert_eq!(send(&app, &forged).await.0, StatusCode::UNAUTHORIZED);
    // The body changed after signing: 401.
    let mut tampered = genuine.clone();
    tampered.body = String::from_utf8(tampered.body).unwrap().replacen("pos.order.created", "pos.order.updated", 1).into_bytes();
    assert_eq!(send(&app, &tampered).await.0, StatusCode::UNAUTHORIZED);
    // No signature header: 400, a malformed request.
    let mut unsigned = genuine.clone();
    unsigned.headers.retain(|(name, _)| name != "x-apideck-signature");
    let (status, reason) = send(&app, &unsigned).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{reason}");
    assert!(reason.contains("x-apideck-signature"), "{reason}");
    // Not JSON: 400, whatever its signature (the key signs JSON only).
    let mut raw = genuine.clone();
    raw.body = b"not json".to_vec();
    let (status, reason) = send(&app, &raw).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{reason}");
    assert!(reason.contains("JSON"), "{reason}");
    // Signed, a known event whose payload does not fit its shape: 400.
    let misfit = testing::sign(KEY, br#"{"payload":{"event_type":"pos.order.created","entity_id":{"not":"a string"}}}"#).unwrap();
    let (status, reason) = send(&app, &misfit).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{reason}");
    assert!(reason.contains("shape"), "{reason}");
    // The response to a rejection never echoes the key.
    for r in [&forged, &tampered, &unsigned, &misfit] {
        assert!(!send(&app, r).await.1.contains(KEY));
    }
    assert!(handler.ran().is_empty(), "{:?}", handler.ran());
}

#[tokio::test]
async fn an_unknown_event_reaches_the_catch_all() {
    let handler = Arc::new(Recorder::default());
    let app = app(Arc::clone(&handler), NoStore);
    let signed = testing::sign(KEY, br#"{"payload":{"event_type":"pos.future.created","event_id":"e-1"}}"#).unwrap();
    assert_eq!(send(&app, &signed).await, (StatusCode::OK, "processed".into()));
    assert_eq!(handler.ran(), [("e-1".to_string(), "pos.future.created".to_string())]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_handler_is_answered_500_and_the_retry_runs_it() {
    for db in databases().await {
        let store = SqlStore::open(&db.url).await.unwrap();
        let handler = Arc::new(Recorder::default());
        handler.fail.lock().unwrap().push("crm.lead.created".into());
        let app = app(Arc::clone(&handler), store.clone());
        let signed = fixture("crm.lead.created");
        let (status, reason) = send(&app, &signed).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!reason.contains("on purpose"), "a handler's error stays in the log: {reason}");
        handler.fail.lock().unwrap().clear();
        assert_eq!(send(&app, &signed).await, (StatusCode::OK, "processed".into()), "{}", store.kind());
        assert_eq!(send(&app, &signed).await, (StatusCode::OK, "duplicate".into()));
        let id = handler.ran()[0].0.clone();
        assert_eq!(store.runs(DeliveryKey { provider: "apideck", delivery_id: &id }).await.unwrap(), Some(2));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_arriving_while_the_first_runs_is_told_to_retry_later() {
    for db in databases().await {
        let store = SqlStore::open(&db.url).await.unwrap();
        let wait = Arc::new(tokio::sync::Notify::new());
        let handler = Arc::new(Recorder { wait: Some(Arc::clone(&wait)), ..Recorder::default() });
        let app = app(Arc::clone(&handler), store.clone());
        let signed = fixture("ats.applicant.created");
        let first = tokio::spawn({
            let (app, signed) = (app.clone(), signed.clone());
            async move { send(&app, &signed).await }
        });
        // Once the first holds the claim (its handler waits), a copy is refused with Retry-After.
        handler.started.notified().await;
        let copy = app.clone().oneshot(request(&signed)).await.unwrap();
        assert_eq!(copy.status(), StatusCode::CONFLICT);
        assert_eq!(copy.headers()["retry-after"], "30");
        wait.notify_one();
        assert_eq!(first.await.unwrap(), (StatusCode::OK, "processed".into()), "{}", store.kind());
        assert_eq!(handler.ran().len(), 1);
    }
}

#[tokio::test]
async fn a_handler_past_its_timeout_counts_as_failed() {
    let handler = Arc::new(Recorder { wait: Some(Arc::new(tokio::sync::Notify::new())), ..Recorder::default() });
    let app =
        Endpoint::new(Verifier::new(KEY).unwrap(), Handler(Arc::clone(&handler))).handler_timeout(Duration::from_millis(50)).router(PATH);
    assert_eq!(send(&app, &fixture("hris.employee.created")).await.0, StatusCode::INTERNAL_SERVER_ERROR);
}

/// A store whose database is down.
struct Down;

impl DeliveryStore for Down {
    async fn claim(&self, _: DeliveryKey<'_>, _: Duration) -> Result<webhook_receiver::store::Claim, webhook_receiver::store::StoreError> {
        Err(SqlStore::open("sqlite:/nonexistent-directory/x.db").await.unwrap_err())
    }
    async fn complete(&self, _: &webhook_receiver::store::Lease) -> Result<(), webhook_receiver::store::StoreError> {
        unreachable!()
    }
    async fn release(&self, _: &webhook_receiver::store::Lease) -> Result<(), webhook_receiver::store::StoreError> {
        unreachable!()
    }
    async fn purge(&self) -> Result<u64, webhook_receiver::store::StoreError> {
        Ok(0)
    }
}

#[tokio::test]
async fn a_store_that_fails_is_answered_503_and_runs_nothing() {
    let handler = Arc::new(Recorder::default());
    let app = app(Arc::clone(&handler), Down);
    let (status, reason) = send(&app, &fixture("pos.order.created")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(!reason.contains("nonexistent"), "the store's error stays in the log: {reason}");
    assert!(handler.ran().is_empty());
}
