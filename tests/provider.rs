//! Code written once against the runtime's `Provider` and `Dispatch` traits receives every
//! provider: Apideck (its own scheme, events named in the body, a validation request) and Pack
//! (a scheme the user brings, events named by the subscription).

use std::borrow::Cow;

use webhook_events::runtime::verify::{Headers, VerifyError};
use webhook_events::runtime::{Dispatch, Provider};
use webhook_events::{apideck, pack, ParseError};

/// What a receiver did with one request.
#[derive(Debug, PartialEq)]
enum Outcome {
    Rejected(u16),
    Validation,
    Malformed,
    Dispatched { delivery_id: String, event_type: String },
}

/// A receiver for any provider: written once, knowing nothing of Apideck or Pack.
fn receive<P: Provider + Dispatch<H>, H>(provider: &P, handler: &mut H, headers: &dyn Headers, body: &[u8]) -> Outcome {
    let verified = match provider.verify(headers, body) {
        Ok(v) => v,
        Err(e) => return Outcome::Rejected(e.status_code()),
    };
    if P::is_validation(&verified) {
        return Outcome::Validation;
    }
    let delivery_id = P::delivery_id(&verified).into_owned();
    let event = match provider.event(&verified) {
        Ok(event) => event,
        Err(_) => return Outcome::Malformed,
    };
    // What a queue would store and parse later gives the same event.
    let again = provider.parse(P::verified_text(&verified)).expect("verified text parses again");
    assert_eq!(P::event_type(&again), P::event_type(&event));
    let event_type = P::event_type(&event).to_string();
    P::dispatch(handler, event);
    Outcome::Dispatched { delivery_id, event_type }
}

/// Counts the events each handler saw.
#[derive(Default)]
struct Seen(Vec<String>);

impl apideck::Handler for Seen {
    type Output = ();
    fn on_event(&mut self, event: apideck::Event<'_>) {
        self.0.push(event.event_type().to_string());
    }
}

impl pack::Handler for Seen {
    type Output = ();
    fn on_event(&mut self, event: pack::Event<'_>) {
        self.0.push(event.event_type().to_string());
    }
}

const KEY: &str = "sk_test_provider_trait";

#[test]
fn one_receiver_takes_every_apideck_event() {
    let verifier = apideck::Verifier::new(KEY).unwrap();
    assert_eq!(<apideck::Verifier as Provider>::NAME, "apideck");
    let mut seen = Seen::default();
    for info in apideck::EVENTS {
        let event_type = apideck::EventType::from_wire(info.event_type);
        let signed = apideck::testing::sign_fixture(KEY, &event_type).unwrap();
        let outcome = receive(&verifier, &mut seen, &signed.headers, &signed.body);
        let Outcome::Dispatched { delivery_id, event_type: received } = outcome else { panic!("{}: {outcome:?}", info.event_type) };
        assert_eq!(received, info.event_type);
        // The id is the payload's signed `event_id`.
        let fixture: serde_json::Value = serde_json::from_slice(&signed.body).unwrap();
        assert_eq!(Some(delivery_id.as_str()), fixture["payload"]["event_id"].as_str(), "{}", info.event_type);
    }
    let expected: Vec<&str> = apideck::EVENTS.iter().map(|e| e.event_type).collect();
    assert_eq!(seen.0, expected);

    // A forged request never reaches the handler.
    let signed = apideck::testing::sign_fixture("another key", &apideck::EventType::from_wire(expected[0])).unwrap();
    assert_eq!(receive(&verifier, &mut seen, &signed.headers, &signed.body), Outcome::Rejected(401));
    assert_eq!(seen.0.len(), expected.len());
}

/// Pack's signing is undocumented: the user's scheme (here, a shared token header).
#[derive(Clone, Debug)]
struct Token;

impl webhook_events::Scheme for Token {
    fn verify<'b>(&self, headers: &dyn Headers, body: &'b [u8]) -> Result<Cow<'b, str>, VerifyError> {
        match webhook_events::runtime::verify::required_header(headers, "x-token")? {
            "secret" => std::str::from_utf8(body).map(Cow::Borrowed).map_err(|_| VerifyError::NotUtf8),
            _ => Err(VerifyError::NoMatchingSignature),
        }
    }
}

#[test]
fn the_same_receiver_takes_pack_events_as_the_endpoint_is_subscribed() {
    let headers = vec![("x-token", "secret")];
    let mut seen = Seen::default();
    for info in pack::EVENTS {
        let event_type = pack::EventType::from_wire(info.event_type);
        let verifier = pack::Verifier::with_scheme(Token).subscribed_to(event_type.clone());
        assert_eq!(<pack::Verifier<Token> as Provider>::NAME, "pack");
        let body = pack::fixtures::get(&event_type).unwrap();
        let outcome = receive(&verifier, &mut seen, &headers, body.as_bytes());
        // No id in Pack's body: a digest of it.
        let Outcome::Dispatched { delivery_id, event_type: received } = outcome else { panic!("{}: {outcome:?}", info.event_type) };
        assert!(delivery_id.starts_with("sha256:"), "{delivery_id}");
        assert_eq!(received, info.event_type);
    }
    assert_eq!(seen.0, pack::EVENTS.iter().map(|e| e.event_type).collect::<Vec<_>>());

    // Without the subscription, the event cannot be told, and nothing is dispatched.
    let verifier = pack::Verifier::with_scheme(Token);
    let body = pack::fixtures::ALL[0].1;
    assert_eq!(receive(&verifier, &mut seen, &headers, body.as_bytes()), Outcome::Malformed);
    let verified = verifier.verify(&headers, body.as_bytes()).unwrap();
    assert_eq!(verifier.event(&verified).unwrap_err(), ParseError::EventTypeNotGiven);
    assert_eq!(receive(&verifier, &mut seen, &vec![("x-token", "wrong")], body.as_bytes()), Outcome::Rejected(401));
    assert_eq!(seen.0.len(), pack::EVENTS.len());
}
