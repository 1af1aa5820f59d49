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

/// Rounds of the interleaved measurement: every shape is timed once a round, so noise from the
/// machine (a shared VM's is large) falls on all of them alike, and each shape's figure is its
/// fastest round, the one least disturbed.
const ROUNDS: usize = 60;

fn main() {
    let size = DEFAULT_MAX_BODY_BYTES;
    let verifier = Verifier::new("sk_test_forger").unwrap();
    let headers = vec![("x-apideck-signature", "0".repeat(64))];
    // `WORST_SHAPE=integer` runs the shapes whose name contains it (and the baselines), for profiling.
    let only = std::env::var("WORST_SHAPE").unwrap_or_default();
    let shapes: Vec<_> = shapes(size).into_iter().filter(|(n, _)| n.contains(&only) || n.starts_with("plain keys")).collect();
    for (name, body) in &shapes {
        assert!(body.len() <= size, "{name}: {} bytes", body.len());
        let outcome = verifier.verify(&headers, body.as_bytes()).map(|_| ()).unwrap_err();
        assert_eq!(outcome, webhook_events::VerifyError::NoMatchingSignature, "{name}");
    }
    let mut fastest = vec![Duration::MAX; shapes.len()];
    for _ in 0..ROUNDS {
        for ((_, body), fastest) in shapes.iter().zip(&mut fastest) {
            let start = Instant::now();
            let _ = black_box(verifier.verify(black_box(&headers), black_box(body.as_bytes())));
            *fastest = (*fastest).min(start.elapsed());
        }
    }
    println!(
        "forged bodies of {size} bytes (the default limit), verified against a wrong signature; fastest of {ROUNDS} interleaved rounds"
    );
    println!("{:<42} {:>10} {:>10} {:>12} {:>14}", "shape", "bytes", "time", "÷ in order", "÷ out of order");
    let per_byte = |i: usize| fastest[i].as_secs_f64() / shapes[i].1.len() as f64;
    for (i, (name, body)) in shapes.iter().enumerate() {
        let ratio = |base: usize| format!("{:.2}×", per_byte(i) / per_byte(base));
        println!("{name:<42} {:>10} {:>7.3} ms {:>12} {:>14}", body.len(), fastest[i].as_secs_f64() * 1e3, ratio(0), ratio(1));
    }
}
