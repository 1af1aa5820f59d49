//! Payload and model shapes: field types resolved, names checked, lifetimes and boxing decided.

use std::collections::{BTreeMap, HashMap};

use super::names;
use crate::diagnostic::{Diagnostic, Location};
use crate::ir::{Enum, Field, Object, ObjectKind, Type};
use crate::load::raw::{RawObject, RawProvider};
use crate::load::SourceFile;

/// Objects past this many (nested) fields are boxed inside `Event`, so one large payload does not
/// make every event large.
const BOX_ABOVE_FIELDS: usize = 16;

/// A declared object with its example, which only the fixture builder needs.
pub struct Declared {
    /// The catalog name.
    pub name: String,
    /// Payload or model.
    pub kind: ObjectKind,
    /// The example template.
    pub example: Option<serde_json::Value>,
    /// The IR object.
    pub resolved: Object,
}

/// Resolves every enum and object of a provider file.
pub fn resolve(file: &SourceFile<RawProvider>, errors: &mut Vec<Diagnostic>) -> (Vec<Declared>, Vec<Enum>) {
    let raw = &file.value;
    let mut type_names: HashMap<String, Location> = HashMap::new();
    let mut claim_type = |rust: &str, loc: Location, errors: &mut Vec<Diagnostic>| {
        if let Some(first) = type_names.get(rust) {
            errors.push(
                Diagnostic::new(loc.clone(), format!("two declarations become the Rust type `{rust}`"))
                    .note(format!("the other is at {first}"))
                    .help("rename one of them"),
            );
        } else {
            type_names.insert(rust.to_string(), loc);
        }
    };

    let mut enums = Vec::new();
    for (name, e) in &raw.enums {
        let node = format!("enums/{name}");
        let rust = names::type_name(name);
        if !super::valid_name(name) {
            errors.push(super::bad_name(file.at(&node), "enum name", name));
        }
        claim_type(&rust, file.at(&node), errors);
        if e.values.is_empty() {
            errors.push(
                Diagnostic::new(file.at(&node), format!("the enum `{name}` has no values"))
                    .help("list the values the vendor documents, or make the fields that use it `string`"),
            );
        }
        let mut values = Vec::new();
        let mut variants: HashMap<String, usize> = HashMap::new();
        for (i, value) in e.values.iter().enumerate() {
            let variant = names::type_name(value);
            if !names::is_rust_name(&variant) {
                errors.push(
                    Diagnostic::new(
                        file.at(&format!("{node}/values/{i}")),
                        format!("value `{value}` gives no Rust variant name: it needs ASCII letters or digits"),
                    )
                    .help("a closed set names each value in Rust; for values like this one, make the field a `string`"),
                );
            } else if variant == "Unknown" || variants.insert(variant.clone(), i).is_some() {
                errors.push(
                    Diagnostic::new(
                        file.at(&format!("{node}/values/{i}")),
                        format!("value `{value}` becomes the Rust variant `{variant}`, which is taken"),
                    )
                    .help("`Unknown` holds values added later; values must differ after casing"),
                );
            }
            values.push((value.clone(), variant));
        }
        let description = super::written(&e.description).unwrap_or_else(|| format!("The values of `{name}`."));
        enums.push(Enum { name: name.clone(), rust, description, values });
    }

    let declared: BTreeMap<&str, (ObjectKind, &RawObject)> = raw
        .payloads
        .iter()
        .map(|(n, o)| (n.as_str(), (ObjectKind::Payload, o)))
        .chain(raw.models.iter().map(|(n, o)| (n.as_str(), (ObjectKind::Model, o))))
        .collect();
    for (name, _) in raw.payloads.iter().filter(|(n, _)| raw.models.contains_key(*n)) {
        errors.push(
            Diagnostic::new(file.at(&format!("models/{name}")), format!("`{name}` is both a payload and a model"))
                .help("rename one of them"),
        );
    }

    // Field types first; then which objects borrow, and their weight, once every type is known.
    let mut objects = Vec::new();
    for (name, (kind, obj)) in &declared {
        let section = if *kind == ObjectKind::Payload { "payloads" } else { "models" };
        let node = format!("{section}/{name}");
        let rust = names::type_name(name);
        if !super::valid_name(name) {
            errors.push(super::bad_name(file.at(&node), &format!("{} name", &section[..section.len() - 1]), name));
        }
        claim_type(&rust, file.at(&node), errors);
        let mut fields = Vec::new();
        let mut field_names: HashMap<String, String> = HashMap::new();
        for (wire, f) in &obj.fields.0 {
            let fnode = format!("{node}/fields/{wire}");
            let rust_field = match &f.rust_name {
                Some(name) if names::is_rust_name(name) && names::value_name(name) == *name => name.clone(),
                Some(name) => {
                    errors.push(
                        Diagnostic::new(file.at(&format!("{fnode}/rust_name")), format!("`{name}` is not a Rust field name"))
                            .help("use snake_case ASCII letters, digits and `_`, not a keyword"),
                    );
                    continue;
                }
                None => names::value_name(wire),
            };
            if !names::is_rust_name(&rust_field) {
                errors.push(
                    Diagnostic::new(
                        file.at(&fnode),
                        format!("the key `{wire}` gives no Rust field name: it needs ASCII letters or digits"),
                    )
                    .help(format!("give the field a `rust_name:`, e.g. `{wire:?}: {{ type: {}, rust_name: value, ... }}`", f.ty)),
                );
                continue;
            }
            if let Some(other) = field_names.insert(rust_field.clone(), wire.clone()) {
                errors.push(
                    Diagnostic::new(file.at(&fnode), format!("fields `{other}` and `{wire}` both become the Rust field `{rust_field}`"))
                        .help("give one of them a `rust_name:`"),
                );
                continue;
            }
            match parse_type(&f.ty, *kind, &declared, &raw.enums) {
                Ok(ty) => fields.push(Field { wire: wire.clone(), rust: rust_field, description: super::written(&f.description).unwrap_or_else(|| format!("The `{wire}` member.")),
                    ty,
                    required: f.required,
                }),
                Err(why) => errors.push(
                    Diagnostic::new(file.at(&format!("{fnode}/type")), format!("bad field type `{}`: {why}", f.ty)).help(
                        "use `string`, `number`, `integer`, `boolean`, `json`, an enum or object of this file, or (in models) `secret`, `event_type`, `event_code`, `event_selector`, `list of <type>`",
                    ),
                ),
            }
        }
        objects.push(Declared {
            name: name.to_string(),
            kind: *kind,
            example: obj.example.clone(),
            resolved: Object {
                name: name.to_string(),
                rust,
                description: super::written(&obj.description).unwrap_or_else(|| format!("The `{name}` {}.", &section[..section.len() - 1])),
                fields,
                kind: *kind,
                borrows: false,
                boxed: false,
            },
        });
    }

    // Objects reference each other by name; a cycle would be a type of infinite size.
    let by_rust: HashMap<String, usize> = objects.iter().enumerate().map(|(i, o)| (o.resolved.rust.clone(), i)).collect();
    let mut weights: Vec<Option<usize>> = vec![None; objects.len()];
    for i in 0..objects.len() {
        let mut path = Vec::new();
        if weight(i, &objects, &by_rust, &mut weights, &mut path).is_none() {
            let o = &objects[i];
            let section = if o.kind == ObjectKind::Payload { "payloads" } else { "models" };
            errors.push(
                Diagnostic::new(file.at(&format!("{section}/{}", o.name)), format!("object `{}` contains itself", o.name))
                    .help("break the cycle: use `json` for one of the fields"),
            );
            return (objects, enums);
        }
    }
    let borrows: Vec<bool> = (0..objects.len()).map(|i| borrows(i, &objects, &by_rust)).collect();
    for (i, o) in objects.iter_mut().enumerate() {
        o.resolved.boxed = weights[i].unwrap_or(0) > BOX_ABOVE_FIELDS;
        o.resolved.borrows = borrows[i];
    }
    let snapshot: Vec<bool> = borrows;
    for o in &mut objects {
        for f in &mut o.resolved.fields {
            if let Type::Object(rust, b) = &mut f.ty {
                *b = snapshot[by_rust[rust.as_str()]];
            }
        }
    }
    (objects, enums)
}

fn parse_type(
    text: &str,
    kind: ObjectKind,
    objects: &BTreeMap<&str, (ObjectKind, &RawObject)>,
    enums: &BTreeMap<String, crate::load::raw::RawEnum>,
) -> Result<Type, String> {
    if let Some(inner) = text.strip_prefix("list of ") {
        if kind == ObjectKind::Payload {
            return Err("lists are supported in models only".to_string());
        }
        return Ok(Type::List(Box::new(parse_type(inner.trim(), kind, objects, enums)?)));
    }
    let model_only = |t: Type| if kind == ObjectKind::Model { Ok(t) } else { Err(format!("`{text}` is supported in models only")) };
    match text {
        "string" => Ok(Type::String),
        "number" => Ok(Type::Number),
        "integer" => Ok(Type::Integer),
        "boolean" => Ok(Type::Boolean),
        "json" => Ok(Type::Json),
        "event_type" => Ok(Type::EventType),
        "secret" => model_only(Type::Secret),
        "event_code" => model_only(Type::EventCode),
        "event_selector" => model_only(Type::EventSelector),
        name if enums.contains_key(name) => Ok(Type::Enum(names::type_name(name))),
        name => match objects.get(name) {
            Some((k, _)) if *k == kind => Ok(Type::Object(names::type_name(name), false)),
            Some(_) => Err(format!(
                "`{name}` is a {}, and payloads and models cannot contain each other",
                if kind == ObjectKind::Payload { "model" } else { "payload" }
            )),
            None => Err(format!("`{name}` is not a type, an enum or an object")),
        },
    }
}

/// Number of leaf fields, nested objects counted by their own fields; `None` on a cycle.
fn weight(
    i: usize,
    objects: &[Declared],
    by_rust: &HashMap<String, usize>,
    memo: &mut [Option<usize>],
    path: &mut Vec<usize>,
) -> Option<usize> {
    if let Some(w) = memo[i] {
        return Some(w);
    }
    if path.contains(&i) {
        return None;
    }
    path.push(i);
    let mut total = 0;
    for f in &objects[i].resolved.fields {
        total += match inner_object(&f.ty) {
            Some(rust) => weight(by_rust[rust], objects, by_rust, memo, path)?,
            None => 1,
        };
    }
    path.pop();
    memo[i] = Some(total);
    Some(total)
}

fn borrows(i: usize, objects: &[Declared], by_rust: &HashMap<String, usize>) -> bool {
    let o = &objects[i].resolved;
    o.kind == ObjectKind::Payload
        && o.fields.iter().any(|f| match &f.ty {
            Type::String => true,
            Type::Object(rust, _) => borrows(by_rust[rust.as_str()], objects, by_rust),
            _ => false,
        })
}

fn inner_object(ty: &Type) -> Option<&str> {
    match ty {
        Type::Object(rust, _) => Some(rust),
        Type::List(inner) => inner_object(inner),
        _ => None,
    }
}

/// The first place where `value` does not fit object `i` (a JSON path, empty for the value
/// itself, and what is wrong), or
/// `None` when it fits: every required field present and not null, every field of its type.
/// Fixtures are checked with this, so each one parses back into its event.
pub fn misfit(objects: &[Declared], i: usize, value: &serde_json::Value) -> Option<(String, String)> {
    let object = &objects[i].resolved;
    let Some(map) = value.as_object() else { return Some((String::new(), format!("is {value}, not an object (`{}`)", object.name))) };
    for f in &object.fields {
        let path = format!(".{}", f.wire);
        match map.get(&f.wire) {
            None | Some(serde_json::Value::Null) if f.required => return Some((path, "is required, and missing".into())),
            None | Some(serde_json::Value::Null) => {}
            Some(v) => {
                if let Some((inner, why)) = type_misfit(objects, &f.ty, v) {
                    return Some((format!("{path}{inner}"), why));
                }
            }
        }
    }
    None
}

fn type_misfit(objects: &[Declared], ty: &Type, v: &serde_json::Value) -> Option<(String, String)> {
    let fits = match ty {
        Type::String | Type::Secret | Type::EventType | Type::EventCode | Type::EventSelector | Type::Enum(_) => v.is_string(),
        Type::Number => v.is_number(),
        Type::Integer => v.is_i64(),
        Type::Boolean => v.is_boolean(),
        Type::Json => true,
        Type::List(inner) => match v.as_array() {
            Some(items) => {
                return items
                    .iter()
                    .enumerate()
                    .find_map(|(n, item)| type_misfit(objects, inner, item).map(|(p, why)| (format!("[{n}]{p}"), why)))
            }
            None => false,
        },
        Type::Object(rust, _) => {
            let i = objects.iter().position(|o| &o.resolved.rust == rust)?;
            return misfit(objects, i, v);
        }
    };
    let expected = match ty {
        Type::Integer => "a whole number within 64 bits",
        Type::Number => "a number",
        Type::Boolean => "`true` or `false`",
        Type::List(_) => "a list",
        _ => "a string",
    };
    (!fits).then(|| (String::new(), format!("is {v}, not {expected}")))
}
