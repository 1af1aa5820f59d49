//! The generated crate against what the vendors document (`tests/upstream/`): every documented
//! example parses, into the event it names when the catalog knows that event and as unknown when
//! it does not, and the catalog's fixture for a known event equals the documented example.
//!
//! Nothing here counts events: whether the catalog covers upstream is the drift check's question
//! (`cargo xtask import`), so adding or removing an event never breaks these tests.

use webhook_events::apideck::{fixtures, Event, EventType};
use webhook_tests::{upstream, upstream_snapshot, UPSTREAM_SOURCES};

fn fixture(event_type: &EventType) -> serde_json::Value {
    serde_json::from_str(fixtures::get(event_type).expect("a fixture")).unwrap()
}

#[test]
fn every_documented_apideck_example_parses_into_the_event_it_names() {
    for source in ["apideck-openapi", "apideck-pages"] {
        let up = upstream(source);
        assert!(!up.examples.is_empty(), "{source}: the snapshot has no examples");
        for (name, ex) in &up.examples {
            let place = format!("{source}: {} {}", ex.file, ex.entry);
            assert_eq!(ex.body["payload"]["event_type"], name.as_str(), "{place}: the example names another event");
            let body = serde_json::to_vec(&ex.body).unwrap();
            let event = Event::parse(&body).unwrap_or_else(|e| panic!("{place}: {e}"));
            let named = EventType::from_wire(name);
            assert_eq!(event.event_type(), named, "{place}");
            match named.info() {
                // The catalog's own name for the event: its fixture is the documented example, but
                // for its event id (every documented example shares one; each fixture has its own,
                // so a receiver that deduplicates takes each as its own delivery).
                Some(info) if info.event_type == name => {
                    let (mut fixture, mut documented) = (fixture(&named), ex.body.clone());
                    assert_ne!(fixture["payload"]["event_id"], documented["payload"]["event_id"], "{place}");
                    fixture["payload"]["event_id"] = serde_json::Value::Null;
                    documented["payload"]["event_id"] = serde_json::Value::Null;
                    assert_eq!(fixture, documented, "{place}: the fixture differs from the documented example")
                }
                // An older name (an alias): it parses into the current event, whose fixture names the new one.
                Some(info) => assert!(info.aliases.contains(&name.as_str()), "{place}"),
                None => assert!(matches!(event, Event::Unknown(_)), "{place}: an event the catalog lacks must parse as unknown"),
            }
        }
    }
}

#[test]
fn every_upstream_event_the_catalog_knows_belongs_to_the_api_its_name_says() {
    for source in ["apideck-openapi", "apideck-pages"] {
        let up = upstream(source);
        assert!(!up.events.is_empty(), "{source}: the snapshot has no events");
        for name in up.events.keys() {
            if let Some(info) = EventType::from_wire(name).info() {
                assert_eq!(Some(info.api), name.split('.').next(), "{source}: {name}");
            }
        }
    }
    let pack = upstream("pack-pages");
    assert!(!pack.events.is_empty());
    for name in pack.events.keys() {
        let event_type = webhook_events::pack::EventType::from_wire(name);
        if let Some(info) = event_type.info() {
            assert!(info.event_type == name || info.aliases.contains(&name.as_str()), "pack: {name}");
        }
    }
}

/// Every snapshot is in the layout `cargo xtask import --save` writes, so the diff of an update
/// by hand or by the tool shows only what changed.
#[test]
fn every_snapshot_is_in_its_canonical_layout() {
    for source in UPSTREAM_SOURCES {
        let path = upstream_snapshot(source);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(upstream(source).to_snapshot(), text, "{} is not in the canonical layout", path.display());
    }
}
