//! Matching an incoming entity url against a template.

/// The `{id}` in `url` if it matches `template` (which has exactly one `{id}`), accepting the
/// collection segment both as the template spells it (`invoice_items`, the docs' examples) and in
/// kebab case (`invoice-items`, the REST path). The id must be non-empty and one path segment.
pub fn match_template<'u>(template: &str, url: &'u str) -> Option<&'u str> {
    let (prefix, suffix) = template.split_once("{id}")?;
    let kebab = prefix.replace('_', "-");
    let rest = url.strip_prefix(prefix).or_else(|| url.strip_prefix(kebab.as_str()))?;
    let id = rest.strip_suffix(suffix)?;
    let single_segment = !id.is_empty() && !id.contains(['/', '?', '#']);
    single_segment.then_some(id)
}

#[cfg(test)]
mod tests {
    use super::match_template;

    #[test]
    fn matches_both_spellings() {
        let t = "https://unify.apideck.com/accounting/invoice_items/{id}";
        assert_eq!(match_template(t, "https://unify.apideck.com/accounting/invoice_items/A1"), Some("A1"));
        assert_eq!(match_template(t, "https://unify.apideck.com/accounting/invoice-items/A1"), Some("A1"));
        assert_eq!(match_template(t, "https://unify.apideck.com/accounting/invoices/A1"), None);
        assert_eq!(match_template(t, "https://unify.apideck.com/accounting/invoice_items/"), None);
        assert_eq!(match_template(t, "https://unify.apideck.com/accounting/invoice_items/A1/x"), None);
    }
}
