//! Deployments and license counting (SPEC S-5 … S-7).
//!
//! Invariant: `store_apps.used` equals the app's rows in `store_licenses`, and never passes
//! `total_count` when it grows. [`reconcile`] is the only code that changes either: it locks the
//! app's row, works out which users the app's deployments reach now, writes the difference to
//! `store_licenses`, and then lets ONE conditional `UPDATE … WHERE used + grown <= total_count`
//! decide. When that update matches no row the caller's whole transaction is rolled back, so a
//! deployment is blocked as a whole. The row lock (`FOR UPDATE` on PostgreSQL, the write lock on
//! SQLite) serialises writers of one app across server processes.
//!
//! Reach: a user is reached through a Required or Available deployment to them, to a group they
//! are a direct member of, or to a device they enrolled (its primary user). Uninstall deployments
//! reach nobody; a user whose last license goes has their installs marked uninstalled. A user
//! whose license was reclaimed (`store_reclaims`) is not reached until the app is deployed to them
//! or a device of theirs again.

use super::Store;
use crate::core::audit::{self, Entry, Who};
use crate::core::error::internal;
use crate::core::sql::{contains_pattern, count_for, execute_for, fetch_locked, set_column};
use crate::db::{Db, Tx};
use crate::directory::{MembershipHook, Reach};
use app::domain::ApiError;
use app::domain::store::{Store as Store_, *};
use serde_json::json;
use sqlx::AssertSqlSafe;

/// Users the app's deployments reach (a subquery with `$1` = app id), less the users whose
/// license was reclaimed (`store_reclaims`, see `overview::reclaim`).
const REACHED: &str = "SELECT x.user_id FROM (\
       SELECT d.target_id AS user_id FROM store_deployments d \
       WHERE d.app_id = $1 AND d.target_kind = 'user' AND d.intent <> 'uninstall' \
     UNION SELECT m.user_id FROM store_deployments d JOIN dir_group_members m ON m.group_id = d.target_id \
       WHERE d.app_id = $1 AND d.target_kind = 'group' AND d.intent <> 'uninstall' \
     UNION SELECT v.primary_user_id FROM store_deployments d JOIN dir_devices v ON v.id = d.target_id \
       WHERE d.app_id = $1 AND d.target_kind = 'device' AND d.intent <> 'uninstall' \
       AND v.primary_user_id IS NOT NULL\
     ) x WHERE x.user_id NOT IN (SELECT r.user_id FROM store_reclaims r WHERE r.app_id = $1)";

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Delta {
    pub granted: i64,
    pub freed: i64,
}

#[derive(sqlx::FromRow)]
struct Locked {
    name: String,
    store: String,
    total_count: i64,
    used: i64,
    outside_assigned: i64,
    retired: i64,
}

/// Brings the app's license holders in line with its deployments inside `tx` (see the module
/// comment). `Err(Conflict)` with the shortfall message when licenses run short.
pub(crate) async fn reconcile(
    db: &Db,
    tx: &mut Tx,
    app_id: i64,
    now: i64,
) -> Result<Delta, ApiError> {
    let app: Locked = fetch_locked(
        db,
        tx,
        "SELECT name, store, total_count, used, outside_assigned, retired FROM store_apps WHERE id = $1",
        app_id,
    )
    .await?;
    let store: Store_ = app.store.parse().map_err(internal)?;
    let freed = sqlx::query(AssertSqlSafe(format!(
        "DELETE FROM store_licenses WHERE app_id = $1 AND user_id NOT IN ({REACHED})"
    )))
    .bind(app_id)
    .execute(&mut **tx)
    .await
    .map_err(internal)?
    .rows_affected() as i64;
    let granted = sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO store_licenses (app_id, user_id, granted_at) \
         SELECT $1, r.user_id, $2 FROM ({REACHED}) r \
         WHERE r.user_id NOT IN (SELECT user_id FROM store_licenses WHERE app_id = $1)"
    )))
    .bind(app_id)
    .bind(now)
    .execute(&mut **tx)
    .await
    .map_err(internal)?
    .rows_affected() as i64;
    if granted > 0 && app.retired == 1 {
        return Err(ApiError::Conflict(format!(
            "{} is no longer purchased in the store (retired at the last sync), so it cannot reach new users. Nothing was deployed.",
            app.name
        )));
    }
    if granted == 0 && freed == 0 {
        return Ok(Delta::default());
    }
    // THE decision: one conditional update. Growing past what is free — the total less our
    // holders and the licenses the store has assigned outside this portal — matches no row.
    let decided = sqlx::query(
        "UPDATE store_apps SET used = used + $2 - $3 \
         WHERE id = $1 AND ($2 = 0 OR used + $2 - $3 + outside_assigned <= total_count)",
    )
    .bind(app_id)
    .bind(granted)
    .bind(freed)
    .execute(&mut **tx)
    .await
    .map_err(internal)?
    .rows_affected();
    if decided == 0 {
        let available = app.total_count - app.used - app.outside_assigned + freed;
        return Err(ApiError::Conflict(shortfall_message(
            &app.name, granted, available,
        )));
    }
    if store == Store_::Apple && granted > 0 {
        // Apple licenses go to program users: new holders get invited (store::deliver).
        sqlx::query(
            "INSERT INTO store_users (connection_id, user_id, client_user_id, status, updated_at) \
             SELECT a.connection_id, l.user_id, 'ld-' || CAST(l.user_id AS TEXT), 'registered', $2 \
             FROM store_licenses l JOIN store_apps a ON a.id = l.app_id WHERE l.app_id = $1 \
             ON CONFLICT DO NOTHING",
        )
        .bind(app_id)
        .bind(now)
        .execute(&mut **tx)
        .await
        .map_err(internal)?;
    }
    update_installs(tx, app_id, store, now).await?;
    Ok(Delta { granted, freed })
}

/// Install rows follow the holders: new holders get `pending` rows (one per matching device,
/// or one without a device), users who lost the license get `uninstalled`.
async fn update_installs(
    tx: &mut Tx,
    app_id: i64,
    store: Store_,
    now: i64,
) -> Result<(), ApiError> {
    let (platforms, waiting) = match store {
        Store_::Apple => (
            "('ios', 'macos')",
            "Waiting for the user to accept the program's invitation",
        ),
        Store_::Microsoft => ("('windows')", "Waiting for the device to check in"),
    };
    sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO store_installs (app_id, user_id, device_id, status, detail, updated_at) \
         SELECT l.app_id, l.user_id, COALESCE(v.id, 0), 'pending', CASE WHEN v.id IS NULL THEN $4 ELSE $2 END, $3 \
         FROM store_licenses l LEFT JOIN dir_devices v \
           ON v.primary_user_id = l.user_id AND v.platform IN {platforms} \
         WHERE l.app_id = $1 \
         ON CONFLICT (app_id, user_id, device_id) DO UPDATE SET status = 'pending', \
           detail = excluded.detail, updated_at = excluded.updated_at \
         WHERE store_installs.status = 'uninstalled'"
    )))
    .bind(app_id)
    .bind(waiting)
    .bind(now)
    .bind("No enrolled device for this app's platform yet")
    .execute(&mut **tx)
    .await
    .map_err(internal)?;
    sqlx::query(
        "UPDATE store_installs SET status = 'uninstalled', detail = '', updated_at = $2 \
         WHERE app_id = $1 AND status <> 'uninstalled' \
         AND user_id NOT IN (SELECT user_id FROM store_licenses WHERE app_id = $1)",
    )
    .bind(app_id)
    .bind(now)
    .execute(&mut **tx)
    .await
    .map_err(internal)?;
    Ok(())
}

/// Store licenses follow the directory (registered as one of its membership hooks): every path
/// that changes whom a deployment reaches ends in [`reconcile`].
pub struct StoreLicenses;

#[async_trait::async_trait]
impl MembershipHook for StoreLicenses {
    /// Store licenses the user holds, however they were reached (`store_apps.used` must follow
    /// every one of them).
    async fn licenses_held(&self, tx: &mut Tx, user_id: i64) -> Result<i64, ApiError> {
        count_for(
            tx,
            "SELECT COUNT(*) FROM store_licenses WHERE user_id = $1",
            user_id,
        )
        .await
    }

    /// Store apps deployed to the group follow its members (new members consume, removed
    /// members free); a deleted group's deployments go; device deployments follow new owners.
    async fn follow(&self, db: &Db, tx: &mut Tx, reach: Reach, now: i64) -> Result<(), ApiError> {
        match reach {
            Reach::Members { group_id, .. } => group_changed(db, tx, group_id, now).await,
            Reach::GroupDeleted { group_id } => {
                target_deleted(db, tx, TargetKind::Group, group_id, now).await
            }
            Reach::DeviceOwners => devices_changed(db, tx, now).await,
        }
    }
}

/// After a group's members changed inside `tx`: every app deployed to the group follows (new
/// members consume, removed members free). Refuses — rolling the change back — when an app runs
/// short. Apps are visited in id order so two writers lock them in the same order.
async fn group_changed(db: &Db, tx: &mut Tx, group_id: i64, now: i64) -> Result<(), ApiError> {
    let apps: Vec<i64> = sqlx::query_scalar(
        "SELECT DISTINCT app_id FROM store_deployments WHERE target_kind = 'group' AND target_id = $1 ORDER BY app_id",
    )
    .bind(group_id)
    .fetch_all(&mut **tx)
    .await
    .map_err(internal)?;
    for app_id in apps {
        reconcile(db, tx, app_id, now).await.map_err(|e| match e {
            ApiError::Conflict(m) => ApiError::Conflict(format!(
                "The group has a store app deployed that would run out of licenses. {m}"
            )),
            other => other,
        })?;
    }
    Ok(())
}

/// A group or device is being deleted inside `tx`: its deployments go, and the apps follow.
async fn target_deleted(
    db: &Db,
    tx: &mut Tx,
    kind: TargetKind,
    id: i64,
    now: i64,
) -> Result<(), ApiError> {
    let apps: Vec<i64> = sqlx::query_scalar(
        "SELECT app_id FROM store_deployments WHERE target_kind = $1 AND target_id = $2 ORDER BY app_id",
    )
    .bind(kind.code())
    .bind(id)
    .fetch_all(&mut **tx)
    .await
    .map_err(internal)?;
    sqlx::query("DELETE FROM store_deployments WHERE target_kind = $1 AND target_id = $2")
        .bind(kind.code())
        .bind(id)
        .execute(&mut **tx)
        .await
        .map_err(internal)?;
    for app_id in apps {
        reconcile(db, tx, app_id, now).await?;
    }
    Ok(())
}

/// Devices changed owner (CSV import): every app deployed to devices follows.
async fn devices_changed(db: &Db, tx: &mut Tx, now: i64) -> Result<(), ApiError> {
    let apps: Vec<i64> = sqlx::query_scalar(
        "SELECT DISTINCT app_id FROM store_deployments WHERE target_kind = 'device' ORDER BY app_id",
    )
    .fetch_all(&mut **tx)
    .await
    .map_err(internal)?;
    for app_id in apps {
        reconcile(db, tx, app_id, now).await?;
    }
    Ok(())
}

/// A deployment to a user, or to a device of theirs, gives back a license reclaimed from them.
async fn lift_reclaim(tx: &mut Tx, app_id: i64, kind: TargetKind, id: i64) -> Result<(), ApiError> {
    let user = match kind {
        TargetKind::User => "$2",
        TargetKind::Device => "(SELECT primary_user_id FROM dir_devices WHERE id = $2)",
        TargetKind::Group => return Ok(()),
    };
    sqlx::query(AssertSqlSafe(format!(
        "DELETE FROM store_reclaims WHERE app_id = $1 AND user_id = {user}"
    )))
    .bind(app_id)
    .bind(id)
    .execute(&mut **tx)
    .await
    .map_err(internal)?;
    Ok(())
}

async fn target_name(tx: &mut Tx, kind: TargetKind, id: i64) -> Result<Option<String>, ApiError> {
    let sql = match kind {
        TargetKind::User => "SELECT display_name FROM dir_users WHERE id = $1",
        TargetKind::Group => "SELECT name FROM dir_groups WHERE id = $1",
        TargetKind::Device => "SELECT name FROM dir_devices WHERE id = $1",
    };
    sqlx::query_scalar(sql)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
        .map_err(internal)
}

impl Store {
    pub(crate) async fn deploy_tx(
        &self,
        who: &Who,
        form: DeployForm,
    ) -> Result<DeployOutcome, ApiError> {
        let intent = Intent::parse(&form.intent)?;
        if form.targets.is_empty() {
            return Err(ApiError::invalid(
                "targets",
                "Choose at least one user, group or device.",
            ));
        }
        if form.targets.len() > 500 {
            return Err(ApiError::invalid(
                "targets",
                "Deploy to at most 500 targets at once; use a group for more.",
            ));
        }
        let now = self.clock.now();
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        // Lock the app's row before anything references it: inserting a deployment takes a key
        // share lock on it, and two such holders both upgrading later would deadlock.
        let app_name: String = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT name FROM store_apps WHERE id = $1{}",
            self.db.for_update()
        )))
        .bind(form.app_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(internal)?
        .ok_or(ApiError::NotFound)?;
        let mut names = vec![];
        for (kind, id) in &form.targets {
            let kind = TargetKind::parse(kind)?;
            let name = target_name(&mut tx, kind, *id).await?.ok_or_else(|| {
                ApiError::invalid(
                    "targets",
                    format!("The {} with id {id} does not exist.", kind.code()),
                )
            })?;
            if kind == TargetKind::Device {
                let owner: Option<i64> =
                    sqlx::query_scalar("SELECT primary_user_id FROM dir_devices WHERE id = $1")
                        .bind(id)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(internal)?;
                if owner.is_none() && intent != Intent::Uninstall {
                    return Err(ApiError::invalid(
                        "targets",
                        format!(
                            "{name} has no enrolled user. Store licenses go to users: the app is available only to the user who enrolled the device."
                        ),
                    ));
                }
            }
            if intent != Intent::Uninstall {
                lift_reclaim(&mut tx, form.app_id, kind, *id).await?;
            }
            sqlx::query(
                "INSERT INTO store_deployments (app_id, target_kind, target_id, intent, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $5) \
                 ON CONFLICT (app_id, target_kind, target_id) DO UPDATE SET intent = excluded.intent, updated_at = excluded.updated_at",
            )
            .bind(form.app_id)
            .bind(kind.code())
            .bind(id)
            .bind(intent.code())
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
            names.push(format!("{}: {name}", kind.code()));
        }
        let delta = reconcile(&self.db, &mut tx, form.app_id, now).await?;
        audit::record_and_commit(
            tx,
            now,
            who,
            Entry::new("store.deployed")
                .target("store_app", form.app_id, app_name)
                .after(json!({"intent": intent.code(), "targets": names, "granted": delta.granted, "freed": delta.freed})),
        )
        .await?;
        Ok(DeployOutcome {
            deployments: form.targets.len() as i64,
            granted: delta.granted,
            freed: delta.freed,
        })
    }

    async fn load_deployment(
        &self,
        tx: &mut Tx,
        id: i64,
    ) -> Result<(i64, String, String, i64, String), ApiError> {
        let sql = format!(
            "SELECT d.app_id, a.name, d.target_kind, d.target_id, d.intent FROM store_deployments d \
             JOIN store_apps a ON a.id = d.app_id WHERE d.id = $1{}",
            self.db.for_update()
        );
        sqlx::query_as(AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&mut **tx)
            .await
            .map_err(internal)?
            .ok_or(ApiError::NotFound)
    }

    /// Answers the outcome and the app's id (for delivery to the store).
    pub(crate) async fn change_intent_tx(
        &self,
        who: &Who,
        id: i64,
        intent: String,
    ) -> Result<(DeployOutcome, i64), ApiError> {
        let intent = Intent::parse(&intent)?;
        let now = self.clock.now();
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let (app_id, app_name, kind, target, before) = self.load_deployment(&mut tx, id).await?;
        set_column(
            &mut tx,
            "store_deployments",
            "intent",
            intent.code(),
            now,
            id,
        )
        .await?;
        let delta = reconcile(&self.db, &mut tx, app_id, now).await?;
        audit::record_and_commit(
            tx,
            now,
            who,
            Entry::new("store.intent_changed")
                .target("store_app", app_id, app_name)
                .before(json!({"deployment": format!("{kind} {target}"), "intent": before}))
                .after(json!({"intent": intent.code(), "granted": delta.granted, "freed": delta.freed})),
        )
        .await?;
        Ok((
            DeployOutcome {
                deployments: 1,
                granted: delta.granted,
                freed: delta.freed,
            },
            app_id,
        ))
    }

    pub(crate) async fn remove_deployment_tx(
        &self,
        who: &Who,
        id: i64,
    ) -> Result<(DeployOutcome, i64), ApiError> {
        let now = self.clock.now();
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let (app_id, app_name, kind, target, intent) = self.load_deployment(&mut tx, id).await?;
        execute_for(&mut tx, "DELETE FROM store_deployments WHERE id = $1", id).await?;
        let delta = reconcile(&self.db, &mut tx, app_id, now).await?;
        audit::record_and_commit(
            tx,
            now,
            who,
            Entry::new("store.deployment_removed")
                .target("store_app", app_id, app_name)
                .before(json!({"deployment": format!("{kind} {target}"), "intent": intent}))
                .after(json!({"freed": delta.freed})),
        )
        .await?;
        Ok((
            DeployOutcome {
                deployments: 1,
                granted: delta.granted,
                freed: delta.freed,
            },
            app_id,
        ))
    }

    pub(crate) async fn targets(&self, q: String) -> Result<Vec<Target>, ApiError> {
        let q = q.trim();
        if q.is_empty() {
            return Ok(vec![]);
        }
        let pattern = contains_pattern(q);
        let mut out = vec![];
        let groups: Vec<(i64, String, i64)> = sqlx::query_as(
            "SELECT g.id, g.name, (SELECT COUNT(*) FROM dir_group_members m WHERE m.group_id = g.id) \
             FROM dir_groups g WHERE g.name_key LIKE $1 ESCAPE '\\' ORDER BY g.name_key LIMIT 5",
        )
        .bind(&pattern)
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        out.extend(groups.into_iter().map(|(id, name, n)| Target {
            kind: TargetKind::Group,
            id,
            name,
            detail: format!("{n} members"),
        }));
        let cond = self.db.user_search_condition(1, q);
        let users: Vec<(i64, String, String)> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT id, display_name, sign_in_name FROM dir_users WHERE {cond} ORDER BY display_key LIMIT 8"
        )))
        .bind(&pattern)
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        out.extend(users.into_iter().map(|(id, name, sign_in)| Target {
            kind: TargetKind::User,
            id,
            name,
            detail: sign_in,
        }));
        let devices: Vec<(i64, String, String, Option<String>)> = sqlx::query_as(
            "SELECT d.id, d.name, d.platform, u.display_name FROM dir_devices d \
             LEFT JOIN dir_users u ON u.id = d.primary_user_id \
             WHERE d.name_key LIKE $1 ESCAPE '\\' ORDER BY d.name_key LIMIT 5",
        )
        .bind(&pattern)
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        out.extend(
            devices
                .into_iter()
                .map(|(id, name, platform, owner)| Target {
                    kind: TargetKind::Device,
                    id,
                    name,
                    detail: match owner {
                        Some(o) => format!("{platform} · enrolled by {o}"),
                        None => format!("{platform} · no enrolled user"),
                    },
                }),
        );
        Ok(out)
    }
}
