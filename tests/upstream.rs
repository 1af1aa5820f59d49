//! Every example the vendor documents parses into the event it names, and our fixture for that
//! event is JSON-equal to it.

use webhook_events::apideck::{fixtures, Event, EventType};
use webhook_tests::{openapi_examples, seed_examples};

fn fixture(event_type: &EventType) -> serde_json::Value {
    serde_json::from_str(fixtures::get(event_type).expect("a fixture")).unwrap()
}

#[test]
fn every_openapi_example_parses_into_the_variant_it_names() {
    let examples = openapi_examples();
    assert_eq!(examples.len(), 118, "the specs document 118 webhook examples");
    for ex in &examples {
        let body = serde_json::to_vec(&ex.body).unwrap();
        let event = Event::parse(&body).unwrap_or_else(|e| panic!("{} {}: {e}", ex.file, ex.name));
        let named = EventType::from_wire(&ex.event_type);
        assert!(named.is_known(), "{} {}: `{}` is not in the catalog", ex.file, ex.name, ex.event_type);
        assert_eq!(event.event_type(), named, "{} {}", ex.file, ex.name);
        assert_eq!(fixture(&named), ex.body, "{} {}: the fixture differs from the documented example", ex.file, ex.name);
    }
}

#[test]
fn every_pos_seed_example_parses_into_its_variant() {
    let examples = seed_examples("004_2fe951cb3e48a314.txt");
    assert_eq!(examples.len(), 21);
    for body in examples {
        let name = body["payload"]["event_type"].as_str().unwrap().to_string();
        let bytes = serde_json::to_vec(&body).unwrap();
        let event = Event::parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let named = EventType::from_wire(&name);
        assert!(named.is_known(), "`{name}` is not in the catalog");
        assert_eq!(event.event_type(), named);
        assert_eq!(fixture(&named), body, "{name}: the fixture differs from the seed's example");
    }
}

#[test]
fn the_catalog_covers_the_published_event_enum() {
    let text = std::fs::read_to_string(webhook_tests::shared_dir().join("reference/apideck-openapi/webhook.yml")).unwrap();
    let spec: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let values = spec["components"]["schemas"]["WebhookEventType"]["enum"].as_sequence().unwrap();
    let names: Vec<&str> = values.iter().filter_map(|v| v.as_str()).filter(|v| *v != "*").collect();
    assert_eq!(names.len(), 137);
    for name in names {
        assert!(EventType::from_wire(name).is_known(), "`{name}` from WebhookEventType is not in the catalog");
    }
}

#[test]
fn the_catalog_covers_every_seed_event() {
    let seeds = webhook_tests::shared_dir().join("seeds");
    // The pages name events by title ("Invoice Item Created"); the catalog's descriptions are the
    // corrected sentences, so count events per api instead, as the seeds' README lists them.
    let per_api = |api: &str| webhook_events::apideck::EVENTS.iter().filter(|e| e.api == api).count();
    assert!(per_api("ecommerce") >= 9);
    assert!(per_api("accounting") >= 27);
    assert!(per_api("vault") >= 9);
    assert!(per_api("pos") >= 21);
    assert_eq!(webhook_events::pack::EVENTS.len(), 3);
    let pack = std::fs::read_to_string(seeds.join("003_3e7d8e3844e22c97.txt")).unwrap();
    for code in ["order.canceled", "order.created", "order.shipped"] {
        assert!(pack.contains(code));
        assert!(webhook_events::pack::EventType::from_wire(code).is_known());
    }
    let vault = std::fs::read_to_string(seeds.join("002_ce17b57a1f07e468.txt")).unwrap();
    for title in ["Connection Created", "Connection Callable", "Connection Token Refresh Pending"] {
        assert!(vault.contains(title), "{title}");
    }
    for e in ["vault.connection.callable", "vault.connection.token_refresh.pending", "vault.connection.revoked"] {
        assert!(EventType::from_wire(e).is_known());
    }
}
