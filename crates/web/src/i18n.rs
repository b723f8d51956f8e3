//! The translation catalogue: every user-facing string, complete in zh-CN and en.
//!
//! Catalogues are plain `key = value` files embedded in the binary; a missing key shows the
//! key itself (and a test makes sure none is missing).

use salesos_domain::people::Locale;
use std::collections::HashMap;
use std::sync::OnceLock;

const ZH: &str = include_str!("../i18n/zh-CN.txt");
const EN: &str = include_str!("../i18n/en.txt");

pub fn parse_catalogue(text: &str) -> HashMap<&str, &str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim(), v.trim()))
        .collect()
}

fn catalogue(locale: Locale) -> &'static HashMap<&'static str, &'static str> {
    static ZH_CAT: OnceLock<HashMap<&str, &str>> = OnceLock::new();
    static EN_CAT: OnceLock<HashMap<&str, &str>> = OnceLock::new();
    match locale {
        Locale::ZhCn => ZH_CAT.get_or_init(|| parse_catalogue(ZH)),
        Locale::En => EN_CAT.get_or_init(|| parse_catalogue(EN)),
    }
}

pub fn catalogue_texts() -> [(Locale, &'static str); 2] {
    [(Locale::ZhCn, ZH), (Locale::En, EN)]
}

/// A translator for one language, handed to every template.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub locale: Locale,
}

impl Tr {
    pub fn new(locale: Locale) -> Self {
        Tr { locale }
    }

    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        catalogue(self.locale).get(key).copied().unwrap_or(key)
    }

    /// Like `t`, for keys built at run time (`role.sales_rep`, `error.not_found`).
    pub fn tk(&self, prefix: &str, code: &str) -> String {
        let key = format!("{prefix}.{code}");
        catalogue(self.locale)
            .get(key.as_str())
            .map(|s| (*s).to_string())
            .unwrap_or(key)
    }

    pub fn has(&self, key: &str) -> bool {
        catalogue(self.locale).contains_key(key)
    }

    /// The translated message of an error code, or `fallback` when the catalogue has none.
    pub fn error(&self, code: &str, fallback: &str) -> String {
        let key = format!("error.{code}");
        catalogue(self.locale)
            .get(key.as_str())
            .map(|s| (*s).to_string())
            .unwrap_or_else(|| fallback.to_string())
    }

    pub fn lang(&self) -> &'static str {
        self.locale.code()
    }

    /// A node's name in this language.
    pub fn name<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        match self.locale {
            Locale::ZhCn => zh,
            Locale::En => en,
        }
    }
}
