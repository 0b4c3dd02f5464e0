//! Licenses (SPEC L-1, L-2, L-4, L-5): agreement and number-set rules, license groups.

use super::ApiError;
use serde::{Deserialize, Serialize};

/// Characters an agreement name may not contain (SPEC L-2).
pub const FORBIDDEN_NAME_CHARS: &[char] = &[
    '~', '!', '@', '#', '$', '^', '&', '*', '(', ')', '=', '+', '[', ']', '{', '}', '\\', '|', ';',
    ':', '\'', '"', '<', '>', '/',
];
pub const MAX_NAME_CHARS: usize = 256;
pub const MAX_NUMBER_CHARS: usize = 16;
pub const MAX_SETS_PER_FILE: usize = 5_000;
pub const MAX_FILE_NAME_CHARS: usize = 128;
pub const MAX_LICENSE_GROUPS: usize = 500;
pub const UNASSIGNED_GROUP: &str = "Unassigned agreements";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AgreementKind {
    Volume,
    Other,
}

impl AgreementKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AgreementKind::Volume => "volume",
            AgreementKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<AgreementKind> {
        match s {
            "volume" => Some(AgreementKind::Volume),
            "other" => Some(AgreementKind::Other),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SetStatus {
    Pending,
    Valid,
    Invalid,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicenseGroupView {
    pub id: i64,
    pub name: String,
    pub builtin: bool,
    pub agreement_count: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumberSetView {
    pub first_number: String,
    pub second_number: String,
    pub status: SetStatus,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgreementView {
    pub id: i64,
    pub kind: AgreementKind,
    pub name: String,
    pub group_id: i64,
    pub group_name: String,
    /// "Not available" for volume agreements (SPEC L-3).
    pub publisher: Option<String>,
    pub product: Option<String>,
    pub license_count: Option<i64>,
    pub starts_on: Option<String>,
    pub ends_on: Option<String>,
    pub details: String,
    pub sets: Vec<NumberSetView>,
    pub created_at: i64,
}

/// The "other software agreement" form (SPEC L-4), as the browser sends it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtherAgreementForm {
    pub name: String,
    pub publisher: String,
    pub product: String,
    pub license_count: String,
    #[serde(default)]
    pub starts_on: String,
    #[serde(default)]
    pub ends_on: String,
    #[serde(default)]
    pub details: String,
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub group_id: Option<i64>,
    #[serde(default)]
    pub new_group: Option<String>,
}

/// Where new agreements go (SPEC L-5).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum GroupChoice {
    Unassigned,
    New(String),
    Existing(i64),
}

impl GroupChoice {
    /// From the form: `group` is `unassigned`, `new` (with `new_group`) or `existing` (with `group_id`).
    pub fn from_form(
        group: &str,
        group_id: Option<i64>,
        new_group: Option<&str>,
    ) -> Result<GroupChoice, ApiError> {
        match group {
            "" | "unassigned" => Ok(GroupChoice::Unassigned),
            "new" => Ok(GroupChoice::New(license_group_name(
                new_group.unwrap_or_default(),
            )?)),
            "existing" => group_id
                .map(GroupChoice::Existing)
                .ok_or_else(|| ApiError::invalid("group_id", "Choose a license group.")),
            _ => Err(ApiError::invalid(
                "group",
                "Choose where the agreements go.",
            )),
        }
    }
}

/// An agreement name: 1–256 characters, none of `~ ! @ # $ ^ & * ( ) = + [ ] { } \ | ; : ' " < > /`.
pub fn agreement_name(raw: &str) -> Result<String, ApiError> {
    let v = raw.trim();
    let len = v.chars().count();
    if len == 0 {
        return Err(ApiError::invalid("name", "Agreement name is required."));
    }
    if len > MAX_NAME_CHARS {
        return Err(ApiError::invalid(
            "name",
            format!("Agreement name must be at most {MAX_NAME_CHARS} characters long."),
        ));
    }
    if let Some(c) = v
        .chars()
        .find(|c| FORBIDDEN_NAME_CHARS.contains(c) || c.is_control())
    {
        return Err(ApiError::invalid(
            "name",
            format!("Agreement name must not contain the character {c}."),
        ));
    }
    Ok(v.to_string())
}

/// One number of a number set: 1–16 ASCII characters (no control characters).
pub fn agreement_number(raw: &str, field: &str) -> Result<String, ApiError> {
    let v = raw.trim();
    if v.is_empty() {
        return Err(ApiError::invalid(field, "The number is required."));
    }
    if !v.chars().all(|c| c.is_ascii() && !c.is_ascii_control()) {
        return Err(ApiError::invalid(
            field,
            "Numbers may contain ASCII characters only.",
        ));
    }
    if v.len() > MAX_NUMBER_CHARS {
        return Err(ApiError::invalid(
            field,
            format!("A number may have at most {MAX_NUMBER_CHARS} characters."),
        ));
    }
    Ok(v.to_string())
}

/// The uploaded file's name: at most 128 characters.
pub fn csv_file_name(raw: &str) -> Result<String, ApiError> {
    let v = raw.trim();
    if v.chars().count() > MAX_FILE_NAME_CHARS {
        return Err(ApiError::invalid(
            "file",
            format!("The file name may have at most {MAX_FILE_NAME_CHARS} characters."),
        ));
    }
    Ok(v.to_string())
}

/// A license group name: 1–128 characters, not the built-in group's name.
pub fn license_group_name(raw: &str) -> Result<String, ApiError> {
    let v = raw.trim();
    let len = v.chars().count();
    if len == 0 || len > 128 || v.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            "group_name",
            "License group name must be 1 to 128 characters long.",
        ));
    }
    if v.eq_ignore_ascii_case(UNASSIGNED_GROUP) {
        return Err(ApiError::invalid(
            "group_name",
            format!("{UNASSIGNED_GROUP} is the built-in group; choose another name."),
        ));
    }
    Ok(v.to_string())
}

/// Number of licenses of an other-software agreement: a positive whole number.
pub fn license_count(raw: &str) -> Result<i64, ApiError> {
    match raw.trim().parse::<i64>() {
        Ok(n) if n > 0 && n <= 10_000_000 => Ok(n),
        _ => Err(ApiError::invalid(
            "license_count",
            "Number of licenses must be a whole number greater than 0.",
        )),
    }
}

/// Start and end dates (`YYYY-MM-DD`, both optional); the end may not be before the start.
pub fn license_dates(start: &str, end: &str) -> Result<(Option<String>, Option<String>), ApiError> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let parse = |raw: &str, field: &str| -> Result<Option<time::Date>, ApiError> {
        let v = raw.trim();
        if v.is_empty() {
            return Ok(None);
        }
        time::Date::parse(v, &fmt)
            .map(Some)
            .map_err(|_| ApiError::invalid(field, "Use a date such as 2026-11-23."))
    };
    let s = parse(start, "starts_on")?;
    let e = parse(end, "ends_on")?;
    if let (Some(s), Some(e)) = (s, e)
        && e < s
    {
        return Err(ApiError::invalid(
            "ends_on",
            "The end date may not be before the start date.",
        ));
    }
    let show = |d: Option<time::Date>| d.and_then(|d| d.format(&fmt).ok());
    Ok((show(s), show(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agreement_names() {
        assert_eq!(
            agreement_name(" Office agreements ").unwrap(),
            "Office agreements"
        );
        assert!(agreement_name("").is_err());
        assert!(agreement_name(&"a".repeat(256)).is_ok());
        assert!(agreement_name(&"a".repeat(257)).is_err());
        for c in FORBIDDEN_NAME_CHARS {
            let e = agreement_name(&format!("Office{c}2026")).unwrap_err();
            assert_eq!(
                e.field_message("name").unwrap(),
                format!("Agreement name must not contain the character {c}.")
            );
        }
        assert!(agreement_name("Office - 2026, EA_1.5 %").is_ok());
    }

    #[test]
    fn numbers() {
        assert_eq!(agreement_number(" 01-07001 ", "f").unwrap(), "01-07001");
        assert!(agreement_number(&"9".repeat(16), "f").is_ok());
        assert!(agreement_number(&"9".repeat(17), "f").is_err());
        assert!(agreement_number("01-07é01", "f").is_err());
        assert!(agreement_number("", "f").is_err());
    }

    #[test]
    fn file_names_groups_counts_dates() {
        assert!(csv_file_name(&"a".repeat(128)).is_ok());
        assert!(csv_file_name(&"a".repeat(129)).is_err());
        assert!(license_group_name("unassigned agreements").is_err());
        assert!(license_group_name("Microsoft EA").is_ok());
        assert!(license_count("0").is_err());
        assert!(license_count("-3").is_err());
        assert!(license_count("1.5").is_err());
        assert_eq!(license_count("25").unwrap(), 25);
        assert!(license_dates("2026-01-01", "2025-12-31").is_err());
        assert_eq!(
            license_dates("2026-01-01", "2026-01-01").unwrap(),
            (Some("2026-01-01".into()), Some("2026-01-01".into()))
        );
        assert!(license_dates("01/02/2026", "").is_err());
    }
}
