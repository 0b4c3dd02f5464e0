//! API tokens (SPEC X-4): what a Global admin creates in Settings so that a script can call the
//! REST API. The secret is shown once; only its SHA-256 is stored.

use crate::domain::{ApiError, Role};
use serde::{Deserialize, Serialize};

/// Tokens expire after at most this many days (about five years); "never" is allowed too.
pub const MAX_EXPIRY_DAYS: i64 = 1_830;

/// Every token's secret starts with this, so secret scanners and people recognise it.
pub const TOKEN_PREFIX: &str = "ldt_";

/// A token as listed in Settings. Never carries the secret or its hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTokenView {
    pub id: i64,
    pub name: String,
    pub role: Role,
    /// The first characters of the secret, to tell tokens apart (`ldt_AbCd…`).
    pub hint: String,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub last_used_ip: Option<String>,
    /// Past its expiry when the list was read (the server's clock decides, not the browser's).
    pub expired: bool,
}

/// Where a token stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenState {
    Active,
    Revoked,
    Expired,
}

impl ApiTokenView {
    pub fn state(&self) -> TokenState {
        match (self.revoked_at, self.expired) {
            (Some(_), _) => TokenState::Revoked,
            (None, true) => TokenState::Expired,
            (None, false) => TokenState::Active,
        }
    }
}

/// Is a token with this expiry past it at `now`?
pub fn expired(expires_at: Option<i64>, now: i64) -> bool {
    expires_at.is_some_and(|e| e <= now)
}

/// A token just created: its view and the secret, shown this once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedApiToken {
    pub token: ApiTokenView,
    pub secret: String,
}

/// The Create token form, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewApiToken {
    pub name: String,
    pub role: Role,
    pub expires_in_days: Option<i64>,
}

impl NewApiToken {
    /// Reads the form: a name of 1–100 characters without control characters, one of the five
    /// roles, and an expiry in whole days (1 to [`MAX_EXPIRY_DAYS`]) or empty for none.
    pub fn parse(name: &str, role: &str, expires_in_days: &str) -> Result<NewApiToken, ApiError> {
        let name = name.trim();
        let len = name.chars().count();
        if len == 0 || len > 100 {
            return Err(ApiError::invalid(
                "name",
                "Name must be 1 to 100 characters long.",
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(ApiError::invalid(
                "name",
                "Name must not contain control characters.",
            ));
        }
        let role: Role = role
            .parse()
            .map_err(|_| ApiError::invalid("role", "Choose one of the five roles."))?;
        let days = expires_in_days.trim();
        let expires_in_days = if days.is_empty() {
            None
        } else {
            match days.parse::<i64>() {
                Ok(d) if (1..=MAX_EXPIRY_DAYS).contains(&d) => Some(d),
                _ => {
                    return Err(ApiError::invalid(
                        "expires_in_days",
                        format!(
                            "Expiry must be a whole number of days from 1 to {MAX_EXPIRY_DAYS}, \
                             or empty for none."
                        ),
                    ));
                }
            }
        };
        Ok(NewApiToken {
            name: name.to_string(),
            role,
            expires_in_days,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_is_read_field_by_field() {
        let ok = NewApiToken::parse("  HR onboarding ", "user_admin", "90").unwrap();
        assert_eq!(ok.name, "HR onboarding");
        assert_eq!(ok.role, Role::UserAdmin);
        assert_eq!(ok.expires_in_days, Some(90));
        assert_eq!(
            NewApiToken::parse("x", "reader", "")
                .unwrap()
                .expires_in_days,
            None
        );
        let field = |r: Result<NewApiToken, ApiError>| match r {
            Err(ApiError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(NewApiToken::parse(" ", "reader", "")), "name");
        assert_eq!(field(NewApiToken::parse("a\u{7}b", "reader", "")), "name");
        assert_eq!(
            field(NewApiToken::parse(&"n".repeat(101), "reader", "")),
            "name"
        );
        assert_eq!(field(NewApiToken::parse("n", "root", "")), "role");
        for bad in ["0", "-1", "1.5", "1831", "soon"] {
            assert_eq!(
                field(NewApiToken::parse("n", "reader", bad)),
                "expires_in_days",
                "{bad}"
            );
        }
    }

    #[test]
    fn a_token_is_active_until_revoked_or_expired() {
        assert!(!expired(Some(100), 99));
        assert!(expired(Some(100), 100));
        assert!(!expired(None, i64::MAX));
        let mut t = ApiTokenView {
            id: 1,
            name: "n".into(),
            role: Role::Reader,
            hint: "ldt_abcd".into(),
            created_by: "grace".into(),
            created_at: 0,
            expires_at: Some(100),
            revoked_at: None,
            last_used_at: None,
            last_used_ip: None,
            expired: false,
        };
        assert_eq!(t.state(), TokenState::Active);
        t.expired = true;
        assert_eq!(t.state(), TokenState::Expired);
        t.revoked_at = Some(5);
        assert_eq!(t.state(), TokenState::Revoked);
    }
}
