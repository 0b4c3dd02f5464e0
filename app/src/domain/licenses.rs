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
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum SetStatus {
    Pending,
    Valid,
    Invalid,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LicenseGroupView {
    pub id: i64,
    pub name: String,
    pub builtin: bool,
    pub agreement_count: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NumberSetView {
    pub first_number: String,
    pub second_number: String,
    pub status: SetStatus,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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

/// Licenses owned vs installations detected for one product (SPEC L-6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum Compliance {
    Compliant,
    /// More installations than licenses: this many licenses are missing.
    UnderLicensed(i64),
    /// More licenses than installations: this many are unused.
    OverLicensed(i64),
}

/// The compliance rule, in one place: equal is compliant; otherwise the difference says how
/// many licenses are missing or unused.
pub fn compliance(installed: i64, owned: i64) -> Compliance {
    use std::cmp::Ordering;
    match installed.cmp(&owned) {
        Ordering::Equal => Compliance::Compliant,
        Ordering::Greater => Compliance::UnderLicensed(installed - owned),
        Ordering::Less => Compliance::OverLicensed(owned - installed),
    }
}

/// Which software a report covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SoftwareScope {
    All,
    Microsoft,
    NonMicrosoft,
}

impl SoftwareScope {
    pub fn parse(s: &str) -> SoftwareScope {
        match s {
            "microsoft" => SoftwareScope::Microsoft,
            "other" => SoftwareScope::NonMicrosoft,
            _ => SoftwareScope::All,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SoftwareScope::All => "all",
            SoftwareScope::Microsoft => "microsoft",
            SoftwareScope::NonMicrosoft => "other",
        }
    }

    /// Microsoft software is what its publisher names as Microsoft (Microsoft, Microsoft Research, …).
    pub fn includes(self, publisher: &str) -> bool {
        let microsoft = publisher
            .trim()
            .to_ascii_lowercase()
            .starts_with("microsoft");
        match self {
            SoftwareScope::All => true,
            SoftwareScope::Microsoft => microsoft,
            SoftwareScope::NonMicrosoft => !microsoft,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct InstallationLine {
    pub publisher: String,
    pub product: String,
    pub installed: i64,
    pub owned: i64,
    pub status: Compliance,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct InstallationReport {
    /// Managed Windows computers (the only ones that report software).
    pub managed_computers: i64,
    pub lines: Vec<InstallationLine>,
    pub installed_total: i64,
    pub owned_total: i64,
    pub missing_total: i64,
    pub unused_total: i64,
}

impl InstallationReport {
    /// Builds the report from installations and licenses owned per (publisher, product).
    pub fn build(
        managed_computers: i64,
        installed: Vec<(String, String, i64)>,
        owned: Vec<(String, String, i64)>,
        scope: SoftwareScope,
    ) -> InstallationReport {
        use std::collections::BTreeMap;
        let mut map: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
        for (p, q, n) in installed {
            map.entry((p, q)).or_default().0 += n;
        }
        for (p, q, n) in owned {
            map.entry((p, q)).or_default().1 += n;
        }
        let lines: Vec<InstallationLine> = map
            .into_iter()
            .filter(|((p, _), _)| scope.includes(p))
            .map(
                |((publisher, product), (installed, owned))| InstallationLine {
                    status: compliance(installed, owned),
                    publisher,
                    product,
                    installed,
                    owned,
                },
            )
            .collect();
        let sum = |f: &dyn Fn(&InstallationLine) -> i64| lines.iter().map(f).sum::<i64>();
        InstallationReport {
            managed_computers,
            installed_total: sum(&|l| l.installed),
            owned_total: sum(&|l| l.owned),
            missing_total: sum(&|l| match l.status {
                Compliance::UnderLicensed(n) => n,
                _ => 0,
            }),
            unused_total: sum(&|l| match l.status {
                Compliance::OverLicensed(n) => n,
                _ => 0,
            }),
            lines,
        }
    }
}

/// The outcome of Refresh now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RefreshReport {
    pub sets: i64,
    pub valid: i64,
    pub invalid: i64,
    pub products: i64,
}

/// When agreements were last refreshed, and whether they changed since.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RefreshStatus {
    pub refreshed_at: Option<i64>,
    pub stale: bool,
    pub configured: bool,
}

/// One agreement line of the purchase report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PurchaseLine {
    pub group_name: String,
    pub agreement: String,
    pub kind: AgreementKind,
    pub publisher: Option<String>,
    pub product: Option<String>,
    pub licenses: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PurchaseReport {
    pub lines: Vec<PurchaseLine>,
    /// Installed products with no agreement in the selected groups: (publisher, product, installations).
    pub gaps: Vec<(String, String, i64)>,
}

#[cfg(test)]
mod report_tests {
    use super::*;

    #[test]
    fn compliance_arithmetic() {
        assert_eq!(compliance(10, 10), Compliance::Compliant);
        assert_eq!(compliance(12, 10), Compliance::UnderLicensed(2));
        assert_eq!(compliance(3, 10), Compliance::OverLicensed(7));
        assert_eq!(compliance(0, 0), Compliance::Compliant);
        assert_eq!(compliance(5, 0), Compliance::UnderLicensed(5));
    }

    #[test]
    fn report_totals_and_scope() {
        let s = |a: &str, b: &str, n: i64| (a.to_string(), b.to_string(), n);
        let r = InstallationReport::build(
            4,
            vec![
                s("Adobe", "Acrobat", 4),
                s("Microsoft", "Visio", 3),
                s("Microsoft Research", "Z3", 1),
            ],
            vec![
                s("Adobe", "Acrobat", 2),
                s("Microsoft", "Visio", 5),
                s("Autodesk", "AutoCAD", 1),
                s("Adobe", "Acrobat", 1),
            ],
            SoftwareScope::All,
        );
        assert_eq!(r.lines.len(), 4);
        let acrobat = &r.lines[0];
        assert_eq!(
            (acrobat.installed, acrobat.owned, acrobat.status),
            (4, 3, Compliance::UnderLicensed(1))
        );
        assert_eq!(
            (
                r.installed_total,
                r.owned_total,
                r.missing_total,
                r.unused_total
            ),
            (8, 9, 2, 3)
        );
        let ms = InstallationReport::build(
            4,
            vec![s("Microsoft", "Visio", 3), s("Adobe", "X", 1)],
            vec![],
            SoftwareScope::Microsoft,
        );
        assert_eq!(ms.lines.len(), 1);
        let other = InstallationReport::build(
            4,
            vec![s("Microsoft Research", "Z3", 3), s("Adobe", "X", 1)],
            vec![],
            SoftwareScope::NonMicrosoft,
        );
        assert_eq!(other.lines[0].publisher, "Adobe");
    }
}
