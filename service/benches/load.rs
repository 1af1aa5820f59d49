//! Load on loopback: accepted deliveries per second and latency percentiles, for the HTTP floor
//! (a bare axum handler answering 200) and the receiver in each configuration, measured in one
//! run so the ratios hold on a noisy machine; and, for each, the deliveries lost (acknowledged
//! but never run) and duplicated (run more than once), which must be zero.
//!
//! `cargo bench -p webhook-receiver-service --bench load` (PostgreSQL too with
//! `WEBHOOK_TEST_POSTGRES_URL` set: `eval "$(.ci/postgres)"`). `LOAD_REQUESTS` and
//! `LOAD_CONNECTIONS` change the load (default 20,000 requests over 32 keep-alive connections).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use webhook_events::apideck::{self, testing, Event, Verifier};
use webhook_events::runtime::verify::SignedRequest;
use webhook_events::Delivery;
use webhook_receiver::inbox::{Inbox, InboxEndpoint, Worker};
use webhook_receiver::store::SqlStore;
use webhook_receiver::Endpoint;

const KEY: &str = "sk_test_load";
const PATH: &str = "/hook";

/// Counts each delivery id it runs.
#[derive(Clone, Default)]
struct Counter(Arc<Mutex<HashMap<String, u32>>>);

impl apideck::AsyncHandler for Counter {
    type Output = Result<(), String>;

    async fn on_event(&self, delivery: &Delivery<'_>, _: Event<'_>) -> Result<(), String> {
        *self.0.lock().unwrap().entry(delivery.id.to_string()).or_default() += 1;
        Ok(())
    }
}

/// One keep-alive HTTP/1.1 connection: posts a request, reads the status and the body.
struct Connection {
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl Connection {
    async fn open(address: SocketAddr) -> Connection {
        let stream = TcpStream::connect(address).await.unwrap();
        stream.set_nodelay(true).unwrap();
        Connection { stream, buffer: Vec::with_capacity(4096) }
    }

    async fn post(&mut self, request: &[u8]) -> u16 {
        self.stream.write_all(request).await.unwrap();
        self.buffer.clear();
        loop {
            let mut chunk = [0u8; 4096];
            let n = self.stream.read(&mut chunk).await.unwrap();
            assert!(n > 0, "the server closed the connection");
            self.buffer.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&self.buffer);
            if let Some(head_end) = text.find("\r\n\r\n") {
                let length: usize = text[..head_end]
                    .lines()
                    .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap()))
                    .unwrap_or(0);
                if self.buffer.len() >= head_end + 4 + length {
                    return text[9..12].parse().unwrap();
                }
            }
        }
    }
}

fn request_bytes(signed: &SignedRequest) -> Vec<u8> {
    let mut head =
        format!("POST {PATH} HTTP/1.1\r\nhost: bench\r\ncontent-type: application/json\r\ncontent-length: {}\r\n", signed.body.len());
    for (name, value) in &signed.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(&signed.body);
    bytes
}

struct Measured {
    per_second: f64,
    /// The process's CPU time (server and client) over the wall time: what is left of the
    /// machine's cores tells a configuration bound by waiting from one bound by work.
    cores_busy: Option<f64>,
    p50: Duration,
    p99: Duration,
    acknowledged: Vec<usize>,
}

/// Sends every request once over `connections` connections; which were answered 2xx, and how fast.
async fn drive(address: SocketAddr, requests: &Arc<Vec<Vec<u8>>>, connections: usize) -> Measured {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let cpu_before = cpu_seconds();
    let start = Instant::now();
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            let (requests, next) = (Arc::clone(requests), Arc::clone(&next));
            tokio::spawn(async move {
                let mut connection = Connection::open(address).await;
                let mut seen = Vec::new();
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(request) = requests.get(i) else { return seen };
                    let sent = Instant::now();
                    let status = connection.post(request).await;
                    seen.push((i, status, sent.elapsed()));
                }
            })
        })
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    let elapsed = start.elapsed();
    let cores_busy = cpu_before.zip(cpu_seconds()).map(|(before, after)| (after - before) / elapsed.as_secs_f64());
    let mut latencies: Vec<Duration> = all.iter().map(|(_, _, l)| *l).collect();
    latencies.sort();
    let acknowledged: Vec<usize> = all.iter().filter(|(_, s, _)| (200..300).contains(s)).map(|(i, _, _)| *i).collect();
    Measured {
        per_second: acknowledged.len() as f64 / elapsed.as_secs_f64(),
        cores_busy,
        p50: latencies[latencies.len() / 2],
        p99: latencies[latencies.len() * 99 / 100],
        acknowledged,
    }
}

/// This process's user and system CPU time so far, from `/proc/self/stat` (in clock ticks of
/// 1/100 s, as Linux reports them to every process); `None` elsewhere.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i)?.parse::<f64>().ok();
    Some((ticks(11)? + ticks(12)?) / 100.0)
}

async fn serve(app: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    address
}

/// Lost: acknowledged but never run; duplicated: run more than once.
fn audit(counter: &Counter, ids: &[String], acknowledged: &[usize]) -> (usize, usize) {
    let runs = counter.0.lock().unwrap();
    let lost = acknowledged.iter().filter(|&&i| !runs.contains_key(&ids[i])).count();
    let duplicated = runs.values().filter(|&&n| n > 1).count();
    (lost, duplicated)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let n: usize = std::env::var("LOAD_REQUESTS").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000);
    let connections: usize = std::env::var("LOAD_CONNECTIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(32);
    let dir = tempfile::tempdir().unwrap();
    let verifier = Verifier::new(KEY).unwrap();
    let signed: Vec<SignedRequest> = (0..n)
        .map(|i| {
            let body = format!(
                r#"{{"payload":{{"consumer_id":"c","entity_id":"o{i}","event_id":"load-{i:07}","event_type":"pos.order.created","service_id":"square","unified_api":"pos"}}}}"#
            );
            testing::sign(KEY, body.as_bytes()).unwrap()
        })
        .collect();
    let ids: Vec<String> = signed.iter().map(|s| verifier.verify(&s.headers, &s.body).unwrap().delivery_id().into_owned()).collect();
    let requests = Arc::new(signed.iter().map(request_bytes).collect::<Vec<_>>());
    println!("{n} deliveries of {} bytes over {connections} keep-alive connections on 127.0.0.1", signed[0].body.len());
    println!();
    println!("| configuration | deliveries/s | ÷ floor | p50 | p99 | cores busy | lost | duplicated |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let mut floor = 0.0;
    let mut row = |name: &str, m: &Measured, lost: usize, duplicated: usize| {
        if floor == 0.0 {
            floor = m.per_second;
        }
        let cores = m.cores_busy.map_or("n/a".to_owned(), |c| format!("{c:.2}"));
        println!(
            "| {name} | {:.0} | {:.2} | {:.2} ms | {:.2} ms | {cores} | {lost} | {duplicated} |",
            m.per_second,
            m.per_second / floor,
            m.p50.as_secs_f64() * 1e3,
            m.p99.as_secs_f64() * 1e3
        );
    };

    // The HTTP floor: reads the body, answers 200.
    let floor_app = axum::Router::new().route(PATH, axum::routing::post(|_body: axum::body::Bytes| async { "ok" }));
    let m = drive(serve(floor_app).await, &requests, connections).await;
    row("bare axum handler answering 200 (floor)", &m, 0, 0);

    let counter = Counter::default();
    let app = Endpoint::new(verifier.clone(), counter.clone()).router(PATH);
    let m = drive(serve(app).await, &requests, connections).await;
    let (lost, dup) = audit(&counter, &ids, &m.acknowledged);
    row("verify + dispatch, no store", &m, lost, dup);

    let counter = Counter::default();
    let url = format!("sqlite://{}", dir.path().join("load.db").display());
    let store = SqlStore::open(&url).await.unwrap();
    let app = Endpoint::new(verifier.clone(), counter.clone()).with_store(store).router(PATH);
    let m = drive(serve(app).await, &requests, connections).await;
    let (lost, dup) = audit(&counter, &ids, &m.acknowledged);
    row("SQLite store (WAL; completions synced)", &m, lost, dup);

    match std::env::var("WEBHOOK_TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty()) {
        Some(server) => {
            let url = fresh_postgres(&server).await;
            let counter = Counter::default();
            let store = SqlStore::open(&url).await.unwrap();
            let app = Endpoint::new(verifier.clone(), counter.clone()).with_store(store).router(PATH);
            let m = drive(serve(app).await, &requests, connections).await;
            let (lost, dup) = audit(&counter, &ids, &m.acknowledged);
            row("PostgreSQL store (local server)", &m, lost, dup);
        }
        None => println!("| PostgreSQL store | skipped: WEBHOOK_TEST_POSTGRES_URL is not set | | | | | | |"),
    }

    let counter = Counter::default();
    let url = format!("sqlite://{}", dir.path().join("inbox.db").display());
    let inbox = Inbox::open(&url).await.unwrap();
    let mut workers = Vec::new();
    for _ in 0..4 {
        let worker = Worker::new(inbox.clone(), verifier.clone(), counter.clone()).poll(Duration::from_millis(20));
        workers.push(tokio::spawn(async move { worker.run(std::future::pending()).await }));
    }
    let app = InboxEndpoint::new(verifier.clone(), inbox.clone()).router(PATH);
    let m = drive(serve(app).await, &requests, connections).await;
    // Acknowledged means committed: wait for the workers, then audit.
    let deadline = Instant::now() + Duration::from_secs(300);
    while counter.0.lock().unwrap().len() < m.acknowledged.len() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (lost, dup) = audit(&counter, &ids, &m.acknowledged);
    row("inbox on SQLite (acknowledged once committed; 4 workers)", &m, lost, dup);
}

async fn fresh_postgres(server: &str) -> String {
    use sqlx::Executor;
    let name = format!("load_{}", std::process::id());
    let admin = sqlx::PgPool::connect(server).await.unwrap();
    admin.execute(format!("DROP DATABASE IF EXISTS {name}").as_str()).await.unwrap();
    admin.execute(format!("CREATE DATABASE {name}").as_str()).await.unwrap();
    format!("{}/{name}", server.rsplit_once('/').unwrap().0)
}
