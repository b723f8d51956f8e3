//! Input rules for people: logins, names, passwords, languages.

use crate::FieldError;
use serde::{Deserialize, Serialize};

pub const MIN_PASSWORD_LEN: usize = 10;
pub const MAX_PASSWORD_LEN: usize = 128;

/// A sign-in name: 3–32 characters of lower-case letters, digits, `.`, `_` or `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Login(String);

impl Login {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<&str> for Login {
    type Error = FieldError;

    fn try_from(raw: &str) -> Result<Self, Self::Error> {
        let login = raw.trim().to_lowercase();
        let ok_chars = login
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
        if !(3..=32).contains(&login.chars().count()) || !ok_chars {
            return Err(FieldError::new(
                "person.login_invalid",
                "login",
                "a login has 3 to 32 characters: letters, digits, '.', '_' or '-'",
            ));
        }
        Ok(Login(login))
    }
}

/// A person's display name: non-empty, at most 100 characters, no control characters.
pub fn check_display_name(raw: &str) -> Result<String, FieldError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(FieldError::new(
            "person.name_invalid",
            "display_name",
            "a name has 1 to 100 characters and no control characters",
        ));
    }
    Ok(name.to_string())
}

/// Optional contact text (email, phone): at most 200 characters, no control characters.
pub fn check_contact(raw: Option<&str>, field: &'static str) -> Result<Option<String>, FieldError> {
    let Some(value) = raw.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if value.chars().count() > 200 || value.chars().any(char::is_control) {
        return Err(FieldError::new(
            "person.contact_invalid",
            field,
            "at most 200 characters and no control characters",
        ));
    }
    if field == "email" && !value.contains('@') {
        return Err(FieldError::new(
            "person.email_invalid",
            field,
            "an email address needs an '@'",
        ));
    }
    Ok(Some(value.to_string()))
}

/// Password policy: long enough to resist guessing, not absurdly long (argon2 cost), not the login.
pub fn check_password(password: &str, login: &str, field: &'static str) -> Result<(), FieldError> {
    let len = password.chars().count();
    if len < MIN_PASSWORD_LEN {
        return Err(FieldError::new(
            "password.too_short",
            field,
            format!("a password needs at least {MIN_PASSWORD_LEN} characters"),
        ));
    }
    if len > MAX_PASSWORD_LEN {
        return Err(FieldError::new(
            "password.too_long",
            field,
            format!("a password has at most {MAX_PASSWORD_LEN} characters"),
        ));
    }
    if password.to_lowercase().contains(&login.to_lowercase()) {
        return Err(FieldError::new(
            "password.contains_login",
            field,
            "a password must not contain the login",
        ));
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Locale {
    #[default]
    #[serde(rename = "zh-CN")]
    ZhCn,
    #[serde(rename = "en")]
    En,
}

impl Locale {
    pub fn code(self) -> &'static str {
        match self {
            Locale::ZhCn => "zh-CN",
            Locale::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Locale> {
        match code {
            "zh-CN" | "zh" | "zh-cn" => Some(Locale::ZhCn),
            "en" | "en-US" | "en-GB" => Some(Locale::En),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_is_normalised_and_checked() {
        assert_eq!(
            Login::try_from("  Wang.Li ").expect("ok").as_str(),
            "wang.li"
        );
        for bad in ["ab", "has space", "王力", &"x".repeat(33), "semi;colon"] {
            assert_eq!(
                Login::try_from(bad).unwrap_err().code,
                "person.login_invalid"
            );
        }
    }

    #[test]
    fn password_policy() {
        assert_eq!(
            check_password("short", "wang", "password")
                .unwrap_err()
                .code,
            "password.too_short"
        );
        assert_eq!(
            check_password("my-wang-secret", "wang", "password")
                .unwrap_err()
                .code,
            "password.contains_login"
        );
        assert!(check_password("correct horse battery", "wang", "password").is_ok());
        assert_eq!(
            check_password(&"x".repeat(129), "wang", "password")
                .unwrap_err()
                .code,
            "password.too_long"
        );
    }

    #[test]
    fn names_and_contacts() {
        assert_eq!(check_display_name("  王力 ").expect("ok"), "王力");
        assert!(check_display_name("").is_err());
        assert!(check_display_name("a\u{0007}b").is_err());
        assert_eq!(check_contact(Some(""), "email").expect("ok"), None);
        assert_eq!(
            check_contact(Some("nope"), "email").unwrap_err().code,
            "person.email_invalid"
        );
    }
}
