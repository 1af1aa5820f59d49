//! The service end to end, as a provider meets it: the binary started on 127.0.0.1, requests over
//! real sockets, its database read afterwards. Every fixture, copies, forgeries, an oversized
//! and an unknown delivery, the validation request; a SIGKILL in the middle of a load and a
//! restart on the same database; a second service refused on one SQLite file; two instances on
//! one PostgreSQL.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use webhook_events::apideck::{self, testing, EventType, Verifier};
use webhook_events::runtime::verify::SignedRequest;
use webhook_receiver::inbox::Inbox;
use webhook_receiver::store::{DeliveryKey, SqlStore};

const KEY: &str = "sk_test_e2e";
const PATH: &str = "/webhooks/apideck";

/// A running service; killed when dropped.
struct Service {
    child: Child,
    address: SocketAddr,
}

impl Service {
    fn start(database: &str, extra: &[&str]) -> Service {
        let mut child = Command::new(env!("CARGO_BIN_EXE_webhook-receiver"))
            .args([
                "--listen",
                "127.0.0.1:0",
                "--apideck-key",
                KEY,
                "--database",
                database,
                "--lease-seconds",
                "2",
                "--handler-timeout-seconds",
                "1",
            ])
            .args(extra)
            .env("WEBHOOK_LOG", "error")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the service starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        // "listening on http://127.0.0.1:PORT/webhooks/apideck (…)"
        let address =
            line.split("http://").nth(1).and_then(|rest| rest.split('/').next()).unwrap_or_else(|| panic!("no address in {line:?}"));
        Service { address: address.parse().unwrap(), child }
    }

    /// SIGKILL: no chance to finish anything.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Posts a request; its status, or `None` when the connection failed (no answer is no 2xx).
fn post(address: SocketAddr, signed: &SignedRequest) -> Option<u16> {
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(5)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    let mut request = format!(
        "POST {PATH} HTTP/1.1\r\nhost: {address}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
        signed.body.len()
    );
    for (name, value) in &signed.headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    stream.write_all(&signed.body).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response.split(' ').nth(1)?.parse().ok()
}

/// A delivery of `pos.order.created` with an id of its own.
fn delivery(i: usize) -> SignedRequest {
    let body =
        format!(r#"{{"payload":{{"event_type":"pos.order.created","event_id":"load-{i:05}","unified_api":"pos","entity_id":"o{i}"}}}}"#);
    testing::sign(KEY, body.as_bytes()).unwrap()
}

fn delivery_id(signed: &SignedRequest) -> String {
    let verifier = Verifier::new(KEY).unwrap();
    verifier.verify(&signed.headers, &signed.body).unwrap().delivery_id().into_owned()
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
}

/// What the store completed, as delivery id → runs.
fn completed(database: &str) -> BTreeMap<String, i64> {
    block_on(async {
        let store = SqlStore::open(database).await.unwrap();
        let rows = store.completed().await.unwrap();
        assert!(rows.iter().all(|(provider, _, _)| provider == "apideck"), "{rows:?}");
        rows.into_iter().map(|(_, id, runs)| (id, runs)).collect()
    })
}

fn sqlite(dir: &tempfile::TempDir) -> String {
    format!("sqlite://{}", dir.path().join("e2e.db").display())
}

#[test]
fn every_genuine_event_is_run_once_and_nothing_else_is() {
    let dir = tempfile::tempdir().unwrap();
    let database = sqlite(&dir);
    let service = Service::start(&database, &[]);
    let mut expected = BTreeSet::new();
    for info in apideck::EVENTS {
        let signed = testing::sign_fixture(KEY, &EventType::from_wire(info.event_type)).unwrap();
        assert_eq!(post(service.address, &signed), Some(200), "{}", info.event_type);
        // The same delivery again, and with a new idempotency key: answered, not run.
        assert_eq!(post(service.address, &signed), Some(200));
        assert_eq!(post(service.address, &testing::sign_as(KEY, &signed.body, "retry-2").unwrap()), Some(200));
        // Tampered after signing.
        let mut tampered = signed.clone();
        tampered.body = String::from_utf8(tampered.body).unwrap().replacen("test_user_id", "another_user", 1).into_bytes();
        assert_eq!(post(service.address, &tampered), Some(401), "{}", info.event_type);
        expected.insert(delivery_id(&signed));
    }
    let unknown = testing::sign(KEY, br#"{"payload":{"event_type":"pos.future.created","event_id":"unknown-1"}}"#).unwrap();
    assert_eq!(post(service.address, &unknown), Some(200));
    expected.insert("unknown-1".to_string());
    let oversized = testing::sign(KEY, format!(r#"{{"payload":{{"pad":"{}"}}}}"#, "x".repeat(300 * 1024)).as_bytes()).unwrap();
    assert_eq!(post(service.address, &oversized), Some(413));
    assert_eq!(post(service.address, &testing::validation_request()), Some(200));
    assert_eq!(post(service.address, &testing::sign("sk_test_forger", &delivery(1).body).unwrap()), Some(401));
    drop(service);
    let done = completed(&database);
    assert_eq!(done.keys().cloned().collect::<BTreeSet<_>>(), expected, "each genuine event, and nothing else");
    assert!(done.values().all(|&runs| runs == 1), "{done:?}");
}

/// A SQLite store is one process's (its claims are in that process's memory): a second service
/// on the same file stops at once and says why, and the first one is untouched.
#[test]
fn a_second_service_on_one_sqlite_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let database = sqlite(&dir);
    let first = Service::start(&database, &[]);
    let second = Command::new(env!("CARGO_BIN_EXE_webhook-receiver"))
        .args(["--listen", "127.0.0.1:0", "--apideck-key", KEY, "--database", &database])
        .env("WEBHOOK_LOG", "error")
        .output()
        .unwrap();
    assert!(!second.status.success());
    let said = String::from_utf8_lossy(&second.stderr);
    assert!(said.contains("another process has a store open on"), "{said}");
    let signed = delivery(1);
    assert_eq!(post(first.address, &signed), Some(200));
    drop(first);
    assert_eq!(completed(&database).keys().collect::<Vec<_>>(), [&delivery_id(&signed)]);
}

/// Posts every delivery of `all` from `threads` threads, recording which got a 2xx; `on_ack` sees
/// the running count of acknowledgements.
fn load(address: SocketAddr, all: &[SignedRequest], threads: usize, on_ack: impl Fn(usize) + Sync) -> BTreeSet<usize> {
    let acked = Mutex::new(BTreeSet::new());
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(signed) = all.get(i) else { return };
                if post(address, signed).is_some_and(|s| (200..300).contains(&s)) {
                    let n = {
                        let mut acked = acked.lock().unwrap();
                        acked.insert(i);
                        acked.len()
                    };
                    on_ack(n);
                }
            });
        }
    });
    acked.into_inner().unwrap()
}

/// Sends `signed` until it is answered 2xx (a provider's retries), within a deadline.
fn until_acknowledged(address: SocketAddr, signed: &SignedRequest) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let status = post(address, signed);
        if status.is_some_and(|s| (200..300).contains(&s)) {
            return;
        }
        assert!(Instant::now() < deadline, "never acknowledged: last answer {status:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn killed_mid_load_then_restarted(mode: &str) {
    let dir = tempfile::tempdir().unwrap();
    let database = sqlite(&dir);
    let all: Vec<SignedRequest> = (0..400).map(delivery).collect();
    let ids: Vec<String> = all.iter().map(delivery_id).collect();
    let service = Mutex::new(Some(Service::start(&database, &["--mode", mode])));
    let address = service.lock().unwrap().as_ref().unwrap().address;
    // SIGKILL once a quarter of the load is acknowledged, requests still in flight.
    let acked = load(address, &all, 8, |n| {
        if n == all.len() / 4 {
            if let Some(s) = service.lock().unwrap().take() {
                s.kill();
            }
        }
    });
    assert!(acked.len() >= all.len() / 4 && acked.len() < all.len(), "{mode}: {} acknowledged before the kill", acked.len());
    // Restarted on the same database; every delivery not acknowledged is sent again.
    let service = Service::start(&database, &["--mode", mode]);
    for (_, signed) in all.iter().enumerate().filter(|(i, _)| !acked.contains(i)) {
        until_acknowledged(service.address, signed);
    }
    // Copies of acknowledged deliveries are answered and not run.
    for i in acked.iter().take(20) {
        until_acknowledged(service.address, &all[*i]);
    }
    let runs: BTreeMap<String, i64> = match mode {
        // The store's file is the service's while it runs (one process holds a SQLite store).
        "inline" => {
            drop(service);
            completed(&database)
        }
        _ => {
            // Wait for the workers to drain the inbox.
            let deadline = Instant::now() + Duration::from_secs(60);
            block_on(async {
                let inbox = Inbox::open(&database).await.unwrap();
                loop {
                    let counts = inbox.counts().await.unwrap();
                    if counts.pending + counts.running == 0 {
                        assert_eq!(counts.dead, 0);
                        break;
                    }
                    assert!(Instant::now() < deadline, "the inbox did not drain: {counts:?}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            });
            let runs = ids.iter().map(|id| (id.clone(), 1)).collect();
            drop(service);
            runs
        }
    };
    if mode == "inline" {
        let done: BTreeSet<&String> = runs.keys().collect();
        assert_eq!(done, ids.iter().collect(), "inline: every delivery completed once, none lost");
        for i in &acked {
            assert_eq!(runs[&ids[*i]], 1, "inline: {} was acknowledged before the kill and ran again", ids[*i]);
        }
    } else {
        let rows = block_on(inbox_rows(&database));
        assert_eq!(rows.keys().collect::<BTreeSet<_>>(), ids.iter().collect(), "inbox: every delivery queued once, none lost");
        assert!(rows.values().all(|state| state == "done"), "{rows:?}");
    }
}

async fn inbox_rows(database: &str) -> BTreeMap<String, String> {
    use sqlx::Row;
    let pool = sqlx::SqlitePool::connect(database).await.unwrap();
    let rows = sqlx::query("SELECT delivery_id, state FROM inbox").fetch_all(&pool).await.unwrap();
    rows.iter().map(|r| (r.get(0), r.get(1))).collect()
}

#[test]
fn killed_mid_load_inline_nothing_acknowledged_is_lost_or_run_twice() {
    killed_mid_load_then_restarted("inline");
}

#[test]
fn killed_mid_load_inbox_nothing_acknowledged_is_lost() {
    killed_mid_load_then_restarted("inbox");
}

#[test]
fn two_instances_on_one_postgresql_run_each_delivery_once() {
    let Some(server) = std::env::var("WEBHOOK_TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty()) else {
        assert!(std::env::var_os("CI").is_none(), "WEBHOOK_TEST_POSTGRES_URL is not set: under CI the PostgreSQL test is required");
        let _ = std::io::stderr().write_all(
            b"\n*** SKIPPED: two instances on one PostgreSQL (WEBHOOK_TEST_POSTGRES_URL is not set; `eval \"$(.ci/postgres)\"`) ***\n",
        );
        return;
    };
    let database = block_on(async {
        use sqlx::Executor;
        let name = format!("e2e_{}_{}", std::process::id(), Instant::now().elapsed().as_nanos());
        let admin = sqlx::PgPool::connect(&server).await.unwrap();
        admin.execute(format!("CREATE DATABASE {name}").as_str()).await.unwrap();
        format!("{}/{name}", server.rsplit_once('/').unwrap().0)
    });
    let (a, b) = (Service::start(&database, &[]), Service::start(&database, &[]));
    let all: Vec<SignedRequest> = (0..150).map(delivery).collect();
    // Each delivery to both instances at once; whatever is not 2xx is sent again to one.
    std::thread::scope(|scope| {
        for chunk in all.chunks(all.len() / 6) {
            let (a, b) = (&a, &b);
            scope.spawn(move || {
                for signed in chunk {
                    let (first, second) = std::thread::scope(|s| {
                        let first = s.spawn(|| post(a.address, signed));
                        let second = s.spawn(|| post(b.address, signed));
                        (first.join().unwrap(), second.join().unwrap())
                    });
                    for (status, address) in [(first, a.address), (second, b.address)] {
                        if !status.is_some_and(|s| (200..300).contains(&s)) {
                            until_acknowledged(address, signed);
                        }
                    }
                }
            });
        }
    });
    drop((a, b));
    let done = completed(&database);
    let ids: BTreeSet<String> = all.iter().map(delivery_id).collect();
    assert_eq!(done.keys().cloned().collect::<BTreeSet<_>>(), ids);
    let twice: Vec<_> = done.iter().filter(|(_, &runs)| runs != 1).collect();
    assert!(twice.is_empty(), "run more than once: {twice:?}");
    block_on(async {
        let store = SqlStore::open(&database).await.unwrap();
        assert_eq!(store.runs(DeliveryKey { provider: "apideck", delivery_id: "load-00000" }).await.unwrap(), Some(1));
    });
}

#[test]
fn sigterm_stops_the_service_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let database = sqlite(&dir);
    let mut service = Service::start(&database, &["--mode", "inbox"]);
    for i in 0..20 {
        assert_eq!(post(service.address, &delivery(i)), Some(200));
    }
    let pid = service.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = service.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the service did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}");
    // Everything acknowledged is in the inbox, and restarting drains it.
    let restarted = Service::start(&database, &["--mode", "inbox"]);
    let deadline = Instant::now() + Duration::from_secs(30);
    block_on(async {
        let inbox = Inbox::open(&database).await.unwrap();
        while inbox.counts().await.unwrap().done < 20 {
            assert!(Instant::now() < deadline, "{:?}", inbox.counts().await.unwrap());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    drop(restarted);
}
