//! Password rules for staff accounts (OWASP ASVS 5.0 V6.2): at least 12
//! characters, long passphrases allowed, no composition rules, and the most
//! common passwords refused. A `Password` that exists has passed them.

use std::fmt;

pub const MIN_CHARS: usize = 12;
/// Long passphrases are welcome; the cap only keeps hashing bounded.
pub const MAX_CHARS: usize = 128;

/// Passwords of twelve or more characters that appear near the top of public
/// breach corpora. Shorter ones are already refused by the length rule.
const COMMON: &[&str] = &[
    "123456789012",
    "1234567890123",
    "12345678901234",
    "123456789123",
    "111111111111",
    "000000000000",
    "123123123123",
    "qwertyuiopas",
    "qwerty123456",
    "123456qwerty",
    "1q2w3e4r5t6y",
    "1qaz2wsx3edc",
    "password1234",
    "password123!",
    "passwordpassword",
    "iloveyou1234",
    "qwertyqwerty",
    "asdfghjkl123",
    "zxcvbnm12345",
    "abcdefghijkl",
    "abc123abc123",
    "letmein12345",
    "welcome12345",
    "administrator",
    "adminadmin123",
    "photostudio123",
    "qwertyuiop123",
    "password12345",
    "myspace12345",
    "football1234",
    "superman1234",
    "starwars1234",
    "changeme1234",
    "trustno11234",
    "princess1234",
    "sunshine1234",
    "йцукенгшщзхъ",
    "пароль123456",
    "парольпароль",
    "1234567890qwe",
    "qazwsxedcrfv",
    "q1w2e3r4t5y6",
    "a1b2c3d4e5f6",
    "987654321098",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordError {
    Empty,
    TooShort,
    TooLong,
    TooCommon,
    ContainsUsername,
}

impl PasswordError {
    /// Stable code used in API errors and for translation.
    pub fn code(self) -> &'static str {
        match self {
            PasswordError::Empty => "password_empty",
            PasswordError::TooShort => "password_too_short",
            PasswordError::TooLong => "password_too_long",
            PasswordError::TooCommon => "password_too_common",
            PasswordError::ContainsUsername => "password_contains_username",
        }
    }

    pub fn message(self) -> String {
        match self {
            PasswordError::Empty => "Enter a password.".into(),
            PasswordError::TooShort => {
                format!("The password must be at least {MIN_CHARS} characters long.")
            }
            PasswordError::TooLong => {
                format!("The password must be at most {MAX_CHARS} characters long.")
            }
            PasswordError::TooCommon => {
                "This password is too common; choose a less predictable one.".into()
            }
            PasswordError::ContainsUsername => "The password must not contain the username.".into(),
        }
    }
}

impl fmt::Display for PasswordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for PasswordError {}

/// A password that satisfies the policy. Its `Debug` never shows the secret.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// Checks `raw` against the policy; `username` is refused as a substring.
    pub fn parse(raw: &str, username: &str) -> Result<Password, PasswordError> {
        if raw.is_empty() {
            return Err(PasswordError::Empty);
        }
        let chars = raw.chars().count();
        if chars < MIN_CHARS {
            return Err(PasswordError::TooShort);
        }
        if chars > MAX_CHARS {
            return Err(PasswordError::TooLong);
        }
        let lowered = raw.to_lowercase();
        if COMMON.contains(&lowered.as_str()) || is_one_repeated_char(&lowered) {
            return Err(PasswordError::TooCommon);
        }
        let username = username.trim().to_lowercase();
        if username.chars().count() >= 3 && lowered.contains(&username) {
            return Err(PasswordError::ContainsUsername);
        }
        Ok(Password(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

fn is_one_repeated_char(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => chars.all(|c| c == first),
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_password_is_refused() {
        assert_eq!(
            Password::parse("", "anna").unwrap_err(),
            PasswordError::Empty
        );
    }

    #[test]
    fn a_password_shorter_than_twelve_characters_is_refused() {
        assert_eq!(
            Password::parse("short-pass1", "anna").unwrap_err(),
            PasswordError::TooShort
        );
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        // Twelve Cyrillic characters are 24 bytes but exactly twelve characters.
        assert!(Password::parse("тихийвечерок", "anna").is_ok());
        assert_eq!(
            Password::parse("тихийвечер", "anna").unwrap_err(),
            PasswordError::TooShort
        );
    }

    #[test]
    fn long_passphrases_are_allowed_without_composition_rules() {
        let phrase = "correct horse battery staple on a quiet grey morning by the slow river";
        assert!(phrase.len() > 64);
        assert!(Password::parse(phrase, "anna").is_ok());
    }

    #[test]
    fn a_password_over_the_cap_is_refused() {
        let long = "x".repeat(MAX_CHARS) + "yz";
        assert_eq!(
            Password::parse(&long, "anna").unwrap_err(),
            PasswordError::TooLong
        );
    }

    #[test]
    fn common_passwords_are_refused_whatever_their_case() {
        assert_eq!(
            Password::parse("Password1234", "anna").unwrap_err(),
            PasswordError::TooCommon
        );
        assert_eq!(
            Password::parse("aaaaaaaaaaaaaaa", "anna").unwrap_err(),
            PasswordError::TooCommon
        );
    }

    #[test]
    fn a_password_containing_the_username_is_refused() {
        assert_eq!(
            Password::parse("my-Marina-studio-key", "marina").unwrap_err(),
            PasswordError::ContainsUsername
        );
    }

    #[test]
    fn debug_output_never_shows_the_secret() {
        let p = Password::parse("a very private phrase", "anna").unwrap();
        assert_eq!(format!("{p:?}"), "Password(<redacted>)");
    }
}
