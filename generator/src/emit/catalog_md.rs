//! `CATALOG.md`: the catalog as a person reads it, generated with the crate so it is never stale.
//! Reviewers and users read it instead of YAML.

use super::docs;
use crate::ir::{Catalog, Status};

/// A table cell: pipes escaped and line breaks joined, so descriptions cannot break the table.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace("\r\n", " ").replace(['\r', '\n'], " ")
}

pub fn emit(catalog: &Catalog, header: &str) -> String {
    let mut s = format!("<!-- {header} -->\n\n# The event catalog\n\n");
    let total: usize = catalog.providers.iter().map(|p| p.events.len()).sum();
    s.push_str(&format!("{total} events from {} providers.\n\n", catalog.providers.len()));
    s.push_str("| provider | api | events | available | upcoming | deprecated | undocumented |\n|---|---|---:|---:|---:|---:|---:|\n");
    for p in &catalog.providers {
        for (i, api) in p.apis.iter().enumerate() {
            let events: Vec<_> = p.events.iter().filter(|e| e.api == i).collect();
            let count = |status: Status| events.iter().filter(|e| e.status == status).count();
            s.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} |\n",
                docs::md(&p.title),
                docs::md(&api.title),
                events.len(),
                count(Status::Available),
                count(Status::Upcoming),
                count(Status::Deprecated),
                count(Status::Undocumented)
            ));
        }
    }
    for p in &catalog.providers {
        s.push_str(&format!("\n## {}\n\n{}\n", docs::md(&p.title), docs::md(p.description.trim())));
        for (i, api) in p.apis.iter().enumerate() {
            let events: Vec<_> = p.events.iter().filter(|e| e.api == i).collect();
            s.push_str(&format!("\n### {} (`{}`, feature `{}`, {} events)\n\n", docs::md(&api.title), api.wire, api.feature, events.len()));
            s.push_str("| event | Rust variant | status | entity url | description |\n|---|---|---|---|---|\n");
            for e in events {
                let mut name = format!("`{}`", e.wire);
                for alias in &e.aliases {
                    name.push_str(&format!("<br>alias `{alias}`"));
                }
                let url = e.url_template.as_deref().map_or_else(|| "—".to_string(), |u| format!("`{u}`"));
                s.push_str(&format!(
                    "| {name} | `{}::EventType::{}` | {} | {} | {} |\n",
                    p.module,
                    e.variant,
                    e.status.as_str(),
                    cell(&url),
                    cell(&e.description)
                ));
            }
        }
    }
    s
}
