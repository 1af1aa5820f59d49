//! Load on loopback: accepted deliveries per second and latency percentiles, for the HTTP floor
//! (a bare axum handler answering 200) and the receiver in each configuration, measured in one
//! run so the ratios hold on a noisy machine; and, for each, the deliveries lost (acknowledged
//! but never run) and duplicated (run more than once), which must be zero.
//!
//! `cargo bench -p webhook-receiver-service --bench load` (PostgreSQL too with
//! `WEBHOOK_TEST_POSTGRES_URL` set: `eval "$(.ci/postgres)"`). `LOAD_REQUESTS`,
//! `LOAD_CONNECTIONS` and `LOAD_ROUNDS` change the load (default 20,000 requests over 32
//! keep-alive connections, every configuration once in each of 5 rounds); `LOAD_ONLY` keeps the
//! floor and the configurations whose name holds its word.
//!
//! Each delivery's event id (its delivery id) is UUID-shaped and scattered, as Apideck's are:
//! the typical case for a store, and its worst, since each delivery lands at a random place in
//! the store's index. `LOAD_IDS=sequential` gives ids in order instead, the best case (each one
//! lands at the index's end).

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

/// What the benchmark runs, in this order, in every round.
#[derive(Clone)]
enum Configuration {
    /// A bare axum handler answering 200: the HTTP floor.
    Floor,
    /// Verify and dispatch, no store.
    Dispatch,
    /// The SQLite store, a fresh file each round.
    Sqlite,
    /// The PostgreSQL store, a fresh database each round (made before the first round, so that
    /// making one is not measured in another configuration's run).
    Postgres(Vec<String>),
    /// Inbox mode on SQLite, a fresh file each round, with its workers.
    Inbox,
}

impl Configuration {
    fn name(&self) -> &'static str {
        match self {
            Configuration::Floor => "bare axum handler answering 200 (floor)",
            Configuration::Dispatch => "verify + dispatch, no store",
            Configuration::Sqlite => "SQLite store (WAL; completions synced)",
            Configuration::Postgres(_) => "PostgreSQL store (local server)",
            Configuration::Inbox => "inbox on SQLite (acknowledged once committed; 4 workers)",
        }
    }
}

/// One configuration's run: what it measured, and its audit.
struct Run {
    measured: Measured,
    lost: usize,
    duplicated: usize,
}

/// The deliveries every run posts.
struct Load {
    verifier: Verifier,
    requests: Arc<Vec<Vec<u8>>>,
    ids: Vec<String>,
    connections: usize,
    dir: tempfile::TempDir,
}

impl Load {
    async fn run(&self, configuration: &Configuration, round: usize) -> Run {
        let counter = Counter::default();
        let verifier = self.verifier.clone();
        let file = |name: &str| format!("sqlite://{}", self.dir.path().join(format!("{name}-{round}.db")).display());
        let measured = match configuration {
            Configuration::Floor => {
                let app = axum::Router::new().route(PATH, axum::routing::post(|_body: axum::body::Bytes| async { "ok" }));
                return Run { measured: self.drive(app).await, lost: 0, duplicated: 0 };
            }
            Configuration::Dispatch => self.drive(Endpoint::new(verifier, counter.clone()).router(PATH)).await,
            Configuration::Sqlite => {
                let store = SqlStore::open(&file("store")).await.unwrap();
                self.drive(Endpoint::new(verifier, counter.clone()).with_store(store).router(PATH)).await
            }
            Configuration::Postgres(databases) => {
                let store = SqlStore::open(&databases[round]).await.unwrap();
                self.drive(Endpoint::new(verifier, counter.clone()).with_store(store).router(PATH)).await
            }
            Configuration::Inbox => {
                let inbox = Inbox::open(&file("inbox")).await.unwrap();
                let (stop, stopped) = tokio::sync::watch::channel(());
                for _ in 0..4 {
                    let worker = Worker::new(inbox.clone(), verifier.clone(), counter.clone()).poll(Duration::from_millis(20));
                    let mut stopped = stopped.clone();
                    tokio::spawn(async move { worker.run(async move { drop(stopped.changed().await) }).await });
                }
                let measured = self.drive(InboxEndpoint::new(verifier, inbox).router(PATH)).await;
                // Acknowledged means committed: wait for the workers, then audit.
                let deadline = Instant::now() + Duration::from_secs(300);
                while counter.0.lock().unwrap().len() < measured.acknowledged.len() && Instant::now() < deadline {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                drop(stop);
                measured
            }
        };
        let (lost, duplicated) = audit(&counter, &self.ids, &measured.acknowledged);
        Run { measured, lost, duplicated }
    }

    async fn drive(&self, app: axum::Router) -> Measured {
        drive(serve(app).await, &self.requests, self.connections).await
    }
}

/// A UUID-shaped event id for delivery `i`, scattered as Apideck's random UUIDs are (so the
/// store's index takes each delivery at a random place, not at its end), and the same in every
/// run: the 128 bits of two rounds of SplitMix64.
fn uuid_like(i: usize) -> String {
    let mix = |mut z: u64| {
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let seed = (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let (a, b) = (mix(seed), mix(seed ^ 0xd1b5_4a32_d192_ed03));
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | (b >> 48) & 0x3fff,
        b & 0xffff_ffff_ffff
    )
}

/// The median of `values` (the upper one of an even count).
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let setting = |name: &str, default: usize| std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default).max(1);
    let n = setting("LOAD_REQUESTS", 20_000);
    let connections = setting("LOAD_CONNECTIONS", 32);
    let rounds = setting("LOAD_ROUNDS", 5);
    let sequential = std::env::var("LOAD_IDS").is_ok_and(|ids| ids == "sequential");
    let verifier = Verifier::new(KEY).unwrap();
    let signed: Vec<SignedRequest> = (0..n)
        .map(|i| {
            let body = format!(
                r#"{{"payload":{{"consumer_id":"c","entity_id":"o{i}","event_id":"{}","event_type":"pos.order.created","service_id":"square","unified_api":"pos"}}}}"#,
                match sequential {
                    true => format!("load-{i:07}"),
                    false => uuid_like(i),
                }
            );
            testing::sign(KEY, body.as_bytes()).unwrap()
        })
        .collect();
    let ids: Vec<String> = signed.iter().map(|s| verifier.verify(&s.headers, &s.body).unwrap().delivery_id().into_owned()).collect();
    let requests = Arc::new(signed.iter().map(request_bytes).collect::<Vec<_>>());
    let body_bytes = signed[0].body.len();
    let load = Load { verifier, requests, ids, connections, dir: tempfile::tempdir().unwrap() };

    let postgres = std::env::var("WEBHOOK_TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty());
    let mut configurations = vec![Configuration::Floor, Configuration::Dispatch, Configuration::Sqlite];
    if let Some(server) = &postgres {
        let mut databases = Vec::new();
        for round in 0..rounds {
            databases.push(fresh_postgres(server, round).await);
        }
        configurations.push(Configuration::Postgres(databases));
    }
    configurations.push(Configuration::Inbox);
    // `LOAD_ONLY=sqlite` (a word of the configuration's name) runs the floor and that one, for
    // profiling.
    if let Ok(only) = std::env::var("LOAD_ONLY") {
        let only = only.to_lowercase();
        configurations.retain(|c| matches!(c, Configuration::Floor) || c.name().to_lowercase().contains(&only));
    }
    // Every configuration once a round, so each round's ratios to its floor share that round's
    // conditions on a noisy machine; the table gives medians over the rounds.
    let mut runs: Vec<Vec<Run>> = configurations.iter().map(|_| Vec::new()).collect();
    for round in 0..rounds {
        for (c, configuration) in configurations.iter().enumerate() {
            runs[c].push(load.run(configuration, round).await);
        }
        eprintln!("round {} of {rounds} done", round + 1);
    }
    if let (Some(server), Some(Configuration::Postgres(databases))) =
        (&postgres, configurations.iter().find(|c| matches!(c, Configuration::Postgres(_))))
    {
        drop_postgres(server, databases).await;
    }

    let ids_are = if sequential { "in order" } else { "UUID-shaped, scattered" };
    println!("{n} deliveries (ids {ids_are}) of {body_bytes} bytes over {connections} keep-alive connections on 127.0.0.1, each configuration once in each of {rounds} rounds; medians over the rounds (÷ floor: the median of each round's ratio to its floor, and their range)");
    println!();
    println!("| configuration | deliveries/s | ÷ floor | p50 | p99 | cores busy | lost | duplicated |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let floors: Vec<f64> = runs[0].iter().map(|run| run.measured.per_second).collect();
    for (configuration, runs) in configurations.iter().zip(&runs) {
        let ratios: Vec<f64> = runs.iter().zip(&floors).map(|(run, floor)| run.measured.per_second / floor).collect();
        let (low, high) = ratios.iter().fold((f64::MAX, f64::MIN), |(low, high), r| (low.min(*r), high.max(*r)));
        let of = |f: &dyn Fn(&Measured) -> f64| median(runs.iter().map(|run| f(&run.measured)).collect());
        let cores = match runs.iter().all(|run| run.measured.cores_busy.is_some()) {
            true => format!("{:.2}", of(&|m| m.cores_busy.unwrap_or_default())),
            false => "n/a".to_owned(),
        };
        println!(
            "| {} | {:.0} | {:.2} ({low:.2}–{high:.2}) | {:.2} ms | {:.2} ms | {cores} | {} | {} |",
            configuration.name(),
            of(&|m| m.per_second),
            median(ratios.clone()),
            of(&|m| m.p50.as_secs_f64() * 1e3),
            of(&|m| m.p99.as_secs_f64() * 1e3),
            runs.iter().map(|run| run.lost).sum::<usize>(),
            runs.iter().map(|run| run.duplicated).sum::<usize>(),
        );
    }
    if postgres.is_none() {
        println!("| PostgreSQL store | skipped: WEBHOOK_TEST_POSTGRES_URL is not set | | | | | | |");
    }
}

/// A new, empty database on the PostgreSQL `server` for `round`, dropped first if a run before
/// left it.
/// Drops the databases the rounds used, whatever still holds a connection to them.
async fn drop_postgres(server: &str, databases: &[String]) {
    use sqlx::Executor;
    let admin = sqlx::PgPool::connect(server).await.unwrap();
    for url in databases {
        let name = url.rsplit_once('/').unwrap().1;
        admin.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await.unwrap();
    }
}

async fn fresh_postgres(server: &str, round: usize) -> String {
    use sqlx::Executor;
    let name = format!("load_{}_{round}", std::process::id());
    let admin = sqlx::PgPool::connect(server).await.unwrap();
    admin.execute(format!("DROP DATABASE IF EXISTS {name}").as_str()).await.unwrap();
    admin.execute(format!("CREATE DATABASE {name}").as_str()).await.unwrap();
    format!("{}/{name}", server.rsplit_once('/').unwrap().0)
}
