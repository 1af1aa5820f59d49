//! The generator's output for a catalog of edge cases (keyword and std-shadowing names,
//! four-segment events, irregular plurals, hyphen and underscore entities, aliases, every status),
//! as insta snapshots, and compiled with clippy so the snapshots are known to be valid Rust.

use std::path::Path;
use std::process::Command;

use webhook_codegen::ensure::Mode;
use webhook_tests::workspace_root;

#[test]
fn edge_catalog_output() {
    let generated = webhook_codegen::generate(
        Path::new("catalogs/edge"),
        &webhook_codegen::Settings { catalog: "catalogs/edge".into(), ..webhook_tests::workspace_settings() },
    )
    .unwrap();
    for (path, text) in &generated.files {
        let name = path.to_string_lossy().replace(['/', '\\'], "__");
        insta::assert_snapshot!(name, text);
    }
}

/// A receiver written once against `runtime::Provider`, used with both providers of the edge
/// catalog (one signing with Standard Webhooks, one with no documented scheme).
const GENERIC_RECEIVER: &str = r#"//! Code generic over the provider trait works for every provider.

use std::borrow::Cow;

use webhook_events::runtime::verify::{Headers, VerifyError};
use webhook_events::runtime::{Dispatch, Provider};

fn receive<P: Provider + Dispatch<H>, H>(provider: &P, handler: &mut H, headers: &dyn Headers, body: &[u8]) -> u16 {
    let verified = match provider.verify(headers, body) {
        Ok(v) => v,
        Err(e) => return e.status_code(),
    };
    if P::is_validation(&verified) {
        return 200;
    }
    let _id: Cow<'_, str> = P::delivery_id(&verified);
    let event = match provider.event(&verified) {
        Ok(event) => event,
        Err(_) => return 400,
    };
    let _type: P::EventType = P::event_type(&event);
    P::dispatch(handler, event);
    200
}

struct Count(usize);

impl webhook_events::edge::Handler for Count {
    type Output = ();
    fn on_event(&mut self, _: webhook_events::edge::Event<'_>) {
        self.0 += 1;
    }
}

impl webhook_events::plain::Handler for Count {
    type Output = ();
    fn on_event(&mut self, _: webhook_events::plain::Event<'_>) {
        self.0 += 1;
    }
}

struct Open;

impl webhook_events::Scheme for Open {
    fn verify<'b>(&self, _: &dyn Headers, body: &'b [u8]) -> Result<Cow<'b, str>, VerifyError> {
        std::str::from_utf8(body).map(Cow::Borrowed).map_err(|_| VerifyError::NotUtf8)
    }
}

#[test]
fn a_standard_webhooks_delivery_is_identified_by_its_signed_webhook_id() {
    let key = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let verifier = webhook_events::edge::Verifier::new(key).unwrap();
    let body = webhook_events::edge::fixtures::ALL[0].1;
    let signed = webhook_events::edge::testing::sign_as(key, body.as_bytes(), "msg_1").unwrap();
    let verified = verifier.verify(&signed.headers, &signed.body).unwrap();
    assert_eq!(verified.delivery_id(), "msg_1");
    // Each `sign` is a delivery of its own.
    let ids: Vec<String> = (0..2)
        .map(|_| {
            let signed = webhook_events::edge::testing::sign(key, body.as_bytes()).unwrap();
            verifier.verify(&signed.headers, &signed.body).unwrap().delivery_id().into_owned()
        })
        .collect();
    assert_ne!(ids[0], ids[1]);
}

#[test]
fn every_provider_of_the_catalog_is_received_by_generic_code() {
    let mut count = Count(0);
    let headers: Vec<(String, String)> = Vec::new();
    let edge = webhook_events::edge::Verifier::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
    assert_eq!(receive(&edge, &mut count, &headers, b"{}"), 400);
    let plain = webhook_events::plain::Verifier::with_scheme(Open);
    assert_eq!(receive(&plain, &mut count, &headers, b"{}"), 400);
    assert_eq!(count.0, 0);
}
"#;

#[test]
fn edge_catalog_output_compiles_cleanly() {
    let out = tempfile::tempdir().unwrap();
    webhook_codegen::run(Path::new("catalogs/edge"), out.path(), Mode::Write, &webhook_tests::settings_anywhere()).unwrap();
    // Code generic over the runtime's provider trait takes every provider of the catalog.
    std::fs::create_dir_all(out.path().join("tests")).unwrap();
    std::fs::write(out.path().join("tests/provider_trait.rs"), GENERIC_RECEIVER).unwrap();
    // Every fixture parses back into its own event and serializes back equal.
    let catalog = webhook_codegen::load_catalog(Path::new("catalogs/edge")).unwrap();
    std::fs::write(out.path().join("tests/fixtures_parse_back.rs"), webhook_tests::fixtures_test(&catalog)).unwrap();
    // The workspace's lock file pins the same dependency versions, so nothing is resolved anew.
    std::fs::copy(workspace_root().join("Cargo.lock"), out.path().join("Cargo.lock")).unwrap();
    // Outside the workspace (a temp dir), with its own target dir kept between runs so that only
    // the edge crate itself is rebuilt.
    let status = Command::new(env!("CARGO"))
        .args(["clippy", "--quiet", "--all-targets", "--all-features", "--", "-D", "warnings"])
        .current_dir(out.path())
        .env("CARGO_TARGET_DIR", workspace_root().join("target/edge-check"))
        .status()
        .unwrap();
    assert!(status.success(), "the edge catalog's crate does not build cleanly");

    // Its docs, made of hostile catalog text, build without a warning, and hold no doctest (a
    // code fence in a description must stay text).
    let cargo = |args: &[&str]| {
        Command::new(env!("CARGO"))
            .args(args)
            .current_dir(out.path())
            .env("CARGO_TARGET_DIR", workspace_root().join("target/edge-check"))
            .env("RUSTDOCFLAGS", "-D warnings")
            .output()
            .unwrap()
    };
    let doc = cargo(&["doc", "--quiet", "--no-deps", "--all-features"]);
    assert!(doc.status.success(), "rustdoc warns on the edge crate:\n{}", String::from_utf8_lossy(&doc.stderr));
    let tests = cargo(&["test", "--all-features", "--test", "fixtures_parse_back", "--test", "provider_trait"]);
    assert!(tests.status.success(), "{}{}", String::from_utf8_lossy(&tests.stdout), String::from_utf8_lossy(&tests.stderr));
    let doctests = cargo(&["test", "--doc", "--all-features"]);
    let stdout = String::from_utf8_lossy(&doctests.stdout);
    assert!(doctests.status.success(), "{stdout}{}", String::from_utf8_lossy(&doctests.stderr));
    // The doctests are the generator's own examples, one under each `# Examples` heading it wrote
    // (a fence in catalog text is escaped, so it is no block): any other would be catalog text
    // run as code.
    let blocks = generated_code_blocks(&out.path().join("src"));
    assert!(blocks > 0, "the generated docs have no examples");
    assert!(stdout.contains(&format!("running {blocks} tests")), "expected the generator's {blocks} examples as doctests:\n{stdout}");
}

/// The examples the generator wrote in the docs of the `.rs` files under `dir`: each is one
/// code block under an `# Examples` heading of its own.
fn generated_code_blocks(dir: &Path) -> usize {
    let mut examples = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            examples += generated_code_blocks(&path);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            examples += text.lines().map(str::trim).filter(|l| *l == "/// # Examples" || *l == "//! # Examples").count();
        }
    }
    examples
}
