//! `cargo xtask export asyncapi --out DIR`: one AsyncAPI 3.0 document per provider, so the catalog
//! can feed documentation sites and other languages' generators. Each event is a `receive`
//! operation on the provider's webhook channel, with its message: headers, payload (as JSON
//! Schema, envelope included) and the event's fixture as example.

use serde_json::{json, Map, Value};

use crate::ir::{Catalog, Event, Field, ObjectKind, Payload, Provider, Status, Type};

/// Every document, by file name (`<provider>.asyncapi.json`), pretty JSON with a final newline.
pub fn export(catalog: &Catalog) -> Vec<(String, String)> {
    catalog.providers.iter().map(|p| (format!("{}.asyncapi.json", p.name), crate::json::pretty(&document(p)))).collect()
}

fn document(p: &Provider) -> Value {
    let channel = format!("{}Webhooks", p.module);
    let mut messages = Map::new();
    let mut channel_messages = Map::new();
    let mut operations = Map::new();
    for e in &p.events {
        let id = e.variant.clone();
        messages.insert(id.clone(), message(p, e));
        channel_messages.insert(id.clone(), json!({ "$ref": format!("#/components/messages/{id}") }));
        let mut operation = json!({
            "action": "receive",
            "channel": { "$ref": format!("#/channels/{channel}") },
            "summary": format!("Receive `{}`", e.wire),
            "description": e.description,
            "messages": [{ "$ref": format!("#/channels/{channel}/messages/{id}") }],
        });
        if e.status == Status::Deprecated {
            operation["deprecated"] = json!(true);
        }
        operations.insert(format!("receive{id}"), operation);
    }
    let mut schemas = Map::new();
    for o in p.objects.iter().filter(|o| o.kind == ObjectKind::Payload) {
        schemas.insert(o.rust.clone(), object_schema(&o.description, &o.fields, p));
    }
    for en in &p.enums {
        let values: Vec<&String> = en.values.iter().map(|(wire, _)| wire).collect();
        schemas.insert(
            en.rust.clone(),
            json!({
                "type": "string",
                "description": format!("{} Values known when the catalog was written: {}. Others may be added.", en.description, values.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ")),
                "examples": values,
            }),
        );
    }
    let mut info = json!({
        "title": format!("{} webhooks", p.title),
        "version": "catalog",
        "description": p.description.trim(),
    });
    if let Some(docs) = &p.docs {
        info["externalDocs"] = json!({ "url": docs });
    }
    json!({
        "asyncapi": "3.0.0",
        "info": info,
        "defaultContentType": "application/json",
        "channels": {
            channel.clone(): {
                "address": "/webhooks",
                "title": format!("{} deliveries", p.title),
                "description": format!("The endpoint you register with {} to receive its webhooks (the address is yours to choose).", p.title),
                "messages": channel_messages,
            }
        },
        "operations": operations,
        "components": { "messages": messages, "schemas": schemas },
    })
}

fn message(p: &Provider, e: &Event) -> Value {
    let mut headers = Map::new();
    let mut required = Vec::new();
    let h = &p.headers;
    for (name, doc, konst) in [
        (&h.event_type, "The type of event that was triggered.", Some(e.wire.as_str())),
        (&h.signature, "The signature of the request body.", None),
        (&h.idempotency_key, "A unique identifier for the delivery, for deduplication.", None),
    ] {
        if let Some(name) = name {
            let mut schema = json!({ "type": "string", "description": doc });
            if let Some(value) = konst {
                schema["const"] = json!(value);
            }
            headers.insert(name.clone(), schema);
            required.push(name.clone());
        }
    }
    let inner = match e.payload {
        Payload::Raw => json!({ "description": "Not documented by the vendor: any JSON." }),
        Payload::Object(i) => json!({ "$ref": format!("#/components/schemas/{}", p.objects[i].rust) }),
    };
    let payload = match &p.envelope.wrapper {
        Some(w) => json!({ "type": "object", "properties": { w.clone(): inner }, "required": [w] }),
        None => inner,
    };
    let mut message = json!({
        "name": e.wire,
        "title": e.wire,
        "summary": e.description,
        "contentType": "application/json",
        "payload": payload,
        "examples": [{ "name": "documented", "payload": e.fixture }],
    });
    if !headers.is_empty() {
        message["headers"] = json!({ "type": "object", "properties": headers, "required": required });
    }
    message
}

fn object_schema(description: &str, fields: &[Field], p: &Provider) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for f in fields {
        let mut schema = type_schema(&f.ty, p);
        if let Value::Object(map) = &mut schema {
            map.insert("description".into(), json!(f.description));
        }
        properties.insert(f.wire.clone(), schema);
        if f.required {
            required.push(f.wire.clone());
        }
    }
    let mut schema = json!({ "type": "object", "description": description, "properties": properties });
    if !required.is_empty() {
        schema["required"] = json!(required);
    }
    schema
}

fn type_schema(ty: &Type, p: &Provider) -> Value {
    match ty {
        Type::String | Type::Secret | Type::EventType | Type::EventSelector => json!({ "type": "string" }),
        Type::EventCode => json!({ "type": "string", "enum": p.events.iter().map(|e| e.wire.clone()).collect::<Vec<_>>() }),
        Type::Number => json!({ "type": "number" }),
        Type::Integer => json!({ "type": "integer" }),
        Type::Boolean => json!({ "type": "boolean" }),
        Type::Json => json!({}),
        Type::Enum(name) | Type::Object(name, _) => json!({ "$ref": format!("#/components/schemas/{name}") }),
        Type::List(inner) => json!({ "type": "array", "items": type_schema(inner, p) }),
    }
}
