//! Demo mode: a deterministic demo organization (directory, agreements, billing).

use crate::audit::Who;
use crate::services::Services;
use app::api::ssr::NewAdmin;

pub const DEMO_ORG: &str = "Contoso Pharmaceuticals";
pub const DEMO_PASSWORD: &str = "demo-password-2026";

/// The demo admins: one per role. Sign in as `admin` for everything.
pub const DEMO_ADMINS: &[(&str, &str, &str)] = &[
    ("admin", "Ada Lovelace", "global_admin"),
    ("licenses", "Lars Jansen", "license_admin"),
    ("people", "Priya Raman", "user_admin"),
    ("billing", "Bea Okafor", "billing_admin"),
    ("auditor", "Rui Costa", "reader"),
];

/// Fills an empty database; leaves one with admins alone. Returns whether it seeded.
pub async fn seed(services: &Services) -> anyhow::Result<bool> {
    let seeded = seed_admins(services).await?;
    if seeded {
        let directory = crate::directory::Directory {
            db: services.db.clone(),
            clock: services.clock.clone(),
        };
        let (users, groups, devices) = crate::demo_directory::seed(&directory)
            .await
            .map_err(|e| anyhow::anyhow!("seeding the demo directory: {e}"))?;
        tracing::info!(users, groups, devices, "demo directory created");
        let licenses = crate::licenses::Licenses {
            db: services.db.clone(),
            clock: services.clock.clone(),
            licensing: None,
        };
        let agreements = crate::demo_licenses::seed(&licenses)
            .await
            .map_err(|e| anyhow::anyhow!("seeding the demo agreements: {e}"))?;
        tracing::info!(agreements, "demo agreements created");
        let billing = crate::billing::Billing::new(services.db.clone(), services.clock.clone());
        let subscriptions = crate::demo_billing::seed(&billing)
            .await
            .map_err(|e| anyhow::anyhow!("seeding the demo billing data: {e}"))?;
        tracing::info!(subscriptions, "demo subscriptions and invoices created");
    }
    Ok(seeded)
}

async fn seed_admins(services: &Services) -> anyhow::Result<bool> {
    if services.admin_count().await? > 0 {
        return Ok(false);
    }
    let who = Who {
        actor_name: Some("demo".into()),
        ..Who::default()
    };
    for (username, display_name, role) in DEMO_ADMINS {
        services
            .create_admin(
                &who,
                NewAdmin {
                    username: username.to_string(),
                    display_name: display_name.to_string(),
                    role: role.to_string(),
                    password: DEMO_PASSWORD.to_string(),
                },
                Some(DEMO_ORG),
            )
            .await
            .map_err(|e| anyhow::anyhow!("seeding demo admin {username}: {e}"))?;
    }
    Ok(true)
}
