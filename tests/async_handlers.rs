//! Async handlers as a service runs them: one handler value shared by every task of a
//! multi-threaded runtime, `&self` methods written with `async fn`, futures that hold the borrowed
//! payload across an `.await`, and the delivery's context in every method.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use webhook_events::apideck::payloads::UnifiedEvent;
use webhook_events::apideck::{self, testing, Event, EventType, Verifier};
use webhook_events::Delivery;

const KEY: &str = "sk_test_async";

/// Counts what it receives; shared by every task, with no lock and no per-request value.
#[derive(Default)]
struct Service {
    orders_created: AtomicUsize,
    other: AtomicUsize,
    ids_seen: std::sync::Mutex<Vec<String>>,
}

impl apideck::AsyncHandler for Service {
    type Output = Result<(), String>;

    async fn on_event(&self, delivery: &Delivery<'_>, event: Event<'_>) -> Result<(), String> {
        // The event's catalog row, filled in by dispatch.
        assert_eq!(delivery.info.map(|i| i.event_type), event.event_type().info().map(|i| i.event_type));
        tokio::task::yield_now().await;
        self.other.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    async fn on_pos_order_created(&self, delivery: &Delivery<'_>, payload: UnifiedEvent<'_>) -> Result<(), String> {
        // The payload borrows the request body, and is held across an await point.
        let entity = payload.entity_id.as_deref().unwrap_or_default();
        tokio::task::yield_now().await;
        assert!(!entity.is_empty());
        assert_eq!(delivery.info.map(|i| i.event_type), Some("pos.order.created"));
        self.ids_seen.lock().unwrap().push(delivery.id.to_string());
        self.orders_created.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

/// An api's own handler: `pos::AsyncHandler` gets only POS events, under their short names.
struct PosOnly(AtomicUsize);

impl apideck::pos::AsyncHandler for PosOnly {
    type Output = ();

    async fn on_event(&self, _: &Delivery<'_>, _: Event<'_>) {}

    async fn on_order_created(&self, _: &Delivery<'_>, _: UnifiedEvent<'_>) {
        tokio::task::yield_now().await;
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// What an HTTP handler does with a request, written as code generic over providers (a receiver
/// crate) writes it: verify, then dispatch to the shared handler through the runtime's
/// `DispatchAsync`, never naming a provider.
async fn receive_any<P, H>(provider: &P, handler: &H, headers: &[(String, String)], body: &[u8]) -> u16
where
    P: webhook_events::runtime::Provider + webhook_events::runtime::DispatchAsync<H, Output = Result<(), String>>,
{
    let Ok(verified) = provider.verify(&headers, body) else { return 401 };
    if P::is_validation(&verified) {
        return 200;
    }
    let Ok(event) = provider.event(&verified) else { return 400 };
    match P::dispatch_async(handler, P::delivery(&verified), event).await {
        Ok(()) => 200,
        Err(_) => 500,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_shared_handler_serves_every_task_of_a_multi_threaded_runtime() {
    let verifier = Arc::new(Verifier::new(KEY).unwrap());
    let service = Arc::new(Service::default());
    let mut tasks = Vec::new();
    for round in 0..4 {
        for info in apideck::EVENTS {
            let signed = testing::sign_fixture(KEY, &EventType::from_wire(info.event_type)).unwrap();
            let (verifier, service) = (Arc::clone(&verifier), Arc::clone(&service));
            // `tokio::spawn` needs the whole request future to be `Send`: the dispatch future with
            // it, borrowed payload and all.
            tasks.push(tokio::spawn(async move { (round, receive_any(&*verifier, &*service, &signed.headers, &signed.body).await) }));
        }
    }
    let forged = testing::sign("sk_test_someone_else", br#"{"payload":{}}"#).unwrap();
    assert_eq!(receive_any(&*verifier, &*service, &forged.headers, &forged.body).await, 401);
    for task in tasks {
        let (_, status) = task.await.unwrap();
        assert_eq!(status, 200);
    }
    let orders = apideck::EVENTS.iter().filter(|e| e.event_type == "pos.order.created").count();
    assert_eq!(service.orders_created.load(Ordering::Relaxed), 4 * orders);
    assert_eq!(service.other.load(Ordering::Relaxed), 4 * (apideck::EVENTS.len() - orders));
    // Every delivery of the same fixture has the same id (its signed event id).
    let ids = service.ids_seen.lock().unwrap();
    assert!(ids.windows(2).all(|w| w[0] == w[1]), "{ids:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_handler_receives_its_events_by_their_short_names() {
    let handler = Arc::new(PosOnly(AtomicUsize::new(0)));
    let verifier = Verifier::new(KEY).unwrap();
    for info in apideck::EVENTS {
        let signed = testing::sign_fixture(KEY, &EventType::from_wire(info.event_type)).unwrap();
        let verified = verifier.verify(&signed.headers, &signed.body).unwrap();
        let handler = Arc::clone(&handler);
        let event = verified.event().unwrap();
        apideck::pos::dispatch_async(&*handler, verified.delivery(), event).await;
    }
    assert_eq!(handler.0.load(Ordering::Relaxed), 1);
}

/// What reached which handler of a router.
#[derive(Default)]
struct Seen(std::sync::Mutex<Vec<(&'static str, String)>>);

struct Named(&'static str, Arc<Seen>);

impl Named {
    fn record(&self, event: &Event<'_>) {
        self.1 .0.lock().unwrap().push((self.0, event.event_type().to_string()));
    }
}

impl apideck::AsyncHandler for Named {
    type Output = ();
    async fn on_event(&self, _: &Delivery<'_>, event: Event<'_>) {
        self.record(&event);
    }
}

impl apideck::pos::AsyncHandler for Named {
    type Output = ();
    async fn on_event(&self, _: &Delivery<'_>, event: Event<'_>) {
        self.record(&event);
    }
}

impl apideck::crm::AsyncHandler for Named {
    type Output = ();
    async fn on_event(&self, _: &Delivery<'_>, event: Event<'_>) {
        self.record(&event);
    }
}

/// One handler per api plugged into one dispatcher, with no hand-written `match`: each api's
/// events (its unknown ones too, by their name) reach its handler, and the rest the fallback.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_api_handlers_compose_into_one_router() {
    let seen = Arc::new(Seen::default());
    let router = Arc::new(
        apideck::Router::new(Named("fallback", Arc::clone(&seen)))
            .with_pos(Named("pos", Arc::clone(&seen)))
            .with_crm(Named("crm", Arc::clone(&seen))),
    );
    let verifier = Verifier::new(KEY).unwrap();
    let mut bodies: Vec<(String, Vec<u8>)> = apideck::EVENTS
        .iter()
        .map(|info| {
            (info.event_type.to_string(), apideck::fixtures::get(&EventType::from_wire(info.event_type)).unwrap().as_bytes().to_vec())
        })
        .collect();
    for unknown in ["pos.future.created", "crm.future.created", "nowhere.future.created"] {
        bodies.push((unknown.to_string(), format!(r#"{{"payload":{{"event_type":"{unknown}","event_id":"{unknown}"}}}}"#).into_bytes()));
    }
    let mut tasks = Vec::new();
    for (_, body) in &bodies {
        let signed = testing::sign(KEY, body).unwrap();
        let (router, verifier) = (Arc::clone(&router), verifier.clone());
        tasks.push(tokio::spawn(async move {
            let verified = verifier.verify(&signed.headers, &signed.body).unwrap();
            let event = verified.event().unwrap();
            apideck::dispatch_async(&*router, verified.delivery(), event).await;
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let mut got = seen.0.lock().unwrap().clone();
    got.sort();
    let mut expected: Vec<(&'static str, String)> = bodies
        .into_iter()
        .map(|(name, _)| {
            let to = match name.split('.').next() {
                Some("pos") => "pos",
                Some("crm") => "crm",
                _ => "fallback",
            };
            (to, name)
        })
        .collect();
    expected.sort();
    assert_eq!(got, expected);
}
