//! Directory (SPEC D-1, D-2, D-3): users, groups, devices — types and validation rules.

use super::ApiError;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum Platform {
    Windows,
    Ios,
    Macos,
    Android,
}

impl Platform {
    pub const ALL: [Platform; 4] = [
        Platform::Windows,
        Platform::Ios,
        Platform::Macos,
        Platform::Android,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Windows => "windows",
            Platform::Ios => "ios",
            Platform::Macos => "macos",
            Platform::Android => "android",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Platform::Windows => "Windows",
            Platform::Ios => "iOS/iPadOS",
            Platform::Macos => "macOS",
            Platform::Android => "Android",
        }
    }

    pub fn parse(s: &str) -> Option<Platform> {
        let s = s.trim().to_ascii_lowercase();
        Platform::ALL
            .into_iter()
            .find(|p| p.as_str() == s || p.label().to_ascii_lowercase() == s)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum JoinType {
    DomainJoined,
    WorkplaceJoined,
    None,
}

impl JoinType {
    pub const ALL: [JoinType; 3] = [
        JoinType::DomainJoined,
        JoinType::WorkplaceJoined,
        JoinType::None,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JoinType::DomainJoined => "domain_joined",
            JoinType::WorkplaceJoined => "workplace_joined",
            JoinType::None => "none",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            JoinType::DomainJoined => "Domain-joined",
            JoinType::WorkplaceJoined => "Workplace-joined",
            JoinType::None => "None",
        }
    }

    pub fn parse(s: &str) -> Option<JoinType> {
        let s = s.trim().to_ascii_lowercase().replace('-', "_");
        JoinType::ALL.into_iter().find(|j| j.as_str() == s)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UserView {
    pub id: i64,
    pub display_name: String,
    pub sign_in_name: String,
    pub department: String,
    pub enabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct GroupView {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub member_count: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DeviceView {
    pub id: i64,
    pub name: String,
    pub platform: Platform,
    pub os_version: String,
    pub primary_user: Option<(i64, String)>,
    pub join_type: Option<JoinType>,
    pub last_check_in: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SoftwareItem {
    pub publisher: String,
    pub product: String,
    pub version: String,
}

/// A user's page: the user, their groups and devices.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserDetail {
    pub user: UserView,
    pub groups: Vec<(i64, String)>,
    pub devices: Vec<(i64, String)>,
}

/// A group's page: the group and one page of its members.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupDetail {
    pub group: GroupView,
    pub members: Vec<UserView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceDetail {
    pub device: DeviceView,
    pub software: Vec<SoftwareItem>,
}

/// A keyset page of a directory list; `next` is an opaque cursor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListPage<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
    pub total: i64,
}

/// What can be sorted on in the users list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserSort {
    Name,
    SignInName,
    Department,
    Created,
}

impl UserSort {
    pub fn parse(s: &str) -> UserSort {
        match s {
            "sign_in_name" => UserSort::SignInName,
            "department" => UserSort::Department,
            "created" => UserSort::Created,
            _ => UserSort::Name,
        }
    }
}

fn text(field: &str, label: &str, raw: &str, min: usize, max: usize) -> Result<String, ApiError> {
    let v = raw.trim();
    let len = v.chars().count();
    if len < min {
        return Err(ApiError::invalid(field, format!("{label} is required.")));
    }
    if len > max {
        return Err(ApiError::invalid(
            field,
            format!("{label} must be at most {max} characters long."),
        ));
    }
    if v.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            field,
            format!("{label} must not contain control characters."),
        ));
    }
    Ok(v.to_string())
}

/// Display name of a user: 1–128 characters.
pub fn user_display_name(raw: &str) -> Result<String, ApiError> {
    text("display_name", "Display name", raw, 1, 128)
}

/// Department: optional, at most 100 characters.
pub fn department(raw: &str) -> Result<String, ApiError> {
    text("department", "Department", raw, 0, 100)
}

/// A sign-in name in e-mail form: `local@domain.tld`, at most 254 characters, ASCII.
pub fn sign_in_name(raw: &str) -> Result<String, ApiError> {
    let v = raw.trim();
    let bad = || {
        ApiError::invalid(
            "sign_in_name",
            "Sign-in name must be an e-mail address such as ada@contoso.com.",
        )
    };
    if v.is_empty() {
        return Err(ApiError::invalid(
            "sign_in_name",
            "Sign-in name is required.",
        ));
    }
    if v.len() > 254 {
        return Err(ApiError::invalid(
            "sign_in_name",
            "Sign-in name must be at most 254 characters long.",
        ));
    }
    let (local, domain) = v.split_once('@').ok_or_else(bad)?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._%+-'".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
    if local_ok && domain_ok {
        Ok(v.to_string())
    } else {
        Err(bad())
    }
}

/// Group name: 1–128 characters, unique (case-insensitive, checked by the service).
pub fn group_name(raw: &str) -> Result<String, ApiError> {
    text("name", "Group name", raw, 1, 128)
}

pub fn group_description(raw: &str) -> Result<String, ApiError> {
    text("description", "Description", raw, 0, 1000)
}

/// Device name: 1–64 characters (NetBIOS-style names are 15; phones have longer ones).
pub fn device_name(raw: &str) -> Result<String, ApiError> {
    text("name", "Device name", raw, 1, 64)
}

pub fn os_version(raw: &str) -> Result<String, ApiError> {
    text("os_version", "OS version", raw, 0, 64)
}

/// Publisher, product and version of one detected software item.
pub fn software_item(
    publisher: &str,
    product: &str,
    version: &str,
) -> Result<SoftwareItem, ApiError> {
    Ok(SoftwareItem {
        publisher: text("publisher", "Publisher", publisher, 1, 256)?,
        product: text("product", "Product title", product, 1, 256)?,
        version: text("version", "Version", version, 0, 64)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_names() {
        for ok in ["ada@contoso.com", "a.b+c@sub.example.co.uk", "o'neil@x.io"] {
            assert!(sign_in_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "ada",
            "ada@",
            "@x.com",
            "ada@x",
            "a..b@x.com",
            "ada@x.c0m",
            "ada@-x.com",
            "ádá@x.com",
            "a b@x.com",
        ] {
            assert!(sign_in_name(bad).is_err(), "{bad}");
        }
        assert!(sign_in_name(&format!("{}@x.com", "a".repeat(65))).is_err());
    }

    #[test]
    fn names_and_lengths() {
        assert!(user_display_name("").is_err());
        assert!(user_display_name(&"x".repeat(128)).is_ok());
        assert_eq!(
            user_display_name(&"x".repeat(129))
                .unwrap_err()
                .field_message("display_name")
                .unwrap(),
            "Display name must be at most 128 characters long."
        );
        assert!(department("").is_ok());
        assert!(group_name(" ").is_err());
    }

    #[test]
    fn platforms_and_join_types() {
        assert_eq!(Platform::parse("iOS/iPadOS"), Some(Platform::Ios));
        assert_eq!(Platform::parse("WINDOWS"), Some(Platform::Windows));
        assert_eq!(Platform::parse("beos"), None);
        assert_eq!(
            JoinType::parse("domain-joined"),
            Some(JoinType::DomainJoined)
        );
    }
}
