//! `cargo xtask synth --events N --out DIR`: a synthetic but realistic catalog of N events, to
//! measure the generator (and the generated crate's compile time) far beyond today's catalog.
//!
//! Realistic means it exercises what real catalogs have: many providers and apis, long
//! multi-word entity names with both separators, four-segment actions, aliases, deprecated and
//! upcoming events, and payloads and models with every field kind. Deterministic: the same N
//! gives the same files.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

const WORDS: [&str; 24] = [
    "purchase",
    "order",
    "line",
    "item",
    "allocation",
    "invoice",
    "ledger",
    "account",
    "tax",
    "rate",
    "tracking",
    "category",
    "employee",
    "time",
    "off",
    "request",
    "shipment",
    "warehouse",
    "inventory",
    "adjustment",
    "subscription",
    "plan",
    "payment",
    "method",
];
const ACTIONS: [&str; 10] =
    ["created", "updated", "deleted", "archived", "restored", "approved", "rejected", "sync.failed", "sync.recovered", "merged"];
const APIS_PER_PROVIDER: usize = 8;
const EVENTS_PER_API: usize = 25;

/// Writes the catalog; returns how many events it holds.
pub fn write(events: usize, out: &Path) -> std::io::Result<usize> {
    if out.exists() {
        fs::remove_dir_all(out)?;
    }
    let per_provider = APIS_PER_PROVIDER * EVENTS_PER_API;
    let providers = events.div_ceil(per_provider).max(1);
    let mut written = 0;
    for p in 0..providers {
        let name = format!("vendor{p:03}");
        let dir = out.join(&name);
        fs::create_dir_all(&dir)?;
        fs::write(dir.join("provider.yaml"), provider(&name))?;
        for a in 0..APIS_PER_PROVIDER {
            let remaining = events - written;
            if remaining == 0 {
                break;
            }
            let count = remaining.min(EVENTS_PER_API);
            let api = format!("{}-api{a}", WORDS[(p + a) % WORDS.len()]);
            fs::write(dir.join(format!("{api}.yaml")), api_file(&api, p * 31 + a * 7, count))?;
            written += count;
        }
    }
    Ok(written)
}

fn provider(name: &str) -> String {
    format!(
        r#"# Synthetic provider for benchmarks; written by `cargo xtask synth`.
provider: {name}
title: Vendor {name}
description: A synthetic provider with every payload field kind.
event_name: "{{api}}.{{entity}}.{{action}}"
envelope: {{ wrapper: data, event_type_field: type, event_id_field: id }}
headers: {{ event_type: x-{name}-event, signature: x-{name}-signature, idempotency_key: x-{name}-delivery }}
signing: {{ scheme: apideck-hmac-sha256 }}
urls: {{ base: "https://api.{name}.example.com", template: "{{base}}/v2/{{api}}/{{entities}}/{{id}}" }}
payload: record_event
example_id: R1
payloads:
  record_event:
    description: A change to a record.
    fields:
      type: {{ type: string, required: true, description: The event type. }}
      id: {{ type: string, description: The event id. }}
      record_id: {{ type: string, description: The record id. }}
      record_url: {{ type: string, description: The record url. }}
      attempt: {{ type: number, description: The delivery attempt. }}
      sequence: {{ type: integer, description: A sequence number. }}
      test_mode: {{ type: boolean, description: Whether this is a test event. }}
      changes: {{ type: json, description: What changed. }}
      state: {{ type: record_state, description: The record's state. }}
      actor: {{ type: actor, description: Who made the change. }}
    example:
      type: "{{event_type}}"
      id: evt_1
      record_id: "{{id}}"
      record_url: "{{entity_url}}"
      attempt: 1
      state: active
      actor: {{ id: usr_1, kind: user }}
  actor:
    description: Who made a change.
    fields:
      id: {{ type: string, description: The actor's id. }}
      name: {{ type: string, description: The actor's name. }}
      kind: {{ type: actor_kind, description: What the actor is. }}
enums:
  record_state:
    description: A record's state.
    values: [active, archived, deleted, pending_review, locked]
  actor_kind:
    description: What made a change.
    values: [user, api_key, system, integration]
models:
  subscribe:
    description: Subscribes an endpoint.
    fields:
      events: {{ type: list of event_selector, required: true, description: The events. }}
      primary: {{ type: event_code, required: true, description: The main event. }}
      secret: {{ type: secret, required: true, description: The signing secret. }}
      url: {{ type: string, required: true, description: The endpoint. }}
      labels: {{ type: list of string, description: Labels. }}
"#
    )
}

fn api_file(api: &str, seed: usize, count: usize) -> String {
    let mut s = format!("api: {api}\ntitle: Api {api}\ndescription: A synthetic api.\nevents:\n");
    let mut n = 0;
    let mut i = 0;
    while n < count {
        let w = |k: usize| WORDS[(seed + i * 5 + k * 3) % WORDS.len()];
        // Long multi-word entities; every third uses hyphens, the others underscores.
        let sep = if i % 3 == 0 { "-" } else { "_" };
        let entity = [w(0), w(1), w(2)].join(sep);
        for (k, action) in ACTIONS.iter().enumerate() {
            if n == count {
                break;
            }
            let wire = format!("{api}.{entity}.{action}");
            let mut overrides = Vec::new();
            if (n + k) % 7 == 0 {
                overrides.push(format!("aliases: [{api}.{}.{action}]", entity.replace(['_', '-'], "")));
            }
            if (n + k) % 11 == 0 {
                overrides.push("status: deprecated".to_string());
            } else if (n + k) % 13 == 0 {
                overrides.push("status: upcoming".to_string());
            }
            if overrides.is_empty() {
                let _ = writeln!(s, "  {wire}:");
            } else {
                let _ = writeln!(s, "  {wire}: {{ {} }}", overrides.join(", "));
            }
            n += 1;
        }
        i += 1;
    }
    s
}
