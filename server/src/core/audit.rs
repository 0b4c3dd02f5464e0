//! The append-only audit log (SPEC D-6). Every change writes its entry in the same transaction
//! as the change itself, so there is never a change without its entry.

use super::error::internal;
use crate::db::Tx;
use app::api::ssr::{Actor, Caller};
use app::domain::ApiError;
use serde_json::Value;

/// Who did it, from where.
#[derive(Clone, Debug, Default)]
pub struct Who {
    pub actor_id: Option<i64>,
    pub actor_name: Option<String>,
    pub client_ip: Option<String>,
    pub request_id: Option<String>,
}

impl Who {
    /// A caller without a session (setup, sign-in), named by what they typed.
    pub fn anonymous(caller: &Caller, name: Option<String>) -> Who {
        Who {
            actor_id: None,
            actor_name: name,
            client_ip: Some(caller.client_ip.clone()),
            request_id: Some(caller.request_id.clone()),
        }
    }

    /// Scheduled work (the billing job, automatic sync) and other things no person started.
    pub fn named(name: &str) -> Who {
        Who {
            actor_name: Some(name.into()),
            ..Who::default()
        }
    }

    /// The scheduled jobs.
    pub fn system() -> Who {
        Who::named("system")
    }
}

/// The audit identity of an authorised caller.
pub fn who_of(actor: &Actor) -> Who {
    Who {
        actor_id: Some(actor.admin.id),
        actor_name: Some(actor.admin.username.clone()),
        client_ip: Some(actor.client_ip.clone()),
        request_id: None,
    }
}

/// One audit entry: action name (`area.verb`), target, and JSON before/after values.
pub struct Entry<'a> {
    pub action: &'a str,
    pub target_type: Option<&'a str>,
    pub target_id: Option<String>,
    pub target_label: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl<'a> Entry<'a> {
    pub fn new(action: &'a str) -> Self {
        Entry {
            action,
            target_type: None,
            target_id: None,
            target_label: None,
            before: None,
            after: None,
        }
    }

    pub fn target(mut self, kind: &'a str, id: impl ToString, label: impl Into<String>) -> Self {
        self.target_type = Some(kind);
        self.target_id = Some(id.to_string());
        self.target_label = Some(label.into());
        self
    }

    pub fn before(mut self, v: Value) -> Self {
        self.before = Some(v);
        self
    }

    pub fn after(mut self, v: Value) -> Self {
        self.after = Some(v);
        self
    }
}

/// Writes one entry in `tx`. A failure is logged with a reference (like every unexpected
/// database error) and fails the whole change.
pub async fn record(tx: &mut Tx, now: i64, who: &Who, e: Entry<'_>) -> Result<(), ApiError> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor_id, actor_name, action, target_type, target_id, \
         target_label, before_json, after_json, client_ip, request_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(now)
    .bind(who.actor_id)
    .bind(who.actor_name.clone())
    .bind(e.action.to_string())
    .bind(e.target_type.map(str::to_string))
    .bind(e.target_id)
    .bind(e.target_label)
    .bind(e.before.map(|v| v.to_string()))
    .bind(e.after.map(|v| v.to_string()))
    .bind(who.client_ip.clone())
    .bind(who.request_id.clone())
    .execute(&mut **tx)
    .await
    .map_err(internal)?;
    Ok(())
}

/// The usual end of a change: its audit entry, then commit.
pub async fn record_and_commit(
    mut tx: Tx,
    now: i64,
    who: &Who,
    e: Entry<'_>,
) -> Result<(), ApiError> {
    record(&mut tx, now, who, e).await?;
    tx.commit().await.map_err(internal)
}
