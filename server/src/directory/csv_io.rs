//! CSV import and export for users, groups (with members), devices and detected software.
//!
//! Import reads the whole file first and checks every row; a file with any problem stores
//! nothing and answers with every problem (line number, field, message). A valid file is applied
//! in one transaction. Export writes exactly the columns import reads.

use super::{Directory, DirectoryService, MemberChange, Reach};
use crate::core::audit::{self, Entry, Who, who_of};
use crate::core::error::internal;
use crate::core::sql::execute_for;
pub use crate::csv_util::{ImportError, RowError};
use crate::csv_util::{Lines, Problems, restore, single, utf8_text, write_row};
use crate::db::Tx;
use app::api::directory::UserInput;
use app::api::ssr::Actor;
use app::domain::ApiError;
use app::domain::directory::*;
use serde::Serialize;
use serde_json::json;
use sqlx::AssertSqlSafe;
use std::collections::HashMap;

/// name, platform, os_version, primary user's sign-in name, join type, last check-in.
type DeviceExportRow = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
);

/// Largest accepted import file.
pub const MAX_IMPORT_BYTES: usize = 20 * 1024 * 1024;
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Users,
    Groups,
    Devices,
    Software,
}

impl Kind {
    pub fn parse(s: &str) -> Option<Kind> {
        match s.trim_end_matches(".csv") {
            "users" => Some(Kind::Users),
            "groups" => Some(Kind::Groups),
            "devices" => Some(Kind::Devices),
            "software" => Some(Kind::Software),
            _ => None,
        }
    }

    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Kind::Users => &["display_name", "sign_in_name", "department", "enabled"],
            Kind::Groups => &["name", "description", "members"],
            Kind::Devices => &[
                "name",
                "platform",
                "os_version",
                "primary_user",
                "join_type",
                "last_check_in",
            ],
            Kind::Software => &["device", "publisher", "product", "version"],
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Users => "users",
            Kind::Groups => "groups",
            Kind::Devices => "devices",
            Kind::Software => "software",
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ImportReport {
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
}

impl ImportReport {
    fn new(rows: usize, created: usize, updated: usize) -> ImportReport {
        ImportReport {
            rows,
            created,
            updated,
        }
    }
}

/// Parsed rows with their line numbers, after the header was checked.
fn rows(kind: Kind, bytes: &[u8]) -> Result<Vec<(u64, Vec<String>)>, ImportError> {
    let text = utf8_text(bytes)?;
    if text.trim().is_empty() {
        return Err(single(1, "file", "The file is empty."));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let expected = kind.columns();
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| single(1, "header", format!("The header line cannot be read: {e}")))?
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    if header != expected {
        return Err(single(
            1,
            "header",
            format!(
                "The columns must be: {} (found: {}).",
                expected.join(", "),
                header.join(", ")
            ),
        ));
    }
    let lines = Lines::new(text);
    let mut out = vec![];
    let mut problems = Problems::default();
    for record in reader.records() {
        match record {
            Ok(r) => {
                let line = lines.line_at(r.position());
                if r.iter().all(|f| f.is_empty()) {
                    continue; // blank line
                }
                if r.len() != expected.len() {
                    problems.add(
                        line,
                        "row",
                        format!("Expected {} columns, found {}.", expected.len(), r.len()),
                    );
                    continue;
                }
                // Exports guard formula-like cells with a `'`; take it off again.
                out.push((line, r.iter().map(|f| restore(f).to_string()).collect()));
            }
            Err(e) => {
                let line = lines.line_at(e.position());
                problems.add(line, "row", format!("This line cannot be read as CSV: {e}"));
            }
        }
    }
    problems.finish()?;
    if out.is_empty() {
        // The line after the header, if the file has one.
        let line = lines.line_of_byte(text.len()).min(2);
        return Err(single(line, "file", "The file has a header but no rows."));
    }
    Ok(out)
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" | "enabled" => Some(true),
        "false" | "no" | "0" | "disabled" => Some(false),
        _ => None,
    }
}

fn parse_time(s: &str) -> Option<i64> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp())
}

fn format_time(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// One validated row of a users file, normalised as `dir_users` stores it.
struct StagedUser {
    line: u64,
    display_name: String,
    display_key: String,
    sign_in_name: String,
    sign_in_key: String,
    department: String,
    enabled: bool,
    search: String,
}

/// Rows per staging statement (8 parameters each: far below both databases' limits).
const STAGE_BATCH: usize = 1_000;

/// The staging table of a users import: temporary, so it belongs to one connection, takes no
/// database lock on SQLite and disappears with the connection. Dropped first in case an earlier
/// import on the same connection failed before its swap.
const STAGED_USERS_TABLE: &str = "DROP TABLE IF EXISTS staged_users; \
     CREATE TEMPORARY TABLE staged_users (line BIGINT NOT NULL, display_name TEXT NOT NULL, \
     display_key TEXT NOT NULL, sign_in_name TEXT NOT NULL, sign_in_key TEXT NOT NULL PRIMARY KEY, \
     department TEXT NOT NULL, enabled BIGINT NOT NULL, search_text TEXT NOT NULL)";

impl Directory {
    async fn user_ids_by_key(&self) -> Result<HashMap<String, i64>, ApiError> {
        let rows: Vec<(String, i64)> = sqlx::query_as("SELECT sign_in_key, id FROM dir_users")
            .fetch_all(&self.db.pool)
            .await
            .map_err(internal)?;
        Ok(rows.into_iter().collect())
    }

    /// The common end of an import: one audit entry with the counts, then commit.
    async fn finish_import(
        &self,
        tx: Tx,
        who: &Who,
        action: &str,
        report: ImportReport,
    ) -> Result<ImportReport, ImportError> {
        let counts =
            json!({"rows": report.rows, "created": report.created, "updated": report.updated});
        audit::record_and_commit(tx, self.clock.now(), who, Entry::new(action).after(counts))
            .await?;
        Ok(report)
    }

    /// Applies a validated users file as one all-or-nothing operation that holds the write lock
    /// only briefly (SQLite has one writer: a 100,000-row import written row by row held it for
    /// 12–28 s and made sign-ins fail). The rows are first written, in batches, to a temporary
    /// table of one connection, which takes no lock on the database; then one transaction
    /// updates the users whose values changed and inserts the new ones with set-based
    /// statements, drops the staging table and records the audit entry. A crash at any point
    /// leaves all or nothing: the temporary table dies with its connection.
    async fn swap_in_users(
        &self,
        who: &Who,
        staged: &[StagedUser],
    ) -> Result<ImportReport, ImportError> {
        let mut conn = self.db.pool.acquire().await.map_err(internal)?;
        sqlx::raw_sql(STAGED_USERS_TABLE)
            .execute(&mut *conn)
            .await
            .map_err(internal)?;
        for batch in staged.chunks(STAGE_BATCH) {
            let rows = (0..batch.len())
                .map(|i| {
                    let p = i * 8;
                    format!(
                        "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                        p + 1,
                        p + 2,
                        p + 3,
                        p + 4,
                        p + 5,
                        p + 6,
                        p + 7,
                        p + 8
                    )
                })
                .collect::<Vec<_>>()
                .join(", ");
            let mut q = sqlx::query(AssertSqlSafe(format!(
                "INSERT INTO staged_users (line, display_name, display_key, sign_in_name, sign_in_key, \
                 department, enabled, search_text) VALUES {rows}"
            )));
            for u in batch {
                q = q
                    .bind(u.line as i64)
                    .bind(u.display_name.clone())
                    .bind(u.display_key.clone())
                    .bind(u.sign_in_name.clone())
                    .bind(u.sign_in_key.clone())
                    .bind(u.department.clone())
                    .bind(i64::from(u.enabled))
                    .bind(u.search.clone());
            }
            q.execute(&mut *conn).await.map_err(internal)?;
        }
        let now = self.clock.now();
        let locked = std::time::Instant::now();
        let mut tx = self.db.begin_write_on(conn).await.map_err(internal)?;
        sqlx::query(
            "UPDATE dir_users SET display_name = s.display_name, display_key = s.display_key, \
             sign_in_name = s.sign_in_name, department = s.department, enabled = s.enabled, \
             search_text = s.search_text, updated_at = $1 \
             FROM staged_users s WHERE dir_users.sign_in_key = s.sign_in_key \
             AND (dir_users.display_name <> s.display_name OR dir_users.sign_in_name <> s.sign_in_name \
             OR dir_users.department <> s.department OR dir_users.enabled <> s.enabled)",
        )
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        let updated: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM staged_users s \
             WHERE EXISTS (SELECT 1 FROM dir_users u WHERE u.sign_in_key = s.sign_in_key)",
        )
        .fetch_one(&mut *tx)
        .await
        .map_err(internal)?;
        let created = sqlx::query(
            "INSERT INTO dir_users (display_name, display_key, sign_in_name, sign_in_key, department, \
             enabled, search_text, created_at, updated_at) \
             SELECT s.display_name, s.display_key, s.sign_in_name, s.sign_in_key, s.department, \
             s.enabled, s.search_text, $1, $1 FROM staged_users s \
             WHERE NOT EXISTS (SELECT 1 FROM dir_users u WHERE u.sign_in_key = s.sign_in_key) \
             ORDER BY s.line",
        )
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(internal)?
        .rows_affected();
        sqlx::query("DROP TABLE staged_users")
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        let report = ImportReport::new(
            staged.len(),
            usize::try_from(created).unwrap_or(usize::MAX),
            usize::try_from(updated).unwrap_or(usize::MAX),
        );
        let report = self
            .finish_import(tx, who, "users.imported", report)
            .await?;
        tracing::info!(
            rows = staged.len(),
            write_ms = locked.elapsed().as_millis() as u64,
            "users import applied"
        );
        Ok(report)
    }
}

impl DirectoryService {
    pub async fn import(
        &self,
        actor: &Actor,
        kind: Kind,
        bytes: &[u8],
    ) -> Result<ImportReport, ImportError> {
        let rows = rows(kind, bytes)?;
        match kind {
            Kind::Users => self.import_users(actor, rows).await,
            Kind::Groups => self.import_groups(actor, rows).await,
            Kind::Devices => self.import_devices(actor, rows).await,
            Kind::Software => self.import_software(actor, rows).await,
        }
    }

    async fn import_users(
        &self,
        actor: &Actor,
        rows: Vec<(u64, Vec<String>)>,
    ) -> Result<ImportReport, ImportError> {
        let mut problems = Problems::default();
        let mut seen: HashMap<String, u64> = HashMap::new();
        let mut staged = Vec::with_capacity(rows.len());
        for (line, f) in &rows {
            let enabled = parse_bool(&f[3]);
            if enabled.is_none() {
                problems.add(*line, "enabled", "Enabled must be true or false.");
            }
            let input = UserInput {
                display_name: f[0].clone(),
                sign_in_name: f[1].clone(),
                department: f[2].clone(),
                enabled: enabled.unwrap_or(true),
                if_match: None,
            };
            match Directory::validate_user(&input) {
                Ok((display_name, sign_in, department)) => {
                    let key = sign_in.to_lowercase();
                    if let Some(first) = seen.get(&key) {
                        problems.add(
                            *line,
                            "sign_in_name",
                            format!("Duplicate sign-in name {sign_in} (also on line {first})."),
                        );
                    } else {
                        seen.insert(key.clone(), *line);
                    }
                    staged.push(StagedUser {
                        line: *line,
                        search: super::search_text(&display_name, &sign_in, &department),
                        display_key: display_name.to_lowercase(),
                        display_name,
                        sign_in_key: key,
                        sign_in_name: sign_in,
                        department,
                        enabled: input.enabled,
                    });
                }
                Err(e) => problems.api(*line, e),
            }
        }
        problems.finish()?;
        let who = who_of(actor);
        let report = self.swap_in_users(&who, &staged).await?;
        Ok(report)
    }

    async fn import_groups(
        &self,
        actor: &Actor,
        rows: Vec<(u64, Vec<String>)>,
    ) -> Result<ImportReport, ImportError> {
        let users = self.user_ids_by_key().await?;
        let mut problems = Problems::default();
        let mut seen: HashMap<String, u64> = HashMap::new();
        let mut groups = vec![];
        for (line, f) in &rows {
            let name = group_name(&f[0]);
            let description = group_description(&f[1]);
            let mut members = vec![];
            for m in f[2].split(';').map(str::trim).filter(|m| !m.is_empty()) {
                match users.get(&m.to_lowercase()) {
                    Some(id) => members.push(*id),
                    None => problems.add(*line, "members", format!("Unknown user {m}.")),
                }
            }
            match (name, description) {
                (Ok(name), Ok(description)) => {
                    let key = name.to_lowercase();
                    if let Some(first) = seen.get(&key) {
                        problems.add(
                            *line,
                            "name",
                            format!("Duplicate group {name} (also on line {first})."),
                        );
                    } else {
                        seen.insert(key, *line);
                    }
                    members.sort_unstable();
                    members.dedup();
                    groups.push((name, description, members));
                }
                (Err(e), _) | (_, Err(e)) => problems.api(*line, e),
            }
        }
        problems.finish()?;
        let existing: HashMap<String, i64> =
            sqlx::query_as::<_, (String, i64)>("SELECT name_key, id FROM dir_groups")
                .fetch_all(&self.db.pool)
                .await
                .map_err(internal)?
                .into_iter()
                .collect();
        let who = who_of(actor);
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let (mut created, mut updated) = (0, 0);
        for (name, description, members) in &groups {
            let current = existing.get(&name.to_lowercase()).copied();
            let id = self
                .upsert_group_tx(&mut tx, &who, current, name, description, false)
                .await?;
            if current.is_some() {
                updated += 1
            } else {
                created += 1
            }
            execute_for(
                &mut tx,
                "DELETE FROM dir_group_members WHERE group_id = $1",
                id,
            )
            .await?;
            for user_id in members {
                sqlx::query("INSERT INTO dir_group_members (group_id, user_id) VALUES ($1, $2)")
                    .bind(id)
                    .bind(*user_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(internal)?;
            }
            // ISV licenses assigned and store apps deployed to the group follow its new members
            // (and refuse a shortfall).
            let reach = Reach::Members {
                group_id: id,
                change: MemberChange::Replaced,
            };
            self.hooks
                .follow(&self.db, &mut tx, reach, self.clock.now())
                .await?;
        }
        let report = ImportReport::new(groups.len(), created, updated);
        self.finish_import(tx, &who, "groups.imported", report)
            .await
    }

    async fn import_devices(
        &self,
        actor: &Actor,
        rows: Vec<(u64, Vec<String>)>,
    ) -> Result<ImportReport, ImportError> {
        let users = self.user_ids_by_key().await?;
        let mut problems = Problems::default();
        let mut seen: HashMap<String, u64> = HashMap::new();
        let mut devices = vec![];
        for (line, f) in &rows {
            let name = match device_name(&f[0]) {
                Ok(n) => n,
                Err(e) => {
                    problems.api(*line, e);
                    continue;
                }
            };
            let key = name.to_lowercase();
            if let Some(first) = seen.get(&key) {
                problems.add(
                    *line,
                    "name",
                    format!("Duplicate device {name} (also on line {first})."),
                );
            } else {
                seen.insert(key.clone(), *line);
            }
            let Some(platform) = Platform::parse(&f[1]) else {
                problems.add(
                    *line,
                    "platform",
                    "Platform must be windows, ios, macos or android.",
                );
                continue;
            };
            let os = match os_version(&f[2]) {
                Ok(v) => v,
                Err(e) => {
                    problems.api(*line, e);
                    continue;
                }
            };
            let primary = if f[3].is_empty() {
                None
            } else if let Some(id) = users.get(&f[3].to_lowercase()) {
                Some(*id)
            } else {
                problems.add(*line, "primary_user", format!("Unknown user {}.", f[3]));
                continue;
            };
            let join = match (platform, f[4].as_str()) {
                (Platform::Windows, "") => Some(JoinType::None),
                (Platform::Windows, j) => match JoinType::parse(j) {
                    Some(j) => Some(j),
                    None => {
                        problems.add(
                            *line,
                            "join_type",
                            "Join type must be domain_joined, workplace_joined or none.",
                        );
                        continue;
                    }
                },
                (_, "") => None,
                (_, _) => {
                    problems.add(
                        *line,
                        "join_type",
                        "Only Windows devices have a join type; leave it empty.",
                    );
                    continue;
                }
            };
            let check_in = if f[5].is_empty() {
                None
            } else if let Some(t) = parse_time(&f[5]) {
                Some(t)
            } else {
                problems.add(
                    *line,
                    "last_check_in",
                    "Last check-in must be a time such as 2026-11-23T09:30:00Z.",
                );
                continue;
            };
            devices.push((name, key, platform, os, primary, join, check_in));
        }
        problems.finish()?;
        let who = who_of(actor);
        let now = self.clock.now();
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let (mut created, mut updated) = (0, 0);
        for (name, key, platform, os, primary, join, check_in) in &devices {
            let existing: Option<i64> =
                sqlx::query_scalar("SELECT id FROM dir_devices WHERE name_key = $1")
                    .bind(key.clone())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(internal)?;
            let join = join.map(|j| j.as_str().to_string());
            match existing {
                Some(id) => {
                    sqlx::query(
                        "UPDATE dir_devices SET name = $1, platform = $2, os_version = $3, primary_user_id = $4, \
                         join_type = $5, last_check_in = $6, updated_at = $7 WHERE id = $8",
                    )
                    .bind(name.clone())
                    .bind(platform.as_str())
                    .bind(os.clone())
                    .bind(*primary)
                    .bind(join)
                    .bind(*check_in)
                    .bind(now)
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(internal)?;
                    updated += 1;
                }
                None => {
                    sqlx::query(
                        "INSERT INTO dir_devices (name, name_key, platform, os_version, primary_user_id, join_type, \
                         last_check_in, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
                    )
                    .bind(name.clone())
                    .bind(key.clone())
                    .bind(platform.as_str())
                    .bind(os.clone())
                    .bind(*primary)
                    .bind(join)
                    .bind(*check_in)
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(internal)?;
                    created += 1;
                }
            }
        }
        // Devices that changed owner move their store licenses to the new owner.
        self.hooks
            .follow(&self.db, &mut tx, Reach::DeviceOwners, now)
            .await?;
        let report = ImportReport::new(devices.len(), created, updated);
        self.finish_import(tx, &who, "devices.imported", report)
            .await
    }

    /// Detected software: the listed devices' software is replaced by the file's rows.
    async fn import_software(
        &self,
        actor: &Actor,
        rows: Vec<(u64, Vec<String>)>,
    ) -> Result<ImportReport, ImportError> {
        let devices: HashMap<String, (i64, String)> = sqlx::query_as::<_, (String, i64, String)>(
            "SELECT name_key, id, platform FROM dir_devices",
        )
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|(k, id, p)| (k, (id, p)))
        .collect();
        let mut problems = Problems::default();
        let mut items: HashMap<i64, Vec<SoftwareItem>> = HashMap::new();
        for (line, f) in &rows {
            let Some((device_id, platform)) = devices.get(&f[0].to_lowercase()) else {
                problems.add(*line, "device", format!("Unknown device {}.", f[0]));
                continue;
            };
            if platform != "windows" {
                problems.add(
                    *line,
                    "device",
                    format!(
                        "{} is not a Windows device; only Windows devices report software.",
                        f[0]
                    ),
                );
                continue;
            }
            match software_item(&f[1], &f[2], &f[3]) {
                Ok(item) => {
                    let list = items.entry(*device_id).or_default();
                    if !list.contains(&item) {
                        list.push(item);
                    }
                }
                Err(e) => problems.api(*line, e),
            }
        }
        problems.finish()?;
        let who = who_of(actor);
        let now = self.clock.now();
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let mut count = 0;
        for (device_id, list) in &items {
            self.replace_software_tx(&mut tx, *device_id, list, None)
                .await?;
            count += list.len();
        }
        audit::record_and_commit(
            tx,
            now,
            &who,
            Entry::new("software.imported").after(json!({"devices": items.len(), "items": count})),
        )
        .await?;
        Ok(ImportReport {
            rows: count,
            created: count,
            updated: 0,
        })
    }
}

impl Directory {
    pub(crate) async fn replace_software_tx(
        &self,
        tx: &mut Tx,
        device_id: i64,
        items: &[SoftwareItem],
        check_in: Option<i64>,
    ) -> Result<(), ApiError> {
        execute_for(
            tx,
            "DELETE FROM detected_software WHERE device_id = $1",
            device_id,
        )
        .await?;
        for item in items {
            sqlx::query(
                "INSERT INTO detected_software (device_id, publisher, product, version) VALUES ($1, $2, $3, $4)",
            )
            .bind(device_id)
            .bind(item.publisher.clone())
            .bind(item.product.clone())
            .bind(item.version.clone())
            .execute(&mut **tx)
            .await
            .map_err(internal)?;
        }
        // Only an agent's report is a check-in; an admin's import is not.
        if let Some(at) = check_in {
            sqlx::query("UPDATE dir_devices SET last_check_in = $1 WHERE id = $2")
                .bind(at)
                .bind(device_id)
                .execute(&mut **tx)
                .await
                .map_err(internal)?;
        }
        Ok(())
    }

    /// Writes one kind as CSV, in the columns `import` reads.
    pub async fn export(&self, kind: Kind) -> Result<Vec<u8>, ApiError> {
        let mut w = csv::Writer::from_writer(vec![]);
        write_row(&mut w, kind.columns()).map_err(internal)?;
        match kind {
            Kind::Users => {
                let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
                    "SELECT display_name, sign_in_name, department, enabled FROM dir_users ORDER BY display_key, id",
                )
                .fetch_all(&self.db.pool)
                .await
                .map_err(internal)?;
                for (name, sign_in, dept, enabled) in rows {
                    write_row(&mut w, [name, sign_in, dept, (enabled == 1).to_string()])
                        .map_err(internal)?;
                }
            }
            Kind::Groups => {
                let groups: Vec<(i64, String, String)> = sqlx::query_as(
                    "SELECT id, name, description FROM dir_groups ORDER BY name_key, id",
                )
                .fetch_all(&self.db.pool)
                .await
                .map_err(internal)?;
                let members: Vec<(i64, String)> = sqlx::query_as(
                    "SELECT m.group_id, u.sign_in_name FROM dir_group_members m JOIN dir_users u ON u.id = m.user_id \
                     ORDER BY m.group_id, u.sign_in_key",
                )
                .fetch_all(&self.db.pool)
                .await
                .map_err(internal)?;
                let mut by_group: HashMap<i64, Vec<String>> = HashMap::new();
                for (g, s) in members {
                    by_group.entry(g).or_default().push(s);
                }
                for (id, name, description) in groups {
                    let m = by_group.remove(&id).unwrap_or_default().join(";");
                    write_row(&mut w, [name, description, m]).map_err(internal)?;
                }
            }
            Kind::Devices => {
                let rows: Vec<DeviceExportRow> = sqlx::query_as(
                    "SELECT d.name, d.platform, d.os_version, u.sign_in_name, d.join_type, d.last_check_in \
                     FROM dir_devices d LEFT JOIN dir_users u ON u.id = d.primary_user_id ORDER BY d.name_key, d.id",
                )
                .fetch_all(&self.db.pool)
                .await
                .map_err(internal)?;
                for (name, platform, os, user, join, check_in) in rows {
                    write_row(
                        &mut w,
                        [
                            name,
                            platform,
                            os,
                            user.unwrap_or_default(),
                            join.unwrap_or_default(),
                            check_in.map(format_time).unwrap_or_default(),
                        ],
                    )
                    .map_err(internal)?;
                }
            }
            Kind::Software => {
                let rows: Vec<(String, String, String, String)> = sqlx::query_as(
                    "SELECT d.name, s.publisher, s.product, s.version FROM detected_software s \
                     JOIN dir_devices d ON d.id = s.device_id ORDER BY d.name_key, s.publisher, s.product, s.version",
                )
                .fetch_all(&self.db.pool)
                .await
                .map_err(internal)?;
                for (device, publisher, product, version) in rows {
                    write_row(&mut w, [device, publisher, product, version]).map_err(internal)?;
                }
            }
        }
        w.into_inner().map_err(internal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(r: Result<Vec<(u64, Vec<String>)>, ImportError>) -> Vec<RowError> {
        match r {
            Err(ImportError::Invalid { errors, .. }) => errors,
            other => panic!("expected errors, got {other:?}"),
        }
    }

    #[test]
    fn header_must_match() {
        let e = errors(rows(Kind::Users, b"name,email\nA,a@x.com\n"));
        assert_eq!(e[0].line, 1);
        assert_eq!(e[0].field, "header");
        assert!(
            e[0].message
                .contains("display_name, sign_in_name, department, enabled")
        );
    }

    #[test]
    fn non_utf8_names_the_line() {
        let e = errors(rows(Kind::Users, b"display_name,sign_in_name,department,enabled\nAda,a@x.com,IT,true\nB\xe9a,b@x.com,IT,true\n"));
        assert_eq!(e[0].line, 3);
        assert_eq!(e[0].field, "file");
    }

    #[test]
    fn bom_crlf_quotes_and_blank_lines() {
        let file = "\u{feff}display_name,sign_in_name,department,enabled\r\n\"Lovelace, Ada\",ada@x.com,R&D,true\r\n\r\nBob,bob@x.com,,false\r\n";
        let r = rows(Kind::Users, file.as_bytes()).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].1[0], "Lovelace, Ada");
        assert_eq!(r[1].0, 4);
    }

    #[test]
    fn lines_end_at_cr_too_and_a_header_alone_is_line_1() {
        let e = errors(rows(
            Kind::Users,
            b"display_name,sign_in_name,department,enabled\rAda,a@x.com,IT,true\rBob\r",
        ));
        assert_eq!((e[0].line, e[0].field.as_str()), (3, "row"));
        let e = errors(rows(Kind::Groups, b"name,description,members"));
        assert_eq!((e[0].line, e[0].field.as_str()), (1, "file"));
        let e = errors(rows(Kind::Groups, b"name,description,members\r\n"));
        assert_eq!((e[0].line, e[0].field.as_str()), (2, "file"));
    }

    #[test]
    fn wrong_column_count_names_the_line() {
        let e = errors(rows(
            Kind::Users,
            b"display_name,sign_in_name,department,enabled\nAda,a@x.com,IT\n",
        ));
        assert_eq!((e[0].line, e[0].field.as_str()), (2, "row"));
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use crate::core::arbitrary::{csv_text, line_count};
    use proptest::prelude::*;

    const KINDS: [Kind; 4] = [Kind::Users, Kind::Groups, Kind::Devices, Kind::Software];

    /// Cells of almost valid directory files, for every kind.
    fn cells() -> Vec<&'static str> {
        vec![
            "",
            " ",
            "Ada Lovelace",
            "ada@example.com",
            "R&D",
            "true",
            "no",
            "maybe",
            "Staff",
            "ada@example.com;bob@example.com",
            "PC-001",
            "windows",
            "ios",
            "10.0.22631",
            "domain_joined",
            "2026-11-23T09:30:00Z",
            "2026-13-45T99:99:99Z",
            "Microsoft",
            "Office",
            "'=SUM(A1:A9)",
            "\"Lovelace, Ada\"",
            "\"",
            "\u{e4}",
            "\u{feff}",
            "\r",
        ]
    }

    /// A header line for `kind`: its columns (as exported, in capitals, quoted and spaced),
    /// another kind's, or a column short.
    fn header(kind: Kind) -> impl Strategy<Value = String> {
        (prop::sample::select(KINDS.to_vec()), 0..7u8).prop_map(move |(other, style)| {
            let cols = kind.columns();
            match style {
                0..=2 => cols.join(","),
                3 => cols.join(",").to_uppercase(),
                4 => cols
                    .iter()
                    .map(|c| format!("\" {c} \""))
                    .collect::<Vec<_>>()
                    .join(", "),
                5 => other.columns().join(","),
                _ => cols[1..].join(","),
            }
        })
    }

    /// A line with the kind's number of columns (their content is checked later), or blank.
    fn good_line(kind: Kind) -> impl Strategy<Value = String> {
        let cell =
            prop::sample::select(cells()).prop_filter("one cell", |c| !["\"", "\r"].contains(c));
        prop_oneof![
            8 => prop::collection::vec(cell, kind.columns().len()).prop_map(|f| f.join(",")),
            1 => Just(String::new()),
        ]
    }

    /// A kind and a file: a header and almost valid lines; or, now and then, anything at all.
    fn kind_and_file() -> impl Strategy<Value = (Kind, Vec<u8>)> {
        prop::sample::select(KINDS.to_vec()).prop_flat_map(|kind| {
            let file = prop_oneof![
                6 => (header(kind), prop::sample::select(vec!["\n", "\n", "\r\n", "\r", ""]), csv_text(good_line(kind), cells(), 7, 10))
                    .prop_map(|(h, end, rest)| format!("{h}{end}{rest}").into_bytes()),
                1 => csv_text(good_line(kind), cells(), 7, 10).prop_map(String::into_bytes),
                1 => prop::collection::vec(any::<u8>(), 0..256),
            ];
            (Just(kind), file)
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// For every kind, any file is rows of exactly the kind's columns on lines after the
        /// header, or problems that each name a line of the file, a field and a message.
        #[test]
        fn any_file_is_rows_or_named_problems((kind, bytes) in kind_and_file()) {
            let lines = line_count(&bytes);
            match rows(kind, &bytes) {
                Ok(rows) => {
                    prop_assert!(!rows.is_empty());
                    for (line, fields) in rows {
                        prop_assert!((2..=lines).contains(&line), "line {line} of {lines}");
                        prop_assert_eq!(fields.len(), kind.columns().len());
                    }
                }
                Err(ImportError::Invalid { errors, total }) => {
                    prop_assert!(!errors.is_empty() && total >= errors.len());
                    for e in errors {
                        prop_assert!((1..=lines).contains(&e.line), "{e:?} in a file of {lines} lines");
                        prop_assert!(!e.field.is_empty() && !e.message.is_empty(), "{e:?}");
                    }
                }
                Err(ImportError::Api(e)) => prop_assert!(false, "unnamed error {e:?}"),
            }
        }
    }
}
