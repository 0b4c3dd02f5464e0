//! The one translation mechanism: every user-facing string is a field of [`Texts`].
//!
//! A key that does not exist does not compile. English is complete; Dutch overrides what has
//! been translated and falls back to English for the rest (`..EN`), so adding a key never breaks
//! the Dutch UI. The language comes from the `ld_lang` cookie or `Accept-Language` on the server
//! and from `<html lang>` in the browser, so hydration always sees the server's choice.

use leptos::prelude::*;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Lang {
    #[default]
    En,
    Nl,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Nl => "nl",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        match code.get(..2).map(str::to_ascii_lowercase).as_deref() {
            Some("en") => Some(Lang::En),
            Some("nl") => Some(Lang::Nl),
            _ => None,
        }
    }

    /// Picks the first supported language of an `Accept-Language` header.
    pub fn from_accept_language(header: &str) -> Lang {
        header
            .split(',')
            .filter_map(|part| Lang::from_code(part.trim()))
            .next()
            .unwrap_or_default()
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::En => &EN,
            Lang::Nl => &NL,
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::En => Lang::Nl,
            Lang::Nl => Lang::En,
        }
    }
}

/// The texts of the current page's language.
pub fn use_texts() -> &'static Texts {
    use_context::<Lang>().unwrap_or_default().texts()
}

/// Replaces `{}` in a template with `arg` (for the few parameterised messages).
pub fn fill(template: &str, arg: impl std::fmt::Display) -> String {
    template.replacen("{}", &arg.to_string(), 1)
}

macro_rules! declare_texts {
    ($($field:ident),* $(,)?) => {
        /// Every user-facing string of the UI, one field per message.
        pub struct Texts {
            $(pub $field: &'static str,)*
        }

        impl Texts {
            /// All values in declaration order (used by tests that check the tables).
            #[cfg(test)]
            pub fn all(&self) -> Vec<&'static str> {
                vec![$(self.$field),*]
            }
        }
    };
}

declare_texts! {
    search,
    directory_card,
    search_users,
    search_groups,
    search_devices,
    export_csv,
    export_software_csv,
    import_csv,
    import_uploading,
    import_checking,
    import_done,
    import_created_updated,
    import_failed,
    col_line,
    col_field,
    col_problem,
    col_sign_in_name,
    col_department,
    col_updated,
    col_description,
    col_members,
    col_select,
    col_platform,
    col_os_version,
    col_primary_user,
    col_join_type,
    col_last_check_in,
    col_publisher,
    col_product,
    col_version,
    total_users,
    total_groups,
    total_devices,
    no_users,
    no_groups,
    no_devices,
    no_members,
    no_software,
    page_first,
    page_next,
    add_user,
    edit_user,
    sign_in_name_hint,
    toast_user_added,
    toast_saved,
    import_users_title,
    import_users_help,
    import_groups_title,
    import_groups_help,
    import_devices_title,
    import_devices_help,
    import_software_title,
    import_software_help,
    user_groups,
    user_devices,
    user_no_groups,
    user_no_devices,
    delete,
    delete_user_hint,
    confirm_delete_user_title,
    confirm_delete_user_body,
    add_group,
    edit_group,
    delete_group,
    confirm_delete_group_body,
    member_count,
    remove_selected,
    remove,
    confirm_remove_members_title,
    confirm_remove_members_body,
    toast_members_added,
    toast_members_removed,
    select_user,
    add_members,
    type_a_name,
    type_a_name_placeholder,
    search_results,
    remove_from_selection,
    add_n_members,
    all_platforms,
    detected_software,
    detected_software_caption,
    software_windows_only,
    app_name,
    lang_switch,
    skip_to_content,
    nav_label,
    nav_dashboard,
    nav_store,
    nav_licenses,
    nav_billing,
    nav_directory,
    nav_settings,
    nav_audit,
    store_connections,
    store_apps,
    store_sync_runs,
    licenses_overview,
    licenses_agreements,
    licenses_groups,
    licenses_reports,
    billing_subscriptions,
    billing_licenses,
    billing_profiles,
    billing_invoices,
    dir_users,
    dir_groups,
    dir_devices,
    settings_admins,
    sign_out,
    signed_in_as,
    login_title,
    login_intro,
    username,
    password,
    sign_in,
    setup_title,
    setup_intro,
    setup_closed,
    org_name,
    display_name,
    password_confirm,
    password_hint,
    create_admin,
    dashboard_title,
    dashboard_intro,
    dashboard_your_role,
    dashboard_areas,
    area_pending,
    area_pending_store,
    area_pending_licenses,
    area_pending_billing,
    area_pending_directory,
    add_admin,
    admins_intro,
    col_name,
    col_username,
    col_role,
    col_status,
    col_last_sign_in,
    col_created,
    col_actions,
    enabled,
    disabled,
    never,
    change_role,
    disable,
    enable,
    reset_password,
    new_password,
    cancel,
    save,
    you,
    role_global_admin,
    role_license_admin,
    role_user_admin,
    role_billing_admin,
    role_reader,
    confirm_disable_title,
    confirm_disable_body,
    confirm_reset_title,
    toast_admin_added,
    toast_role_changed,
    toast_admin_disabled,
    toast_admin_enabled,
    toast_password_reset,
    audit_title,
    audit_intro,
    filter_actor,
    filter_action,
    filter_text,
    filter_apply,
    filter_clear,
    col_when,
    col_actor,
    col_action,
    col_target,
    col_change,
    col_client,
    page_newer,
    page_older,
    audit_empty,
    system_actor,
    not_found_title,
    not_found_body,
    forbidden_title,
    forbidden_body,
    error_title,
    error_body,
    go_home,
    loading,
    table_empty,
    dismiss,
    sort_by,
}

pub const EN: Texts = Texts {
    search: "Search",
    directory_card: "The people, groups and devices that licenses and deployments are aimed at: search, edit, import and export them as CSV.",
    search_users: "Search by name, sign-in name or department",
    search_groups: "Search groups",
    search_devices: "Search by device name",
    export_csv: "Export CSV",
    export_software_csv: "Export detected software",
    import_csv: "Import CSV",
    import_uploading: "Uploading… {}",
    import_checking: "Checking every row and importing…",
    import_done: "Imported {} rows.",
    import_created_updated: "Created / updated: {}.",
    import_failed: "The import failed; nothing was stored.",
    col_line: "Line",
    col_field: "Field",
    col_problem: "Problem",
    col_sign_in_name: "Sign-in name",
    col_department: "Department",
    col_updated: "Updated",
    col_description: "Description",
    col_members: "Members",
    col_select: "Select",
    col_platform: "Platform",
    col_os_version: "OS version",
    col_primary_user: "Primary user",
    col_join_type: "Join type",
    col_last_check_in: "Last check-in",
    col_publisher: "Publisher",
    col_product: "Product title",
    col_version: "Version",
    total_users: "{} users",
    total_groups: "{} groups",
    total_devices: "{} devices",
    no_users: "No users match. Add one below or import a CSV file.",
    no_groups: "No groups match.",
    no_devices: "No devices match.",
    no_members: "This group has no members yet.",
    no_software: "No software has been reported for this device yet.",
    page_first: "First page",
    page_next: "Next page",
    add_user: "Add user",
    edit_user: "Edit user",
    sign_in_name_hint: "The e-mail form people sign in with, e.g. ada@contoso.com.",
    toast_user_added: "User saved.",
    toast_saved: "Saved.",
    import_users_title: "Import users",
    import_users_help: "A CSV file with the columns display_name, sign_in_name, department, enabled — the same columns Export CSV writes. Existing users (same sign-in name) are updated. The whole file is checked first; if any line has a problem, nothing is imported.",
    import_groups_title: "Import groups",
    import_groups_help: "Columns: name, description, members (sign-in names separated by ;). Existing groups get the listed members. Nothing is imported if any line has a problem.",
    import_devices_title: "Import devices",
    import_devices_help: "Columns: name, platform (windows, ios, macos, android), os_version, primary_user (a sign-in name), join_type (Windows only: domain_joined, workplace_joined, none), last_check_in (e.g. 2026-11-23T09:30:00Z).",
    import_software_title: "Import detected software",
    import_software_help: "Columns: device, publisher, product, version. The software of each device in the file is replaced. Inventory agents can also report a device with PUT /api/v1/devices/{name}/software.",
    user_groups: "Groups ({})",
    user_devices: "Devices ({})",
    user_no_groups: "Not a member of any group.",
    user_no_devices: "No devices enrolled by this user.",
    delete: "Delete",
    delete_user_hint: "Disabling is the usual way; a user who holds licenses cannot be deleted.",
    confirm_delete_user_title: "Delete user",
    confirm_delete_user_body: "{} will be removed from every group. This cannot be undone; the audit log keeps the record.",
    add_group: "Add group",
    edit_group: "Edit group",
    delete_group: "Delete group",
    confirm_delete_group_body: "The group {} will be deleted. Its members stay in the directory.",
    member_count: "{} members",
    remove_selected: "Remove selected ({})",
    remove: "Remove",
    confirm_remove_members_title: "Remove members",
    confirm_remove_members_body: "Remove {} member(s) from this group?",
    toast_members_added: "{} member(s) added.",
    toast_members_removed: "{} member(s) removed.",
    select_user: "Select {}",
    add_members: "Add members",
    type_a_name: "Type a name, sign-in name or department",
    type_a_name_placeholder: "At least 2 characters",
    search_results: "Search results",
    remove_from_selection: "Remove {} from the selection",
    add_n_members: "Add members ({})",
    all_platforms: "All platforms",
    detected_software: "Detected software ({})",
    detected_software_caption: "Detected software",
    software_windows_only: "Only managed Windows computers report detected software.",
    app_name: "LicenseDesk",
    lang_switch: "Nederlands",
    skip_to_content: "Skip to content",
    nav_label: "Main navigation",
    nav_dashboard: "Dashboard",
    nav_store: "Store",
    nav_licenses: "Licenses",
    nav_billing: "Billing",
    nav_directory: "Users & groups",
    nav_settings: "Settings",
    nav_audit: "Audit log",
    store_connections: "Store connections",
    store_apps: "Volume-purchased apps",
    store_sync_runs: "Sync history",
    licenses_overview: "License overview",
    licenses_agreements: "All agreements",
    licenses_groups: "License groups",
    licenses_reports: "Reports",
    billing_subscriptions: "Your products",
    billing_licenses: "Licenses",
    billing_profiles: "Billing profiles",
    billing_invoices: "Invoices",
    dir_users: "Users",
    dir_groups: "Groups",
    dir_devices: "Devices",
    settings_admins: "Admin accounts and roles",
    sign_out: "Sign out",
    signed_in_as: "Signed in as",
    login_title: "Sign in",
    login_intro: "Sign in with your LicenseDesk administrator account.",
    username: "Sign-in name",
    password: "Password",
    sign_in: "Sign in",
    setup_title: "Set up LicenseDesk",
    setup_intro: "Create the first Global admin. This page closes as soon as an administrator exists.",
    setup_closed: "Setup is complete: an administrator already exists. Sign in instead.",
    org_name: "Organization name",
    display_name: "Display name",
    password_confirm: "Repeat password",
    password_hint: "At least 12 characters. A passphrase of several words is easy to type and hard to guess.",
    create_admin: "Create admin",
    dashboard_title: "Dashboard",
    dashboard_intro: "An overview of everything your organization has bought for its people's software.",
    dashboard_your_role: "Your role",
    dashboard_areas: "Areas",
    area_pending: "This area is not available yet.",
    area_pending_store: "Store connections, volume-purchased apps and deployments arrive with the Store release.",
    area_pending_licenses: "Agreements, license groups and compliance reports arrive with the Licenses release.",
    area_pending_billing: "Subscriptions, billing profiles, invoices and ISV licenses arrive with the Billing release.",
    area_pending_directory: "Users, groups and devices arrive with the Directory release.",
    add_admin: "Add admin",
    admins_intro: "People who may sign in to LicenseDesk and what their role lets them do. The last Global admin cannot be disabled or demoted.",
    col_name: "Name",
    col_username: "Sign-in name",
    col_role: "Role",
    col_status: "Status",
    col_last_sign_in: "Last sign-in",
    col_created: "Created",
    col_actions: "Actions",
    enabled: "Enabled",
    disabled: "Disabled",
    never: "Never",
    change_role: "Change role",
    disable: "Disable",
    enable: "Enable",
    reset_password: "Reset password",
    new_password: "New password",
    cancel: "Cancel",
    save: "Save",
    you: "(you)",
    role_global_admin: "Global admin",
    role_license_admin: "License admin",
    role_user_admin: "User admin",
    role_billing_admin: "Billing admin",
    role_reader: "Reader",
    confirm_disable_title: "Disable admin account",
    confirm_disable_body: "{} will be signed out and can no longer sign in until the account is enabled again.",
    confirm_reset_title: "Reset password",
    toast_admin_added: "Admin added.",
    toast_role_changed: "Role changed.",
    toast_admin_disabled: "Admin disabled and signed out.",
    toast_admin_enabled: "Admin enabled.",
    toast_password_reset: "Password reset; the admin's sessions were ended.",
    audit_title: "Audit log",
    audit_intro: "Every sign-in and every change, with who, what, when and the values before and after. Entries cannot be edited.",
    filter_actor: "Admin",
    filter_action: "Action",
    filter_text: "Contains",
    filter_apply: "Filter",
    filter_clear: "Clear filters",
    col_when: "When (UTC)",
    col_actor: "Admin",
    col_action: "Action",
    col_target: "Target",
    col_change: "Change",
    col_client: "Client address",
    page_newer: "Newest entries",
    page_older: "Older entries",
    audit_empty: "No entries match these filters.",
    system_actor: "system",
    not_found_title: "Page not found",
    not_found_body: "There is no page at this address. It may have moved, or the link may be mistyped.",
    forbidden_title: "Access denied",
    forbidden_body: "Your role does not allow you to open this page. A Global admin can change your role.",
    error_title: "Something went wrong",
    error_body: "The server could not complete the request. Try again; if it keeps failing, give your administrator this reference:",
    go_home: "Go to the dashboard",
    loading: "Loading…",
    table_empty: "Nothing to show.",
    dismiss: "Dismiss",
    sort_by: "Sort by",
};

pub const NL: Texts = Texts {
    lang_switch: "English",
    skip_to_content: "Naar de inhoud",
    nav_label: "Hoofdnavigatie",
    nav_store: "Store",
    nav_licenses: "Licenties",
    nav_billing: "Facturering",
    nav_directory: "Gebruikers en groepen",
    nav_settings: "Instellingen",
    nav_audit: "Auditlogboek",
    sign_out: "Afmelden",
    signed_in_as: "Aangemeld als",
    login_title: "Aanmelden",
    username: "Aanmeldingsnaam",
    password: "Wachtwoord",
    sign_in: "Aanmelden",
    dashboard_title: "Dashboard",
    not_found_title: "Pagina niet gevonden",
    forbidden_title: "Geen toegang",
    go_home: "Naar het dashboard",
    cancel: "Annuleren",
    dir_users: "Gebruikers",
    dir_groups: "Groepen",
    dir_devices: "Apparaten",
    search: "Zoeken",
    export_csv: "CSV exporteren",
    import_csv: "CSV importeren",
    save: "Opslaan",
    ..EN
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language() {
        assert_eq!(
            Lang::from_accept_language("nl-NL,nl;q=0.9,en;q=0.8"),
            Lang::Nl
        );
        assert_eq!(Lang::from_accept_language("de-DE,en-US;q=0.7"), Lang::En);
        assert_eq!(Lang::from_accept_language(""), Lang::En);
    }

    #[test]
    fn fill_replaces_placeholder() {
        assert_eq!(
            fill(EN.confirm_disable_body, "Ada").split(' ').next(),
            Some("Ada")
        );
    }

    /// What the mechanism puts into the WASM binary: the string bytes of both tables plus one
    /// (pointer, length) pair per field on wasm32. Printed so the figure is measured.
    #[test]
    fn payload_size_report() {
        let en = EN.all();
        let nl = NL.all();
        let en_bytes: usize = en.iter().map(|s| s.len()).sum();
        let nl_only: usize = nl
            .iter()
            .zip(&en)
            .filter(|(a, b)| a.as_ptr() != b.as_ptr())
            .map(|(a, _)| a.len())
            .sum();
        let tables = 2 * en.len() * 8;
        println!(
            "i18n payload: {} keys, EN strings {en_bytes} B, NL-only strings {nl_only} B, tables {tables} B",
            en.len()
        );
        assert!(
            en.iter().all(|s| !s.is_empty()),
            "every English text is filled in"
        );
    }
}
