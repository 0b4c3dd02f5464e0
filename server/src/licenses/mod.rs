//! The licenses service (SPEC L-1, L-2, L-4, L-5): license groups, volume and other-software
//! agreements with their number sets, the software catalog. Rules live in `app::domain::licenses`;
//! this module applies them atomically and records every change in the audit log.

pub mod catalog;
pub mod csv_sets;
pub mod refresh;
pub mod reports;

pub use catalog::install_catalog;

use crate::core::audit::{self, Entry, Who, who_of};
use crate::core::clock::Clock;
use crate::core::cursor::{Cursor, page};
use crate::core::error::internal;
use crate::core::sql::{contains_pattern, execute_for, unique_or};
use crate::db::{Db, Tx};
use app::api::licenses::LicensesBackend;
use app::api::ssr::Actor;
use app::domain::ApiError;
use app::domain::directory::ListPage;
use app::domain::licenses::*;
use serde_json::json;
use sqlx::AssertSqlSafe;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

const PAGE_SIZE: i64 = 50;

fn duplicate_group(name: &str) -> ApiError {
    ApiError::invalid(
        "group_name",
        format!("A license group named {name} already exists."),
    )
}

pub struct Licenses {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    /// The volume licensing service, when one is configured.
    pub licensing: Option<crate::licensing::Connector>,
}

#[derive(sqlx::FromRow)]
struct AgreementRow {
    id: i64,
    kind: String,
    name: String,
    name_key: String,
    group_id: i64,
    group_name: String,
    publisher: Option<String>,
    product: Option<String>,
    license_count: Option<i64>,
    starts_on: Option<String>,
    ends_on: Option<String>,
    details: String,
    created_at: i64,
}

impl AgreementRow {
    fn view(self, sets: Vec<NumberSetView>) -> AgreementView {
        AgreementView {
            sets,
            id: self.id,
            kind: AgreementKind::parse(&self.kind).unwrap_or(AgreementKind::Volume),
            name: self.name,
            group_id: self.group_id,
            group_name: self.group_name,
            publisher: self.publisher,
            product: self.product,
            license_count: self.license_count,
            starts_on: self.starts_on,
            ends_on: self.ends_on,
            details: self.details,
            created_at: self.created_at,
        }
    }
}

const AGREEMENT_SELECT: &str = "SELECT a.id, a.kind, a.name, a.name_key, a.group_id, \
     g.name AS group_name, a.publisher, a.product, a.license_count, a.starts_on, a.ends_on, \
     a.details, a.created_at FROM agreements a JOIN license_groups g ON g.id = a.group_id";

impl Licenses {
    /// One agreement with its number sets (the REST API's read of a single agreement).
    pub async fn agreement(&self, id: i64) -> Result<AgreementView, ApiError> {
        let row: AgreementRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{AGREEMENT_SELECT} WHERE a.id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await
        .map_err(internal)?
        .ok_or(ApiError::NotFound)?;
        let mut sets = self.load_sets(&[id]).await?;
        Ok(row.view(sets.remove(&id).unwrap_or_default()))
    }
}

impl Licenses {
    fn now(&self) -> i64 {
        self.clock.now()
    }

    /// The name of a group admins made (the built-in one cannot be `done`: renamed, deleted).
    async fn own_group(&self, tx: &mut Tx, id: i64, done: &str) -> Result<String, ApiError> {
        let (name, builtin): (String, i64) =
            sqlx::query_as("SELECT name, builtin FROM license_groups WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut **tx)
                .await
                .map_err(internal)?
                .ok_or(ApiError::NotFound)?;
        if builtin == 1 {
            return Err(ApiError::Conflict(format!(
                "{UNASSIGNED_GROUP} cannot be {done}."
            )));
        }
        Ok(name)
    }

    pub(crate) async fn unassigned_group(&self, tx: &mut Tx) -> Result<i64, ApiError> {
        sqlx::query_scalar("SELECT id FROM license_groups WHERE builtin = 1")
            .fetch_one(&mut **tx)
            .await
            .map_err(internal)
    }

    /// Resolves where new agreements go, creating a new group when asked (within `tx`).
    pub(crate) async fn resolve_group(
        &self,
        tx: &mut Tx,
        who: &Who,
        choice: &GroupChoice,
    ) -> Result<i64, ApiError> {
        match choice {
            GroupChoice::Unassigned => self.unassigned_group(tx).await,
            GroupChoice::Existing(id) => {
                sqlx::query_scalar("SELECT id FROM license_groups WHERE id = $1")
                    .bind(*id)
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(internal)?
                    .ok_or_else(|| {
                        ApiError::invalid("group_id", "That license group no longer exists.")
                    })
            }
            GroupChoice::New(name) => self.insert_group(tx, who, name).await,
        }
    }

    /// Creates a group, enforcing the limit of 500 under a lock so that concurrent requests or
    /// several servers cannot pass it together.
    async fn insert_group(&self, tx: &mut Tx, who: &Who, name: &str) -> Result<i64, ApiError> {
        let name = license_group_name(name)?;
        // Lock the built-in group's row: every group creation serialises on it.
        let lock = format!(
            "SELECT id FROM license_groups WHERE builtin = 1{}",
            self.db.for_update()
        );
        sqlx::query(AssertSqlSafe(lock))
            .execute(&mut **tx)
            .await
            .map_err(internal)?;
        let count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM license_groups WHERE builtin = 0")
                .fetch_one(&mut **tx)
                .await
                .map_err(internal)?;
        if count >= MAX_LICENSE_GROUPS as i64 {
            return Err(ApiError::Conflict(format!(
                "There are already {MAX_LICENSE_GROUPS} license groups, the most allowed. Delete one first."
            )));
        }
        let now = self.now();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO license_groups (name, name_key, builtin, created_at, updated_at) \
             VALUES ($1, $2, 0, $3, $3) RETURNING id",
        )
        .bind(name.clone())
        .bind(name.to_lowercase())
        .bind(now)
        .fetch_one(&mut **tx)
        .await
        .map_err(unique_or(|| duplicate_group(&name)))?;
        audit::record(
            tx,
            now,
            who,
            Entry::new("license_group.created")
                .target("license_group", id, name.clone())
                .after(json!({"name": name})),
        )
        .await?;
        Ok(id)
    }

    /// A number set identifies one agreement: refuses `sets` when any of them is stored
    /// already, naming the agreement that has it (Refresh now would count it twice).
    async fn refuse_sets_of_other_agreements(
        &self,
        tx: &mut Tx,
        sets: &[(String, String)],
    ) -> Result<(), ApiError> {
        let wanted: HashSet<(&str, &str)> =
            sets.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        for chunk in sets.chunks(500) {
            let params: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT s.first_number, s.second_number, a.name FROM agreement_number_sets s \
                 JOIN agreements a ON a.id = s.agreement_id \
                 WHERE s.duplicate_of IS NULL AND s.first_number IN ({}) ORDER BY s.id",
                params.join(", ")
            );
            let mut query = sqlx::query_as::<_, (String, String, String)>(AssertSqlSafe(sql));
            for (first, _) in chunk {
                query = query.bind(first.clone());
            }
            let found = query.fetch_all(&mut **tx).await.map_err(internal)?;
            if let Some((first, second, agreement)) = found
                .into_iter()
                .find(|(a, b, _)| wanted.contains(&(a.as_str(), b.as_str())))
            {
                return Err(ApiError::invalid(
                    "sets",
                    format!(
                        "The number set {first} {second} already belongs to the agreement \
                         {agreement}. A number set identifies one agreement."
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Inserts one volume agreement with its sets inside `tx` (used by the form and CSV upload).
    pub(crate) async fn insert_volume_tx(
        &self,
        tx: &mut Tx,
        who: &Who,
        name: &str,
        sets: &[(String, String)],
        group_id: i64,
        source: &str,
    ) -> Result<i64, ApiError> {
        let now = self.now();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO agreements (kind, name, name_key, group_id, details, created_at, updated_at) \
             VALUES ('volume', $1, $2, $3, '', $4, $4) RETURNING id",
        )
        .bind(name.to_string())
        .bind(name.to_lowercase())
        .bind(group_id)
        .bind(now)
        .fetch_one(&mut **tx)
        .await
        .map_err(unique_or(|| ApiError::invalid("name", format!("An agreement named {name} already exists."))))?;
        self.refuse_sets_of_other_agreements(tx, sets).await?;
        // Multi-row inserts: one round trip per 500 sets instead of one per set.
        for chunk in sets.chunks(500) {
            let mut sql = String::from(
                "INSERT INTO agreement_number_sets (agreement_id, first_number, second_number, status) VALUES ",
            );
            for i in 0..chunk.len() {
                let b = i * 2;
                sql.push_str(&format!(
                    "{}($1, ${}, ${}, 'pending')",
                    if i == 0 { "" } else { ", " },
                    b + 2,
                    b + 3
                ));
            }
            let mut query = sqlx::query(AssertSqlSafe(sql)).bind(id);
            for (first, second) in chunk {
                query = query.bind(first.clone()).bind(second.clone());
            }
            // The unique index is the last word when two uploads race for the same set.
            query.execute(&mut **tx).await.map_err(unique_or(|| {
                ApiError::invalid(
                    "sets",
                    "A number set is entered twice, or already belongs to another agreement.",
                )
            }))?;
        }
        audit::record(
            tx,
            now,
            who,
            Entry::new("agreement.created").target("agreement", id, name).after(json!({
                "kind": "volume", "name": name, "group_id": group_id, "sets": sets.len(), "source": source
            })),
        )
        .await?;
        Ok(id)
    }

    async fn load_sets(&self, ids: &[i64]) -> Result<HashMap<i64, Vec<NumberSetView>>, ApiError> {
        let mut out: HashMap<i64, Vec<NumberSetView>> = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let list = ids
            .iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",");
        // The ids come from our own query (integers), so inlining them is safe.
        let sql = format!(
            "SELECT agreement_id, first_number, second_number, status FROM agreement_number_sets \
             WHERE agreement_id IN ({list}) ORDER BY id"
        );
        let rows: Vec<(i64, String, String, String)> = sqlx::query_as(AssertSqlSafe(sql))
            .fetch_all(&self.db.pool)
            .await
            .map_err(internal)?;
        for (id, first_number, second_number, status) in rows {
            let status = match status.as_str() {
                "valid" => SetStatus::Valid,
                "invalid" => SetStatus::Invalid,
                _ => SetStatus::Pending,
            };
            out.entry(id).or_default().push(NumberSetView {
                first_number,
                second_number,
                status,
            });
        }
        Ok(out)
    }
}

#[async_trait::async_trait]
impl LicensesBackend for Licenses {
    async fn list_groups(&self) -> Result<Vec<LicenseGroupView>, ApiError> {
        let rows: Vec<(i64, String, i64, i64)> = sqlx::query_as(
            "SELECT g.id, g.name, g.builtin, (SELECT COUNT(*) FROM agreements a WHERE a.group_id = g.id) \
             FROM license_groups g ORDER BY g.builtin DESC, g.name_key",
        )
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        Ok(rows
            .into_iter()
            .map(|(id, name, builtin, agreement_count)| LicenseGroupView {
                id,
                name,
                builtin: builtin == 1,
                agreement_count,
            })
            .collect())
    }

    async fn create_group(&self, actor: &Actor, name: String) -> Result<i64, ApiError> {
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let id = self.insert_group(&mut tx, &who_of(actor), &name).await?;
        tx.commit().await.map_err(internal)?;
        Ok(id)
    }

    async fn rename_group(&self, actor: &Actor, id: i64, name: String) -> Result<(), ApiError> {
        let name = license_group_name(&name)?;
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let old = self.own_group(&mut tx, id, "renamed").await?;
        sqlx::query(
            "UPDATE license_groups SET name = $1, name_key = $2, updated_at = $3 WHERE id = $4",
        )
        .bind(name.clone())
        .bind(name.to_lowercase())
        .bind(self.now())
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(unique_or(|| duplicate_group(&name)))?;
        audit::record_and_commit(
            tx,
            self.now(),
            &who_of(actor),
            Entry::new("license_group.renamed")
                .target("license_group", id, name.clone())
                .before(json!({"name": old}))
                .after(json!({"name": name})),
        )
        .await
    }

    async fn delete_group(&self, actor: &Actor, id: i64) -> Result<i64, ApiError> {
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let name = self.own_group(&mut tx, id, "deleted").await?;
        let unassigned = self.unassigned_group(&mut tx).await?;
        let moved =
            sqlx::query("UPDATE agreements SET group_id = $1, updated_at = $2 WHERE group_id = $3")
                .bind(unassigned)
                .bind(self.now())
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(internal)?
                .rows_affected() as i64;
        execute_for(&mut tx, "DELETE FROM license_groups WHERE id = $1", id).await?;
        audit::record_and_commit(
            tx,
            self.now(),
            &who_of(actor),
            Entry::new("license_group.deleted")
                .target("license_group", id, name.clone())
                .before(json!({"name": name}))
                .after(json!({"agreements_moved_to_unassigned": moved})),
        )
        .await?;
        Ok(moved)
    }

    async fn list_agreements(
        &self,
        q: String,
        group_id: Option<i64>,
        after: Option<String>,
    ) -> Result<ListPage<AgreementView>, ApiError> {
        let pattern = contains_pattern(&q);
        let group = group_id.unwrap_or(0);
        let total: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM agreements WHERE name_key LIKE $1 ESCAPE '\\' AND ($2 = 0 OR group_id = $2)",
        )
        .bind(pattern.clone())
        .bind(group)
        .fetch_one(&self.db.pool)
        .await
        .map_err(internal)?;
        let (after_key, after_id) = match Cursor::decode(after.as_deref())? {
            Some(c) => c.into_text()?,
            None => (String::new(), 0),
        };
        let rows: Vec<AgreementRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{AGREEMENT_SELECT} \
             WHERE a.name_key LIKE $1 ESCAPE '\\' AND ($2 = 0 OR a.group_id = $2) \
             AND (a.name_key, a.id) > ($3, $4) ORDER BY a.name_key, a.id LIMIT $5"
        )))
        .bind(pattern)
        .bind(group)
        .bind(after_key)
        .bind(after_id)
        .bind(PAGE_SIZE + 1)
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        let (rows, next) = page(rows, PAGE_SIZE, |r| Cursor::text(&r.name_key, r.id));
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let mut sets = self.load_sets(&ids).await?;
        Ok(ListPage {
            items: rows
                .into_iter()
                .map(|r| {
                    let s = sets.remove(&r.id).unwrap_or_default();
                    r.view(s)
                })
                .collect(),
            next: next.map(|c| c.encode()),
            total,
        })
    }

    async fn add_volume(
        &self,
        actor: &Actor,
        name: String,
        sets: Vec<(String, String)>,
        group: GroupChoice,
    ) -> Result<i64, ApiError> {
        let name = agreement_name(&name)?;
        if sets.is_empty() {
            return Err(ApiError::invalid("sets", "Enter at least one number set."));
        }
        let mut clean = vec![];
        for (i, (first, second)) in sets.iter().enumerate() {
            let first = agreement_number(first, &format!("sets.{i}.first"))?;
            let second = agreement_number(second, &format!("sets.{i}.second"))?;
            if clean.contains(&(first.clone(), second.clone())) {
                return Err(ApiError::invalid(
                    &format!("sets.{i}.first"),
                    format!("The number set {first}, {second} is entered twice."),
                ));
            }
            clean.push((first, second));
        }
        let who = who_of(actor);
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let group_id = self.resolve_group(&mut tx, &who, &group).await?;
        let id = self
            .insert_volume_tx(&mut tx, &who, &name, &clean, group_id, "form")
            .await?;
        tx.commit().await.map_err(internal)?;
        Ok(id)
    }

    async fn add_other(
        &self,
        actor: &Actor,
        input: OtherAgreementForm,
        group: GroupChoice,
    ) -> Result<i64, ApiError> {
        let name = agreement_name(&input.name)?;
        let publisher = input.publisher.trim().to_string();
        let product = input.product.trim().to_string();
        if publisher.is_empty() {
            return Err(ApiError::invalid(
                "publisher",
                "Choose a publisher from the catalog.",
            ));
        }
        if product.is_empty() {
            return Err(ApiError::invalid(
                "product",
                "Choose a product title from the catalog.",
            ));
        }
        let count = license_count(&input.license_count)?;
        let (starts_on, ends_on) = license_dates(&input.starts_on, &input.ends_on)?;
        let details = input.details.trim().to_string();
        if details.chars().count() > 4000 {
            return Err(ApiError::invalid(
                "details",
                "Details may have at most 4,000 characters.",
            ));
        }
        // Only publishers and products present in the catalog can be chosen (SPEC L-4).
        let known: i64 = sqlx::query_scalar(CATALOG_CONTAINS)
            .bind(publisher.clone())
            .bind(product.clone())
            .fetch_one(&self.db.pool)
            .await
            .map_err(internal)?;
        if known == 0 {
            return Err(ApiError::invalid(
                "product",
                format!(
                    "{product} by {publisher} is not in the software catalog; choose from the suggestions."
                ),
            ));
        }
        let who = who_of(actor);
        let now = self.now();
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let group_id = self.resolve_group(&mut tx, &who, &group).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO agreements (kind, name, name_key, group_id, publisher, product, license_count, \
             starts_on, ends_on, details, created_at, updated_at) \
             VALUES ('other', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
        )
        .bind(name.clone())
        .bind(name.to_lowercase())
        .bind(group_id)
        .bind(publisher.clone())
        .bind(product.clone())
        .bind(count)
        .bind(starts_on.clone())
        .bind(ends_on.clone())
        .bind(details)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(unique_or(|| ApiError::invalid("name", format!("An agreement named {name} already exists."))))?;
        audit::record_and_commit(
            tx,
            now,
            &who,
            Entry::new("agreement.created").target("agreement", id, name.clone()).after(json!({
                "kind": "other", "name": name, "publisher": publisher, "product": product,
                "license_count": count, "starts_on": starts_on, "ends_on": ends_on, "group_id": group_id
            })),
        )
        .await?;
        Ok(id)
    }

    async fn delete_agreement(&self, actor: &Actor, id: i64) -> Result<(), ApiError> {
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let (name, kind): (String, String) =
            sqlx::query_as("SELECT name, kind FROM agreements WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(internal)?
                .ok_or(ApiError::NotFound)?;
        execute_for(&mut tx, "DELETE FROM agreements WHERE id = $1", id).await?;
        audit::record_and_commit(
            tx,
            self.now(),
            &who_of(actor),
            Entry::new("agreement.deleted")
                .target("agreement", id, name.clone())
                .before(json!({"name": name, "kind": kind})),
        )
        .await
    }

    async fn publishers(&self, q: String) -> Result<Vec<String>, ApiError> {
        if q.trim().is_empty() {
            return Ok(vec![]);
        }
        sqlx::query_scalar(
            "SELECT publisher FROM (SELECT publisher FROM software_catalog UNION SELECT publisher FROM detected_software) p \
             WHERE lower(publisher) LIKE $1 ESCAPE '\\' ORDER BY publisher LIMIT 20",
        )
        .bind(contains_pattern(&q))
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)
    }

    async fn products(&self, publisher: String, q: String) -> Result<Vec<String>, ApiError> {
        if publisher.trim().is_empty() {
            return Ok(vec![]);
        }
        sqlx::query_scalar(
            "SELECT product FROM (SELECT publisher, product FROM software_catalog \
             UNION SELECT publisher, product FROM detected_software) p \
             WHERE publisher = $1 AND lower(product) LIKE $2 ESCAPE '\\' ORDER BY product LIMIT 20",
        )
        .bind(publisher.trim().to_string())
        .bind(contains_pattern(&q))
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)
    }

    async fn refresh(&self, actor: &Actor) -> Result<RefreshReport, ApiError> {
        self.refresh_now(actor).await
    }

    async fn refresh_status(&self) -> Result<RefreshStatus, ApiError> {
        self.status().await
    }

    async fn installation_report(
        &self,
        scope: SoftwareScope,
    ) -> Result<InstallationReport, ApiError> {
        self.build_installation_report(scope).await
    }

    async fn purchase_report(
        &self,
        groups: Vec<i64>,
        scope: SoftwareScope,
    ) -> Result<PurchaseReport, ApiError> {
        self.build_purchase_report(groups, scope).await
    }
}

static CATALOG_CONTAINS: &str = "SELECT COUNT(*) FROM (SELECT publisher, product FROM software_catalog \
     UNION SELECT publisher, product FROM detected_software) p WHERE publisher = $1 AND product = $2";
