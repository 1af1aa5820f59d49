//! `cargo xtask diff [--base REV]`: what changed in the catalog between a git revision and the
//! working tree, as markdown for a pull-request comment, each change with its effect on the
//! generated crate's semver.
//!
//! The rules, from the generated API's point of view: an added event or field is **minor**; a
//! removed event, a removed or retyped field, or a renamed Rust variant is **major** (code naming
//! it stops compiling); a rename that keeps the old wire name as an alias *and* the Rust variant
//! (via `rust_name`) is **minor**; a changed status or url template is **minor** (behaviour of
//! `status()` / `entity_url` changes, nothing stops compiling); a changed description is a **patch**.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use webhook_codegen::ir::{Catalog, Event, Provider, Type};

/// A change's effect on the generated crate's version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Semver {
    /// Documentation only.
    Patch,
    /// Backwards compatible.
    Minor,
    /// Breaks users.
    Major,
}

impl fmt::Display for Semver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Semver::Patch => "patch",
            Semver::Minor => "minor",
            Semver::Major => "major",
        })
    }
}

/// One change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// `added`, `removed`, `renamed` or `changed`.
    pub kind: &'static str,
    /// The provider.
    pub provider: String,
    /// The event (or `payload <name>` for a payload shape).
    pub subject: String,
    /// What changed.
    pub details: String,
    /// Its effect.
    pub semver: Semver,
}

/// The catalog at `rev` in the git repository containing `spec_dir`, extracted to a temporary
/// folder (returned with it, so the caller keeps it alive).
pub fn catalog_at(spec_dir: &Path, rev: &str) -> Result<(tempfile::TempDir, PathBuf), String> {
    let spec_dir = spec_dir.canonicalize().map_err(|e| format!("{}: {e}", spec_dir.display()))?;
    let git_in = |dir: &Path, args: &[&str]| -> Result<Vec<u8>, String> {
        let out = Command::new("git").args(args).current_dir(dir).output().map_err(|e| format!("cannot run git: {e}"))?;
        if !out.status.success() {
            return Err(format!("git {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim()));
        }
        Ok(out.stdout)
    };
    let prefix = String::from_utf8_lossy(&git_in(&spec_dir, &["rev-parse", "--show-prefix"])?).trim().to_string();
    // From the top of the repository, so `ls-tree` lists the whole folder whatever the caller's directory.
    let top = PathBuf::from(String::from_utf8_lossy(&git_in(&spec_dir, &["rev-parse", "--show-toplevel"])?).trim());
    let git = |args: &[&str]| git_in(&top, args);
    let listing = git(&["ls-tree", "-r", "--name-only", &format!("{rev}:{prefix}")])?;
    let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let root = temp.path().join("spec");
    for name in String::from_utf8_lossy(&listing).lines().filter(|n| n.ends_with(".yaml") || n.ends_with(".yml")) {
        let contents = git(&["show", &format!("{rev}:{prefix}{name}")])?;
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().expect("a file has a folder")).map_err(|e| e.to_string())?;
        std::fs::write(&path, contents).map_err(|e| e.to_string())?;
    }
    Ok((temp, root))
}

/// The changes from `base` to `head`, sorted by provider and subject.
pub fn diff(base: &Catalog, head: &Catalog) -> Vec<Change> {
    let mut changes = Vec::new();
    let providers: BTreeSet<&str> = base.providers.iter().chain(&head.providers).map(|p| p.name.as_str()).collect();
    for name in providers {
        let b = base.providers.iter().find(|p| p.name == name);
        let h = head.providers.iter().find(|p| p.name == name);
        match (b, h) {
            (Some(b), Some(h)) => provider_diff(b, h, &mut changes),
            (None, Some(h)) => changes.push(change("added", name, "provider", format!("{} events", h.events.len()), Semver::Minor)),
            (Some(b), None) => changes.push(change("removed", name, "provider", format!("{} events", b.events.len()), Semver::Major)),
            (None, None) => {}
        }
    }
    changes.sort_by(|a, b| (&a.provider, &a.subject, a.kind).cmp(&(&b.provider, &b.subject, b.kind)));
    changes
}

fn change(kind: &'static str, provider: &str, subject: impl Into<String>, details: String, semver: Semver) -> Change {
    Change { kind, provider: provider.to_string(), subject: subject.into(), details, semver }
}

fn provider_diff(b: &Provider, h: &Provider, out: &mut Vec<Change>) {
    let p = h.name.as_str();
    let base_events: BTreeMap<&str, &Event> = b.events.iter().map(|e| (e.wire.as_str(), e)).collect();
    let head_events: BTreeMap<&str, &Event> = h.events.iter().map(|e| (e.wire.as_str(), e)).collect();
    let head_alias: BTreeMap<&str, &Event> = h.events.iter().flat_map(|e| e.aliases.iter().map(move |a| (a.as_str(), e))).collect();
    let mut renamed_to: BTreeSet<&str> = BTreeSet::new();
    for (wire, old) in &base_events {
        if head_events.contains_key(wire) {
            continue;
        }
        match head_alias.get(wire) {
            Some(new) => {
                renamed_to.insert(new.wire.as_str());
                let same_variant = new.variant == old.variant;
                let details = if same_variant {
                    format!("now `{}`; the old name parses to it and the Rust variant `{}` is kept", new.wire, old.variant)
                } else {
                    format!(
                        "now `{}`; the old name parses to it, but the Rust variant `{}` becomes `{}` (keep it with `rust_name`)",
                        new.wire, old.variant, new.variant
                    )
                };
                out.push(change("renamed", p, format!("`{wire}`"), details, if same_variant { Semver::Minor } else { Semver::Major }));
            }
            None => out.push(change(
                "removed",
                p,
                format!("`{wire}`"),
                format!("`EventType::{}` is gone and the name parses as `Unknown`", old.variant),
                Semver::Major,
            )),
        }
    }
    for (wire, new) in &head_events {
        match base_events.get(wire) {
            None if !renamed_to.contains(wire) => {
                out.push(change("added", p, format!("`{wire}`"), format!("`EventType::{}`", new.variant), Semver::Minor))
            }
            None => {}
            Some(old) => event_diff(b, h, old, new, out),
        }
    }
    let base_objects: BTreeMap<&str, _> = b.objects.iter().map(|o| (o.name.as_str(), o)).collect();
    for new in &h.objects {
        let Some(old) = base_objects.get(new.name.as_str()) else {
            out.push(change("added", p, format!("payload `{}`", new.name), format!("`{}`", new.rust), Semver::Minor));
            continue;
        };
        let old_fields: BTreeMap<&str, (&Type, bool)> = old.fields.iter().map(|f| (f.wire.as_str(), (&f.ty, f.required))).collect();
        let new_fields: BTreeMap<&str, (&Type, bool)> = new.fields.iter().map(|f| (f.wire.as_str(), (&f.ty, f.required))).collect();
        for (field, (ty, required)) in &new_fields {
            match old_fields.get(field) {
                None if *required => out.push(change(
                    "changed",
                    p,
                    format!("payload `{}`", new.name),
                    format!("new required field `{field}`"),
                    Semver::Major,
                )),
                None => out.push(change("changed", p, format!("payload `{}`", new.name), format!("new field `{field}`"), Semver::Minor)),
                Some((old_ty, old_req)) if old_ty != ty || old_req != required => out.push(change(
                    "changed",
                    p,
                    format!("payload `{}`", new.name),
                    format!("field `{field}` changed type or requiredness"),
                    Semver::Major,
                )),
                Some(_) => {}
            }
        }
        for field in old_fields.keys().filter(|f| !new_fields.contains_key(*f)) {
            out.push(change("changed", p, format!("payload `{}`", new.name), format!("field `{field}` removed"), Semver::Major));
        }
    }
    for old in b.objects.iter().filter(|o| !h.objects.iter().any(|n| n.name == o.name)) {
        out.push(change("removed", p, format!("payload `{}`", old.name), format!("`{}` is gone", old.rust), Semver::Major));
    }
}

fn event_diff(b: &Provider, h: &Provider, old: &Event, new: &Event, out: &mut Vec<Change>) {
    let p = h.name.as_str();
    let subject = format!("`{}`", new.wire);
    if old.variant != new.variant {
        out.push(change("changed", p, subject.clone(), format!("Rust variant `{}` → `{}`", old.variant, new.variant), Semver::Major));
    }
    if old.status != new.status {
        out.push(change("changed", p, subject.clone(), format!("status {} → {}", old.status.as_str(), new.status.as_str()), Semver::Minor));
    }
    if old.url_template != new.url_template {
        let show = |u: &Option<String>| u.as_deref().map_or_else(|| "none".to_string(), |u| format!("`{u}`"));
        out.push(change(
            "changed",
            p,
            subject.clone(),
            format!("url {} → {}", show(&old.url_template), show(&new.url_template)),
            Semver::Minor,
        ));
    }
    let old_payload = payload_name(b, old);
    let new_payload = payload_name(h, new);
    if old_payload != new_payload {
        out.push(change("changed", p, subject.clone(), format!("payload {old_payload} → {new_payload}"), Semver::Major));
    }
    let removed_aliases: Vec<&String> = old.aliases.iter().filter(|a| !new.aliases.contains(a)).collect();
    if !removed_aliases.is_empty() {
        out.push(change("changed", p, subject.clone(), format!("alias no longer parsed: {removed_aliases:?}"), Semver::Major));
    }
    let added_aliases: Vec<&String> = new.aliases.iter().filter(|a| !old.aliases.contains(a)).collect();
    if !added_aliases.is_empty() {
        out.push(change("changed", p, subject.clone(), format!("also parsed from {added_aliases:?}"), Semver::Minor));
    }
    if old.description != new.description {
        out.push(change("changed", p, subject, format!("description: \"{}\"", new.description), Semver::Patch));
    }
}

fn payload_name(p: &Provider, e: &Event) -> String {
    match e.payload {
        webhook_codegen::ir::Payload::Raw => "raw".to_string(),
        webhook_codegen::ir::Payload::Object(i) => format!("`{}`", p.objects[i].name),
    }
}

/// The markdown comment.
pub fn markdown(changes: &[Change], base: &str) -> String {
    let mut s = format!("## Catalog changes against `{base}`\n\n");
    let Some(worst) = changes.iter().map(|c| c.semver).max() else {
        s.push_str("No changes to the catalog.\n");
        return s;
    };
    let count = |level: Semver| changes.iter().filter(|c| c.semver == level).count();
    s.push_str(&format!(
        "**Semver: {worst}** for `webhook-events` ({} major, {} minor, {} patch).\n\n",
        count(Semver::Major),
        count(Semver::Minor),
        count(Semver::Patch)
    ));
    s.push_str("| semver | change | provider | subject | details |\n|---|---|---|---|---|\n");
    let mut ordered: Vec<&Change> = changes.iter().collect();
    ordered.sort_by(|a, b| b.semver.cmp(&a.semver).then_with(|| (&a.provider, &a.subject).cmp(&(&b.provider, &b.subject))));
    for c in ordered {
        s.push_str(&format!("| {} | {} | {} | {} | {} |\n", c.semver, c.kind, c.provider, c.subject, c.details.replace('|', "\\|")));
    }
    s
}
