//! The durable inbox against SQLite and PostgreSQL: queueing, workers taking deliveries
//! concurrently, retries with backoff, dead letters and requeueing, a dead worker's lease. Each
//! case has a database of its own (a worker takes any provider's deliveries).

mod common;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use tower::ServiceExt;
use webhook_events::apideck::{self, testing, Event, EventType, Verifier};
use webhook_events::Delivery;
use webhook_receiver::inbox::{Enqueued, Inbox, InboxEndpoint, NewDelivery, Retry, RetryPolicy, Worker};
use webhook_receiver::store::DeliveryKey;

use common::{databases, unique};

const KEY: &str = "sk_test_inbox";

fn new<'a>(provider: &'a str, id: &'a str) -> NewDelivery<'a> {
    NewDelivery {
        key: DeliveryKey { provider, delivery_id: id },
        event_type: "pos.order.created",
        body: r#"{"payload":{}}"#,
        event_type_header: Some("pos.order.created"),
        idempotency_key: None,
    }
}

/// Takes until nothing is ready, returning what was taken (only this test's provider's).
async fn drain(inbox: &Inbox, provider: &str) -> Vec<webhook_receiver::inbox::Taken> {
    let mut all = Vec::new();
    while let Some(taken) = inbox.take(Duration::from_secs(60)).await.unwrap() {
        if taken.provider == provider {
            all.push(taken);
        }
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_is_queued_once_taken_once_and_done() {
    for db in databases().await {
        let inbox = Inbox::open(&db.url).await.unwrap();
        let p = unique("inbox");
        assert_eq!(inbox.enqueue(new(&p, "a")).await.unwrap(), Enqueued::Queued);
        assert_eq!(inbox.enqueue(new(&p, "a")).await.unwrap(), Enqueued::Duplicate, "{}", inbox.kind());
        let taken = drain(&inbox, &p).await;
        assert_eq!(taken.len(), 1);
        assert_eq!((taken[0].delivery_id.as_str(), taken[0].attempts), ("a", 1));
        assert_eq!(taken[0].event_type_header.as_deref(), Some("pos.order.created"));
        inbox.done(&taken[0]).await.unwrap();
        assert!(inbox.done(&taken[0]).await.is_err(), "done twice");
        assert_eq!(inbox.enqueue(new(&p, "a")).await.unwrap(), Enqueued::Duplicate, "a copy of a done delivery");
        assert!(drain(&inbox, &p).await.is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_back_off_then_die_and_a_requeue_revives_them() {
    // A backoff long enough that a machine busy with other work does not stall a step past it.
    let policy = RetryPolicy { max_attempts: 3, first_backoff: Duration::from_secs(1), max_backoff: Duration::from_secs(2) };
    assert_eq!(policy.backoff(1), Duration::from_secs(1));
    assert_eq!(policy.backoff(2), Duration::from_secs(2));
    assert_eq!(policy.backoff(30), Duration::from_secs(2));
    for db in databases().await {
        let inbox = Inbox::open(&db.url).await.unwrap().with_policy(policy);
        let p = unique("retry");
        inbox.enqueue(new(&p, "flaky")).await.unwrap();
        for attempt in 1..=3u32 {
            let taken = loop {
                if let Some(t) = drain(&inbox, &p).await.pop() {
                    break t;
                }
                tokio::time::sleep(Duration::from_millis(25)).await;
            };
            assert_eq!(taken.attempts, attempt, "{}", inbox.kind());
            let retry = inbox.failed(&taken, &format!("failure {attempt}")).await.unwrap();
            if attempt < 3 {
                assert_eq!(retry, Retry::After(policy.backoff(attempt)));
                assert!(drain(&inbox, &p).await.is_empty(), "taken again before its backoff");
            } else {
                assert_eq!(retry, Retry::Dead);
            }
        }
        let dead: Vec<_> = inbox.dead_letters().await.unwrap().into_iter().filter(|d| d.provider == p).collect();
        assert_eq!(dead.len(), 1);
        assert_eq!((dead[0].attempts, dead[0].last_error.as_deref()), (3, Some("failure 3")));
        assert_eq!(inbox.requeue(Some(DeliveryKey { provider: &p, delivery_id: "flaky" })).await.unwrap(), 1);
        let again = drain(&inbox, &p).await;
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].attempts, 1, "a requeued delivery starts its attempts again");
        inbox.done(&again[0]).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_workers_never_take_one_delivery_twice() {
    for db in databases().await {
        let inbox = Arc::new(Inbox::open(&db.url).await.unwrap());
        let p = unique("concurrent");
        let ids: Vec<String> = (0..60).map(|i| format!("d{i}")).collect();
        for id in &ids {
            inbox.enqueue(new(&p, id)).await.unwrap();
        }
        let workers: Vec<_> = (0..8)
            .map(|_| {
                let (inbox, p) = (Arc::clone(&inbox), p.clone());
                tokio::spawn(async move {
                    let mut mine = Vec::new();
                    while let Some(taken) = inbox.take(Duration::from_secs(60)).await.unwrap() {
                        if taken.provider == p {
                            inbox.done(&taken).await.unwrap();
                            mine.push(taken.delivery_id);
                        }
                    }
                    mine
                })
            })
            .collect();
        let mut seen = Vec::new();
        for worker in workers {
            seen.extend(worker.await.unwrap());
        }
        seen.sort();
        let mut expected = ids.clone();
        expected.sort();
        assert_eq!(seen, expected, "{}: each delivery taken exactly once", inbox.kind());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_workers_delivery_is_taken_over_after_its_lease() {
    for db in databases().await {
        let inbox = Inbox::open(&db.url).await.unwrap();
        let p = unique("lease");
        inbox.enqueue(new(&p, "a")).await.unwrap();
        // Long enough that a machine busy with other work does not stall the next step past it.
        let lease = Duration::from_secs(2);
        let dead = loop {
            match inbox.take(lease).await.unwrap() {
                Some(t) if t.provider == p => break t,
                Some(_) => continue,
                None => panic!("nothing to take"),
            }
        };
        assert!(drain(&inbox, &p).await.is_empty());
        tokio::time::sleep(lease + Duration::from_millis(100)).await;
        let next = drain(&inbox, &p).await;
        assert_eq!(next.len(), 1, "{}", inbox.kind());
        assert_eq!(next[0].attempts, 2);
        assert!(inbox.done(&dead).await.is_err(), "the dead worker lost its lease");
        inbox.done(&next[0]).await.unwrap();
    }
}

/// The inbox writes what concurrent requests and workers send in rounds, a statement per kind of
/// write: copies of one delivery sent at once are queued once, and completions sent at once are
/// each answered by their own row, a lost lease's among them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_sent_at_once_are_each_answered_by_their_own_row() {
    for db in databases().await {
        let inbox = Arc::new(Inbox::open(&db.url).await.unwrap());
        let p = unique("mixed");
        inbox.enqueue(new(&p, "x")).await.unwrap();
        let loser = inbox.take(Duration::ZERO).await.unwrap().expect("x is ready");
        let winner = inbox.take(Duration::from_secs(60)).await.unwrap().expect("x's lease ran out");
        assert_eq!((winner.delivery_id.as_str(), winner.attempts), ("x", 2));
        inbox.enqueue(new(&p, "y")).await.unwrap();
        let y = inbox.take(Duration::from_secs(60)).await.unwrap().expect("y is ready");
        let mut copies = Vec::new();
        for (id, n) in [("n1", 5), ("n2", 3)] {
            for _ in 0..n {
                let (inbox, p) = (Arc::clone(&inbox), p.clone());
                copies.push(tokio::spawn(async move { (id, inbox.enqueue(new(&p, id)).await.unwrap()) }));
            }
        }
        let mut dones = Vec::new();
        for (name, taken) in [("loser", loser), ("winner", winner), ("y", y)] {
            let inbox = Arc::clone(&inbox);
            dones.push(tokio::spawn(async move { (name, inbox.done(&taken).await.is_ok()) }));
        }
        let mut queued = std::collections::HashMap::new();
        for copy in copies {
            let (id, enqueued) = copy.await.unwrap();
            *queued.entry(id).or_insert(0) += usize::from(enqueued == Enqueued::Queued);
        }
        assert_eq!(queued, [("n1", 1), ("n2", 1)].into(), "{}", inbox.kind());
        let mut settled: Vec<(&str, bool)> = Vec::new();
        for done in dones {
            settled.push(done.await.unwrap());
        }
        assert_eq!(settled, [("loser", false), ("winner", true), ("y", true)], "{}", inbox.kind());
        let mut left: Vec<String> = drain(&inbox, &p).await.into_iter().map(|t| t.delivery_id).collect();
        left.sort();
        assert_eq!(left, ["n1", "n2"], "{}", inbox.kind());
    }
}

/// Records each event it runs; fails the event types it is told to.
#[derive(Default)]
struct Seen {
    ran: Mutex<Vec<String>>,
    fail: Mutex<HashSet<String>>,
}

struct Handler(Arc<Seen>);

impl apideck::AsyncHandler for Handler {
    type Output = Result<(), String>;

    async fn on_event(&self, delivery: &Delivery<'_>, event: Event<'_>) -> Result<(), String> {
        let event_type = event.event_type().to_string();
        assert!(delivery.info.is_some() || event_type.contains("future"), "dispatch fills in the catalog row");
        if self.0.fail.lock().unwrap().contains(&event_type) {
            return Err(format!("{event_type} failed on purpose"));
        }
        self.0.ran.lock().unwrap().push(format!("{} {event_type}", delivery.id));
        Ok(())
    }
}

async fn post(app: &axum::Router, signed: &webhook_events::runtime::verify::SignedRequest) -> (StatusCode, String) {
    let mut builder = Request::post("/hook");
    for (name, value) in &signed.headers {
        builder = builder.header(name, value);
    }
    let response = app.clone().oneshot(builder.body(Body::from(signed.body.clone())).unwrap()).await.unwrap();
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_endpoint_queues_and_workers_run_each_delivery_once() {
    for db in databases().await {
        let url = db.url.clone();
        let policy = RetryPolicy { max_attempts: 2, first_backoff: Duration::from_millis(10), max_backoff: Duration::from_millis(10) };
        let inbox = Inbox::open(&url).await.unwrap().with_policy(policy);
        let app = InboxEndpoint::new(Verifier::new(KEY).unwrap(), inbox.clone()).router("/hook");
        let seen = Arc::new(Seen::default());
        seen.fail.lock().unwrap().insert("crm.lead.created".into());
        let mut expected = Vec::new();
        for info in apideck::EVENTS {
            let signed = testing::sign_fixture(KEY, &EventType::from_wire(info.event_type)).unwrap();
            assert_eq!(post(&app, &signed).await, (StatusCode::OK, "queued".into()), "{}", info.event_type);
            assert_eq!(post(&app, &signed).await, (StatusCode::OK, "duplicate".into()));
            if info.event_type != "crm.lead.created" {
                expected.push(info.event_type.to_string());
            }
        }
        assert_eq!(post(&app, &testing::validation_request()).await, (StatusCode::OK, "validation".into()));
        let forged = testing::sign("sk_test_forger", br#"{"payload":{"event_type":"pos.order.created"}}"#).unwrap();
        assert_eq!(post(&app, &forged).await.0, StatusCode::UNAUTHORIZED);

        let worker = Worker::new(inbox.clone(), Verifier::new(KEY).unwrap(), Handler(Arc::clone(&seen)));
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while inbox.counts().await.unwrap().pending + inbox.counts().await.unwrap().running > 0 {
            if !worker.run_once().await.unwrap() {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            assert!(tokio::time::Instant::now() < deadline, "the inbox did not drain");
        }
        let mut ran: Vec<String> = seen.ran.lock().unwrap().iter().map(|r| r.split(' ').nth(1).unwrap().to_string()).collect();
        ran.sort();
        expected.sort();
        assert_eq!(ran, expected, "{}", inbox.kind());
        let counts = inbox.counts().await.unwrap();
        assert_eq!((counts.done, counts.dead), (expected.len() as u64, 1));
        // The dead letter, fixed and requeued, runs.
        seen.fail.lock().unwrap().clear();
        assert_eq!(inbox.requeue(None).await.unwrap(), 1);
        assert!(worker.run_once().await.unwrap());
        assert_eq!(inbox.counts().await.unwrap().done, expected.len() as u64 + 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_stops_when_told_and_finishes_what_it_holds() {
    let db = databases().await.remove(0);
    let inbox = Inbox::open(&db.url).await.unwrap();
    let seen = Arc::new(Seen::default());
    let worker =
        Arc::new(Worker::new(inbox.clone(), Verifier::new(KEY).unwrap(), Handler(Arc::clone(&seen))).poll(Duration::from_millis(20)));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn({
        let worker = Arc::clone(&worker);
        async move { worker.run(async { stopped.await.unwrap_or(()) }).await }
    });
    let body = apideck::fixtures::get(&EventType::from_wire("pos.order.created")).unwrap();
    inbox
        .enqueue(NewDelivery {
            key: DeliveryKey { provider: "apideck", delivery_id: "w-1" },
            event_type: "pos.order.created",
            body,
            event_type_header: None,
            idempotency_key: None,
        })
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while seen.ran.lock().unwrap().is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "the running worker never took the delivery");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), running).await.expect("the worker stops").unwrap();
    assert_eq!(inbox.counts().await.unwrap().done, 1);
}
