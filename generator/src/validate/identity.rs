//! The generated crate's identity: `crate.yaml` when the catalog has one, else the defaults,
//! and the flags over both, each value checked as cargo would.

use std::path::Path;

use crate::diagnostic::{Diagnostic, Location};
use crate::ir::Identity;
use crate::load::raw::RawCrate;
use crate::load::SourceFile;

/// Values given on the command line, over the catalog's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    /// `--crate-name`.
    pub name: Option<String>,
    /// `--crate-version`.
    pub version: Option<String>,
}

/// The identity, with every malformed value reported where it was written.
pub fn identity(spec_dir: &Path, file: Option<&SourceFile<RawCrate>>, overrides: &Overrides, errors: &mut Vec<Diagnostic>) -> Identity {
    let mut id = Identity::default();
    if let Some(file) = file {
        let raw = &file.value;
        check(errors, file.at("name"), "crate name", &raw.name, valid_name, NAME_HELP);
        check(errors, file.at("version"), "crate version", &raw.version, valid_version, VERSION_HELP);
        id.name.clone_from(&raw.name);
        id.version.clone_from(&raw.version);
        if let Some(d) = &raw.description {
            id.description = d.trim().to_string();
        }
        id.license.clone_from(&raw.license);
        if let Some(v) = &raw.rust_version {
            match at_least(v, Identity::MIN_RUST_VERSION) {
                Ok(()) => id.rust_version.clone_from(v),
                Err(why) => errors.push(
                    Diagnostic::new(file.at("rust_version"), format!("malformed or too old `rust_version` `{v}`: {why}"))
                        .help(format!("write `1.NN` or `1.NN.N`, at least {}", Identity::MIN_RUST_VERSION)),
                ),
            }
        }
        for (key, value) in [("description", &raw.description), ("license", &raw.license)] {
            if value.as_deref().is_some_and(|v| v.trim().is_empty() || v.contains(['\n', '\r'])) {
                errors.push(Diagnostic::new(file.at(key), format!("`{key}` must be one non-empty line")).help("write it on one line"));
            }
        }
    }
    let flags = Location::file(spec_dir);
    if let Some(name) = &overrides.name {
        check(errors, flags.clone(), "`--crate-name`", name, valid_name, NAME_HELP);
        id.name.clone_from(name);
    }
    if let Some(version) = &overrides.version {
        check(errors, flags, "`--crate-version`", version, valid_version, VERSION_HELP);
        id.version.clone_from(version);
    }
    id
}

const NAME_HELP: &str = "a crate name is ASCII letters, digits, `-` and `_`, starting with a letter, at most 64 characters";
const VERSION_HELP: &str = "write a semantic version, e.g. `0.1.0` or `1.2.0-beta.1`";

fn check(errors: &mut Vec<Diagnostic>, at: Location, what: &str, value: &str, valid: fn(&str) -> bool, help: &str) {
    if !valid(value) {
        errors.push(Diagnostic::new(at, format!("malformed {what} `{value}`")).help(help));
    }
}

fn valid_name(name: &str) -> bool {
    name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// `MAJOR.MINOR.PATCH`, then optionally `-pre` and `+build` of dot-separated alphanumerics.
fn valid_version(version: &str) -> bool {
    let (core, rest) = match version.find(['-', '+']) {
        Some(i) => version.split_at(i),
        None => (version, ""),
    };
    let numbers: Vec<&str> = core.split('.').collect();
    let core_ok = numbers.len() == 3
        && numbers.iter().all(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) && (n.len() == 1 || !n.starts_with('0')));
    let rest_ok = rest.split(['-', '+']).skip(1).all(|part| {
        !part.is_empty() && part.split('.').all(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
    });
    core_ok && rest_ok
}

/// Whether `version` (`1.NN` or `1.NN.N`) is at least `min` (`1.NN`).
fn at_least(version: &str, min: &str) -> Result<(), String> {
    let parse = |v: &str| -> Option<(u32, u32)> {
        let mut parts = v.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        match parts.next() {
            None => {}
            Some(patch) => {
                patch.parse::<u32>().ok()?;
            }
        }
        parts.next().is_none().then_some((major, minor))
    };
    let given = parse(version).ok_or("not a Rust version")?;
    let needed = parse(min).expect("the minimum is well formed");
    if given < needed {
        return Err(format!("the generated code needs Rust {min}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_versions_and_rust_versions_are_checked_as_cargo_would() {
        for good in ["webhook-events", "a", "my_crate2"] {
            assert!(valid_name(good), "{good}");
        }
        for bad in ["", "2fa", "-x", "a b", "ä", &"a".repeat(65)] {
            assert!(!valid_name(bad), "{bad}");
        }
        for good in ["0.1.0", "1.2.3-beta.1", "1.0.0+build.5", "10.20.30-rc-1"] {
            assert!(valid_version(good), "{good}");
        }
        for bad in ["", "1", "1.2", "1.2.3.4", "01.2.3", "1.2.3-", "1.2.3-a..b", "v1.2.3"] {
            assert!(!valid_version(bad), "{bad}");
        }
        assert!(at_least("1.82", "1.82").is_ok() && at_least("1.90.1", "1.82").is_ok());
        assert!(at_least("1.81", "1.82").is_err() && at_least("1.x", "1.82").is_err() && at_least("2", "1.82").is_err());
    }
}
