//! The translation catalogues are complete: zh-CN and en have the same keys with the same
//! placeholders, and every key the code uses — `t("…")` in templates and Rust, role and unit kind
//! labels, `error.<code>` for every error code, `op.<operation>` for every audited operation —
//! exists in both.
//!
//! The sources are scanned with a small hand-written scanner (no regex): good enough for the
//! shapes this code base uses, and strict in what it accepts as a key.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use salesos_domain::org::NodeKind;
use salesos_domain::people::Locale;
use salesos_domain::roles::Role;
use salesos_web::i18n::{catalogue_texts, parse_catalogue};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every file under `dir` whose name ends with `ext`, recursively, sorted.
fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.to_string_lossy().ends_with(ext) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn catalogues() -> Vec<(Locale, HashMap<&'static str, &'static str>)> {
    catalogue_texts()
        .into_iter()
        .map(|(locale, text)| (locale, parse_catalogue(text)))
        .collect()
}

/// `{unit}`, `{n}`: the placeholders of a message.
fn placeholders(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                out.insert(after[..close].to_string());
                rest = &after[close + 1..];
            }
            None => break,
        }
    }
    out
}

/// A Rust or template string literal starting at `at` (which must be `"`): its content and the
/// index just past the closing quote.
fn literal_at(text: &str, at: usize) -> Option<(String, usize)> {
    let bytes = text.as_bytes();
    if bytes.get(at) != Some(&b'"') {
        return None;
    }
    let mut out = String::new();
    let mut chars = text[at + 1..].char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                if let Some((_, escaped)) = chars.next() {
                    out.push(escaped);
                }
            }
            '"' => return Some((out, at + 1 + i + 1)),
            _ => out.push(c),
        }
    }
    None
}

/// The first string literal among the top-level arguments of the call whose `(` is just before
/// `start`, if any (literals nested in inner calls, like `format!("…")`, do not count).
fn first_literal_in_call(text: &str, start: usize) -> Option<String> {
    let bytes = text.as_bytes();
    let mut depth = 0i32;
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let (lit, end) = literal_at(text, i)?;
                if depth == 0 {
                    return Some(lit);
                }
                i = end;
                continue;
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                depth -= 1;
                if depth < 0 {
                    return None;
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Occurrences of `marker` not preceded by an identifier character; yields the index just past
/// the marker.
fn occurrences<'a>(text: &'a str, marker: &'a str) -> impl Iterator<Item = usize> + 'a {
    text.match_indices(marker).filter_map(move |(i, _)| {
        let starts_word = !marker.as_bytes()[0].is_ascii_alphanumeric()
            || i == 0
            || !is_ident_byte(text.as_bytes()[i - 1]);
        starts_word.then_some(i + marker.len())
    })
}

/// Looks like a key or code: lowercase words joined by dots (`person.login_invalid`).
fn is_key(text: &str) -> bool {
    !text.is_empty()
        && !text.starts_with('.')
        && !text.ends_with('.')
        && !text.contains("..")
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.')
}

/// Keys passed to `t("…")`, `Layout::new(_, "…")`, `Layout::anonymous(_, "…")`, and the literal
/// `"nav.…"` keys of the navigation table, with the file each came from.
fn used_keys() -> BTreeMap<String, String> {
    let dir = crate_dir();
    let mut found = BTreeMap::new();
    let mut sources: Vec<PathBuf> = files(&dir.join("templates"), ".html");
    sources.extend(files(&dir.join("src"), ".rs"));
    for path in sources {
        let text = read(&path);
        let name = path
            .strip_prefix(&dir)
            .unwrap_or(&path)
            .display()
            .to_string();
        for at in text.match_indices(".t(\"").map(|(i, _)| i + 3) {
            if let Some((key, _)) = literal_at(&text, at) {
                found.entry(key).or_insert_with(|| name.clone());
            }
        }
        for marker in ["Layout::new(", "Layout::anonymous("] {
            for at in occurrences(&text, marker) {
                if let Some(key) = first_literal_in_call(&text, at) {
                    found.entry(key).or_insert_with(|| name.clone());
                }
            }
        }
        for at in text.match_indices("\"nav.").map(|(i, _)| i) {
            if let Some((key, _)) = literal_at(&text, at) {
                found.entry(key).or_insert_with(|| name.clone());
            }
        }
    }
    found.retain(|k, _| is_key(k));
    found
}

/// Error codes written as literals in the domain, app and web layers.
fn error_codes() -> BTreeMap<String, String> {
    let root = crate_dir().join("..");
    let mut found = BTreeMap::new();
    // the codes `AppError::code()` maps its variants to, and the 503 of the web layer
    for code in [
        "not_found",
        "forbidden",
        "internal",
        "auth.throttled",
        "auth.required",
        "unavailable",
    ] {
        found.insert(code.to_string(), "AppError::code".to_string());
    }
    let call_markers = [
        "FieldError::new(",
        "FieldError::general(",
        "AppError::invalid(",
        ".error(",
        "bad_request(",
        "problem_response(",
        "error_page(",
    ];
    for dir in ["domain/src", "app/src", "web/src"] {
        for path in files(&root.join(dir), ".rs") {
            let text = read(&path);
            let name = format!(
                "{dir}/{}",
                path.strip_prefix(root.join(dir)).unwrap_or(&path).display()
            );
            for marker in call_markers {
                for at in occurrences(&text, marker) {
                    if let Some(code) = first_literal_in_call(&text, at) {
                        found.entry(code).or_insert_with(|| name.clone());
                    }
                }
            }
            for at in occurrences(&text, "code:") {
                let rest = &text[at..];
                let skipped = rest.len() - rest.trim_start().len();
                if let Some((code, _)) = literal_at(&text, at + skipped) {
                    found.entry(code).or_insert_with(|| name.clone());
                }
            }
        }
    }
    // demo data has `code: "NE"` (a market's code, not an error code): keys only
    found.retain(|k, _| is_key(k));
    found
}

/// Operations written to the audit trail: the first literal argument of `record(…)` in the app.
fn audit_operations() -> BTreeMap<String, String> {
    let dir = crate_dir().join("../app/src");
    let mut found = BTreeMap::new();
    for path in files(&dir, ".rs") {
        let text = read(&path);
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        for at in occurrences(&text, "record(") {
            if let Some(op) = first_literal_in_call(&text, at) {
                found.entry(op).or_insert_with(|| name.clone());
            }
        }
    }
    found.retain(|k, _| is_key(k) && k.contains('.'));
    found
}

fn missing_in_catalogues(keys: impl IntoIterator<Item = (String, String)>) -> Vec<String> {
    let cats = catalogues();
    let mut missing = Vec::new();
    for (key, origin) in keys {
        for (locale, cat) in &cats {
            if !cat.contains_key(key.as_str()) {
                missing.push(format!("{key} ({}, used in {origin})", locale.code()));
            }
        }
    }
    missing
}

#[test]
fn catalogues_are_well_formed() {
    for (locale, text) in catalogue_texts() {
        let mut seen = BTreeSet::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                panic!(
                    "{} line {}: not `key = value`: {line}",
                    locale.code(),
                    n + 1
                );
            };
            let key = key.trim();
            assert!(
                is_key(key),
                "{} line {}: odd key {key:?}",
                locale.code(),
                n + 1
            );
            assert!(
                !value.trim().is_empty(),
                "{} line {}: {key} has no text",
                locale.code(),
                n + 1
            );
            assert!(
                seen.insert(key.to_string()),
                "{} line {}: {key} appears twice",
                locale.code(),
                n + 1
            );
        }
    }
}

#[test]
fn both_languages_have_the_same_keys_and_placeholders() {
    let cats = catalogues();
    let (zh_locale, zh) = &cats[0];
    let (en_locale, en) = &cats[1];
    let zh_keys: BTreeSet<&str> = zh.keys().copied().collect();
    let en_keys: BTreeSet<&str> = en.keys().copied().collect();
    let only_zh: Vec<_> = zh_keys.difference(&en_keys).collect();
    let only_en: Vec<_> = en_keys.difference(&zh_keys).collect();
    assert!(
        only_zh.is_empty(),
        "only in {}: {only_zh:?}",
        zh_locale.code()
    );
    assert!(
        only_en.is_empty(),
        "only in {}: {only_en:?}",
        en_locale.code()
    );
    let mut differing = Vec::new();
    for key in &zh_keys {
        assert!(
            !zh[key].is_empty() && !en[key].is_empty(),
            "{key} has an empty text"
        );
        let (a, b) = (placeholders(zh[key]), placeholders(en[key]));
        if a != b {
            differing.push(format!("{key}: {a:?} vs {b:?}"));
        }
    }
    assert!(
        differing.is_empty(),
        "placeholders differ:\n{}",
        differing.join("\n")
    );
}

#[test]
fn every_key_the_code_uses_is_translated() {
    let used = used_keys();
    // the scanner must actually find the keys, or this test would pass vacuously
    for sample in [
        "nav.home",
        "signin.title",
        "people.title",
        "org.title",
        "audit.title",
        "error.title",
    ] {
        assert!(
            used.contains_key(sample),
            "scanner did not find {sample}; found {} keys",
            used.len()
        );
    }
    let missing = missing_in_catalogues(used);
    assert!(
        missing.is_empty(),
        "missing translations:\n{}",
        missing.join("\n")
    );
}

#[test]
fn every_role_and_unit_kind_has_a_label() {
    let mut keys: Vec<(String, String)> = Role::ALL
        .iter()
        .map(|r| (format!("role.{}", r.code()), "Role::ALL".to_string()))
        .collect();
    keys.push(("role.none".to_string(), "pages".to_string()));
    keys.extend(
        NodeKind::ALL
            .iter()
            .map(|k| (format!("kind.{}", k.code()), "NodeKind::ALL".to_string())),
    );
    let missing = missing_in_catalogues(keys);
    assert!(
        missing.is_empty(),
        "missing labels:\n{}",
        missing.join("\n")
    );
}

#[test]
fn every_error_code_has_a_message() {
    let codes = error_codes();
    for sample in [
        "person.login_invalid",
        "auth.bad_credentials",
        "org.code_invalid",
        "request.invalid_json",
        "auth.csrf",
    ] {
        assert!(
            codes.contains_key(sample),
            "scanner did not find {sample}; found {codes:?}"
        );
    }
    let missing = missing_in_catalogues(
        codes
            .into_iter()
            .map(|(code, origin)| (format!("error.{code}"), origin)),
    );
    assert!(
        missing.is_empty(),
        "error codes without a message:\n{}",
        missing.join("\n")
    );
}

#[test]
fn every_audited_operation_has_a_label() {
    let ops = audit_operations();
    for sample in ["person.create", "org_node.move", "token.revoke"] {
        assert!(
            ops.contains_key(sample),
            "scanner did not find {sample}; found {ops:?}"
        );
    }
    let missing = missing_in_catalogues(
        ops.into_iter()
            .map(|(op, origin)| (format!("op.{op}"), origin)),
    );
    assert!(
        missing.is_empty(),
        "operations without a label:\n{}",
        missing.join("\n")
    );
}

#[test]
fn scanner_reads_calls_as_intended() {
    let text = r#"FieldError::new(code, field, format!("x {y}")) AppError::invalid("a.b", "f", "m") code: "c.d""#;
    let at = text.find('(').unwrap() + 1;
    assert_eq!(first_literal_in_call(text, at), None);
    let at = text.find("invalid(").unwrap() + "invalid(".len();
    assert_eq!(first_literal_in_call(text, at).as_deref(), Some("a.b"));
    assert_eq!(
        placeholders("in {unit} for {n} days"),
        ["n".to_string(), "unit".to_string()].into_iter().collect()
    );
    assert!(is_key("person.login_invalid") && !is_key("NE") && !is_key("{0}"));
}
