//! What a forged request costs, by the shape of its body: the canonical form is computed before
//! the signature is decided, so its cost is paid for every request, signed or not. Each shape is
//! a body of the same size (the verifier's default limit), verified against a wrong signature;
//! the figure is its time per byte over that of a plain body measured in the same run.
//!
//! `cargo bench -p webhook-tests --bench worst` (see BENCHMARKS.md).

use std::hint::black_box;
use std::time::{Duration, Instant};

use webhook_events::apideck::Verifier;
use webhook_events::runtime::verify::DEFAULT_MAX_BODY_BYTES;

/// A body of about `size` bytes: `{"payload":{` then members from `member(i)` until full.
fn object_body(size: usize, member: impl Fn(usize) -> String) -> String {
    let mut body = String::from(r#"{"payload":{"#);
    let mut i = 0;
    while body.len() + 64 < size {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&member(i));
        i += 1;
    }
    body.push_str("}}");
    body
}

/// A body of about `size` bytes: an array of small objects, each from `object(i)`.
fn array_body(size: usize, object: impl Fn(usize) -> String) -> String {
    let mut body = String::from(r#"{"payload":{"items":["#);
    let mut i = 0;
    while body.len() + 1024 < size {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&object(i));
        i += 1;
    }
    body.push_str("]}}");
    body
}

fn shapes(size: usize) -> Vec<(&'static str, String)> {
    let small = |keys: &dyn Fn(usize) -> String| {
        let keys: Vec<String> = (0..32).map(keys).collect();
        move |i: usize| format!("{{{}}}", keys.iter().map(|k| format!("{k}:{i}")).collect::<Vec<_>>().join(","))
    };
    vec![
        ("plain keys, in order", object_body(size, |i| format!(r#""k{i:07}":"v""#))),
        ("plain keys, out of order", object_body(size, |i| format!(r#""k{:07}":"v""#, (i * 2_654_435_761) % 10_000_000))),
        ("integer-like keys", object_body(size, |i| format!(r#""{}":0"#, (i * 7919) % 1_000_003))),
        ("escaped keys", object_body(size, |i| format!(r#""\u006b{i:07}":"v""#))),
        ("escaped strings", object_body(size, |i| format!(r#""k{i:07}":"\n\u00e9\ud83d\ude00""#))),
        ("decimal numbers", object_body(size, |i| format!(r#""k{i:07}":{i}.5e-3"#))),
        ("objects in an array, plain keys", array_body(size, small(&|k| format!(r#""k{k:02}""#)))),
        ("objects in an array, integer-like keys", array_body(size, small(&|k| format!(r#""{}""#, 31 - k)))),
        ("objects in an array, escaped keys", array_body(size, small(&|k| format!(r#""\u006b{k:02}""#)))),
        ("duplicate keys", object_body(size, |i| format!(r#""k{:03}":{i}"#, i % 1000))),
        ("nested arrays", {
            let mut b = String::from(r#"{"payload":{"a":["#);
            while b.len() + 300 < size {
                b.push_str(&"[".repeat(100));
                b.push('1');
                b.push_str(&"]".repeat(100));
                b.push(',');
            }
            b.push_str("1]}}");
            b
        }),
    ]
}

/// The median time of `runs` calls.
fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

fn main() {
    let size = DEFAULT_MAX_BODY_BYTES;
    let verifier = Verifier::new("sk_test_forger").unwrap();
    let headers = vec![("x-apideck-signature", "0".repeat(64))];
    println!("forged bodies of {} bytes (the default limit), verified against a wrong signature; median of 15", size);
    println!("{:<42} {:>10} {:>10} {:>12} {:>14}", "shape", "bytes", "time", "÷ in order", "÷ out of order");
    let mut baselines: Vec<f64> = Vec::new();
    // `WORST_SHAPE=integer` runs the shapes whose name contains it (and the baselines), for profiling.
    let only = std::env::var("WORST_SHAPE").unwrap_or_default();
    for (name, body) in shapes(size).into_iter().filter(|(n, _)| n.contains(&only) || n.starts_with("plain keys")) {
        assert!(body.len() <= size, "{name}: {} bytes", body.len());
        let outcome = verifier.verify(&headers, body.as_bytes()).map(|_| ()).unwrap_err();
        assert_eq!(outcome, webhook_events::VerifyError::NoMatchingSignature, "{name}");
        let time = median(15, || {
            let _ = black_box(verifier.verify(black_box(&headers), black_box(body.as_bytes())));
        });
        let per_byte = time.as_secs_f64() / body.len() as f64;
        if baselines.len() < 2 {
            baselines.push(per_byte);
        }
        let ratio = |i: usize| baselines.get(i).map_or(String::from("-"), |b| format!("{:.2}×", per_byte / b));
        println!("{name:<42} {:>10} {:>7.3} ms {:>12} {:>14}", body.len(), time.as_secs_f64() * 1e3, ratio(0), ratio(1));
    }
}
