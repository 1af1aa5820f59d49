//! The receive path: the generated crate against what a service writes by hand (the baseline)
//! and against the least work any correct receiver can do (the floor), on three bodies.
//!
//! `cargo bench -p webhook-tests --bench receive`. A custom harness rather than criterion, for
//! two reasons: contenders run in interleaved rounds, so a noisy shared machine slows them alike
//! and the ratios hold even when absolute times drift; and the allocation count of each contender
//! comes from a counting global allocator in the same binary. See BENCHMARKS.md.

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashMap;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;
use webhook_events::apideck::{self, payloads, testing, Event, Verifier};

// ---------------------------------------------------------------- allocation counting

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// A global allocator can only be written with `unsafe`; this one forwards to `System` unchanged.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations(f: &mut dyn FnMut()) -> u64 {
    f(); // warm: lazily initialised state is not the path's cost
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    f();
    ALLOCATIONS.load(Ordering::Relaxed) - before
}

// ---------------------------------------------------------------- the generated crate

const KEY: &str = "sk_live_benchmark_key_0123456789";

#[derive(Default)]
struct Counter {
    orders: u64,
    connections: u64,
    other: u64,
}

impl apideck::Handler for Counter {
    type Output = ();
    fn on_event(&mut self, _: Event<'_>) {
        self.other += 1;
    }
    fn on_pos_order_created(&mut self, p: payloads::UnifiedEvent<'_>) {
        self.orders += black_box(p.entity_id.is_some()) as u64;
    }
    fn on_vault_connection_updated(&mut self, p: Box<payloads::ConnectionEvent<'_>>) {
        self.connections += black_box(p.entity.is_some()) as u64;
    }
}

/// The same counts for an async service: `&self`, so atomics.
#[derive(Default)]
struct AsyncCounter {
    orders: std::sync::atomic::AtomicU64,
    connections: std::sync::atomic::AtomicU64,
    other: std::sync::atomic::AtomicU64,
}

impl apideck::AsyncHandler for AsyncCounter {
    type Output = ();
    async fn on_event(&self, _: &webhook_events::Delivery<'_>, _: Event<'_>) {
        self.other.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    async fn on_pos_order_created(&self, _: &webhook_events::Delivery<'_>, p: payloads::UnifiedEvent<'_>) {
        self.orders.fetch_add(black_box(p.entity_id.is_some()) as u64, std::sync::atomic::Ordering::Relaxed);
    }
    async fn on_vault_connection_updated(&self, _: &webhook_events::Delivery<'_>, p: Box<payloads::ConnectionEvent<'_>>) {
        self.connections.fetch_add(black_box(p.entity.is_some()) as u64, std::sync::atomic::Ordering::Relaxed);
    }
}

/// A waker that does nothing: the handlers above never wait.
struct Noop;

impl std::task::Wake for Noop {
    fn wake(self: std::sync::Arc<Self>) {}
}

/// Polls a future that never waits to its end: the cost of the async path itself, without an
/// executor's.
fn run<F: std::future::Future>(waker: &std::task::Waker, future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    loop {
        if let std::task::Poll::Ready(out) = future.as_mut().poll(&mut std::task::Context::from_waker(waker)) {
            return out;
        }
    }
}

fn ours_verify_parse_dispatch_async(
    verifier: &Verifier,
    headers: &[(String, String)],
    body: &[u8],
    h: &AsyncCounter,
    waker: &std::task::Waker,
) {
    let verified = verifier.verify(&headers, body).expect("verifies");
    let event = verified.event().expect("parses");
    run(waker, apideck::dispatch_async(h, verified.delivery(), event));
}

fn ours_verify_parse_dispatch(verifier: &Verifier, headers: &[(String, String)], body: &[u8], h: &mut Counter) {
    let verified = verifier.verify(&headers, body).expect("verifies");
    apideck::dispatch(h, verified.event().expect("parses"));
}

fn ours_parse_dispatch(body: &[u8], h: &mut Counter) {
    apideck::dispatch(h, Event::parse(body).expect("parses"));
}

// ---------------------------------------------------------------- the baseline: by hand

type Handlers = HashMap<String, Box<dyn Fn(&serde_json::Value) -> u64>>;

fn baseline_handlers() -> Handlers {
    let mut map: Handlers = HashMap::new();
    map.insert("pos.order.created".into(), Box::new(|v| v["payload"]["entity_id"].is_string() as u64));
    map.insert("vault.connection.updated".into(), Box::new(|v| v["payload"]["entity"].is_object() as u64));
    map
}

/// Parse to `Value`, look the type up, call the boxed handler.
fn baseline_parse_dispatch(body: &[u8], handlers: &Handlers) -> u64 {
    let value: serde_json::Value = serde_json::from_slice(body).expect("JSON");
    let event_type = value["payload"]["event_type"].as_str().unwrap_or_default();
    handlers.get(event_type).map_or(0, |h| h(&value))
}

/// The usual hand-written verification: re-serialise (serde_json's map sorts keys), HMAC with a
/// fresh key, hex, compare strings; then the same parse and dispatch, reusing the `Value`.
fn baseline_verify_parse_dispatch(signature: &str, body: &[u8], handlers: &Handlers) -> u64 {
    let value: serde_json::Value = serde_json::from_slice(body).expect("JSON");
    let canonical = serde_json::to_string(&value).unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(KEY.as_bytes()).unwrap();
    mac.update(canonical.as_bytes());
    let expected = hex::encode(mac.finalize().into_bytes());
    assert!(expected == signature, "the baseline must verify too");
    let event_type = value["payload"]["event_type"].as_str().unwrap_or_default();
    handlers.get(event_type).map_or(0, |h| h(&value))
}

// ---------------------------------------------------------------- the floor

#[derive(Deserialize)]
struct FloorEnvelope<'a> {
    #[serde(borrow)]
    payload: FloorPayload<'a>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct FloorPayload<'a> {
    event_type: &'a str,
    #[serde(default)]
    entity_id: Option<&'a str>,
    #[serde(default)]
    event_id: Option<&'a str>,
    #[serde(default)]
    unified_api: Option<&'a str>,
    #[serde(default)]
    service_id: Option<&'a str>,
    #[serde(default)]
    consumer_id: Option<&'a str>,
    #[serde(default)]
    entity_type: Option<&'a str>,
    #[serde(default)]
    entity_url: Option<&'a str>,
    #[serde(default)]
    occurred_at: Option<&'a str>,
    #[serde(default)]
    execution_attempt: Option<f64>,
    #[serde(default, borrow)]
    entity: Option<&'a serde_json::value::RawValue>,
}

/// HMAC of the raw bytes with a precomputed key, a borrowed derived struct, a `match`.
fn floor(mac: &Hmac<Sha256>, tag: &[u8; 32], body: &[u8]) -> u64 {
    let mut mac = mac.clone();
    mac.update(body);
    mac.verify_slice(tag).expect("verifies");
    let envelope: FloorEnvelope<'_> = serde_json::from_slice(body).expect("JSON");
    match envelope.payload.event_type {
        "pos.order.created" => envelope.payload.entity_id.is_some() as u64,
        "vault.connection.updated" => envelope.payload.entity.is_some() as u64,
        "crm.contact.created" | "crm.contact.updated" | "crm.contact.deleted" => 2,
        "accounting.invoice.created" | "accounting.invoice.updated" | "accounting.invoice.deleted" => 3,
        _ => 0,
    }
}

// ---------------------------------------------------------------- measuring

const ROUNDS: usize = 31;
const TARGET_ROUND_NANOS: u128 = 20_000_000;

/// Median nanoseconds per call of each contender, measured in interleaved rounds.
fn measure(contenders: &mut [(&str, &mut dyn FnMut())]) -> Vec<f64> {
    // Calibrate iterations per round for each contender.
    let mut iterations = Vec::new();
    for (_, f) in contenders.iter_mut() {
        let mut n = 1u64;
        loop {
            let start = Instant::now();
            for _ in 0..n {
                f();
            }
            let elapsed = start.elapsed().as_nanos();
            if elapsed > TARGET_ROUND_NANOS / 10 {
                iterations.push(((n as u128 * TARGET_ROUND_NANOS) / elapsed.max(1)).max(1) as u64);
                break;
            }
            n *= 2;
        }
    }
    let mut samples: Vec<Vec<f64>> = vec![Vec::new(); contenders.len()];
    for _ in 0..ROUNDS {
        for (i, (_, f)) in contenders.iter_mut().enumerate() {
            let start = Instant::now();
            for _ in 0..iterations[i] {
                f();
            }
            samples[i].push(start.elapsed().as_nanos() as f64 / iterations[i] as f64);
        }
    }
    samples
        .into_iter()
        .map(|mut s| {
            s.sort_by(|a, b| a.partial_cmp(b).unwrap());
            s[s.len() / 2]
        })
        .collect()
}

struct Body {
    name: &'static str,
    bytes: Vec<u8>,
    signature: String,
    headers: Vec<(String, String)>,
    /// Whether the raw bytes are what was signed (so the floor's raw HMAC is a correct receiver).
    canonical: bool,
}

fn body(name: &'static str, text: String) -> Body {
    let signed = testing::sign(KEY, text.as_bytes()).unwrap();
    let signature = signed.headers.iter().find(|(n, _)| n == "x-apideck-signature").unwrap().1.clone();
    let canonical = webhook_events::runtime::verify::canonical::canonicalize(&text).unwrap() == text;
    Body { name, bytes: text.into_bytes(), signature, headers: signed.headers, canonical }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` asks for a list; there is nothing to run as a test
    }
    let canonical = |text: &str| webhook_events::runtime::verify::canonical::canonicalize(text).unwrap();
    let order = r#"{"payload":{"event_type":"pos.order.created","unified_api":"pos","service_id":"square","consumer_id":"test_user_id","event_id":"d290f1ee-6c54-4b01-90e6-d701748f0851","entity_id":"123456ASDF","entity_url":"https://unify.apideck.com/pos/orders/123456ASDF","entity_type":"order","execution_attempt":2,"occurred_at":"2020-01-01T00:00:00.000Z"}}"#;
    let vault = apideck::fixtures::get(&apideck::EventType::VaultConnectionUpdated).unwrap();
    let bodies = [
        body("unified, canonical", canonical(order)),
        body("unified, keys out of order", order.to_string()),
        body("vault connection", canonical(vault)),
    ];

    let verifier = Verifier::new(KEY).unwrap();
    let handlers = baseline_handlers();
    let precomputed = Hmac::<Sha256>::new_from_slice(KEY.as_bytes()).unwrap();

    let profile = std::env::var("RECEIVE_PROFILE").ok();
    println!("receive path, ns per request (median of {ROUNDS} interleaved rounds); lower is better\n");
    for b in &bodies {
        let mut tag = [0u8; 32];
        hex::decode_to_slice(&b.signature, &mut tag).unwrap();
        let mut h = Counter::default();
        let mut h2 = Counter::default();
        let mut ours_full = || ours_verify_parse_dispatch(&verifier, black_box(&b.headers), black_box(&b.bytes), &mut h);
        let mut ours_parse = || ours_parse_dispatch(black_box(&b.bytes), &mut h2);
        let mut base_full = || {
            black_box(baseline_verify_parse_dispatch(black_box(&b.signature), black_box(&b.bytes), &handlers));
        };
        let mut base_parse = || {
            black_box(baseline_parse_dispatch(black_box(&b.bytes), &handlers));
        };
        let mut floor_full = || {
            black_box(floor(&precomputed, &tag, black_box(&b.bytes)));
        };
        let h3 = AsyncCounter::default();
        let waker = std::task::Waker::from(std::sync::Arc::new(Noop));
        let mut ours_async = || ours_verify_parse_dispatch_async(&verifier, black_box(&b.headers), black_box(&b.bytes), &h3, &waker);
        let allocs = [
            allocations(&mut ours_full),
            allocations(&mut ours_parse),
            allocations(&mut base_full),
            allocations(&mut base_parse),
            if b.canonical { allocations(&mut floor_full) } else { 0 },
            allocations(&mut ours_async),
        ];
        let mut contenders: Vec<(&str, &mut dyn FnMut())> = vec![
            ("ours: verify + parse + dispatch", &mut ours_full),
            ("ours: parse + dispatch", &mut ours_parse),
            ("baseline: verify + parse + dispatch", &mut base_full),
            ("baseline: parse + dispatch", &mut base_parse),
        ];
        if b.canonical {
            contenders.push(("floor: raw HMAC + borrowed struct + match", &mut floor_full));
        }
        contenders.push(("ours: verify + parse + dispatch_async", &mut ours_async));
        if let Some(spec) = &profile {
            // `RECEIVE_PROFILE="<body>/<contender>"`: run one contender alone for `perf record`.
            let (body_part, contender_part) = spec.split_once('/').unwrap_or((spec, ""));
            if b.name.contains(body_part) {
                for (name, f) in contenders.iter_mut().filter(|(n, _)| n.contains(contender_part)) {
                    eprintln!("profiling {name} on {} for 5 s", b.name);
                    let start = Instant::now();
                    while start.elapsed().as_secs() < 5 {
                        for _ in 0..1000 {
                            f();
                        }
                    }
                }
            }
            continue;
        }
        let times = measure(&mut contenders);
        println!("## {} ({} bytes)", b.name, b.bytes.len());
        println!("{:<44} {:>10} {:>8}", "contender", "ns", "allocs");
        // The allocation counts are in contender order but for the floor, which is listed only for
        // canonical bodies.
        let async_index = contenders.len() - 1;
        for (i, (name, _)) in contenders.iter().enumerate() {
            let allocs = if i == async_index { allocs[5] } else { allocs[i] };
            println!("{:<44} {:>10.0} {:>8}", name, times[i], allocs);
        }
        println!("ratio  ours async path / ours verify path:            {:.2}x", times[async_index] / times[0]);
        println!("ratio  baseline parse+dispatch / ours parse+dispatch:  {:.2}x   (target >= 3)", times[3] / times[1]);
        println!(
            "ratio  baseline verify path / ours verify path:        {:.2}x   (target >= 2 for the out-of-order body)",
            times[2] / times[0]
        );
        if b.canonical {
            println!(
                "ratio  ours verify path / floor:                       {:.2}x   (target <= 1.3 for the canonical body)",
                times[0] / times[4]
            );
        }
        println!();
    }
}
