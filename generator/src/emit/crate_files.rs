//! The files every generated crate has: `Cargo.toml` (depending on `webhook-runtime` with the
//! features its providers' signing schemes need), `rustfmt.toml` and `src/lib.rs`.

use quote::quote;

use super::{docs, ident, Files};
use crate::ir::Catalog;
use crate::{RuntimeDependency, Settings};

/// prettyplease formats the generated code, the same on every machine; rustfmt (of whatever
/// version a user has) must not reformat it, or `cargo fmt` in their workspace would make it stale.
const RUSTFMT_TOML: &str = "# prettyplease formats this crate; rustfmt leaves it as generated.\ndisable_all_formatting = true\n";

pub fn emit(catalog: &Catalog, settings: &Settings, header: &str, out: &mut Files) {
    out.text("Cargo.toml".into(), cargo_toml(catalog, settings, header));
    out.text("rustfmt.toml".into(), format!("# {header}\n{RUSTFMT_TOML}"));
    out.rust("src/lib.rs".into(), lib_rs(catalog));
}

/// A TOML basic string.
fn toml_string(s: &str) -> String {
    serde_json::to_string(s).expect("a string always serializes")
}

fn cargo_toml(catalog: &Catalog, settings: &Settings, header: &str) -> String {
    let features: Vec<&str> = catalog.providers.iter().flat_map(|p| p.apis.iter().map(|a| a.feature.as_str())).collect();
    let id = &catalog.identity;
    let mut s = format!("# {header}\n\n[package]\n");
    s.push_str(&format!("name = {}\nversion = {}\n", toml_string(&id.name), toml_string(&id.version)));
    s.push_str(&format!("edition = \"2021\"\nrust-version = {}\n", toml_string(&id.rust_version)));
    if let Some(license) = &id.license {
        s.push_str(&format!("license = {}\n", toml_string(license)));
    }
    s.push_str(&format!("description = {}\npublish = false\n\n", toml_string(&id.description)));
    s.push_str(&format!("[lib]\nname = {}\n\n", toml_string(&id.lib_name())));
    // docs.rs documents every feature, so the `testing` module and async handlers show.
    s.push_str("[package.metadata.docs.rs]\nall-features = true\n\n");
    s.push_str(
        "[features]\n# One feature per api, each building alone; an api turns on its provider's feature.\ndefault = [\n    \"async\",\n    \"http\",\n",
    );
    for f in &features {
        s.push_str(&format!("    \"{f}\",\n"));
    }
    s.push_str("]\n# `AsyncHandler`, `dispatch_async` and `Router`: about half the crate's compile time with many events.\nasync = []\n# `Headers` for `http::HeaderMap`.\nhttp = [\"webhook-runtime/http\"]\n# Signing fixtures as the provider would, for tests.\ntest-util = []\n");
    // A provider's module, and the runtime's signing scheme it needs, come with any of its apis.
    for p in &catalog.providers {
        let scheme = p.signing.scheme.runtime_feature().map(|f| toml_string(&format!("webhook-runtime/{f}"))).unwrap_or_default();
        s.push_str(&format!("{} = [{scheme}]\n", p.name));
        for a in &p.apis {
            s.push_str(&format!("{} = [{}]\n", a.feature, toml_string(&p.name)));
        }
    }
    let runtime = match &settings.runtime {
        RuntimeDependency::Version(v) => format!("version = {}", toml_string(v)),
        RuntimeDependency::Path(p) => format!("path = {}", toml_string(p)),
    };
    s.push_str(&format!(
        "\n[dependencies]\nserde = {{ version = \"1\", features = [\"derive\"] }}\nserde_json = {{ version = \"1\", features = [\"raw_value\"] }}\n\
         webhook-runtime = {{ {runtime}, default-features = false }}\n"
    ));
    s
}

fn lib_rs(catalog: &Catalog) -> proc_macro2::TokenStream {
    let mut text = format!(
        "{}\n\n\
         Each provider has a module with its `EventType` (every event it sends, open to events added \
         later), its `Event` (a parsed body, payload typed), a `Handler` trait with one method per \
         event and a `dispatch` function, per-api handler modules, entity url helpers and an example \
         body per event in `fixtures`.\n\nProviders:\n\n",
        docs::md(&catalog.identity.description)
    );
    for p in &catalog.providers {
        text.push_str(&format!("- [`{}`], {}: {} events\n", p.module, docs::md(&p.title), p.events.len()));
    }
    let docs = docs::inner(&text);
    let modules = catalog.providers.iter().map(|p| {
        // The module's own file documents it; an outer doc here would resolve its links in the wrong scope.
        let m = ident(&p.module);
        let feature = &p.name;
        quote!(#[cfg(feature = #feature)] pub mod #m;)
    });
    quote! {
        #docs
        #![deny(missing_docs)]
        #![forbid(unsafe_code)]

        /// The hand-written runtime every generated crate shares: verification schemes, errors, event
        /// metadata. Re-exported so that one version of it is the one this crate was built with.
        pub use ::webhook_runtime as runtime;
        pub use runtime::{Delivery, EventInfo, Headers, KeyError, ParseError, RawPayload, Scheme, Secret, Status, UnknownEvent, UnknownEventCode, VerifyError};

        #(#modules)*
    }
}
