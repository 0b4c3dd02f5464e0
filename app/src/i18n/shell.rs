//! The frame around the pages: top bar and navigation, sign-in and setup, the dashboard, error pages.
//!
//! English first (complete), then Dutch: only what has been translated, the rest falls back
//! to English (`..EN`).

declare_texts! {
    ShellTexts {
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
        sign_out: "Sign out",
        signed_in_as: "Signed in as",
        login_title: "Sign in",
        login_intro: "Sign in with your LicenseDesk administrator account.",
        sign_in: "Sign in",
        setup_title: "Set up LicenseDesk",
        setup_intro: "Create the first Global admin. This page closes as soon as an administrator exists.",
        setup_closed: "Setup is complete: an administrator already exists. Sign in instead.",
        org_name: "Organization name",
        password_confirm: "Repeat password",
        create_admin: "Create admin",
        dashboard_title: "Dashboard",
        dashboard_intro: "An overview of everything your organization has bought for its people's software.",
        dashboard_your_role: "Your role",
        dashboard_areas: "Areas",
        not_found_title: "Page not found",
        not_found_body: "There is no page at this address. It may have moved, or the link may be mistyped.",
        forbidden_title: "Access denied",
        forbidden_body: "Your role does not allow you to open this page. A Global admin can change your role.",
        error_title: "Something went wrong",
        error_body: "The server could not complete the request. Try again; if it keeps failing, give your administrator this reference:",
        go_home: "Go to the dashboard",
    }
}

pub const NL: ShellTexts = ShellTexts {
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
    sign_in: "Aanmelden",
    dashboard_title: "Dashboard",
    not_found_title: "Pagina niet gevonden",
    forbidden_title: "Geen toegang",
    go_home: "Naar het dashboard",
    ..EN
};
