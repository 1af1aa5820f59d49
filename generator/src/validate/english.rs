//! The English a catalog entry does not have to spell out: entity words, plurals, articles and
//! the sentence that describes an event. Every rule can be overridden in the catalog.

/// An entity in words: `time-off-request` → `time off request`.
pub fn words(entity: &str) -> String {
    entity.replace(['_', '-'], " ")
}

/// `a` or `an`, by the first letter. Words where the sound differs (`an hour`, `a user`) take an
/// `article:` override.
pub fn article(words: &str) -> &'static str {
    match words.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => "an",
        _ => "a",
    }
}

/// The plural of an entity, keeping its separator: `tracking_category` → `tracking_categories`,
/// `time-off-request` → `time-off-requests`. Only the last word changes.
pub fn plural(entity: &str) -> String {
    let split = entity.rfind(['_', '-']).map_or(0, |i| i + 1);
    let (head, last) = entity.split_at(split);
    format!("{head}{}", plural_word(last))
}

fn plural_word(word: &str) -> String {
    let vowel = |c: char| "aeiou".contains(c);
    if let Some(stem) = word.strip_suffix('y') {
        if stem.chars().last().is_some_and(|c| !vowel(c)) {
            return format!("{stem}ies");
        }
    }
    if ["s", "x", "z", "ch", "sh"].iter().any(|s| word.ends_with(s)) {
        return format!("{word}es");
    }
    format!("{word}s")
}

/// The sentence describing an event, or `None` when the action is not a past participle and a
/// person must write it (`callable`, `token_refresh.pending`).
///
/// `created` → "Event broadcast when an order has been created."
/// `token_refresh.failed` → "Event broadcast when a connection's token refresh has failed."
pub fn description(article: &str, words: &str, action: &str) -> Option<String> {
    let parts: Vec<&str> = action.split('.').collect();
    match parts.as_slice() {
        [verb] if is_participle(verb) => Some(format!("Event broadcast when {article} {words} has been {}.", self::words(verb))),
        [subject, verb] if is_participle(verb) => {
            Some(format!("Event broadcast when {article} {words}'s {} has {}.", self::words(subject), self::words(verb)))
        }
        _ => None,
    }
}

/// Past participles that do not end in `-ed`, separated by spaces.
const IRREGULAR: &str = concat!(
    "begun bought bound broken brought built caught chosen cut dealt done drawn driven fed found frozen ",
    "given held hidden hit kept known laid led left lent let lost made meant met paid put quit read rung ",
    "run said seen sent set shown shut sold spent split spoken stolen struck sung swept taken taught ",
    "thrown told torn undone withdrawn won worn written",
);

/// Words ending in `-ed` that are not past participles.
const NOT_PARTICIPLES: &[&str] = &["bed", "bleed", "embed", "feed", "need", "red", "seed", "shed", "sled", "speed", "wed", "weed"];

/// Whether the last word of `verb` (`payment_received`, `repaid`) is a past participle, so that
/// "has been {verb}" is English.
fn is_participle(verb: &str) -> bool {
    let last = verb.rsplit(['_', '-']).next().unwrap_or(verb);
    if NOT_PARTICIPLES.contains(&last) {
        return false;
    }
    // A prefixed form (`repaid`, `unbound`, `overwritten`) is as regular as its stem.
    let stems = ["", "re", "un", "pre", "over", "under", "out", "mis", "co"].into_iter().filter_map(|p| last.strip_prefix(p));
    last.ends_with("ed") || stems.into_iter().any(|stem| IRREGULAR.split(' ').any(|word| word == stem))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals_follow_english_rules_and_keep_separators() {
        assert_eq!(plural("order"), "orders");
        assert_eq!(plural("activity"), "activities");
        assert_eq!(plural("company"), "companies");
        assert_eq!(plural("tracking_category"), "tracking_categories");
        assert_eq!(plural("time-off-request"), "time-off-requests");
        assert_eq!(plural("day"), "days");
        assert_eq!(plural("tax"), "taxes");
        assert_eq!(plural("address"), "addresses");
        assert_eq!(plural("branch"), "branches");
    }

    #[test]
    fn articles() {
        assert_eq!(article("invoice item"), "an");
        assert_eq!(article("order"), "an");
        assert_eq!(article("ledger account"), "a");
    }

    #[test]
    fn descriptions_are_correct_english() {
        assert_eq!(description("an", "invoice item", "created").unwrap(), "Event broadcast when an invoice item has been created.");
        assert_eq!(
            description("a", "connection", "token_refresh.failed").unwrap(),
            "Event broadcast when a connection's token refresh has failed."
        );
        assert_eq!(description("a", "connection", "callable"), None);
        assert_eq!(description("an", "invoice", "paid").unwrap(), "Event broadcast when an invoice has been paid.");
        for action in ["sent", "built", "bound", "repaid", "unbound", "overwritten", "payment_received", "written"] {
            assert!(description("a", "thing", action).is_some(), "{action}");
        }
        for action in ["seed", "feed", "embed", "pending", "callable", "paying"] {
            assert_eq!(description("a", "thing", action), None, "{action}");
        }
        assert_eq!(description("a", "connection", "token_refresh.pending"), None);
    }
}
