//! Store area (SPEC S-1 … S-7): the shapes the pages and the server exchange, and the rules that
//! need no database — token status, intents, targets, install statuses, the shortfall message.

use super::ApiError;
use serde::{Deserialize, Serialize};

/// A token whose expiry is this close shows as "expiring soon".
pub const EXPIRY_WARNING_SECS: i64 = 30 * 86_400;

/// Display languages offered for the Microsoft store's synced app names.
pub const LANGUAGES: &[(&str, &str)] = &[
    ("en-us", "English (United States)"),
    ("en-gb", "English (United Kingdom)"),
    ("nl-nl", "Nederlands"),
    ("de-de", "Deutsch"),
    ("fr-fr", "Français"),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum Store {
    Apple,
    Microsoft,
}

impl Store {
    pub fn code(self) -> &'static str {
        match self {
            Store::Apple => "apple",
            Store::Microsoft => "microsoft",
        }
    }

    pub fn parse(s: &str) -> Option<Store> {
        match s {
            "apple" => Some(Store::Apple),
            "microsoft" => Some(Store::Microsoft),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Store::Apple => "Apple volume purchase program",
            Store::Microsoft => "Microsoft store for business",
        }
    }
}

impl std::fmt::Display for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// Strict: a stored store that is neither `apple` nor `microsoft` is an error, never Apple.
impl std::str::FromStr for Store {
    type Err = super::UnknownValue;

    fn from_str(s: &str) -> Result<Store, Self::Err> {
        Store::parse(s).ok_or_else(|| super::UnknownValue::new("Store", s))
    }
}

/// What the connection page says about a link, from its stored state and the token's expiry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum ConnectionStatus {
    Valid,
    ExpiringSoon,
    Expired,
    Revoked,
    /// The token is claimed by another management product (`mdmInfo` differs).
    OtherProduct,
    Removed,
}

impl ConnectionStatus {
    /// `state` is the stored state (`valid`, `expired`, `revoked`, `other_product`).
    pub fn of(state: &str, expires_at: Option<i64>, removed: bool, now: i64) -> ConnectionStatus {
        if removed {
            return ConnectionStatus::Removed;
        }
        match state {
            "revoked" => ConnectionStatus::Revoked,
            "other_product" => ConnectionStatus::OtherProduct,
            "expired" => ConnectionStatus::Expired,
            _ => match expires_at {
                Some(exp) if exp <= now => ConnectionStatus::Expired,
                Some(exp) if exp - now <= EXPIRY_WARNING_SECS => ConnectionStatus::ExpiringSoon,
                _ => ConnectionStatus::Valid,
            },
        }
    }

    /// Whether a sync may run.
    pub fn can_sync(self) -> bool {
        matches!(
            self,
            ConnectionStatus::Valid | ConnectionStatus::ExpiringSoon
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum Intent {
    Required,
    Available,
    Uninstall,
}

impl Intent {
    pub fn code(self) -> &'static str {
        match self {
            Intent::Required => "required",
            Intent::Available => "available",
            Intent::Uninstall => "uninstall",
        }
    }

    pub fn parse(s: &str) -> Result<Intent, ApiError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "required" => Ok(Intent::Required),
            "available" => Ok(Intent::Available),
            "uninstall" => Ok(Intent::Uninstall),
            _ => Err(ApiError::invalid(
                "intent",
                "Choose Required, Available or Uninstall.",
            )),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum TargetKind {
    User,
    Group,
    Device,
}

impl TargetKind {
    pub fn code(self) -> &'static str {
        match self {
            TargetKind::User => "user",
            TargetKind::Group => "group",
            TargetKind::Device => "device",
        }
    }

    pub fn parse(s: &str) -> Result<TargetKind, ApiError> {
        match s {
            "user" => Ok(TargetKind::User),
            "group" => Ok(TargetKind::Group),
            "device" => Ok(TargetKind::Device),
            _ => Err(ApiError::invalid(
                "targets",
                "Each target must be a user, a group or a device.",
            )),
        }
    }
}

text_enum! {
    /// Where an app stands on a holder's device (`store_installs.status`).
    pub enum InstallStatus {
        /// Waiting for the invitation, a device or delivery.
        Pending = "pending",
        Installed = "installed",
        Failed = "failed",
        /// The holder lost the license.
        Uninstalled = "uninstalled",
    }
}

text_enum! {
    /// How a sync run ended (`store_sync_runs.result`).
    pub enum SyncResult {
        Running = "running",
        Succeeded = "succeeded",
        Failed = "failed",
    }
}

/// The refusal of a deployment that needs more licenses than are available (S-6).
pub fn shortfall_message(app: &str, needed: i64, available: i64) -> String {
    let missing = needed - available.max(0);
    format!(
        "Not enough licenses of {app}: this needs {needed} more but only {} are available — \
         {missing} missing. Nothing was deployed. Ways out: remove the app from some devices \
         (set their deployment to Uninstall), narrow the deployment's scope to fewer users or \
         a smaller group, or buy {missing} more in the store and sync.",
        available.max(0)
    )
}

/// Available licenses as shown: never below zero (a store may lower its total under what is
/// in use; the page then flags the app as over-allocated).
pub fn available(total: i64, used: i64) -> i64 {
    (total - used).max(0)
}

/// Free apps report this total: unlimited.
pub const UNLIMITED: i64 = 2_147_483_647;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ConnectionView {
    pub id: i64,
    pub store: Store,
    pub name: String,
    pub account_id: String,
    pub account_login: String,
    pub org_name: String,
    pub location_name: String,
    pub country: String,
    pub language: String,
    pub expires_at: Option<i64>,
    pub status: ConnectionStatus,
    pub auto_sync: bool,
    pub last_updated_at: i64,
    pub last_synced_at: Option<i64>,
    pub apps: i64,
    /// The run going on now, if any (the page polls it).
    pub running: Option<SyncRunView>,
    pub last_run: Option<SyncRunView>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SyncRunView {
    pub id: i64,
    pub connection_id: i64,
    pub connection_name: String,
    pub store: Store,
    pub trigger: String,
    pub started_by: String,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    pub result: SyncResult,
    pub progress: String,
    pub added: i64,
    pub updated: i64,
    pub retired: i64,
    pub error: String,
}

/// Link an Apple location token (the `.vpptoken` file's text) or renew the linked one.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)] // an unticked checkbox sends nothing
pub struct AppleLinkForm {
    pub name: String,
    pub apple_id: String,
    pub token_file: String,
    /// The admin confirmed "once linked, you cannot switch to another account".
    pub confirmed: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MicrosoftLinkForm {
    pub tenant_id: String,
    pub client_id: String,
    pub client_secret: String,
    pub language: String,
    pub confirmed: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StoreAppView {
    pub id: i64,
    pub name: String,
    pub publisher: String,
    pub platform: String,
    pub store: Store,
    pub total: i64,
    pub used: i64,
    /// Licenses the store has assigned outside this portal (another console, a previous
    /// product), from the last sync. They are not free.
    pub outside: i64,
    pub retired: bool,
    pub last_synced_at: i64,
}

impl StoreAppView {
    pub fn unlimited(&self) -> bool {
        self.total >= UNLIMITED
    }
    /// total − (held here + assigned outside); never below 0 (see ARCHITECTURE.md).
    pub fn available(&self) -> i64 {
        available(self.total, self.used + self.outside)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StoreAppFilter {
    pub q: String,
    pub store: String,
    pub platform: String,
    /// `active` (default), `retired`, `all`.
    pub state: String,
    /// Only apps with no license left.
    pub exhausted: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DeploymentView {
    pub id: i64,
    pub target_kind: TargetKind,
    pub target_id: i64,
    pub target_name: String,
    pub intent: Intent,
    /// Users this deployment reaches.
    pub users: i64,
    pub updated_at: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct HolderView {
    pub user_id: i64,
    pub display_name: String,
    pub sign_in_name: String,
    pub granted_at: i64,
    /// Apple: `registered` (invited, not accepted yet), `associated` (accepted), `retired`;
    /// empty for stores without invitations.
    pub invitation: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct InstallView {
    pub user_id: i64,
    pub user_name: String,
    pub device_id: i64,
    pub device_name: String,
    pub status: InstallStatus,
    pub detail: String,
    pub updated_at: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StoreAppDetail {
    pub app: StoreAppView,
    pub product_id: String,
    pub sku: String,
    pub store_assigned: i64,
    pub device_assignable: bool,
    pub connection_name: String,
    pub deployments: Vec<DeploymentView>,
    pub holders: Vec<HolderView>,
}

/// A deployment request: targets as (`user`|`group`|`device`, id).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeployForm {
    pub app_id: i64,
    pub intent: String,
    pub targets: Vec<(String, i64)>,
}

/// A user, group or device a deployment can target (the Deploy dialog's search).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Target {
    pub kind: TargetKind,
    pub id: i64,
    pub name: String,
    pub detail: String,
}

/// Parses `group:3,user:12,device:40` into (kind, id) pairs.
pub fn parse_targets(s: &str) -> Result<Vec<(String, i64)>, ApiError> {
    let bad = || {
        ApiError::invalid(
            "targets",
            "Choose users, groups or devices from the search results.",
        )
    };
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (kind, id) = p.split_once(':').ok_or_else(bad)?;
            let kind = TargetKind::parse(kind)?;
            let id: i64 = id.parse().map_err(|_| bad())?;
            Ok((kind.code().to_string(), id))
        })
        .collect()
}

/// The inverse of [`parse_targets`].
pub fn format_targets(targets: &[(TargetKind, i64)]) -> String {
    targets
        .iter()
        .map(|(k, id)| format!("{}:{id}", k.code()))
        .collect::<Vec<_>>()
        .join(",")
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DeployOutcome {
    pub deployments: i64,
    pub granted: i64,
    pub freed: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_follows_state_and_expiry() {
        let now = 1_000_000_000;
        let s = |state, exp, removed| ConnectionStatus::of(state, exp, removed, now);
        assert_eq!(
            s("valid", Some(now + 40 * 86_400), false),
            ConnectionStatus::Valid
        );
        assert_eq!(
            s("valid", Some(now + 29 * 86_400), false),
            ConnectionStatus::ExpiringSoon
        );
        assert_eq!(s("valid", Some(now), false), ConnectionStatus::Expired);
        assert_eq!(
            s("revoked", Some(now + 400 * 86_400), false),
            ConnectionStatus::Revoked
        );
        assert_eq!(
            s("other_product", None, false),
            ConnectionStatus::OtherProduct
        );
        assert_eq!(s("valid", None, true), ConnectionStatus::Removed);
        assert!(ConnectionStatus::ExpiringSoon.can_sync());
        assert!(!ConnectionStatus::Revoked.can_sync());
        assert!(!ConnectionStatus::OtherProduct.can_sync());
    }

    #[test]
    fn intents_and_targets_parse_strictly() {
        assert_eq!(Intent::parse(" Required ").unwrap(), Intent::Required);
        assert_eq!(Intent::parse("uninstall").unwrap(), Intent::Uninstall);
        assert!(
            matches!(Intent::parse("install"), Err(ApiError::Invalid { field, .. }) if field == "intent")
        );
        assert_eq!(TargetKind::parse("group").unwrap(), TargetKind::Group);
        assert!(TargetKind::parse("tenant").is_err());
        assert_eq!(
            parse_targets(" group:3, user:12 ,device:40").unwrap(),
            vec![
                ("group".into(), 3),
                ("user".into(), 12),
                ("device".into(), 40)
            ]
        );
        assert!(parse_targets("group:x").is_err());
        assert!(parse_targets("tenant:1").is_err());
        assert_eq!(parse_targets("").unwrap(), vec![]);
        assert_eq!(
            format_targets(&[(TargetKind::Group, 3), (TargetKind::User, 1)]),
            "group:3,user:1"
        );
    }

    #[test]
    fn stored_texts_parse_strictly() {
        for s in InstallStatus::ALL {
            assert_eq!(s.as_str().parse::<InstallStatus>(), Ok(*s));
        }
        // On the wire: the same text, and an unknown one is refused.
        assert_eq!(
            serde_json::to_string(&InstallStatus::Uninstalled).unwrap(),
            "\"uninstalled\""
        );
        assert!(serde_json::from_str::<SyncResult>("\"done\"").is_err());
        assert!("Pending".parse::<InstallStatus>().is_err());
        assert_eq!("succeeded".parse::<SyncResult>(), Ok(SyncResult::Succeeded));
        assert!("done".parse::<SyncResult>().is_err());
        assert_eq!("microsoft".parse::<Store>(), Ok(Store::Microsoft));
        assert_eq!(Store::Apple.to_string(), "apple");
        assert!("google".parse::<Store>().is_err());
    }

    #[test]
    fn shortfall_names_the_missing_count_and_the_three_ways_out() {
        let m = shortfall_message("Keynote", 5, 2);
        assert!(m.contains("3 missing"), "{m}");
        assert!(m.contains("remove the app from some devices"));
        assert!(m.contains("narrow the deployment's scope"));
        assert!(m.contains("buy 3 more in the store"));
        // Over-allocated apps (negative available) count as none available.
        assert!(shortfall_message("X", 1, -4).contains("1 missing"));
        assert_eq!(available(10, 12), 0);
    }
}
