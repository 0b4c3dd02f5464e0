//! The audit log page: filters by actor, action prefix and text, newest first, paged by id.

use crate::core::cursor::page;
use crate::core::error::internal;
use crate::core::sql::{Binds, contains_pattern};
use crate::services::Services;
use app::domain::{ApiError, AuditEntry, AuditFilter, Page};

const PAGE_SIZE: i64 = 50;

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: i64,
    at: i64,
    actor_name: Option<String>,
    action: String,
    target_label: Option<String>,
    before_json: Option<String>,
    after_json: Option<String>,
    client_ip: Option<String>,
}

impl Services {
    /// One page of the log. Its cursor is the last entry's id (the log's own order), which the
    /// page sends back as `before_id`.
    pub(super) async fn audit_page(
        &self,
        filter: AuditFilter,
    ) -> Result<Page<AuditEntry>, ApiError> {
        let mut sql = String::from(
            "SELECT id, at, actor_name, action, target_label, before_json, after_json, client_ip \
             FROM audit_log WHERE 1 = 1",
        );
        let mut binds = Binds::default();
        let given = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
        if let Some(actor) = given(&filter.actor) {
            let p = binds.text(contains_pattern(&actor));
            sql.push_str(&format!(" AND lower(actor_name) LIKE {p} ESCAPE '\\'"));
        }
        if let Some(action) = given(&filter.action) {
            // A prefix match: drop the leading wildcard.
            let p = binds.text(&contains_pattern(&action)[1..]);
            sql.push_str(&format!(" AND lower(action) LIKE {p} ESCAPE '\\'"));
        }
        if let Some(text) = given(&filter.text) {
            let p = binds.text(contains_pattern(&text));
            sql.push_str(&format!(
                " AND (lower(COALESCE(target_label, '')) LIKE {p} ESCAPE '\\' \
                 OR lower(COALESCE(before_json, '')) LIKE {p} ESCAPE '\\' \
                 OR lower(COALESCE(after_json, '')) LIKE {p} ESCAPE '\\')"
            ));
        }
        let before = binds.int(filter.before_id.unwrap_or(i64::MAX));
        sql.push_str(&format!(
            " AND id < {before} ORDER BY id DESC LIMIT {}",
            PAGE_SIZE + 1
        ));
        let rows: Vec<AuditRow> = binds
            .query_as(sql)
            .fetch_all(&self.db.pool)
            .await
            .map_err(internal)?;
        let (rows, next) = page(rows, PAGE_SIZE, |r| r.id);
        Ok(Page {
            items: rows
                .into_iter()
                .map(|r| AuditEntry {
                    id: r.id,
                    at: r.at,
                    actor: r.actor_name,
                    action: r.action,
                    target: r.target_label,
                    before: r.before_json,
                    after: r.after_json,
                    client_ip: r.client_ip,
                })
                .collect(),
            next,
        })
    }
}
