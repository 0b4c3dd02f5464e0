//! The directory service (SPEC D-1 … D-3): users, groups, devices, detected software.
//! Every rule about the directory lives here: validation, uniqueness, who may be deleted, and
//! the effective members of a group (which license consumption will use).

pub mod csv_io;
mod hooks;

pub use hooks::{MemberChange, MembershipHook, MembershipHooks, Reach};

use crate::core::audit::{self, Entry, Who, who_of};
use crate::core::clock::Clock;
use crate::core::cursor::{Cursor, Key, forged, page};
use crate::core::error::internal;
use crate::core::sql::{
    Bind, Binds, contains_pattern, execute_for, fetch_locked, set_column, unique_or,
};
use crate::db::{Db, Tx};
use app::api::directory::{DirectoryBackend, UserInput};
use app::api::ssr::Actor;
use app::domain::ApiError;
use app::domain::directory::*;
use serde_json::json;
use sqlx::AssertSqlSafe;
use std::sync::Arc;

pub const PAGE_SIZE: i64 = 50;

/// The directory's data and rules (reading, validating, writing inside a transaction).
pub struct Directory {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
}

/// The directory as the server functions and imports use it: [`Directory`] plus the hooks
/// through which its membership changes reach other areas. Built by `Services::directory`.
pub struct DirectoryService {
    pub directory: Directory,
    pub hooks: MembershipHooks,
}

impl std::ops::Deref for DirectoryService {
    type Target = Directory;

    fn deref(&self) -> &Directory {
        &self.directory
    }
}

pub fn search_text(display_name: &str, sign_in_name: &str, department: &str) -> String {
    format!("{display_name} {sign_in_name} {department}").to_lowercase()
}

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    id: i64,
    display_name: String,
    sign_in_name: String,
    department: String,
    enabled: i64,
    created_at: i64,
    updated_at: i64,
    display_key: String,
    sign_in_key: String,
}

impl UserRow {
    fn view(&self) -> UserView {
        UserView {
            id: self.id,
            display_name: self.display_name.clone(),
            sign_in_name: self.sign_in_name.clone(),
            department: self.department.clone(),
            enabled: self.enabled == 1,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }

    fn snapshot(&self) -> serde_json::Value {
        json!({"display_name": self.display_name, "sign_in_name": self.sign_in_name,
               "department": self.department, "enabled": self.enabled == 1})
    }
}

const USER_COLUMNS: &str = "id, display_name, sign_in_name, department, enabled, created_at, \
                            updated_at, display_key, sign_in_key";

#[derive(sqlx::FromRow)]
struct DeviceRow {
    id: i64,
    name: String,
    platform: String,
    os_version: String,
    primary_user_id: Option<i64>,
    primary_user_name: Option<String>,
    join_type: Option<String>,
    last_check_in: Option<i64>,
}

impl DeviceRow {
    fn view(self) -> DeviceView {
        DeviceView {
            id: self.id,
            name: self.name,
            platform: Platform::parse(&self.platform).unwrap_or(Platform::Windows),
            os_version: self.os_version,
            primary_user: self.primary_user_id.zip(self.primary_user_name),
            join_type: self.join_type.as_deref().and_then(JoinType::parse),
            last_check_in: self.last_check_in,
        }
    }
}

const DEVICE_SELECT: &str = "SELECT d.id, d.name, d.platform, d.os_version, d.primary_user_id, \
     u.display_name AS primary_user_name, d.join_type, d.last_check_in \
     FROM dir_devices d LEFT JOIN dir_users u ON u.id = d.primary_user_id";

impl Directory {
    fn now(&self) -> i64 {
        self.clock.now()
    }

    /// The users a group reaches. Today: its direct members. License counting
    /// (`billing::isv::consumed`) joins `dir_group_members` the same way; change both together.
    pub async fn effective_member_ids(&self, group_id: i64) -> Result<Vec<i64>, sqlx::Error> {
        sqlx::query_scalar(
            "SELECT user_id FROM dir_group_members WHERE group_id = $1 ORDER BY user_id",
        )
        .bind(group_id)
        .fetch_all(&self.db.pool)
        .await
    }

    async fn load_user(&self, tx: &mut Tx, id: i64) -> Result<UserRow, ApiError> {
        let select = format!("SELECT {USER_COLUMNS} FROM dir_users WHERE id = $1");
        fetch_locked(&self.db, tx, &select, id).await
    }

    pub fn validate_user(input: &UserInput) -> Result<(String, String, String), ApiError> {
        Ok((
            user_display_name(&input.display_name)?,
            sign_in_name(&input.sign_in_name)?,
            department(&input.department)?,
        ))
    }

    /// Inserts or updates a user inside `tx` (used by the form and by CSV import).
    pub(crate) async fn upsert_user_tx(
        &self,
        tx: &mut Tx,
        who: &Who,
        id: Option<i64>,
        input: &UserInput,
        audit_each: bool,
    ) -> Result<(i64, bool), ApiError> {
        let (display_name, sign_in, dept) = Self::validate_user(input)?;
        let now = self.now();
        let key = sign_in.to_lowercase();
        let duplicate = || {
            ApiError::invalid(
                "sign_in_name",
                format!("Another user already has the sign-in name {sign_in}."),
            )
        };
        let search = search_text(&display_name, &sign_in, &dept);
        match id {
            None => {
                let new_id: i64 = sqlx::query_scalar(
                    "INSERT INTO dir_users (display_name, display_key, sign_in_name, sign_in_key, \
                     department, enabled, search_text, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
                )
                .bind(display_name.clone())
                .bind(display_name.to_lowercase())
                .bind(sign_in.clone())
                .bind(key)
                .bind(dept.clone())
                .bind(i64::from(input.enabled))
                .bind(search)
                .bind(now)
                .fetch_one(&mut **tx)
                .await
                .map_err(unique_or(&duplicate))?;
                if audit_each {
                    audit::record(
                        tx,
                        now,
                        who,
                        Entry::new("user.created")
                            .target("user", new_id, sign_in.clone())
                            .after(
                                json!({"display_name": display_name, "sign_in_name": sign_in,
                                   "department": dept, "enabled": input.enabled}),
                            ),
                    )
                    .await?;
                }
                Ok((new_id, true))
            }
            Some(id) => {
                let before = self.load_user(tx, id).await?;
                sqlx::query(
                    "UPDATE dir_users SET display_name = $1, display_key = $2, sign_in_name = $3, \
                     sign_in_key = $4, department = $5, enabled = $6, search_text = $7, updated_at = $8 \
                     WHERE id = $9",
                )
                .bind(display_name.clone())
                .bind(display_name.to_lowercase())
                .bind(sign_in.clone())
                .bind(key)
                .bind(dept.clone())
                .bind(i64::from(input.enabled))
                .bind(search)
                .bind(now)
                .bind(id)
                .execute(&mut **tx)
                .await
                .map_err(unique_or(&duplicate))?;
                let after = json!({"display_name": display_name, "sign_in_name": sign_in,
                                   "department": dept, "enabled": input.enabled});
                if audit_each && before.snapshot() != after {
                    audit::record(
                        tx,
                        now,
                        who,
                        Entry::new("user.updated")
                            .target("user", id, sign_in.clone())
                            .before(before.snapshot())
                            .after(after),
                    )
                    .await?;
                }
                Ok((id, false))
            }
        }
    }

    async fn user_rows(&self, sql: String, binds: &Binds) -> Result<Vec<UserRow>, ApiError> {
        binds
            .query_as(sql)
            .fetch_all(&self.db.pool)
            .await
            .map_err(internal)
    }

    /// The users whose names or department contain `q`, first by name (a search box).
    async fn users_matching(&self, q: &str, limit: i64) -> Result<Vec<UserRow>, ApiError> {
        let mut binds = Binds::default();
        binds.text(contains_pattern(q));
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM dir_users WHERE {} ORDER BY display_key, id LIMIT {limit}",
            self.db.user_search_condition(1, q.trim())
        );
        self.user_rows(sql, &binds).await
    }
}

/// A name-ordered list's page: `(name_key, id)` after the cursor, and the total.
struct NamePage {
    pattern: String,
    after_key: String,
    after_id: i64,
}

impl NamePage {
    fn new(q: &str, after: Option<String>) -> Result<NamePage, ApiError> {
        let (after_key, after_id) = match Cursor::decode(after.as_deref())? {
            Some(c) => c.into_text()?,
            None => (String::new(), 0),
        };
        Ok(NamePage {
            pattern: contains_pattern(q),
            after_key,
            after_id,
        })
    }
}

/// What a group's entity tag covers: what a change of the group can change (its members have
/// their own calls).
pub fn group_tag((id, name, description): &(i64, String, String)) -> serde_json::Value {
    json!({"id": id, "name": name, "description": description})
}

#[async_trait::async_trait]
impl DirectoryBackend for DirectoryService {
    async fn list_users(
        &self,
        q: String,
        sort: UserSort,
        desc: bool,
        after: Option<String>,
    ) -> Result<ListPage<UserView>, ApiError> {
        let column = match sort {
            UserSort::Name => "display_key",
            UserSort::SignInName => "sign_in_key",
            UserSort::Department => "department",
            UserSort::Created => "created_at",
        };
        let mut filter = String::from(" WHERE 1 = 1");
        let mut binds = Binds::default();
        if !q.trim().is_empty() {
            binds.text(contains_pattern(&q));
            let condition = self.db.user_search_condition(binds.len(), q.trim());
            filter.push_str(&format!(" AND {condition}"));
        }
        let total: i64 = binds
            .query_scalar(format!("SELECT COUNT(*) FROM dir_users{filter}"))
            .fetch_one(&self.db.pool)
            .await
            .map_err(internal)?;

        let mut sql = format!("SELECT {USER_COLUMNS} FROM dir_users{filter}");
        if let Some(cursor) = Cursor::decode(after.as_deref())? {
            // The key must be of the sort's kind: a number for Created, a text otherwise.
            let key = match (sort, cursor.key) {
                (UserSort::Created, Key::Int(v)) => Bind::Int(v),
                (UserSort::Created, Key::Text(_)) | (_, Key::Int(_)) => return Err(forged()),
                (_, Key::Text(t)) => Bind::Text(t),
            };
            let a = binds.push(key);
            let b = binds.int(cursor.id);
            let op = if desc { "<" } else { ">" };
            sql.push_str(&format!(" AND ({column}, id) {op} ({a}, {b})"));
        }
        let dir = if desc { "DESC" } else { "ASC" };
        sql.push_str(&format!(
            " ORDER BY {column} {dir}, id {dir} LIMIT {}",
            PAGE_SIZE + 1
        ));
        let rows = self.user_rows(sql, &binds).await?;
        let (rows, next) = page(rows, PAGE_SIZE, |last| match sort {
            UserSort::Name => Cursor::text(&last.display_key, last.id),
            UserSort::SignInName => Cursor::text(&last.sign_in_key, last.id),
            UserSort::Department => Cursor::text(&last.department, last.id),
            UserSort::Created => Cursor::int(last.created_at, last.id),
        });
        Ok(ListPage {
            items: rows.iter().map(UserRow::view).collect(),
            next: next.map(|c| c.encode()),
            total,
        })
    }

    async fn get_user(&self, id: i64) -> Result<UserDetail, ApiError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM dir_users WHERE id = $1");
        let user = sqlx::query_as::<_, UserRow>(AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.db.pool)
            .await
            .map_err(internal)?
            .ok_or(ApiError::NotFound)?;
        let groups: Vec<(i64, String)> = sqlx::query_as(
            "SELECT g.id, g.name FROM dir_groups g JOIN dir_group_members m ON m.group_id = g.id \
             WHERE m.user_id = $1 ORDER BY g.name_key",
        )
        .bind(id)
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        let devices: Vec<(i64, String)> = sqlx::query_as(
            "SELECT id, name FROM dir_devices WHERE primary_user_id = $1 ORDER BY name_key",
        )
        .bind(id)
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        Ok(UserDetail {
            user: user.view(),
            groups,
            devices,
        })
    }

    async fn save_user(
        &self,
        actor: &Actor,
        id: Option<i64>,
        mut input: UserInput,
    ) -> Result<i64, ApiError> {
        Directory::validate_user(&input)?;
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        if let Some(id) = id {
            let current = self.load_user(&mut tx, id).await?;
            crate::core::etag::check(input.if_match.as_deref(), &current.view())?;
            // The form edits names and department; the enabled state has its own action.
            input.enabled = current.enabled == 1;
        }
        let (id, _) = self
            .upsert_user_tx(&mut tx, &who_of(actor), id, &input, true)
            .await?;
        tx.commit().await.map_err(internal)?;
        Ok(id)
    }

    async fn set_user_enabled(
        &self,
        actor: &Actor,
        id: i64,
        enabled: bool,
    ) -> Result<(), ApiError> {
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let user = self.load_user(&mut tx, id).await?;
        if (user.enabled == 1) == enabled {
            return Ok(());
        }
        set_column(
            &mut tx,
            "dir_users",
            "enabled",
            i64::from(enabled),
            self.now(),
            id,
        )
        .await?;
        audit::record_and_commit(
            tx,
            self.now(),
            &who_of(actor),
            Entry::new(if enabled {
                "user.enabled"
            } else {
                "user.disabled"
            })
            .target("user", id, user.sign_in_name.clone())
            .before(json!({"enabled": user.enabled == 1}))
            .after(json!({"enabled": enabled})),
        )
        .await
    }

    async fn delete_user(&self, actor: &Actor, id: i64) -> Result<(), ApiError> {
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let user = self.load_user(&mut tx, id).await?;
        // ISV licenses assigned to the user directly (those reached through a group end with
        // the membership) and store licenses however they were reached.
        let held = self.hooks.licenses_held(&mut tx, id).await?;
        if held > 0 {
            return Err(ApiError::Conflict(format!(
                "{} holds {held} license(s). Remove the licenses first, or disable the user instead.",
                user.display_name
            )));
        }
        execute_for(&mut tx, "DELETE FROM dir_users WHERE id = $1", id).await?;
        audit::record_and_commit(
            tx,
            self.now(),
            &who_of(actor),
            Entry::new("user.deleted")
                .target("user", id, user.sign_in_name.clone())
                .before(user.snapshot()),
        )
        .await
    }

    async fn search_users(&self, q: String) -> Result<Vec<UserView>, ApiError> {
        if q.trim().is_empty() {
            return Ok(vec![]);
        }
        let rows = self.users_matching(&q, 10).await?;
        Ok(rows.iter().map(UserRow::view).collect())
    }

    async fn list_groups(
        &self,
        q: String,
        after: Option<String>,
    ) -> Result<ListPage<GroupView>, ApiError> {
        let at = NamePage::new(&q, after)?;
        let total: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM dir_groups WHERE name_key LIKE $1 ESCAPE '\\'",
        )
        .bind(&at.pattern)
        .fetch_one(&self.db.pool)
        .await
        .map_err(internal)?;
        let rows: Vec<(i64, String, String, String, i64)> = sqlx::query_as(
            "SELECT g.id, g.name, g.name_key, g.description, \
             (SELECT COUNT(*) FROM dir_group_members m WHERE m.group_id = g.id) \
             FROM dir_groups g WHERE g.name_key LIKE $1 ESCAPE '\\' AND (g.name_key, g.id) > ($2, $3) \
             ORDER BY g.name_key, g.id LIMIT $4",
        )
        .bind(at.pattern)
        .bind(at.after_key)
        .bind(at.after_id)
        .bind(PAGE_SIZE + 1)
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        let (rows, next) = page(rows, PAGE_SIZE, |r| Cursor::text(&r.2, r.0));
        Ok(ListPage {
            items: rows
                .into_iter()
                .map(|(id, name, _, description, member_count)| GroupView {
                    id,
                    name,
                    description,
                    member_count,
                })
                .collect(),
            next: next.map(|c| c.encode()),
            total,
        })
    }

    async fn get_group(&self, id: i64) -> Result<GroupDetail, ApiError> {
        let group: (i64, String, String) =
            sqlx::query_as("SELECT id, name, description FROM dir_groups WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.db.pool)
                .await
                .map_err(internal)?
                .ok_or(ApiError::NotFound)?;
        let sql = format!(
            "SELECT {} FROM dir_users u JOIN dir_group_members m ON m.user_id = u.id \
             WHERE m.group_id = $1 ORDER BY u.display_key, u.id",
            USER_COLUMNS
                .split(", ")
                .map(|c| format!("u.{}", c.trim()))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut binds = Binds::default();
        binds.int(id);
        let members = self.user_rows(sql, &binds).await?;
        Ok(GroupDetail {
            group: GroupView {
                id: group.0,
                name: group.1,
                description: group.2,
                member_count: members.len() as i64,
            },
            members: members.iter().map(UserRow::view).collect(),
        })
    }

    async fn save_group(
        &self,
        actor: &Actor,
        id: Option<i64>,
        name: String,
        description: String,
        if_match: Option<String>,
    ) -> Result<i64, ApiError> {
        let name = group_name(&name)?;
        let description = group_description(&description)?;
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        if let (Some(id), Some(_)) = (id, &if_match) {
            let current: (i64, String, String) = fetch_locked(
                &self.db,
                &mut tx,
                "SELECT id, name, description FROM dir_groups WHERE id = $1",
                id,
            )
            .await?;
            crate::core::etag::check(if_match.as_deref(), &group_tag(&current))?;
        }
        let id = self
            .upsert_group_tx(&mut tx, &who_of(actor), id, &name, &description, true)
            .await?;
        tx.commit().await.map_err(internal)?;
        Ok(id)
    }

    async fn delete_group(&self, actor: &Actor, id: i64) -> Result<(), ApiError> {
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let group: (String, String) =
            sqlx::query_as("SELECT name, description FROM dir_groups WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(internal)?
                .ok_or(ApiError::NotFound)?;
        // Store apps deployed to the group lose those deployments (and free their licenses).
        let reach = Reach::GroupDeleted { group_id: id };
        self.hooks
            .follow(&self.db, &mut tx, reach, self.now())
            .await?;
        execute_for(&mut tx, "DELETE FROM dir_groups WHERE id = $1", id).await?;
        audit::record_and_commit(
            tx,
            self.now(),
            &who_of(actor),
            Entry::new("group.deleted")
                .target("group", id, group.0.clone())
                .before(json!({"name": group.0, "description": group.1})),
        )
        .await
    }

    async fn change_members(
        &self,
        actor: &Actor,
        group_id: i64,
        user_ids: Vec<i64>,
        add: bool,
    ) -> Result<usize, ApiError> {
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let name: String = sqlx::query_scalar("SELECT name FROM dir_groups WHERE id = $1")
            .bind(group_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(internal)?
            .ok_or(ApiError::NotFound)?;
        let mut changed = vec![];
        for user_id in user_ids {
            let sign_in: Option<String> =
                sqlx::query_scalar("SELECT sign_in_name FROM dir_users WHERE id = $1")
                    .bind(user_id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(internal)?;
            let Some(sign_in) = sign_in else {
                return Err(ApiError::invalid(
                    "user_ids",
                    format!("User {user_id} does not exist."),
                ));
            };
            let sql = if add {
                "INSERT INTO dir_group_members (group_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
            } else {
                "DELETE FROM dir_group_members WHERE group_id = $1 AND user_id = $2"
            };
            let done = sqlx::query(sql)
                .bind(group_id)
                .bind(user_id)
                .execute(&mut *tx)
                .await
                .map_err(internal)?
                .rows_affected();
            if done > 0 {
                changed.push(sign_in);
            }
        }
        if !changed.is_empty() {
            // New members consume the ISV and store licenses assigned or deployed to the group
            // (refused when short); removed members free store licenses.
            let change = if add {
                MemberChange::Added
            } else {
                MemberChange::Removed
            };
            let reach = Reach::Members { group_id, change };
            self.hooks
                .follow(&self.db, &mut tx, reach, self.now())
                .await?;
            let key = if add { "added" } else { "removed" };
            audit::record(
                &mut tx,
                self.now(),
                &who_of(actor),
                Entry::new(if add {
                    "group.members_added"
                } else {
                    "group.members_removed"
                })
                .target("group", group_id, name)
                .after(json!({ key: changed })),
            )
            .await?;
        }
        tx.commit().await.map_err(internal)?;
        Ok(changed.len())
    }

    async fn list_devices(
        &self,
        q: String,
        platform: Option<Platform>,
        after: Option<String>,
    ) -> Result<ListPage<DeviceView>, ApiError> {
        let at = NamePage::new(&q, after)?;
        let platform = platform.map(|p| p.as_str().to_string()).unwrap_or_default();
        let total: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM dir_devices d WHERE d.name_key LIKE $1 ESCAPE '\\' \
             AND ($2 = '' OR d.platform = $2)",
        )
        .bind(&at.pattern)
        .bind(platform.clone())
        .fetch_one(&self.db.pool)
        .await
        .map_err(internal)?;
        let sql = format!(
            "{DEVICE_SELECT} WHERE d.name_key LIKE $1 ESCAPE '\\' AND ($2 = '' OR d.platform = $2) \
             AND (d.name_key, d.id) > ($3, $4) ORDER BY d.name_key, d.id LIMIT $5"
        );
        let rows: Vec<DeviceRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(at.pattern)
            .bind(platform)
            .bind(at.after_key)
            .bind(at.after_id)
            .bind(PAGE_SIZE + 1)
            .fetch_all(&self.db.pool)
            .await
            .map_err(internal)?;
        let (rows, next) = page(rows, PAGE_SIZE, |r| {
            Cursor::text(r.name.to_lowercase(), r.id)
        });
        Ok(ListPage {
            items: rows.into_iter().map(DeviceRow::view).collect(),
            next: next.map(|c| c.encode()),
            total,
        })
    }

    async fn get_device(&self, id: i64) -> Result<DeviceDetail, ApiError> {
        let sql = format!("{DEVICE_SELECT} WHERE d.id = $1");
        let device: DeviceRow = sqlx::query_as(AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.db.pool)
            .await
            .map_err(internal)?
            .ok_or(ApiError::NotFound)?;
        let software: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT publisher, product, version FROM detected_software WHERE device_id = $1 \
             ORDER BY publisher, product, version",
        )
        .bind(id)
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        Ok(DeviceDetail {
            device: device.view(),
            software: software
                .into_iter()
                .map(|(publisher, product, version)| SoftwareItem {
                    publisher,
                    product,
                    version,
                })
                .collect(),
        })
    }
}

impl Directory {
    pub(crate) async fn upsert_group_tx(
        &self,
        tx: &mut Tx,
        who: &Who,
        id: Option<i64>,
        name: &str,
        description: &str,
        audit_each: bool,
    ) -> Result<i64, ApiError> {
        let now = self.now();
        let duplicate =
            || ApiError::invalid("name", format!("A group named {name} already exists."));
        match id {
            None => {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO dir_groups (name, name_key, description, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $4) RETURNING id",
                )
                .bind(name.to_string())
                .bind(name.to_lowercase())
                .bind(description.to_string())
                .bind(now)
                .fetch_one(&mut **tx)
                .await
                .map_err(unique_or(&duplicate))?;
                if audit_each {
                    audit::record(
                        tx,
                        now,
                        who,
                        Entry::new("group.created")
                            .target("group", id, name)
                            .after(json!({"name": name, "description": description})),
                    )
                    .await?;
                }
                Ok(id)
            }
            Some(id) => {
                let before: (String, String) =
                    sqlx::query_as("SELECT name, description FROM dir_groups WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&mut **tx)
                        .await
                        .map_err(internal)?
                        .ok_or(ApiError::NotFound)?;
                sqlx::query(
                    "UPDATE dir_groups SET name = $1, name_key = $2, description = $3, updated_at = $4 WHERE id = $5",
                )
                .bind(name.to_string())
                .bind(name.to_lowercase())
                .bind(description.to_string())
                .bind(now)
                .bind(id)
                .execute(&mut **tx)
                .await
                .map_err(unique_or(&duplicate))?;
                if audit_each && (before.0 != name || before.1 != description) {
                    audit::record(
                        tx,
                        now,
                        who,
                        Entry::new("group.updated")
                            .target("group", id, name)
                            .before(json!({"name": before.0, "description": before.1}))
                            .after(json!({"name": name, "description": description})),
                    )
                    .await?;
                }
                Ok(id)
            }
        }
    }
}

impl Directory {
    /// An inventory report for one Windows device (replaces its detected software).
    pub async fn report_software(
        &self,
        actor: &Actor,
        device: &str,
        items: &[SoftwareItem],
    ) -> Result<(), ApiError> {
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let row: Option<(i64, String, String)> =
            sqlx::query_as("SELECT id, name, platform FROM dir_devices WHERE name_key = $1")
                .bind(device.to_lowercase())
                .fetch_optional(&mut *tx)
                .await
                .map_err(internal)?;
        let Some((id, name, platform)) = row else {
            return Err(ApiError::NotFound);
        };
        if platform != "windows" {
            return Err(ApiError::Conflict(format!(
                "{name} is not a Windows device; only Windows devices report detected software."
            )));
        }
        let now = self.now();
        self.replace_software_tx(&mut tx, id, items, Some(now))
            .await?;
        audit::record_and_commit(
            tx,
            now,
            &who_of(actor),
            Entry::new("device.software_reported")
                .target("device", id, name)
                .after(json!({"items": items.len()})),
        )
        .await
    }
}
