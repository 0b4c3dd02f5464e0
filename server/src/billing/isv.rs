//! ISV app licenses (SPEC B-9): who holds them, assign and unassign, and the capacity rule.
//!
//! Invariant: the users an app's assignments reach (direct users plus the members of assigned
//! groups, each user counted once) never exceed the quantity the vendor says is owned. Every
//! change that can raise that number — assigning, or adding members to an assigned group —
//! locks the app's row first, makes the change, counts inside the same transaction and rolls
//! back if the count is over. The lock serialises writers on PostgreSQL across processes
//! (`FOR UPDATE`); on SQLite the write transaction already holds the database's write lock.

use super::Billing;
use crate::core::audit::{self, Entry, who_of};
use crate::core::error::internal;
use crate::core::sql::{contains_pattern, count_for, execute_for, fetch_locked};
use crate::db::{Db, Tx};
use crate::directory::{MembershipHook, Reach};
use app::api::ssr::Actor;
use app::domain::ApiError;
use app::domain::billing::*;
use serde_json::json;
use sqlx::AssertSqlSafe;

/// Counts the licenses of `app_id` in use (inside `tx`, so it sees the transaction's changes).
async fn consumed(tx: &mut Tx, app_id: i64) -> Result<i64, ApiError> {
    // Group reach is direct membership (see `Directory::effective_member_ids`); change both
    // together if nested groups ever arrive.
    // Users whose license was reclaimed (`isv_reclaims`) do not count through a group.
    let sql = "SELECT COUNT(*) FROM (\
           SELECT user_id FROM isv_assignments WHERE app_id = $1 AND user_id IS NOT NULL \
           UNION \
           SELECT m.user_id FROM isv_assignments a JOIN dir_group_members m ON m.group_id = a.group_id \
           WHERE a.app_id = $1 \
           AND m.user_id NOT IN (SELECT r.user_id FROM isv_reclaims r WHERE r.app_id = $1)\
         ) t";
    sqlx::query_scalar(sql)
        .bind(app_id)
        .fetch_one(&mut **tx)
        .await
        .map_err(internal)
}

#[derive(sqlx::FromRow)]
struct AppRow {
    id: i64,
    name: String,
    publisher: String,
    owned: i64,
    install_url: String,
    vendor_contact: String,
}

impl AppRow {
    fn view(self, assigned: i64) -> IsvAppView {
        IsvAppView {
            id: self.id,
            name: self.name,
            publisher: self.publisher,
            owned: self.owned,
            assigned,
            install_url: self.install_url,
            vendor_contact: self.vendor_contact,
        }
    }
}

const APP_SELECT: &str =
    "SELECT id, name, publisher, owned, install_url, vendor_contact FROM isv_apps";

fn shortfall(app: &AppRow, in_use_before: i64, needed: i64) -> ApiError {
    let available = (app.owned - in_use_before).max(0);
    ApiError::Conflict(format!(
        "Not enough licenses of {}: this needs {needed} more but only {available} of {} are available ({} missing). \
         Nothing was assigned. Pick fewer users or smaller groups, unassign licenses from others, or contact {} to buy more.",
        app.name,
        app.owned,
        needed - available,
        app.vendor_contact
    ))
}

/// Locks an app's row for the rest of the transaction and returns it.
async fn lock_app(db: &Db, tx: &mut Tx, app_id: i64) -> Result<AppRow, ApiError> {
    fetch_locked(db, tx, &format!("{APP_SELECT} WHERE id = $1"), app_id).await
}

/// ISV licenses follow the directory (registered as one of its membership hooks).
pub struct IsvLicenses;

#[async_trait::async_trait]
impl MembershipHook for IsvLicenses {
    /// ISV licenses assigned to the user directly; those reached through a group end with the
    /// membership.
    async fn licenses_held(&self, tx: &mut Tx, user_id: i64) -> Result<i64, ApiError> {
        count_for(
            tx,
            "SELECT COUNT(*) FROM isv_assignments WHERE user_id = $1",
            user_id,
        )
        .await
    }

    /// New members of a group with ISV licenses assigned consume licenses too.
    async fn follow(&self, db: &Db, tx: &mut Tx, reach: Reach, _now: i64) -> Result<(), ApiError> {
        match reach {
            Reach::Members { group_id, change } if change.may_grow() => {
                check_group_capacity(db, tx, group_id).await
            }
            _ => Ok(()),
        }
    }
}

/// Called after members were added to `group_id` inside `tx`: refuses if any ISV app assigned
/// to the group would then be over its owned quantity.
async fn check_group_capacity(db: &Db, tx: &mut Tx, group_id: i64) -> Result<(), ApiError> {
    let apps: Vec<i64> = sqlx::query_scalar(
        "SELECT app_id FROM isv_assignments WHERE group_id = $1 ORDER BY app_id",
    )
    .bind(group_id)
    .fetch_all(&mut **tx)
    .await
    .map_err(internal)?;
    // Ascending id order: two writers lock apps in the same order, so they cannot deadlock.
    for app_id in apps {
        let app = lock_app(db, tx, app_id).await?;
        let used = consumed(tx, app_id).await?;
        if used > app.owned {
            return Err(ApiError::Conflict(format!(
                "The group has a license of {} assigned, and adding these members would need {} licenses while {} are owned. \
                 Nothing was changed. Unassign {} from some users or groups first, or contact {} to buy more.",
                app.name, used, app.owned, app.name, app.vendor_contact
            )));
        }
    }
    Ok(())
}

impl Billing {
    pub(crate) async fn isv_apps(&self) -> Result<Vec<IsvAppView>, ApiError> {
        let mut tx = self.db.pool.begin().await.map_err(internal)?;
        let rows: Vec<AppRow> =
            sqlx::query_as(AssertSqlSafe(format!("{APP_SELECT} ORDER BY name_key")))
                .fetch_all(&mut *tx)
                .await
                .map_err(internal)?;
        let mut out = vec![];
        for row in rows {
            let used = consumed(&mut tx, row.id).await?;
            out.push(row.view(used));
        }
        Ok(out)
    }

    pub(crate) async fn isv_detail(&self, id: i64) -> Result<IsvAppDetail, ApiError> {
        let mut tx = self.db.pool.begin().await.map_err(internal)?;
        let row: AppRow = sqlx::query_as(AssertSqlSafe(format!("{APP_SELECT} WHERE id = $1")))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(internal)?
            .ok_or(ApiError::NotFound)?;
        let used = consumed(&mut tx, id).await?;
        let users: Vec<(i64, i64, String, String)> = sqlx::query_as(
            "SELECT a.id, u.id, u.display_name, u.sign_in_name FROM isv_assignments a \
             JOIN dir_users u ON u.id = a.user_id WHERE a.app_id = $1 ORDER BY u.display_key, u.id",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await
        .map_err(internal)?;
        let groups: Vec<(i64, i64, String, i64)> = sqlx::query_as(
            "SELECT a.id, g.id, g.name, (SELECT COUNT(*) FROM dir_group_members m WHERE m.group_id = g.id \
               AND m.user_id NOT IN (SELECT r.user_id FROM isv_reclaims r WHERE r.app_id = $1)) \
             FROM isv_assignments a JOIN dir_groups g ON g.id = a.group_id WHERE a.app_id = $1 ORDER BY g.name_key",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await
        .map_err(internal)?;
        let mut assignments: Vec<IsvAssignmentView> = groups
            .into_iter()
            .map(|(aid, gid, name, members)| IsvAssignmentView {
                id: aid,
                kind: "group".into(),
                principal_id: gid,
                name,
                detail: format!("{members} members"),
                licenses: members,
            })
            .collect();
        assignments.extend(
            users
                .into_iter()
                .map(|(aid, uid, name, sign_in)| IsvAssignmentView {
                    id: aid,
                    kind: "user".into(),
                    principal_id: uid,
                    name,
                    detail: sign_in,
                    licenses: 1,
                }),
        );
        Ok(IsvAppDetail {
            app: row.view(used),
            assignments,
        })
    }

    pub(crate) async fn principals(&self, q: String) -> Result<Vec<Principal>, ApiError> {
        let q = q.trim();
        if q.is_empty() {
            return Ok(vec![]);
        }
        let groups: Vec<(i64, String, i64)> = sqlx::query_as(
            "SELECT g.id, g.name, (SELECT COUNT(*) FROM dir_group_members m WHERE m.group_id = g.id) \
             FROM dir_groups g WHERE g.name_key LIKE $1 ESCAPE '\\' ORDER BY g.name_key LIMIT 5",
        )
        .bind(contains_pattern(q))
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        let sql = format!(
            "SELECT id, display_name, sign_in_name FROM dir_users WHERE {} ORDER BY display_key, id LIMIT 8",
            self.db.user_search_condition(1, q)
        );
        let users: Vec<(i64, String, String)> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(contains_pattern(q))
            .fetch_all(&self.db.pool)
            .await
            .map_err(internal)?;
        let mut out: Vec<Principal> = groups
            .into_iter()
            .map(|(id, name, members)| Principal {
                kind: "group".into(),
                id,
                name,
                detail: format!("group · {members} members"),
            })
            .collect();
        out.extend(users.into_iter().map(|(id, name, sign_in)| Principal {
            kind: "user".into(),
            id,
            name,
            detail: sign_in,
        }));
        Ok(out)
    }

    pub(crate) async fn assign_tx(
        &self,
        actor: &Actor,
        app_id: i64,
        principals: Vec<(String, i64)>,
    ) -> Result<i64, ApiError> {
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let app = lock_app(&self.db, &mut tx, app_id).await?;
        let before = consumed(&mut tx, app_id).await?;
        let now = self.now();
        let mut added = vec![];
        for (kind, id) in &principals {
            let (table, column) = if kind == "user" {
                ("dir_users", "display_name")
            } else {
                ("dir_groups", "name")
            };
            let name: Option<String> = sqlx::query_scalar(AssertSqlSafe(format!(
                "SELECT {column} FROM {table} WHERE id = $1"
            )))
            .bind(*id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(internal)?;
            let name = name.ok_or_else(|| {
                ApiError::invalid(
                    "principals",
                    format!("The {kind} with id {id} no longer exists. Search again."),
                )
            })?;
            let insert = format!(
                "INSERT INTO isv_assignments (app_id, {kind}_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
            );
            if kind == "user" {
                // Assigning the user directly gives back a license reclaimed from them.
                sqlx::query("DELETE FROM isv_reclaims WHERE app_id = $1 AND user_id = $2")
                    .bind(app_id)
                    .bind(*id)
                    .execute(&mut *tx)
                    .await
                    .map_err(internal)?;
            }
            let done = sqlx::query(AssertSqlSafe(insert))
                .bind(app_id)
                .bind(*id)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(internal)?
                .rows_affected();
            if done > 0 {
                added.push(format!("{kind}: {name}"));
            }
        }
        let after = consumed(&mut tx, app_id).await?;
        if after > app.owned {
            return Err(shortfall(&app, before, after - before));
        }
        if !added.is_empty() {
            audit::record(
                &mut tx,
                now,
                &who_of(actor),
                Entry::new("isv_license.assigned")
                    .target("isv_app", app_id, app.name.clone())
                    .before(json!({"in_use": before}))
                    .after(json!({"in_use": after, "assigned_to": added})),
            )
            .await?;
        }
        tx.commit().await.map_err(internal)?;
        Ok(after)
    }

    pub(crate) async fn unassign_tx(
        &self,
        actor: &Actor,
        app_id: i64,
        ids: Vec<i64>,
    ) -> Result<i64, ApiError> {
        if ids.is_empty() {
            return Err(ApiError::invalid(
                "assignment_ids",
                "Select the users and groups to unassign.",
            ));
        }
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let app = lock_app(&self.db, &mut tx, app_id).await?;
        let before = consumed(&mut tx, app_id).await?;
        let mut removed = vec![];
        for id in ids {
            let name: Option<String> = sqlx::query_scalar(
                "SELECT COALESCE(u.display_name, g.name) FROM isv_assignments a \
                 LEFT JOIN dir_users u ON u.id = a.user_id LEFT JOIN dir_groups g ON g.id = a.group_id \
                 WHERE a.id = $1 AND a.app_id = $2",
            )
            .bind(id)
            .bind(app_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(internal)?;
            let Some(name) = name else { continue };
            execute_for(&mut tx, "DELETE FROM isv_assignments WHERE id = $1", id).await?;
            removed.push(name);
        }
        if removed.is_empty() {
            return Err(ApiError::Conflict(
                "Those assignments were already removed.".into(),
            ));
        }
        let after = consumed(&mut tx, app_id).await?;
        audit::record_and_commit(
            tx,
            self.now(),
            &who_of(actor),
            Entry::new("isv_license.unassigned")
                .target("isv_app", app_id, app.name.clone())
                .before(json!({"in_use": before}))
                .after(json!({"in_use": after, "unassigned_from": removed})),
        )
        .await?;
        Ok(removed.len() as i64)
    }

    /// Takes back the licenses of `user_ids` on `app_id` inside `tx` (SPEC X-3): their direct
    /// assignments go, and they stop counting through the app's group assignments. Locks the
    /// app's row first, like every other change of its use. Returns the app's name and how
    /// many licenses were freed.
    pub(crate) async fn reclaim_isv_tx(
        &self,
        tx: &mut Tx,
        app_id: i64,
        user_ids: &[i64],
        reason: &str,
    ) -> Result<(String, i64), ApiError> {
        let app = lock_app(&self.db, tx, app_id).await?;
        let before = consumed(tx, app_id).await?;
        let now = self.now();
        for user_id in user_ids {
            sqlx::query("DELETE FROM isv_assignments WHERE app_id = $1 AND user_id = $2")
                .bind(app_id)
                .bind(user_id)
                .execute(&mut **tx)
                .await
                .map_err(internal)?;
            sqlx::query(
                "INSERT INTO isv_reclaims (app_id, user_id, reason, reclaimed_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(app_id)
            .bind(user_id)
            .bind(reason)
            .bind(now)
            .execute(&mut **tx)
            .await
            .map_err(internal)?;
        }
        let after = consumed(tx, app_id).await?;
        Ok((app.name, before - after))
    }
}
