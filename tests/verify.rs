//! Receiving Apideck deliveries: only a genuine request becomes an event, and every failure says
//! which check failed.

use std::borrow::Cow;

use proptest::prelude::*;
use webhook_events::apideck::{self, testing, Event, EventType, Verifier};
use webhook_events::{KeyError, VerifyError};

const KEY: &str = "sk_test_apideck_key";

/// The POS seed's example body, exactly as the page prints it (pretty, keys in document order).
const SEED_BODY: &str = "{\n  \"payload\": {\n    \"event_type\": \"pos.order.created\",\n    \"unified_api\": \"pos\",\n    \"consumer_id\": \"test_user_id\",\n    \"event_id\": \"d290f1ee-6c54-4b01-90e6-d701748f0851\",\n    \"entity_id\": \"123456ASDF\",\n    \"entity_url\": \"https://unify.apideck.com/pos/orders/123456ASDF\",\n    \"entity_type\": \"order\",\n    \"occurred_at\": \"2020-01-01T00:00:00.000Z\"\n  }\n}";
/// HMAC-SHA256 of its canonical form under `KEY`, computed independently with Python's `hmac`
/// and with the guide's algorithm in Node (both gave this value).
const SEED_SIGNATURE: &str = "d91393352ce947b0d2387f66fd0aaee463643318423309fb01632fef6d589506";

fn headers(signature: &str, event_type: &str) -> Vec<(&'static str, String)> {
    vec![
        ("x-apideck-signature", signature.to_owned()),
        ("x-apideck-event-type", event_type.to_owned()),
        ("x-apideck-idempotency-key", "e91dea5d-8ff6-4099-8b33-d3162fb4a042".to_owned()),
    ]
}

fn verifier() -> Verifier {
    Verifier::new(KEY).unwrap()
}

#[test]
fn known_answer_vector_verifies_through_the_canonical_form() {
    let h = headers(SEED_SIGNATURE, "pos.order.created");
    let verified = verifier().verify(&h, SEED_BODY.as_bytes()).unwrap();
    assert!(verified.body().starts_with(r#"{"payload":{"consumer_id":"test_user_id","#), "the canonical form is what was verified");
    let event = verified.event().unwrap();
    assert_eq!(event.event_type(), EventType::PosOrderCreated);
    let upper = SEED_SIGNATURE.to_uppercase();
    assert!(verifier().verify(&headers(&upper, "pos.order.created"), SEED_BODY.as_bytes()).is_ok(), "hex is case-insensitive");
}

#[test]
fn a_body_already_canonical_verifies_on_its_raw_bytes() {
    let canonical = webhook_events::runtime::verify::canonical::canonicalize(SEED_BODY).unwrap();
    let h = headers(SEED_SIGNATURE, "pos.order.created");
    let verified = verifier().verify(&h, canonical.as_bytes()).unwrap();
    assert_eq!(verified.body(), canonical);
    // Reordered keys (a different serialisation of the same document) also verify.
    let reordered = canonical
        .replace(r#""consumer_id":"test_user_id","entity_id":"123456ASDF""#, r#""entity_id":"123456ASDF","consumer_id":"test_user_id""#);
    assert_ne!(reordered, canonical);
    assert!(verifier().verify(&headers(SEED_SIGNATURE, "pos.order.created"), reordered.as_bytes()).is_ok());
}

/// The verifier learns which form (raw or canonical) to hash first; what it accepts, and the
/// text it hands on, must not depend on what it saw before.
#[test]
fn the_order_of_attempts_is_learnt_but_never_changes_an_outcome() {
    use hmac::{Hmac, Mac};
    let raw_signature = |body: &[u8]| {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(KEY.as_bytes()).unwrap();
        mac.update(body);
        hex::encode(mac.finalize().into_bytes())
    };
    let canonical = webhook_events::runtime::verify::canonical::canonicalize(SEED_BODY).unwrap();
    let requests: Vec<(Vec<u8>, String)> = vec![
        (canonical.clone().into_bytes(), SEED_SIGNATURE.to_owned()),
        (SEED_BODY.as_bytes().to_vec(), SEED_SIGNATURE.to_owned()),
        (SEED_BODY.as_bytes().to_vec(), raw_signature(SEED_BODY.as_bytes())),
        (b"not json".to_vec(), raw_signature(b"not json")),
        (b"not json".to_vec(), SEED_SIGNATURE.to_owned()),
        (SEED_BODY.replace("test_user_id", "x").into_bytes(), SEED_SIGNATURE.to_owned()),
        (vec![0xff, 0xfe], raw_signature(&[0xff, 0xfe])),
    ];
    let outcome = |verifier: &Verifier, (body, signature): &(Vec<u8>, String)| {
        verifier.verify(&headers(signature, "pos.order.created"), body).map(|v| v.body().to_owned())
    };
    let fresh: Vec<_> = requests.iter().map(|r| outcome(&verifier(), r)).collect();
    assert_eq!(fresh[0].as_deref(), Ok(canonical.as_str()));
    assert_eq!(fresh[1].as_deref(), Ok(canonical.as_str()));
    assert_eq!(fresh[2].as_deref(), Ok(SEED_BODY), "a body signed as received verifies as received");
    assert!(matches!(fresh[3], Err(VerifyError::NotJson(_))), "the key signs JSON only, whatever the HMAC of the bytes");
    assert!(matches!(fresh[4], Err(VerifyError::NotJson(_))));
    assert_eq!(fresh[5], Err(VerifyError::NoMatchingSignature));
    assert_eq!(fresh[6], Err(VerifyError::NotUtf8));
    // Every pair, in both orders, through one verifier (and its clone, which keeps the hint).
    for first in &requests {
        for (i, second) in requests.iter().enumerate() {
            let shared = verifier();
            let _ = outcome(&shared, first);
            assert_eq!(outcome(&shared, second), fresh[i], "after {:?}", String::from_utf8_lossy(&first.0));
            assert_eq!(outcome(&shared.clone(), second), fresh[i]);
        }
    }
}

#[test]
fn the_event_is_parsed_from_what_was_verified() {
    // JavaScript's JSON.parse keeps the last of two duplicate keys; so does the canonical form, so
    // a body whose first `entity_id` differs cannot smuggle it past the signature.
    let smuggled = SEED_BODY.replace("\"entity_id\": \"123456ASDF\"", "\"entity_id\": \"EVIL\", \"entity_id\": \"123456ASDF\"");
    let h = headers(SEED_SIGNATURE, "pos.order.created");
    let verified = verifier().verify(&h, smuggled.as_bytes()).unwrap();
    let Event::PosOrderCreated(p) = verified.event().unwrap() else { panic!() };
    assert_eq!(p.entity_id.as_deref(), Some("123456ASDF"));
    assert!(!verified.body().contains("EVIL"));
}

#[test]
fn tampered_bodies_fail() {
    let h = headers(SEED_SIGNATURE, "pos.order.created");
    let one_byte = SEED_BODY.replace("123456ASDF\",", "123456ASDG\",");
    let value_changed = SEED_BODY.replace("test_user_id", "test_user_iD");
    let added = SEED_BODY.replace("\"entity_type\"", "\"extra\": 1, \"entity_type\"");
    for body in [one_byte, value_changed, added] {
        assert_eq!(verifier().verify(&h, body.as_bytes()).unwrap_err(), VerifyError::NoMatchingSignature);
    }
    // Whitespace outside strings is not part of the canonical form, so a trailing newline is the
    // same document; the raw-bytes check alone would have refused it.
    let newline = format!("{SEED_BODY}\n");
    assert!(verifier().verify(&h, newline.as_bytes()).is_ok());
}

#[test]
fn wrong_empty_and_padded_keys() {
    let h = headers(SEED_SIGNATURE, "pos.order.created");
    let wrong = Verifier::new("sk_test_other_key").unwrap();
    assert_eq!(wrong.verify(&h, SEED_BODY.as_bytes()).unwrap_err(), VerifyError::NoMatchingSignature);
    assert_eq!(Verifier::new("").unwrap_err(), KeyError::Empty);
    assert_eq!(Verifier::new(" sk_test_apideck_key").unwrap_err(), KeyError::Whitespace);
    assert_eq!(Verifier::new("sk_test_apideck_key\n").unwrap_err(), KeyError::Whitespace);
    assert_eq!(Verifier::with_keys(Vec::<&str>::new()).unwrap_err(), KeyError::NoKeys);
    // Rotation: the signing key in any position verifies.
    for keys in [vec![KEY, "old"], vec!["old", KEY], vec!["a", KEY, "b"]] {
        assert!(Verifier::with_keys(keys).unwrap().verify(&h, SEED_BODY.as_bytes()).is_ok());
    }
    let debug = format!("{:?}", Verifier::with_keys([KEY, "old"]).unwrap());
    assert!(!debug.contains(KEY) && !debug.contains("old"), "{debug}");
}

#[test]
fn each_header_missing_empty_duplicated_or_not_ascii() {
    let good = headers(SEED_SIGNATURE, "pos.order.created");
    let body = SEED_BODY.as_bytes();
    let without: Vec<_> = good.iter().filter(|(n, _)| *n != "x-apideck-signature").cloned().collect();
    assert_eq!(verifier().verify(&without, body).unwrap_err(), VerifyError::MissingHeader("x-apideck-signature"));
    for name in ["x-apideck-signature", "x-apideck-event-type", "x-apideck-idempotency-key"] {
        let mut twice = good.clone();
        twice.push(good.iter().find(|(n, _)| *n == name).unwrap().clone());
        assert_eq!(verifier().verify(&twice, body).unwrap_err(), VerifyError::DuplicateHeader(name));
        for bad in [&b""[..], &[0xc3, 0xa9][..], b"a\x01"] {
            let changed: Vec<(&str, Vec<u8>)> =
                good.iter().map(|(n, v)| (*n, if *n == name { bad.to_vec() } else { v.clone().into_bytes() })).collect();
            let err = verifier().verify(&changed, body).unwrap_err();
            assert!(matches!(err, VerifyError::MalformedHeader { name: n, .. } if n == name), "{name} {bad:?}: {err:?}");
        }
    }
    // The event type and idempotency headers are optional; the signature is not.
    let signature_only = vec![("x-apideck-signature", SEED_SIGNATURE)];
    let verified = verifier().verify(&signature_only, body).unwrap();
    assert_eq!(verified.delivery_id(), "d290f1ee-6c54-4b01-90e6-d701748f0851");
}

#[test]
fn malformed_signatures_are_refused() {
    let body = SEED_BODY.as_bytes();
    for sig in ["", "zz", &SEED_SIGNATURE[..63], &format!("{SEED_SIGNATURE}00"), &format!("sha256={SEED_SIGNATURE}")] {
        let err = verifier().verify(&headers(sig, "pos.order.created"), body).unwrap_err();
        assert!(matches!(err, VerifyError::MalformedHeader { name: "x-apideck-signature", .. }), "{sig:?}: {err:?}");
    }
}

#[test]
fn the_event_type_header_must_match_the_body() {
    let err = verifier().verify(&headers(SEED_SIGNATURE, "pos.order.deleted"), SEED_BODY.as_bytes()).unwrap_err();
    assert_eq!(err, VerifyError::EventTypeMismatch { header: "pos.order.deleted".into(), body: "pos.order.created".into() });
    assert_eq!(err.status_code(), 400);
    assert!(err.is_client_error());
    // An alias names the same event.
    let signed = testing::sign(KEY, br#"{"payload":{"event_type":"pos.modifier-group.created"}}"#).unwrap();
    let mut h = signed.headers.clone();
    h.retain(|(n, _)| n != "x-apideck-event-type");
    h.push(("x-apideck-event-type".into(), "pos.modifier_group.created".into()));
    assert!(verifier().verify(&h, &signed.body).is_ok());
}

/// Apideck's delivery-url validation may come without its usual headers, or unsigned; a non-2xx
/// answer disables the subscription. It is recognised by its body, whatever its headers.
#[test]
fn the_validation_request_is_recognised_by_its_body_signed_or_not() {
    let body = br#"{"message":"Validating delivery URL"}"#;
    let spaced = b"{ \"message\" : \"Validating delivery URL\" }\n";
    let no_headers: Vec<(&str, &str)> = Vec::new();
    let forged_signature = vec![("x-apideck-signature", "00"), ("x-apideck-event-type", "pos.order.created")];
    let request = testing::validation_request();
    for (headers, body) in [
        (&no_headers as &dyn webhook_events::Headers, &body[..]),
        (&no_headers, &spaced[..]),
        (&forged_signature, &body[..]),
        (&request.headers, &request.body[..]),
    ] {
        let verified = verifier().verify(headers, body).unwrap_or_else(|e| panic!("{}: {e}", String::from_utf8_lossy(body)));
        assert!(verified.is_validation());
        assert!(matches!(verified.event().unwrap(), Event::Validation(_)));
    }
    // Any other unsigned body is still refused.
    let other = br#"{"message":"Validating delivery URL","extra":1}"#;
    assert_eq!(verifier().verify(&no_headers, other).unwrap_err(), VerifyError::MissingHeader("x-apideck-signature"));
}

/// A header cannot turn a signed event into the validation request (which is answered 200 and
/// dispatched nowhere): a header naming another event than the body is a 400.
#[test]
fn the_validation_event_type_header_does_not_hide_a_signed_event() {
    let signed = testing::sign(KEY, SEED_BODY.as_bytes()).unwrap();
    let mut h = signed.headers.clone();
    h.retain(|(n, _)| n != "x-apideck-event-type");
    h.push(("x-apideck-event-type".into(), "apideck.subscription.created".into()));
    let err = verifier().verify(&h, &signed.body).unwrap_err();
    assert!(matches!(err, VerifyError::EventTypeMismatch { .. }), "{err:?}");
    assert_eq!(err.status_code(), 400);
}

#[test]
fn the_delivery_url_validation_request_is_its_own_variant() {
    let body = br#"{"message":"Validating delivery URL"}"#;
    let mut signed = testing::sign(KEY, body).unwrap();
    signed.headers.push(("x-apideck-event-type".into(), "apideck.subscription.created".into()));
    let verified = verifier().verify(&signed.headers, &signed.body).unwrap();
    assert!(verified.is_validation());
    let event = verified.event().unwrap();
    assert!(matches!(&event, Event::Validation(raw) if raw.get().contains("Validating")), "{event:?}");
}

#[test]
fn bodies_too_large_non_utf8_or_not_json() {
    let big = vec![b' '; 1024];
    let small = verifier().max_body_bytes(1000);
    let err = small.verify(&headers(SEED_SIGNATURE, "x"), &big).unwrap_err();
    assert_eq!(err, VerifyError::BodyTooLarge { size: 1024, limit: 1000 });
    assert_eq!(err.status_code(), 413);
    assert_eq!(verifier().verify(&headers(SEED_SIGNATURE, "x"), &[0xff, 0xfe]).unwrap_err(), VerifyError::NotUtf8);
    assert!(matches!(verifier().verify(&headers(SEED_SIGNATURE, "x"), b"{not json").unwrap_err(), VerifyError::NotJson(_)));
}

#[test]
fn errors_never_contain_the_key_or_the_expected_signature() {
    let h = headers(&"0".repeat(64), "pos.order.created");
    let err = verifier().verify(&h, SEED_BODY.as_bytes()).unwrap_err();
    for text in [err.to_string(), format!("{err:?}")] {
        assert!(!text.contains(KEY) && !text.contains(SEED_SIGNATURE), "{text}");
    }
}

#[test]
fn unknown_event_types_verify_and_parse_as_unknown() {
    let body = br#"{"payload":{"event_type":"crm.meeting.created","entity_id":"1"}}"#;
    let signed = testing::sign(KEY, body).unwrap();
    let verified = verifier().verify(&signed.headers, &signed.body).unwrap();
    assert!(matches!(verified.event().unwrap(), Event::Unknown(u) if u.event_type == "crm.meeting.created"));
}

/// Apideck signs no timestamp: a captured delivery sent again with a fresh idempotency-key header
/// must keep its id, or deduplication (the only replay defence) lets it run twice.
#[test]
fn a_replay_with_a_new_idempotency_key_keeps_its_delivery_id() {
    let original = headers(SEED_SIGNATURE, "pos.order.created");
    let mut replayed = original.clone();
    replayed[2].1 = "00000000-0000-4000-8000-000000000000".to_owned();
    let first = verifier().verify(&original, SEED_BODY.as_bytes()).unwrap().delivery_id().into_owned();
    let again = verifier().verify(&replayed, SEED_BODY.as_bytes()).unwrap();
    assert_eq!(again.delivery_id(), first.as_str());
    assert_eq!(first, "d290f1ee-6c54-4b01-90e6-d701748f0851", "the payload's signed event_id");
    // The header is kept, as information.
    assert_eq!(again.idempotency_key(), Some("00000000-0000-4000-8000-000000000000"));
}

/// A signed body without an event id is identified by a digest of what was verified: equal for
/// the same delivery sent again, different for any other body.
#[test]
fn a_body_without_an_event_id_is_identified_by_its_digest() {
    let body = SEED_BODY.replace("\"event_id\": \"d290f1ee-6c54-4b01-90e6-d701748f0851\",", "");
    let signed = testing::sign(KEY, body.as_bytes()).unwrap();
    let id = verifier().verify(&signed.headers, &signed.body).unwrap().delivery_id().into_owned();
    assert!(id.starts_with("sha256:") && id.len() == 7 + 64, "{id}");
    let resent = testing::sign(KEY, body.as_bytes()).unwrap();
    assert_eq!(verifier().verify(&resent.headers, &resent.body).unwrap().delivery_id(), id.as_str());
    let other = body.replace("test_user_id", "another_user");
    let other = testing::sign(KEY, other.as_bytes()).unwrap();
    assert_ne!(verifier().verify(&other.headers, &other.body).unwrap().delivery_id(), id.as_str());
}

#[test]
fn an_http_header_map_works_too() {
    let mut map = http::HeaderMap::new();
    map.insert("X-Apideck-Signature", SEED_SIGNATURE.parse().unwrap());
    map.insert("x-apideck-event-type", "pos.order.created".parse().unwrap());
    assert!(verifier().verify(&map, SEED_BODY.as_bytes()).is_ok());
    map.append("x-apideck-signature", SEED_SIGNATURE.parse().unwrap());
    assert_eq!(verifier().verify(&map, SEED_BODY.as_bytes()).unwrap_err(), VerifyError::DuplicateHeader("x-apideck-signature"));
}

#[test]
fn every_fixture_of_every_provider_signed_by_the_test_helper_verifies_and_parses() {
    for info in apideck::EVENTS {
        let event_type = EventType::from_wire(info.event_type);
        let signed = testing::sign_fixture(KEY, &event_type).unwrap();
        let verified = verifier().verify(&signed.headers, &signed.body).unwrap_or_else(|e| panic!("{}: {e}", info.event_type));
        assert_eq!(verified.event().unwrap().event_type(), event_type);
    }
    // Pack's scheme is not documented: its verifier needs a scheme the user supplies.
    struct SharedSecretHeader;
    impl webhook_events::Scheme for SharedSecretHeader {
        fn verify<'b>(&self, headers: &dyn webhook_events::Headers, body: &'b [u8]) -> Result<Cow<'b, str>, VerifyError> {
            let secret = webhook_events::runtime::verify::required_header(headers, "x-test-secret")?;
            if secret != "s3cret" {
                return Err(VerifyError::NoMatchingSignature);
            }
            std::str::from_utf8(body).map(Cow::Borrowed).map_err(|_| VerifyError::NotUtf8)
        }
    }
    let pack = webhook_events::pack::Verifier::with_scheme(SharedSecretHeader);
    for info in webhook_events::pack::EVENTS {
        let body = webhook_events::pack::fixtures::get(&webhook_events::pack::EventType::from_wire(info.event_type)).unwrap();
        let verified = pack.verify(&[("x-test-secret", "s3cret")], body.as_bytes()).unwrap();
        assert_eq!(verified.event_as(info.event_type).unwrap().event_type().as_str(), info.event_type);
        assert!(pack.verify(&[("x-test-secret", "guess")], body.as_bytes()).is_err());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(webhook_tests::proptest_cases(512)))]

    #[test]
    fn sign_then_verify_accepts_any_json_body(entity in any::<String>(), n in any::<f64>(), extra in proptest::collection::vec(any::<(String, i64)>(), 0..4)) {
        let mut payload = serde_json::json!({"event_type": "crm.contact.created", "entity_id": entity, "score": n});
        for (k, v) in extra {
            payload[format!("x_{k}")] = v.into();
        }
        let body = serde_json::to_vec(&serde_json::json!({ "payload": payload })).unwrap();
        let signed = testing::sign(KEY, &body).unwrap();
        let verified = verifier().verify(&signed.headers, &signed.body);
        prop_assert!(verified.is_ok(), "{:?}", verified.err());
        prop_assert_eq!(verified.unwrap().event().unwrap().event_type(), EventType::CrmContactCreated);
    }

    #[test]
    fn verify_never_panics_on_arbitrary_input(
        body in proptest::collection::vec(any::<u8>(), 0..512),
        headers in proptest::collection::vec((prop_oneof![Just("x-apideck-signature".to_string()), Just("x-apideck-event-type".to_string()), any::<String>()], proptest::collection::vec(any::<u8>(), 0..80)), 0..5),
    ) {
        let _ = verifier().verify(&headers, &body);
        let _ = Event::parse(&body);
    }

    #[test]
    fn verify_never_panics_on_json_like_bodies(body in "[\\[\\]{}\",:0-9a-z\\\\ .eE+-]{0,200}", sig in "[0-9a-f]{64}") {
        let _ = verifier().verify(&headers(&sig, "pos.order.created"), body.as_bytes());
    }
}

#[test]
fn signatures_are_compared_only_in_constant_time() {
    // A lint as a test: the schemes compare tags through the MAC's `verify_slice` (constant time),
    // and no line compares a tag or signature with `==`.
    let dir = webhook_tests::workspace_root().join("runtime/src/verify");
    for file in ["apideck.rs", "standard.rs"] {
        let source = std::fs::read_to_string(dir.join(file)).unwrap();
        assert!(source.contains(".verify_slice("), "{file} does not use verify_slice");
        for (n, line) in source.lines().enumerate() {
            let code = line.split("//").next().unwrap();
            let compares = code.contains("==") || code.contains("!=");
            let about_tags = ["tag", "signature", "mac", "digest"].iter().any(|w| code.to_lowercase().contains(w));
            assert!(!(compares && about_tags), "{file}:{}: compares a signature with ==: {line}", n + 1);
        }
    }
}

#[test]
fn the_typed_headers_are_exposed() {
    let h = headers(SEED_SIGNATURE, "pos.order.created");
    let verified = verifier().verify(&h, SEED_BODY.as_bytes()).unwrap();
    assert_eq!(verified.event_type_header(), Some("pos.order.created"));
    assert_eq!(verified.idempotency_key(), Some("e91dea5d-8ff6-4099-8b33-d3162fb4a042"));
    assert_eq!(apideck::SIGNATURE_HEADER, "x-apideck-signature");
    assert_eq!(apideck::EVENT_TYPE_HEADER, "x-apideck-event-type");
    assert_eq!(apideck::IDEMPOTENCY_KEY_HEADER, "x-apideck-idempotency-key");
}

/// HMAC-SHA256 of `body` as received, under `KEY`, in hex: a sender that signs raw bytes.
fn raw_signature(body: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(KEY.as_bytes()).unwrap();
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Nesting at and past the limit: the raw-bytes path accepts exactly what the canonical form does.
#[test]
fn a_raw_signature_and_the_canonical_form_agree_on_depth() {
    for depth in 125..=131 {
        let body = format!("{{\"payload\":{}{}}}", "[".repeat(depth), "]".repeat(depth));
        let json = webhook_events::runtime::verify::canonical::canonicalize(&body).is_ok();
        let sent = headers(&raw_signature(body.as_bytes()), "pos.order.created");
        let verified = verifier().verify(&sent, body.as_bytes());
        assert_eq!(verified.is_ok(), json, "depth {depth}: {verified:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(webhook_tests::proptest_cases(512)))]

    /// The key signs JSON only: a body signed as received verifies exactly when it is one JSON text
    /// as the canonical form reads it (edits of a real body: broken, still JSON, or lone surrogates).
    #[test]
    fn a_raw_signature_verifies_json_and_nothing_else(
        edits in proptest::collection::vec((any::<proptest::sample::Index>(), 0..3u8, proptest::sample::select(vec![
            "\"", "\\", "\\ud800", "\\u00e9", "{", "}", "[", "]", ",", ":", "1", "-", "e", ".", " ", "x", "null", "\u{1F600}",
        ])), 0..4)
    ) {
        let mut body = webhook_events::runtime::verify::canonical::canonicalize(SEED_BODY).unwrap();
        for (at, kind, text) in edits {
            let boundaries: Vec<usize> = (0..=body.len()).filter(|&i| body.is_char_boundary(i)).collect();
            let i = boundaries[at.index(boundaries.len())];
            match kind {
                0 => body.insert_str(i, text),
                1 => { body.replace_range(i..boundaries.iter().copied().find(|&j| j > i).unwrap_or(i), ""); }
                _ => body.replace_range(i..boundaries.iter().copied().find(|&j| j > i).unwrap_or(i), text),
            }
        }
        let json = webhook_events::runtime::verify::canonical::canonicalize(&body).is_ok();
        let sent = headers(&raw_signature(body.as_bytes()), "pos.order.created");
        let outcome = verifier().verify(&sent, body.as_bytes());
        match outcome {
            Ok(v) => prop_assert!(json && v.body() == body, "{body}"),
            Err(VerifyError::NotJson(_)) => prop_assert!(!json, "{body}"),
            Err(VerifyError::EventTypeMismatch { .. }) => prop_assert!(json),
            Err(e) => prop_assert!(false, "{body}: {e}"),
        }
    }
}

/// A lone surrogate escape is valid JSON that a JavaScript sender produces and signs: the typed
/// field holds U+FFFD in its place; the verified text keeps the escape exactly.
#[test]
fn a_lone_surrogate_in_a_typed_string_is_no_400() {
    for escape in ["\\ud800", "\\udfff", "\\ud800\\ud800"] {
        let body = SEED_BODY.replace("test_user_id", &format!("user{escape}x"));
        let signed = testing::sign(KEY, body.as_bytes()).unwrap();
        let verified = verifier().verify(&signed.headers, &signed.body).unwrap();
        assert!(verified.body().contains(escape), "{}", verified.body());
        let Event::PosOrderCreated(p) = verified.event().unwrap_or_else(|e| panic!("{escape}: {e}")) else { panic!() };
        let replaced = "\u{FFFD}".repeat(escape.matches('u').count());
        assert_eq!(p.consumer_id.as_deref(), Some(format!("user{replaced}x").as_str()));
        // The body as received (not canonical, so parsed by serde) and the canonical text (read
        // by the one-pass parser) give the same event.
        let canonical = webhook_events::runtime::verify::canonical::canonicalize(&body).unwrap();
        let value = |text: &str| serde_json::to_value(Event::parse(text.as_bytes()).unwrap()).unwrap();
        assert_eq!(value(&canonical), value(&body));
    }
}

/// Test deliveries are told apart: each `sign` has an idempotency key of its own, `sign_as` takes
/// one, each fixture has an event id of its own (so a receiver that deduplicates runs each), and
/// a missing fixture says why.
#[test]
fn test_helpers_sign_deliveries_as_apideck_sends_them() {
    let key_of = |r: &webhook_events::runtime::verify::SignedRequest| {
        r.headers.iter().find(|(n, _)| n == "x-apideck-idempotency-key").map(|(_, v)| v.clone()).unwrap()
    };
    let (a, b) = (testing::sign(KEY, SEED_BODY.as_bytes()).unwrap(), testing::sign(KEY, SEED_BODY.as_bytes()).unwrap());
    assert_ne!(key_of(&a), key_of(&b));
    assert_eq!(key_of(&testing::sign_as(KEY, SEED_BODY.as_bytes(), "given").unwrap()), "given");
    let ids: std::collections::BTreeSet<String> = apideck::EVENTS
        .iter()
        .map(|info| {
            let signed = testing::sign_fixture(KEY, &EventType::from_wire(info.event_type)).unwrap();
            verifier().verify(&signed.headers, &signed.body).unwrap().delivery_id().into_owned()
        })
        .collect();
    assert_eq!(ids.len(), apideck::EVENTS.len(), "two fixtures share a delivery id");
    let err = testing::sign_fixture(KEY, &EventType::from_wire("pos.order.teleported")).unwrap_err();
    assert_eq!(err.to_string(), "no fixture for `pos.order.teleported`: it is not an event of the catalog");
}
