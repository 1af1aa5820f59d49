//! The small template languages of the catalog: event name grammars, url templates and
//! example placeholders, plus JSON merge patches for examples.

use serde_json::Value;

/// The placeholders a url template may use.
pub const URL_PLACEHOLDERS: [&str; 5] = ["base", "api", "entity", "entities", "id"];

/// An event name grammar such as `{api}.{entity}.{action}`.
#[derive(Debug)]
pub struct Grammar {
    has_api: bool,
}

/// An event name split by its grammar.
#[derive(Debug)]
pub struct Parts<'a> {
    /// The api segment, when the grammar has one.
    pub api: Option<&'a str>,
    /// The entity segment.
    pub entity: &'a str,
    /// The action: the last segment, or several joined by dots (`token_refresh.failed`).
    pub action: String,
}

impl Grammar {
    /// Parses a grammar. Two shapes are supported: `{api}.{entity}.{action}` and `{entity}.{action}`.
    pub fn parse(text: &str) -> Result<Grammar, String> {
        let segments: Vec<&str> = text.split('.').collect();
        for s in &segments {
            if !matches!(*s, "{api}" | "{entity}" | "{action}") {
                return Err(format!("`{s}` is not one of `{{api}}`, `{{entity}}`, `{{action}}`"));
            }
        }
        match segments.as_slice() {
            ["{api}", "{entity}", "{action}"] => Ok(Grammar { has_api: true }),
            ["{entity}", "{action}"] => Ok(Grammar { has_api: false }),
            _ => Err("the supported shapes are `{api}.{entity}.{action}` and `{entity}.{action}`".to_string()),
        }
    }

    /// Splits an event name, or `None` when it does not follow the grammar. The action may span
    /// several segments (`vault.connection.token_refresh.failed`).
    pub fn split<'a>(&self, wire: &'a str) -> Option<Parts<'a>> {
        let segments: Vec<&str> = wire.split('.').collect();
        if !segments.iter().all(|s| super::valid_name(s)) {
            return None;
        }
        let fixed = if self.has_api { 2 } else { 1 };
        if segments.len() < fixed + 1 {
            return None;
        }
        Some(Parts { api: self.has_api.then(|| segments[0]), entity: segments[fixed - 1], action: segments[fixed..].join(".") })
    }
}

/// The placeholders of a template, in order, or an error naming an unclosed brace.
fn placeholders(template: &str) -> Result<Vec<&str>, String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        let end = after.find('}').ok_or_else(|| "a `{` is never closed".to_string())?;
        out.push(&after[..end]);
        rest = &after[end + 1..];
    }
    Ok(out)
}

/// Checks that a url template uses only known placeholders and has `{id}`.
pub fn check_url(template: &str) -> Result<(), String> {
    let found = placeholders(template)?;
    if let Some(bad) = found.iter().find(|p| !URL_PLACEHOLDERS.contains(p)) {
        return Err(format!("unknown placeholder `{{{bad}}}`"));
    }
    if !found.contains(&"id") {
        return Err("it has no `{id}`".to_string());
    }
    Ok(())
}

/// Fills every placeholder but `{id}`.
pub fn fill_url(template: &str, base: &str, api: &str, entity: &str, entities: &str) -> String {
    template.replace("{base}", base).replace("{api}", api).replace("{entity}", entity).replace("{entities}", entities)
}

/// RFC 7396 JSON merge patch: objects merge key by key, `null` removes a key, anything else replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

/// The values an example's placeholders stand for.
pub struct ExampleValues<'a> {
    /// The provider's id, which with the event type makes `{event_id}`.
    pub provider: &'a str,
    /// `{event_type}`.
    pub event_type: &'a str,
    /// `{api}`.
    pub api: &'a str,
    /// `{entity}`.
    pub entity: &'a str,
    /// `{entity_url}`: the url template, `{id}` filled.
    pub entity_url: Option<&'a str>,
    /// `{id}`.
    pub id: Option<&'a str>,
}

/// `{event_id}`: an id of UUID form made from the provider and the event type (SHA-256, version 8),
/// so each fixture is a delivery of its own and the same catalog gives the same ids everywhere.
pub fn event_id(provider: &str, event_type: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(format!("{provider}\n{event_type}").as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

/// Replaces placeholders in every string of an example. Braces that name no placeholder are left
/// alone (vendor examples contain `{lookupIdToken}`). Returns the name of a placeholder that has no
/// value for this event.
pub fn fill_example(value: &mut Value, v: &ExampleValues<'_>) -> Result<(), String> {
    match value {
        Value::String(s) => {
            if !s.contains('{') {
                return Ok(());
            }
            let url = v.entity_url.map(|u| u.replace("{id}", v.id.unwrap_or("{id}")));
            let mut out = s.replace("{event_type}", v.event_type).replace("{api}", v.api).replace("{entity}", v.entity);
            if out.contains("{event_id}") {
                out = out.replace("{event_id}", &event_id(v.provider, v.event_type));
            }
            if out.contains("{entity_url}") {
                out = out.replace("{entity_url}", url.as_deref().ok_or("entity_url")?);
            }
            if out.contains("{id}") {
                out = out.replace("{id}", v.id.ok_or("id")?);
            }
            *s = out;
            Ok(())
        }
        Value::Array(items) => items.iter_mut().try_for_each(|i| fill_example(i, v)),
        Value::Object(map) => map.values_mut().try_for_each(|i| fill_example(i, v)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn grammar_splits_multi_segment_actions() {
        let g = Grammar::parse("{api}.{entity}.{action}").unwrap();
        let p = g.split("vault.connection.token_refresh.failed").unwrap();
        assert_eq!((p.api, p.entity, p.action.as_str()), (Some("vault"), "connection", "token_refresh.failed"));
        assert!(g.split("pos.order").is_none());
        assert!(g.split("pos..created").is_none());
        assert!(g.split("Pos.Order.Created").is_none());
        let g = Grammar::parse("{entity}.{action}").unwrap();
        assert_eq!(g.split("order.created").unwrap().entity, "order");
        assert!(Grammar::parse("{api}-{entity}").is_err());
    }

    #[test]
    fn url_templates_are_checked() {
        assert!(check_url("{base}/{api}/{entities}/{id}").is_ok());
        assert_eq!(check_url("{base}/{apis}/{id}").unwrap_err(), "unknown placeholder `{apis}`");
        assert_eq!(check_url("{base}/{api}").unwrap_err(), "it has no `{id}`");
        assert!(check_url("{base}/{api").is_err());
    }

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut v = json!({"a": 1, "b": {"c": 2, "d": 3}});
        merge_patch(&mut v, &json!({"a": null, "b": {"c": 5}, "e": [1]}));
        assert_eq!(v, json!({"b": {"c": 5, "d": 3}, "e": [1]}));
    }
}
