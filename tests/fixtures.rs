//! Every fixture parses into its own event and serializes back JSON-equal; every event has a
//! fixture and every fixture file belongs to an event.

use std::collections::BTreeSet;

use webhook_events::{apideck, pack};
use webhook_tests::workspace_root;

fn fixture_files(provider: &str) -> BTreeSet<String> {
    let dir = workspace_root().join("generated/fixtures").join(provider);
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn every_apideck_fixture_parses_into_its_variant_and_round_trips() {
    assert!(!apideck::EVENTS.is_empty());
    for info in apideck::EVENTS {
        let event_type = apideck::EventType::from_wire(info.event_type);
        let body = apideck::fixtures::get(&event_type).unwrap_or_else(|| panic!("no fixture for {}", info.event_type));
        let event = apideck::Event::parse(body.as_bytes()).unwrap_or_else(|e| panic!("{}: {e}", info.event_type));
        assert_eq!(event.event_type(), event_type, "{}", info.event_type);
        assert!(!matches!(event, apideck::Event::Unknown(_)), "{} parsed as unknown", info.event_type);
        let back = serde_json::to_value(&event).unwrap();
        let original: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(back, original, "{} does not round-trip", info.event_type);
    }
}

#[test]
fn every_pack_fixture_parses_into_its_variant_and_round_trips() {
    assert!(!pack::EVENTS.is_empty());
    for info in pack::EVENTS {
        let event_type = pack::EventType::from_wire(info.event_type);
        let body = pack::fixtures::get(&event_type).expect("a fixture");
        let event = pack::Event::parse_as(info.event_type, body.as_bytes()).unwrap();
        assert_eq!(event.event_type(), event_type);
        let back = serde_json::to_value(&event).unwrap();
        assert_eq!(back, serde_json::from_str::<serde_json::Value>(body).unwrap());
    }
}

#[test]
fn fixtures_and_events_cover_each_other() {
    type Embedded = &'static [(&'static str, &'static str)];
    let cases: [(&str, Vec<&str>, Embedded); 2] = [
        ("apideck", apideck::EVENTS.iter().map(|e| e.event_type).collect(), apideck::fixtures::ALL),
        ("pack", pack::EVENTS.iter().map(|e| e.event_type).collect(), pack::fixtures::ALL),
    ];
    for (provider, events, embedded) in cases {
        let expected: BTreeSet<String> = events.iter().map(|e| format!("{e}.json")).collect();
        assert_eq!(fixture_files(provider), expected, "{provider}: fixture files and events differ");
        let embedded: Vec<&str> = embedded.iter().map(|(wire, _)| *wire).collect();
        assert_eq!(embedded, events, "{provider}: embedded fixtures and events differ");
    }
}

#[test]
fn embedded_fixtures_are_the_files() {
    for (wire, body) in apideck::fixtures::ALL {
        let path = workspace_root().join("generated/fixtures/apideck").join(format!("{wire}.json"));
        assert_eq!(std::fs::read_to_string(path).unwrap(), *body);
    }
}

/// Every event can own its text (an `Event<'static>`, sent to another thread here) and reads back
/// from its own JSON as an equal event; unknown events and the validation request too.
#[test]
fn every_event_owns_its_payload_and_reads_back_equal() {
    let unknown = r#"{"payload":{"event_type":"pos.future.created","nested":{"a":[1,"\u00e9"]}}}"#;
    let mut bodies: Vec<(&str, &str)> = apideck::fixtures::ALL.to_vec();
    bodies.push(("pos.future.created", unknown));
    for (wire, body) in bodies {
        let event = apideck::Event::parse(body.as_bytes()).unwrap();
        let owned: apideck::Event<'static> = event.clone().into_owned();
        assert_eq!(owned, event, "{wire}");
        let moved = std::thread::spawn(move || owned).join().unwrap();
        assert_eq!(moved, event, "{wire}");
        let text = serde_json::to_string(&event).unwrap();
        let read: apideck::Event<'static> = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{wire}: {e}"));
        assert_eq!(read, event, "{wire}: does not read back equal");
    }
    let validation = apideck::Event::parse_as("apideck.subscription.created", br#"{"message":"Validating delivery URL"}"#).unwrap();
    assert_eq!(validation.clone().into_owned(), validation);
    for (wire, body) in pack::fixtures::ALL {
        let event = pack::Event::parse_as(wire, body.as_bytes()).unwrap();
        let owned = std::thread::spawn({
            let owned: pack::Event<'static> = event.clone().into_owned();
            move || owned
        })
        .join()
        .unwrap();
        assert_eq!(owned, event, "{wire}");
    }
}
