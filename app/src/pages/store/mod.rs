//! Store area (SPEC S-1 … S-7): store connections (link, renew, Sync now with live progress,
//! Configure sync, remove), volume-purchased apps with their counts, the app detail with
//! deployments, license holders and install status, and the sync history.
//!
//! This module holds the labels the store pages share.

mod app;
mod apps;
mod connection_dialogs;
mod connection_panel;
mod connections;
mod deploy_panel;
mod deployments;
mod installs;
mod link_dialogs;
mod sync_runs;

pub use app::AppPage;
pub use apps::AppsPage;
pub use connections::ConnectionsPage;
pub use sync_runs::SyncRunsPage;

use crate::domain::format_time;
use crate::domain::store::{
    ConnectionStatus, InstallStatus, Intent, Store, SyncResult, TargetKind, UNLIMITED,
};
use crate::i18n::Texts;

pub(super) fn time_or_never(t: &'static Texts, at: Option<i64>) -> String {
    at.map(format_time)
        .unwrap_or_else(|| t.store.never.to_string())
}

pub(super) fn status_text(t: &'static Texts, s: ConnectionStatus) -> &'static str {
    match s {
        ConnectionStatus::Valid => t.store.status_valid,
        ConnectionStatus::ExpiringSoon => t.store.status_expiring,
        ConnectionStatus::Expired => t.store.status_expired,
        ConnectionStatus::Revoked => t.store.status_revoked,
        ConnectionStatus::OtherProduct => t.store.status_other,
        ConnectionStatus::Removed => t.store.status_removed,
    }
}

pub(super) fn status_class(s: ConnectionStatus) -> &'static str {
    match s {
        ConnectionStatus::Valid => "pill ok",
        ConnectionStatus::ExpiringSoon => "pill warn",
        _ => "pill bad",
    }
}

pub(super) fn store_label(t: &'static Texts, s: Store) -> &'static str {
    match s {
        Store::Apple => t.store.apple,
        Store::Microsoft => t.store.microsoft,
    }
}

/// "Store — connection name", or only the store when the connection is named after it.
pub(super) fn connection_title(t: &'static Texts, store: Store, name: &str) -> String {
    if name == store_label(t, store) || name == store.label() {
        name.to_string()
    } else {
        format!("{} — {name}", store_label(t, store))
    }
}

pub(super) fn intent_label(t: &'static Texts, i: Intent) -> &'static str {
    match i {
        Intent::Required => t.store.required,
        Intent::Available => t.store.available_intent,
        Intent::Uninstall => t.store.uninstall,
    }
}

pub(super) fn kind_label(t: &'static Texts, k: TargetKind) -> &'static str {
    match k {
        TargetKind::User => t.store.kind_user,
        TargetKind::Group => t.store.kind_group,
        TargetKind::Device => t.store.kind_device,
    }
}

pub(super) fn result_label(t: &'static Texts, r: SyncResult) -> &'static str {
    match r {
        SyncResult::Running => t.store.running,
        SyncResult::Succeeded => t.store.succeeded,
        SyncResult::Failed => t.store.failed,
    }
}

pub(super) fn invitation_label(t: &'static Texts, s: &str) -> &'static str {
    match s {
        "associated" => t.store.inv_accepted,
        "retired" => t.store.inv_retired,
        "" => "—",
        _ => t.store.inv_pending,
    }
}

pub(super) fn install_label(t: &'static Texts, s: InstallStatus) -> &'static str {
    match s {
        InstallStatus::Installed => t.store.installed,
        InstallStatus::Failed => t.store.install_failed,
        InstallStatus::Uninstalled => t.store.uninstalled,
        InstallStatus::Pending => t.store.pending,
    }
}

pub(super) fn count_text(t: &'static Texts, n: i64) -> String {
    if n >= UNLIMITED {
        t.store.unlimited.to_string()
    } else {
        n.to_string()
    }
}
