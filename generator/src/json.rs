//! JSON output with a fixed key order. serde_json's map sorts keys only while its
//! `preserve_order` feature is off, and cargo unifies features across a build, so any crate in the
//! graph could turn it on; rebuilding every object in sorted order makes the bytes independent of
//! that.

use serde_json::{Map, Value};

/// `value` with the keys of every object in sorted order.
pub fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let mut out = Map::new();
            for k in keys {
                out.insert(k.clone(), sorted(&map[k]));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// Pretty JSON with sorted keys and a final newline.
pub fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(&sorted(value)).expect("a JSON value always serializes");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_come_out_sorted_at_every_depth() {
        let v = serde_json::json!({"b": 1, "a": {"d": [{"z": 1, "y": 2}], "c": null}});
        assert_eq!(super::pretty(&v).split_whitespace().collect::<String>(), r#"{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}"#);
    }
}
