//! Validated input values: each `parse` names the field and the rule it broke.

use super::ApiError;

/// A sign-in name for an administrator: 3–64 characters of letters, digits, `.`, `_`, `-`, `@`.
pub fn username(raw: &str) -> Result<String, ApiError> {
    let v = raw.trim();
    let len = v.chars().count();
    if !(3..=64).contains(&len) {
        return Err(ApiError::invalid(
            "username",
            "Sign-in name must be 3 to 64 characters long.",
        ));
    }
    if !v
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
    {
        return Err(ApiError::invalid(
            "username",
            "Sign-in name may contain only letters, digits and . _ - @",
        ));
    }
    Ok(v.to_ascii_lowercase())
}

/// A display name: 1–100 characters, not only spaces, no control characters.
pub fn display_name(raw: &str) -> Result<String, ApiError> {
    let v = raw.trim();
    let len = v.chars().count();
    if len == 0 || len > 100 {
        return Err(ApiError::invalid(
            "display_name",
            "Display name must be 1 to 100 characters long.",
        ));
    }
    if v.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            "display_name",
            "Display name must not contain control characters.",
        ));
    }
    Ok(v.to_string())
}

/// A new password: 12–128 characters (NIST SP 800-63B length rule; no composition rules).
pub fn new_password(raw: &str, field: &str) -> Result<String, ApiError> {
    let len = raw.chars().count();
    if len < 12 {
        return Err(ApiError::invalid(
            field,
            "Password must be at least 12 characters long.",
        ));
    }
    if len > 128 {
        return Err(ApiError::invalid(
            field,
            "Password must be at most 128 characters long.",
        ));
    }
    Ok(raw.to_string())
}

/// The organization name shown in the top bar: 1–100 characters.
pub fn org_name(raw: &str) -> Result<String, ApiError> {
    let v = raw.trim();
    let len = v.chars().count();
    if len == 0 || len > 100 || v.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            "org_name",
            "Organization name must be 1 to 100 characters long.",
        ));
    }
    Ok(v.to_string())
}

/// A plausible e-mail address (an Apple ID): one `@`, a dot in the domain, no spaces.
pub fn looks_like_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.contains(char::is_whitespace)
        && !domain.contains('@')
        && s.len() <= 254
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert_eq!(username("  Ada.Admin ").unwrap(), "ada.admin");
        assert!(username("ab").is_err());
        assert!(username(&"a".repeat(65)).is_err());
        assert!(username(&"a".repeat(64)).is_ok());
        let e = username("bad name").unwrap_err();
        assert_eq!(
            e.field_message("username").as_deref(),
            Some("Sign-in name may contain only letters, digits and . _ - @")
        );
    }

    #[test]
    fn passwords_by_length_only() {
        assert!(new_password("short", "password").is_err());
        assert!(new_password("exactly12chr", "password").is_ok());
        assert!(new_password(&"x".repeat(129), "password").is_err());
    }

    #[test]
    fn names() {
        assert!(display_name("   ").is_err());
        assert!(display_name("Ada\u{7}").is_err());
        assert_eq!(display_name(" Ada ").unwrap(), "Ada");
        assert!(org_name("").is_err());
        assert!(org_name("Contoso").is_ok());
    }
}
