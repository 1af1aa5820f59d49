//! A differential test of Apideck's canonical form and signature against Node running the
//! signing guide's own algorithm (`oracle/apideck-canonical.js`), on seeded random documents
//! built to hit every JavaScript rule: integer-like and astral keys, escapes and lone surrogates,
//! every number form, duplicate keys, `__proto__`, deep nesting, objects inside arrays.
//!
//! Three ways, so that it runs everywhere and keeps looking: against a corpus Node wrote
//! (`oracle/corpus.jsonl`, checked in, no Node needed); against Node live on fresh documents
//! when Node is installed (required under `CI=true`); and the two canonicalisers against each
//! other.

use std::io::Write;
use std::process::{Command, Stdio};

use webhook_events::runtime::verify::apideck::ApideckHmac;
use webhook_events::runtime::verify::canonical::rearrange::{handles, rearrange};
use webhook_events::runtime::verify::canonical::{canonicalize, exact};

const DOCUMENTS: usize = 10_000;
const KEY: &str = "sk_live_differential_test";

/// xorshift64*: tiny, seeded, and the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const KEYS: &[&str] = &[
    "a",
    "b",
    "z",
    "A",
    "Z",
    "_",
    "aa",
    "ab",
    "event_type",
    "payload",
    "entity_id",
    "",
    "0",
    "1",
    "9",
    "10",
    "42",
    "007",
    "01",
    "-1",
    "1.5",
    "4294967294",
    "4294967295",
    "4294967296",
    "__proto__",
    "constructor",
    "\u{e9}",
    "\u{ff61}",
    "\u{4e2d}",
    "\u{1f600}",
    "\u{1d11e}",
    "\\u0041",
    "\\ud83d\\ude00",
    "\\ud800",
    "\\udc00x",
    "a\\nb",
    "\\u0000",
    "\\\"q",
];

const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "1.0",
    "1.5",
    "-2.25",
    "1E2",
    "1e2",
    "1e+2",
    "1e-2",
    "1e21",
    "1e20",
    "1e-7",
    "1e-6",
    "123e-20",
    "12345678901234567890",
    "9007199254740993",
    "9007199254740992",
    "0.1",
    "0.30000000000000004",
    "5e-324",
    "1e-400",
    "1e400",
    "-1e400",
    "2.5e+3",
    "0e0",
    "0.000001",
    "1.7976931348623157e308",
    "100",
    "3.14159",
    "-0.0",
];

fn string(rng: &mut Rng, out: &mut String) {
    out.push('"');
    for _ in 0..rng.below(8) {
        match rng.below(12) {
            0 => out.push_str(rng.pick(&["\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t"])),
            1 => out.push_str(&format!("\\u{:04x}", rng.below(0x10000))),
            2 => out.push_str(&format!("\\u{:04X}", 0xd800 + rng.below(0x800))),
            3 => out.push_str(&format!("\\u{:04x}\\u{:04x}", 0xd800 + rng.below(0x400), 0xdc00 + rng.below(0x400))),
            4 => out.push_str(&format!("\\u{:04x}", rng.below(0x20))),
            5 => out.push(char::from_u32(0x1f600 + rng.below(80) as u32).unwrap()),
            6 => out.push(['\u{e9}', '\u{2028}', '\u{2029}', '\u{7f}', '\u{ff61}', '\u{4e2d}', '\u{fffd}'][rng.below(7)]),
            _ => out.push((b' ' + rng.below(95) as u8) as char),
        }
    }
    // A raw `"` or `\` from the printable range would end or break the string; keep it JSON.
    let body = out.split_off(out.rfind('"').unwrap() + 1);
    out.push_str(&escape_raw(&body));
    out.push('"');
}

/// Escapes raw quotes and lone backslashes produced by the printable-ASCII branch, leaving the
/// deliberate escapes intact.
fn escape_raw(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek() {
                Some('"' | '\\' | '/' | 'b' | 'f' | 'n' | 'r' | 't' | 'u') => {
                    out.push('\\');
                    out.push(chars.next().unwrap());
                }
                _ => out.push_str("\\\\"),
            },
            '"' => out.push_str("\\\""),
            c => out.push(c),
        }
    }
    out
}

fn ws(rng: &mut Rng, out: &mut String) {
    if rng.below(4) == 0 {
        out.push_str(rng.pick(&[" ", "\n", "\t", "\r\n", "  "]));
    }
}

/// Keys and numbers of the common body: what the span-rearranging canonicaliser copies as they are.
const PLAIN_KEYS: &[&str] = &[
    "a",
    "b",
    "z",
    "A",
    "Z",
    "_",
    "aa",
    "ab",
    "a_b",
    "event_type",
    "event_id",
    "entity",
    "entity_id",
    "payload",
    "constructor",
    "x-y",
    "a1",
    "1a",
    "unified_api",
    "service_id",
];
const PLAIN_NUMBERS: &[&str] = &["0", "1", "-1", "42", "2", "-17", "123456789012345", "-999999999999999", "7", "1.5"];

fn plain_string(rng: &mut Rng, out: &mut String) {
    out.push('"');
    for _ in 0..rng.below(12) {
        match rng.below(10) {
            0 => out.push(['\u{e9}', '\u{2028}', '\u{7f}', '\u{ff61}', '\u{1f600}'][rng.below(5)]),
            _ => out.push([b'a', b'Z', b'0', b' ', b'/', b'-', b'.', b':', b'~', b'\''][rng.below(10)] as char),
        }
    }
    out.push('"');
}

/// What a random document is made of.
struct Style {
    keys: &'static [&'static str],
    /// One key in this many repeats an earlier one of its object (JSON.parse keeps the last).
    repeat_one_in: usize,
    /// Objects have fewer members than this.
    members: usize,
    /// Whether a value at this depth must be a scalar (so trees stay finite).
    scalar_only: fn(&mut Rng, usize) -> bool,
    /// Writes a scalar; `choice` is 2 to 6.
    scalar: fn(&mut Rng, &mut String, usize),
    /// Suffixes a key may get (so that big objects have many distinct keys).
    suffixes: &'static [&'static str],
}

/// Built to hit every JavaScript rule: integer-like and astral keys, escapes and lone surrogates,
/// every number form, duplicate keys, `__proto__`, objects inside arrays.
const WILD: Style = Style {
    keys: KEYS,
    repeat_one_in: 6,
    members: 6,
    scalar_only: |rng, depth| depth > 6 && rng.below(3) != 0,
    scalar: |rng, out, choice| match choice {
        2 => string(rng, out),
        3 | 4 => out.push_str(rng.pick(NUMBERS)),
        5 => out.push_str(&format!("{}{}", if rng.below(2) == 0 { "-" } else { "" }, rng.next() >> rng.below(64))),
        _ => out.push_str(rng.pick(&["true", "false", "null"])),
    },
    suffixes: &[""],
};

/// Big objects (the rearranging canonicaliser sorts those of 64 members and more another way,
/// and checks those of more than 16 for repeats another way), with the wild keys and scalars.
const BIG: Style = Style {
    members: 150,
    repeat_one_in: 10,
    scalar_only: |rng, depth| depth > 1 || rng.below(8) != 0,
    suffixes: &["", "", "0", "1", "7", "\\u0030", "é", "\\ud83d\\ude00", "10", "_x", "\\n"],
    ..WILD
};

/// The common body: plain keys, strings without escapes, short integers (and the odd fraction
/// and repeated key, which the rearranging canonicaliser must print again).
const PLAIN: Style = Style {
    keys: PLAIN_KEYS,
    repeat_one_in: 40,
    members: 8,
    scalar_only: |_, depth| depth > 4,
    scalar: |rng, out, choice| match choice {
        2 => plain_string(rng, out),
        3 | 4 => out.push_str(if rng.below(30) == 0 { "1.5" } else { rng.pick(&PLAIN_NUMBERS[..9]) }),
        _ => out.push_str(rng.pick(&["true", "false", "null"])),
    },
    suffixes: &[""],
};

fn object(rng: &mut Rng, out: &mut String, depth: usize, style: &Style) {
    out.push('{');
    let n = rng.below(style.members);
    let mut used: Vec<String> = Vec::new();
    for i in 0..n {
        if i > 0 {
            out.push(',');
        }
        ws(rng, out);
        let key = if !used.is_empty() && rng.below(style.repeat_one_in) == 0 {
            used[rng.below(used.len())].clone()
        } else {
            format!("{}{}", rng.pick(style.keys), rng.pick(style.suffixes))
        };
        out.push('"');
        out.push_str(&key);
        used.push(key);
        out.push('"');
        ws(rng, out);
        out.push(':');
        ws(rng, out);
        value(rng, out, depth + 1, style);
        ws(rng, out);
    }
    out.push('}');
}

fn value(rng: &mut Rng, out: &mut String, depth: usize, style: &Style) {
    let choice = if (style.scalar_only)(rng, depth) { 2 + rng.below(5) } else { rng.below(8) };
    match choice {
        0 | 1 => object(rng, out, depth, style),
        7 => {
            out.push('[');
            for i in 0..rng.below(4) {
                if i > 0 {
                    out.push(',');
                }
                ws(rng, out);
                value(rng, out, depth + 1, style);
            }
            out.push(']');
        }
        _ => (style.scalar)(rng, out, choice),
    }
}

/// Nesting that goes past what random trees reach: `{"a":[{"a":[...]}]}`.
fn deep(rng: &mut Rng, levels: usize) -> String {
    let mut out = String::new();
    for _ in 0..levels {
        out.push_str(if rng.below(2) == 0 { "{\"k\":[" } else { "[{\"z\":1,\"a\":" });
    }
    out.push('1');
    for _ in 0..levels {
        out.push_str("]}");
    }
    out
}

/// The seed of the documents every run without Node checks (and the corpus was written from).
const FIXED_SEED: u64 = 0x5eed_1234_abcd_0001;

fn documents(seed: u64, count: usize) -> Vec<String> {
    let mut rng = Rng(seed | 1); // xorshift must not start at zero
    let mut docs = Vec::with_capacity(count);
    while docs.len() < count {
        let mut doc = String::new();
        if docs.len() % 3 == 1 {
            // One in three of the common kind, mostly webhook-shaped.
            doc.push_str(if rng.below(4) == 0 { "{\"b\":1,\"payload\":" } else { "{\"payload\":" });
            value(&mut rng, &mut doc, 0, &PLAIN);
            doc.push('}');
        } else if docs.len() % 100 == 99 {
            let levels = 20 + rng.below(40);
            doc = deep(&mut rng, levels);
        } else if docs.len() % 20 == 5 {
            // Big objects, at the top or inside an array.
            doc.push_str(if rng.below(2) == 0 { "{\"payload\":" } else { "{\"payload\":[" });
            let open = doc.ends_with('[');
            object(&mut rng, &mut doc, 0, &BIG);
            doc.push_str(if open { "]}" } else { "}" });
        } else {
            ws(&mut rng, &mut doc);
            // Mostly webhook-shaped: an object at the top.
            if rng.below(10) != 0 {
                doc.push_str("{\"payload\":");
                value(&mut rng, &mut doc, 0, &WILD);
                doc.push_str(",\"b\":");
                value(&mut rng, &mut doc, 0, &WILD);
                doc.push('}');
            } else {
                value(&mut rng, &mut doc, 0, &WILD);
            }
            ws(&mut rng, &mut doc);
        }
        docs.push(doc);
    }
    docs
}

/// What Node says of each document: its canonical form and signature, or `None` when
/// `JSON.parse` refuses it.
type Verdicts = Vec<Option<(String, String)>>;

/// Runs the oracle on `docs`.
fn node(docs: &[String]) -> Verdicts {
    let input = serde_json::to_vec(&serde_json::json!({ "key": KEY, "docs": docs })).unwrap();
    let mut child = Command::new("node")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/oracle/apideck-canonical.js"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(output.status.success(), "the oracle failed");
    let verdicts: Verdicts = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(verdicts.len(), docs.len());
    verdicts
}

fn node_version() -> Option<String> {
    let output = Command::new("node").arg("--version").output().ok().filter(|o| o.status.success())?;
    Some(String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// Holds our canonical form and signature, and both canonicalisers on their own, to Node's verdicts.
fn check(docs: &[String], verdicts: &Verdicts, origin: &str) {
    let scheme = ApideckHmac::new([KEY], "x-apideck-signature").unwrap();
    let mut valid = 0;
    for (doc, node) in docs.iter().zip(verdicts) {
        let ours = canonicalize(doc).ok().map(|c| {
            let signature = scheme.sign(&c).unwrap();
            (c, signature)
        });
        assert_eq!(&ours, node, "{origin}\ndocument: {doc}");
        // Both implementations on their own, each to the same answer (the rearranging one has
        // no error of its own: `None` is "not JSON").
        assert_eq!(exact::canonicalize(doc).ok().as_ref(), node.as_ref().map(|(c, _)| c), "exact, {origin}\ndocument: {doc}");
        assert_eq!(rearrange(doc).as_ref(), node.as_ref().map(|(c, _)| c), "rearranged, {origin}\ndocument: {doc}");
        valid += usize::from(node.is_some());
    }
    assert!(valid > docs.len() * 9 / 10, "{origin}: too few documents were valid JSON ({valid}); the generator is broken");
}

// ---------------------------------------------------------------- the corpus Node wrote

/// `oracle/corpus.jsonl`: what Node said of the first documents of [`FIXED_SEED`], so the
/// differential test runs on every machine. The first line says who wrote it; then one
/// `[document, canonical, signature]` a line (`null`s where `JSON.parse` refuses the document).
const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/oracle/corpus.jsonl");
const CORPUS_DOCUMENTS: usize = 3_000;

#[derive(serde::Serialize, serde::Deserialize)]
struct CorpusHeader {
    script: String,
    node: String,
    key: String,
    seed: String,
    documents: usize,
    regenerate: String,
}

fn read_corpus() -> (CorpusHeader, Vec<String>, Verdicts) {
    let text = std::fs::read_to_string(CORPUS).expect("tests/oracle/corpus.jsonl");
    let mut lines = text.lines();
    let header: CorpusHeader = serde_json::from_str(lines.next().expect("a header line")).unwrap();
    let (mut docs, mut verdicts) = (Vec::new(), Vec::new());
    for line in lines {
        let (doc, canonical, signature): (String, Option<String>, Option<String>) = serde_json::from_str(line).unwrap();
        docs.push(doc);
        verdicts.push(canonical.zip(signature));
    }
    assert_eq!(docs.len(), header.documents, "the corpus is truncated");
    (header, docs, verdicts)
}

#[test]
fn canonical_form_and_signature_match_the_corpus_node_wrote() {
    let (header, docs, verdicts) = read_corpus();
    assert_eq!(header.key, KEY);
    assert_eq!(header.seed, format!("{FIXED_SEED:#x}"));
    // The corpus is of the documents this file generates: a change to the generator shows here
    // and calls for a new corpus.
    assert_eq!(docs, documents(FIXED_SEED, docs.len()), "the document generator changed; regenerate the corpus ({})", header.regenerate);
    check(&docs, &verdicts, &format!("corpus written by Node {}", header.node));
}

/// Writes the corpus. Run by hand, with Node installed, after changing the document generator or
/// the oracle: `cargo test -p webhook-tests --test canonical -- --ignored write_node_corpus`.
#[test]
#[ignore = "writes tests/oracle/corpus.jsonl; run by hand with Node installed"]
fn write_node_corpus() {
    let version = node_version().expect("the corpus is written by Node; install it");
    let docs = documents(FIXED_SEED, CORPUS_DOCUMENTS);
    let verdicts = node(&docs);
    let header = CorpusHeader {
        script: "tests/oracle/apideck-canonical.js".into(),
        node: version,
        key: KEY.into(),
        seed: format!("{FIXED_SEED:#x}"),
        documents: docs.len(),
        regenerate: "cargo test -p webhook-tests --test canonical -- --ignored write_node_corpus".into(),
    };
    let mut out = serde_json::to_string(&header).unwrap();
    out.push('\n');
    for (doc, verdict) in docs.iter().zip(&verdicts) {
        let (canonical, signature) = verdict.clone().unzip();
        out.push_str(&serde_json::to_string(&(doc, canonical, signature)).unwrap());
        out.push('\n');
    }
    std::fs::write(CORPUS, out).unwrap();
}

// ---------------------------------------------------------------- live, with Node

/// Fresh documents every run (the seed is in the failure message; `CANONICAL_SEED=0x…` repeats
/// a run), so the live test keeps finding what the fixed corpus cannot.
#[test]
fn canonical_form_and_signature_match_live_node_on_fresh_documents() {
    if node_version().is_none() {
        webhook_tests::skipped(
            "`node` is not installed, so the live differential test of Apideck's canonical form against Node did not run; install Node.js to run it",
        );
        return;
    }
    let seed = match std::env::var("CANONICAL_SEED") {
        Ok(s) => u64::from_str_radix(s.trim_start_matches("0x"), 16).expect("CANONICAL_SEED is a hex number"),
        Err(_) => std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64,
    };
    let docs = documents(seed, DOCUMENTS);
    check(&docs, &node(&docs), &format!("CANONICAL_SEED={seed:#x}"));
}

/// The same documents without Node: the two canonicalisers give one answer on every document,
/// and on every prefix of some (almost all malformed: refused by both, never a panic).
#[test]
fn rearranging_agrees_with_the_exact_canonical_form() {
    let docs = documents(FIXED_SEED, DOCUMENTS);
    let agree = |doc: &str| {
        let exact = exact::canonicalize(doc).ok();
        assert_eq!(rearrange(doc), exact, "\ndocument: {doc}");
        // The check-only scan (how a body signed as received is shown to be JSON) takes the same.
        assert_eq!(handles(doc), exact.is_some(), "\ndocument: {doc}");
    };
    docs.iter().for_each(|doc| agree(doc));
    for doc in docs.iter().step_by(20) {
        doc.char_indices().for_each(|(end, _)| agree(&doc[..end]));
    }
}
