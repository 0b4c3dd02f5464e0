//! Demo store data: the demo organization's Apple location and Microsoft store account, linked
//! to the in-process store simulator and synced by the real code, then a few deployments made
//! through the real counting rule (one app deployed to a group, one to users, one uninstalled).
//! The Apple token is due for renewal, so the overview has a store alert.

use crate::store::Store;
use app::domain::store::{AppleLinkForm, DeployForm, MicrosoftLinkForm};
use std::sync::Arc;
use std::time::Duration;

/// Days the demo's Apple token has left when it is linked: inside the 30 days the overview
/// warns about (`overview::alerts::TOKEN_WARN_DAYS`), outside the critical week.
pub const TOKEN_DAYS_LEFT: i64 = 20;

async fn wait_for_runs(store: &Store) -> anyhow::Result<()> {
    for _ in 0..300 {
        let running: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM store_sync_runs WHERE result = 'running'")
                .fetch_one(&store.db.pool)
                .await?;
        if running == 0 {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("the demo sync did not finish in 30 seconds")
}

/// Links and syncs the demo stores once (an empty store area only).
pub async fn seed(store: &Arc<Store>) -> anyhow::Result<()> {
    let linked: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM store_connections")
        .fetch_one(&store.db.pool)
        .await?;
    if linked > 0 {
        return Ok(());
    }
    let who = super::who();
    // The Apple token is due for renewal: the overview warns about it (an alert).
    let expires = store.clock.now() + TOKEN_DAYS_LEFT * 86_400;
    let token = crate::store::apple::make_token("demo-contoso-token", super::DEMO_ORG, expires);
    let err = |e: app::domain::ApiError| anyhow::anyhow!("{e}");
    store
        .link_apple_tx(
            &who,
            AppleLinkForm {
                name: "Contoso head office".into(),
                apple_id: "it-apps@contoso-pharma.com".into(),
                token_file: token,
                confirmed: true,
            },
        )
        .await
        .map_err(err)?;
    wait_for_runs(store).await?;
    if store.microsoft_url.is_some() {
        store
            .link_microsoft_tx(
                &who,
                MicrosoftLinkForm {
                    tenant_id: "6f1c2a7e-3b9d-4e51-9a0c-2d7b8e4f1a36".into(),
                    client_id: "0b7e5c1d-8a2f-4c93-b6e4-71d9f3a2c508".into(),
                    client_secret: "demo-store-secret".into(),
                    language: "en-us".into(),
                    confirmed: true,
                },
            )
            .await
            .map_err(err)?;
        wait_for_runs(store).await?;
    }
    // A paid Apple app with room for the smallest demo group, deployed Required to it; another
    // made Available to six users, two of whom then get it uninstalled (their licenses free).
    let group: Option<(i64, i64)> = sqlx::query_as(
        "SELECT g.id, COUNT(m.user_id) AS n FROM dir_groups g JOIN dir_group_members m ON m.group_id = g.id \
         GROUP BY g.id HAVING COUNT(m.user_id) BETWEEN 3 AND 40 ORDER BY n, g.id LIMIT 1",
    )
    .fetch_optional(&store.db.pool)
    .await?;
    let users: Vec<i64> = sqlx::query_scalar("SELECT id FROM dir_users ORDER BY id LIMIT 6")
        .fetch_all(&store.db.pool)
        .await?;
    let paid = |room: i64| {
        sqlx::query_scalar::<_, i64>(
            "SELECT id FROM store_apps WHERE store = 'apple' AND retired = 0 AND total_count < 1000000 \
             AND total_count >= $1 ORDER BY name_key LIMIT 3",
        )
        .bind(room)
        .fetch_all(&store.db.pool)
    };
    if let Some((group_id, members)) = group {
        let apps = paid(members + 4).await?;
        if let Some(app) = apps.first() {
            store
                .deploy_tx(
                    &who,
                    DeployForm {
                        app_id: *app,
                        intent: "required".into(),
                        targets: vec![("group".into(), group_id)],
                    },
                )
                .await
                .map_err(err)?;
        }
        if let Some(app) = apps.get(1) {
            let targets = users.iter().map(|u| ("user".to_string(), *u)).collect();
            store
                .deploy_tx(
                    &who,
                    DeployForm {
                        app_id: *app,
                        intent: "available".into(),
                        targets,
                    },
                )
                .await
                .map_err(err)?;
            let uninstall = users
                .iter()
                .skip(4)
                .map(|u| ("user".to_string(), *u))
                .collect();
            store
                .deploy_tx(
                    &who,
                    DeployForm {
                        app_id: *app,
                        intent: "uninstall".into(),
                        targets: uninstall,
                    },
                )
                .await
                .map_err(err)?;
        }
    }
    // What the deployments decided goes to the (simulated) store: users are invited and, as
    // the demo store accepts invitations at once, the apps install on their devices.
    let apple: Option<i64> =
        sqlx::query_scalar("SELECT id FROM store_connections WHERE store = 'apple'")
            .fetch_optional(&store.db.pool)
            .await?;
    if let Some(id) = apple {
        store.deliver(id).await.map_err(err)?;
    }
    super::reclaim::seed(&store.db, &store.clock).await?;
    // The alerts about what was just linked and synced show at once, not at the next run.
    super::evaluate_alerts(&store.db, &store.clock).await
}
