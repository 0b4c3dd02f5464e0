//! Demo mode: a deterministic demo organization — admins, directory, agreements, billing and
//! (linked to the in-process simulator) stores. Production code never reads anything here; the
//! demo builds on the areas (the software catalog, for instance, is the licenses area's). Its
//! alerts are evaluated once at the end of seeding (see [`evaluate_alerts`]).

pub mod billing;
pub mod directory;
pub mod licenses;
pub mod reclaim;
pub mod store;

use crate::core::audit::Who;
use crate::core::clock::Clock;
use crate::services::Services;
use app::api::ssr::NewAdmin;
use app::domain::Role;
use std::sync::Arc;

pub const DEMO_ORG: &str = "Contoso Pharmaceuticals";
pub const DEMO_PASSWORD: &str = "demo-password-2026";

/// The demo admins: one per role. Sign in as `admin` for everything.
pub const DEMO_ADMINS: &[(&str, &str, Role)] = &[
    ("admin", "Ada Lovelace", Role::GlobalAdmin),
    ("licenses", "Lars Jansen", Role::LicenseAdmin),
    ("people", "Priya Raman", Role::UserAdmin),
    ("billing", "Bea Okafor", Role::BillingAdmin),
    ("auditor", "Rui Costa", Role::Reader),
];

/// The audit identity of everything the demo creates.
fn who() -> Who {
    Who::named("demo")
}

/// Fills an empty database; leaves one with admins alone. Returns whether it seeded.
pub async fn seed(services: &Services) -> anyhow::Result<bool> {
    let seeded = seed_admins(services).await?;
    if seeded {
        let (users, groups, devices) = directory::seed(&services.directory())
            .await
            .map_err(|e| anyhow::anyhow!("seeding the demo directory: {e}"))?;
        tracing::info!(users, groups, devices, "demo directory created");
        let agreements = licenses::seed(&crate::licenses::Licenses {
            db: services.db.clone(),
            clock: services.clock.clone(),
            licensing: None,
        })
        .await
        .map_err(|e| anyhow::anyhow!("seeding the demo agreements: {e}"))?;
        tracing::info!(agreements, "demo agreements created");
        let subscriptions = billing::seed(&crate::billing::Billing::new(
            services.db.clone(),
            services.clock.clone(),
        ))
        .await
        .map_err(|e| anyhow::anyhow!("seeding the demo billing data: {e}"))?;
        tracing::info!(subscriptions, "demo subscriptions and invoices created");
        evaluate_alerts(&services.db, &services.clock).await?;
    }
    Ok(seeded)
}

/// Evaluates the alert rules once, so that the demo's alerts (an agreement about to end, an
/// overdue invoice, renewals, and after the store seed a token due for renewal) are there
/// when the portal opens rather than after the alert job's first run.
pub async fn evaluate_alerts(db: &crate::db::Db, clock: &Arc<dyn Clock>) -> anyhow::Result<()> {
    let (raised, closed) = crate::overview::Alerts::new(db.clone(), clock.clone())
        .evaluate()
        .await
        .map_err(|e| anyhow::anyhow!("evaluating the demo alerts: {e}"))?;
    tracing::info!(raised, closed, "demo alerts evaluated");
    Ok(())
}

async fn seed_admins(services: &Services) -> anyhow::Result<bool> {
    if services.admin_count().await? > 0 {
        return Ok(false);
    }
    for (username, display_name, role) in DEMO_ADMINS {
        services
            .create_admin(
                &who(),
                NewAdmin {
                    username: username.to_string(),
                    display_name: display_name.to_string(),
                    role: *role,
                    password: DEMO_PASSWORD.to_string(),
                },
                Some(DEMO_ORG),
            )
            .await
            .map_err(|e| anyhow::anyhow!("seeding demo admin {username}: {e}"))?;
    }
    Ok(true)
}
