//! The documents agree with what was measured: every performance figure the README states is one
//! BENCHMARKS.md reports.

use webhook_tests::workspace_root;

/// Figures with a unit: `0.86–1.01×`, `3.2×`, `1.7–2.4 s`, `111 MiB`, `987 ns`.
fn figures(text: &str) -> Vec<String> {
    const UNITS: [&str; 4] = ["×", " s", " MiB", " ns"];
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (start, c) = chars[i];
        let starts_number = c.is_ascii_digit() && (i == 0 || !(chars[i - 1].1.is_alphanumeric() || chars[i - 1].1 == '.'));
        if !starts_number {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < chars.len() && (chars[j].1.is_ascii_digit() || matches!(chars[j].1, '.' | ',' | '–')) {
            j += 1;
        }
        let end = chars.get(j).map_or(text.len(), |(at, _)| *at);
        let number = text[start..end].trim_end_matches(['.', ',']);
        if let Some(unit) = UNITS.iter().find(|u| text[start + number.len()..].starts_with(*u)) {
            out.push(format!("{number}{unit}"));
        }
        i = j.max(i + 1);
    }
    out
}

#[test]
fn every_figure_in_the_readme_is_one_benchmarks_md_reports() {
    let readme = std::fs::read_to_string(workspace_root().join("README.md")).unwrap();
    let benchmarks = std::fs::read_to_string(workspace_root().join("BENCHMARKS.md")).unwrap().replace("**", "");
    let stated = figures(&readme);
    assert!(!stated.is_empty(), "the README states no figures; this test would check nothing");
    let unreported: Vec<&String> = stated.iter().filter(|f| !benchmarks.contains(f.as_str())).collect();
    assert!(unreported.is_empty(), "the README states figures BENCHMARKS.md does not report: {unreported:?}");
}

#[test]
fn figures_are_found_with_their_units() {
    let text = "costs 0.86–1.01× the floor, 3.2× (debug), 1.7–2.4 s and 111 MiB; 2,411 ns. Not 340-byte or 2-vCPU or v1.5.";
    assert_eq!(figures(text), ["0.86–1.01×", "3.2×", "1.7–2.4 s", "111 MiB", "2,411 ns"]);
}
