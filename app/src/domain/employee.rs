//! Staff identity values: roles, usernames, e-mail addresses and names.

use crate::error::FieldError;
use serde::{Deserialize, Serialize};

/// Staff roles, highest first. Owner > admin > manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Admin,
    Manager,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Manager => "manager",
        }
    }

    fn rank(self) -> u8 {
        match self {
            Role::Owner => 3,
            Role::Admin => 2,
            Role::Manager => 1,
        }
    }

    /// Whether this role may manage an employee of `target` role: nobody
    /// manages an equal or higher role, except the owner, who manages all.
    pub fn can_manage(self, target: Role) -> bool {
        self == Role::Owner || self.rank() > target.rank()
    }

    /// Whether employee management is open to this role at all.
    pub fn manages_staff(self) -> bool {
        self != Role::Manager
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "owner" => Some(Role::Owner),
            "admin" => Some(Role::Admin),
            "manager" => Some(Role::Manager),
            _ => None,
        }
    }
}

/// What an employee sees of their own account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EmployeeProfile {
    pub id: String,
    pub username: String,
    pub full_name: String,
    pub email: String,
    pub role: Role,
    pub mfa_enabled: bool,
    /// Signed in with a temporary password that must be changed first.
    pub must_change_password: bool,
    /// The studio requires two-factor sign-in and it is not set up yet.
    pub must_enrol_mfa: bool,
}

/// An employee as the employees pages list them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EmployeeSummary {
    pub id: String,
    pub username: String,
    pub full_name: String,
    pub email: String,
    pub phone: Option<String>,
    pub position: Option<String>,
    pub department: Option<String>,
    pub role: Role,
    pub active: bool,
    /// Epoch seconds of the last sign-in.
    pub last_login_at: Option<i64>,
}

/// A new employee (`POST /api/v1/employees`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewEmployee {
    /// 3–32 latin letters, digits, `.`, `_` or `-`, starting with a
    /// letter; stored lower-cased (surrounding spaces are trimmed).
    #[cfg_attr(
        feature = "ssr",
        schema(min_length = 3, max_length = 32, pattern = "^[A-Za-z][A-Za-z0-9._-]*$")
    )]
    pub username: String,
    /// `name@example.com`-shaped (one `@`, a dotted domain, no spaces), at
    /// most 254 bytes once trimmed.
    #[cfg_attr(feature = "ssr", schema(min_length = 5, max_length = 254))]
    pub email: String,
    /// Not blank; at most 200 characters once runs of spaces are collapsed.
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 200))]
    pub full_name: String,
    pub role: Role,
    /// Free text, at most 200 characters.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_length = 200))]
    pub phone: Option<String>,
    /// At most 200 characters.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_length = 200))]
    pub position: Option<String>,
    /// At most 200 characters.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_length = 200))]
    pub department: Option<String>,
}

/// Changes to an employee (`PUT /api/v1/employees/{id}`); absent fields stay.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EmployeeUpdate {
    /// Not blank; at most 200 characters once runs of spaces are collapsed.
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 200))]
    pub full_name: Option<String>,
    /// `name@example.com`-shaped (one `@`, a dotted domain, no spaces), at
    /// most 254 bytes once trimmed.
    #[cfg_attr(feature = "ssr", schema(min_length = 5, max_length = 254))]
    pub email: Option<String>,
    /// Free text, at most 200 characters.
    #[cfg_attr(feature = "ssr", schema(max_length = 200))]
    pub phone: Option<String>,
    /// At most 200 characters.
    #[cfg_attr(feature = "ssr", schema(max_length = 200))]
    pub position: Option<String>,
    /// At most 200 characters.
    #[cfg_attr(feature = "ssr", schema(max_length = 200))]
    pub department: Option<String>,
    pub role: Option<Role>,
    pub active: Option<bool>,
}

/// The longest phone, position or department an employee record keeps.
pub const MAX_DETAIL_CHARS: usize = 200;

/// Field errors for an employee's free-text details that are too long.
pub fn check_details(
    phone: Option<&str>,
    position: Option<&str>,
    department: Option<&str>,
) -> std::collections::BTreeMap<String, crate::error::FieldError> {
    [
        ("phone", phone),
        ("position", position),
        ("department", department),
    ]
    .into_iter()
    .filter(|(_, v)| v.is_some_and(|v| v.chars().count() > MAX_DETAIL_CHARS))
    .map(|(field, _)| {
        (
            field.to_owned(),
            crate::error::FieldError::new(
                "too_long",
                format!("At most {MAX_DETAIL_CHARS} characters."),
            ),
        )
    })
    .collect()
}

/// A one-time password handed to an employee, who must change it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TemporaryPassword {
    pub employee: EmployeeSummary,
    pub temporary_password: String,
}

/// A login name: 3–32 characters of lowercase latin letters, digits, `.`, `_`
/// or `-`, starting with a letter. Stored lowercased so logins are
/// case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Username, FieldError> {
        let s = raw.trim().to_lowercase();
        let valid_chars = s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
        let starts_with_letter = s.chars().next().is_some_and(|c| c.is_ascii_lowercase());
        if !(3..=32).contains(&s.len()) || !valid_chars || !starts_with_letter {
            return Err(FieldError::new(
                "invalid_username",
                "Use 3–32 latin letters, digits, '.', '_' or '-', starting with a letter.",
            ));
        }
        Ok(Username(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An e-mail address, checked for shape only (one `@`, a dot in the domain,
/// no spaces); delivery is the real test.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Email, FieldError> {
        let s = raw.trim();
        let ok = s.len() <= 254
            && !s.chars().any(char::is_whitespace)
            && s.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.split('.').count() >= 2
                    && domain.split('.').all(|label| !label.is_empty())
            });
        if !ok {
            return Err(FieldError::new(
                "invalid_email",
                "Enter an e-mail address like name@example.com.",
            ));
        }
        Ok(Email(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A person's full name: not blank, at most 200 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FullName(String);

impl FullName {
    pub fn parse(raw: &str) -> Result<FullName, FieldError> {
        let s = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        if s.is_empty() || s.chars().count() > 200 {
            return Err(FieldError::new(
                "invalid_full_name",
                "Enter a name of 1–200 characters.",
            ));
        }
        Ok(FullName(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_case_insensitive() {
        assert_eq!(Username::parse("  Anna.K ").unwrap().as_str(), "anna.k");
    }

    #[test]
    fn a_username_with_spaces_or_a_leading_digit_is_refused() {
        assert!(Username::parse("anna k").is_err());
        assert!(Username::parse("1anna").is_err());
        assert!(Username::parse("an").is_err());
        assert!(Username::parse(&"a".repeat(33)).is_err());
    }

    #[test]
    fn an_email_needs_a_local_part_and_a_dotted_domain() {
        assert!(Email::parse("owner@studio.ru").is_ok());
        for bad in [
            "owner",
            "owner@",
            "@studio.ru",
            "owner@studio",
            "a b@studio.ru",
            "a@b@studio.ru",
            "a@studio..ru",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn a_full_name_is_trimmed_and_must_not_be_blank() {
        assert_eq!(
            FullName::parse("  Анна   Петрова ").unwrap().as_str(),
            "Анна Петрова"
        );
        assert!(FullName::parse("   ").is_err());
    }

    #[test]
    fn nobody_manages_an_equal_or_higher_role_except_the_owner() {
        use Role::*;
        let allowed: Vec<(Role, Role)> = [Owner, Admin, Manager]
            .iter()
            .flat_map(|a| [Owner, Admin, Manager].map(|t| (*a, t)))
            .filter(|(a, t)| a.can_manage(*t))
            .collect();
        assert_eq!(
            allowed,
            [
                (Owner, Owner),
                (Owner, Admin),
                (Owner, Manager),
                (Admin, Manager)
            ]
        );
        assert!(!Manager.manages_staff());
    }

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in [Role::Owner, Role::Admin, Role::Manager] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
