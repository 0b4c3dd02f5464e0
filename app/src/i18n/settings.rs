//! Admin accounts and roles, and the audit log.
//!
//! English first (complete), then Dutch: only what has been translated, the rest falls back
//! to English (`..EN`).

declare_texts! {
    SettingsTexts {
        admins: "Admin accounts and roles",
        add_admin: "Add admin",
        admins_intro: "People who may sign in to LicenseDesk and what their role lets them do. The last Global admin cannot be disabled or demoted.",
        col_username: "Sign-in name",
        col_last_sign_in: "Last sign-in",
        change_role: "Change role",
        reset_password: "Reset password",
        new_password: "New password",
        you: "(you)",
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
    }
}

pub const NL: SettingsTexts = SettingsTexts { ..EN };
