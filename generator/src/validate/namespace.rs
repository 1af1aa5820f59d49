//! One namespace of the generated code: the Rust names claimed in it, and by what. The first
//! claim of a name wins; a second is an error naming both places, so two things never silently
//! become one item.

use std::collections::HashMap;

use crate::diagnostic::{Diagnostic, Location};

/// Who holds a name: a catalog item and where it is, or an item every generated crate has.
enum Holder {
    Catalog { what: String, at: Location },
    Fixed(&'static str),
}

/// The names of one namespace (a provider's event variants, its handler methods, ...).
pub struct Namespace {
    /// What a name is here, for messages: "a handler method", "a constant".
    kind: String,
    taken: HashMap<String, Holder>,
}

impl Namespace {
    /// An empty namespace, but for `fixed` names the generated code itself uses (name, what it is).
    pub fn new(kind: impl Into<String>, fixed: &[(&str, &'static str)]) -> Self {
        Namespace { kind: kind.into(), taken: fixed.iter().map(|(name, why)| (name.to_string(), Holder::Fixed(why))).collect() }
    }

    /// Claims `name` for `what` (e.g. "event `a.b.created`"), found `at`; reports a collision (with
    /// `help` when another catalog item holds the name) and returns false when the name is taken.
    pub fn claim(&mut self, name: &str, what: &str, at: &Location, help: &str, errors: &mut Vec<Diagnostic>) -> bool {
        match self.taken.get(name) {
            None => {
                self.taken.insert(name.to_string(), Holder::Catalog { what: what.to_string(), at: at.clone() });
                true
            }
            Some(Holder::Fixed(why)) => {
                errors.push(
                    Diagnostic::new(at.clone(), format!("{what} would be `{name}` ({}), which is {why}", self.kind))
                        .help(format!("the generated code needs `{name}` for itself: give {what} a `rust_name:`")),
                );
                false
            }
            Some(Holder::Catalog { what: other, at: first }) => {
                errors.push(
                    Diagnostic::new(at.clone(), format!("{other} and {what} would both be `{name}` ({})", self.kind))
                        .note(format!("{other} is at {first}"))
                        .help(help),
                );
                false
            }
        }
    }
}
