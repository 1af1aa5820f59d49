//! What the endpoint writes to the log. A test binary of its own: `tracing` decides once per
//! call site whether anyone listens, and another test reaching a call site first, on a thread
//! with no subscriber, can leave this test's subscriber deaf to it.

mod common;

use std::sync::{Arc, Mutex};

use webhook_events::apideck::{self, testing, Event, EventType, Verifier};
use webhook_events::Delivery;
use webhook_receiver::Endpoint;

use common::{send, PATH};

const KEY: &str = "sk_test_receiver";

/// Records the ids of the deliveries it runs.
struct Ids(Arc<Mutex<Vec<String>>>);

impl apideck::AsyncHandler for Ids {
    type Output = Result<(), String>;

    async fn on_event(&self, delivery: &Delivery<'_>, _: Event<'_>) -> Result<(), String> {
        self.0.lock().unwrap().push(delivery.id.to_string());
        Ok(())
    }
}

/// Collects what `tracing` writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_log_names_provider_delivery_event_and_outcome_and_never_the_key() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt().with_writer(move || writer.clone()).with_ansi(false).finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let ran = Arc::new(Mutex::new(Vec::new()));
    let app = Endpoint::new(Verifier::new(KEY).unwrap(), Ids(Arc::clone(&ran))).router(PATH);
    let signed = testing::sign_fixture(KEY, &EventType::from_wire("pos.order.created")).unwrap();
    send(&app, &signed).await;
    send(&app, &testing::sign("sk_test_forger", &signed.body).unwrap()).await;
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let id = &ran.lock().unwrap()[0];
    assert!(log.contains("provider=\"apideck\"") || log.contains("provider=apideck"), "{log}");
    assert!(log.contains(id.as_str()), "{log}");
    assert!(log.contains("pos.order.created"), "{log}");
    assert!(log.contains("processed") && log.contains("bad_signature"), "{log}");
    assert!(!log.contains(KEY) && !log.contains("sk_test_forger"), "{log}");
    let signature = &signed.headers.iter().find(|(n, _)| n == "x-apideck-signature").unwrap().1;
    assert!(!log.contains(signature.as_str()), "{log}");
}
