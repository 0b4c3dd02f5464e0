//! The directory service (SPEC D-1 … D-3): users, groups, devices, detected software.
//! Every rule about the directory lives here: validation, uniqueness, who may be deleted, and
//! the effective members of a group (which license consumption will use).

pub mod csv_io;

use crate::audit::{self, Entry, Who};
use crate::db::{Db, Tx};
use crate::services::{Clock, internal, unique_or, who_of};
use app::api::directory::{DirectoryBackend, UserInput};
use app::api::ssr::Actor;
use app::domain::ApiError;
use app::domain::directory::*;
use base64::Engine;
use serde_json::json;
use sqlx::AssertSqlSafe;
use std::sync::Arc;

pub const PAGE_SIZE: i64 = 50;

pub struct Directory {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
}

/// `%text%` for LIKE, with the wildcards in `text` taken literally.
pub fn contains_pattern(s: &str) -> String {
    let escaped = s
        .trim()
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

pub fn search_text(display_name: &str, sign_in_name: &str, department: &str) -> String {
    format!("{display_name} {sign_in_name} {department}").to_lowercase()
}

/// A keyset cursor: the last row's sort value and id, opaque to the browser.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
enum CursorValue {
    Int(i64),
    Text(String),
}

fn encode_cursor(value: CursorValue, id: i64) -> String {
    let raw = serde_json::to_vec(&(value, id)).unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

fn decode_cursor(cursor: &str) -> Result<(CursorValue, i64), ApiError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|raw| serde_json::from_slice(&raw).ok())
        .ok_or_else(|| {
            ApiError::BadRequest("The page link is not valid; start from the first page.".into())
        })
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

    /// Licenses a user holds: ISV app licenses assigned to them directly (those reached through
    /// a group end with the membership) and store app licenses (counted per holder, however
    /// they were reached, because `store_apps.used` must follow every one of them).
    async fn licenses_held(&self, tx: &mut Tx, user_id: i64) -> Result<i64, sqlx::Error> {
        let isv: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM isv_assignments WHERE user_id = $1")
                .bind(user_id)
                .fetch_one(&mut **tx)
                .await?;
        Ok(isv + crate::store::deploy::held_by(tx, user_id).await?)
    }

    async fn load_user(&self, tx: &mut Tx, id: i64) -> Result<UserRow, ApiError> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM dir_users WHERE id = $1{}",
            self.db.for_update()
        );
        sqlx::query_as::<_, UserRow>(AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&mut **tx)
            .await
            .map_err(internal)?
            .ok_or(ApiError::NotFound)
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

    async fn user_rows(&self, sql: String, binds: Vec<Bind>) -> Result<Vec<UserRow>, ApiError> {
        let mut query = sqlx::query_as::<_, UserRow>(AssertSqlSafe(sql));
        for b in binds {
            query = match b {
                Bind::Int(v) => query.bind(v),
                Bind::Text(v) => query.bind(v),
            };
        }
        query.fetch_all(&self.db.pool).await.map_err(internal)
    }
}

enum Bind {
    Int(i64),
    Text(String),
}

#[async_trait::async_trait]
impl DirectoryBackend for Directory {
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
        let mut binds = vec![];
        if !q.trim().is_empty() {
            binds.push(Bind::Text(contains_pattern(&q)));
            let condition = self.db.user_search_condition(binds.len(), q.trim());
            filter.push_str(&format!(" AND {condition}"));
        }
        let count_sql = format!("SELECT COUNT(*) FROM dir_users{filter}");
        let mut count_query = sqlx::query_scalar::<_, i64>(AssertSqlSafe(count_sql));
        for b in &binds {
            if let Bind::Text(t) = b {
                count_query = count_query.bind(t.clone());
            }
        }
        let total = count_query
            .fetch_one(&self.db.pool)
            .await
            .map_err(internal)?;

        let mut sql = format!("SELECT {USER_COLUMNS} FROM dir_users{filter}");
        if let Some(cursor) = after {
            let (value, id) = decode_cursor(&cursor)?;
            binds.push(match value {
                CursorValue::Int(v) => Bind::Int(v),
                CursorValue::Text(t) => Bind::Text(t),
            });
            binds.push(Bind::Int(id));
            let (a, b) = (binds.len() - 1, binds.len());
            let op = if desc { "<" } else { ">" };
            sql.push_str(&format!(" AND ({column}, id) {op} (${a}, ${b})"));
        }
        let dir = if desc { "DESC" } else { "ASC" };
        sql.push_str(&format!(
            " ORDER BY {column} {dir}, id {dir} LIMIT {}",
            PAGE_SIZE + 1
        ));
        let mut rows = self.user_rows(sql, binds).await?;
        let more = rows.len() as i64 > PAGE_SIZE;
        rows.truncate(PAGE_SIZE as usize);
        let next = match (more, rows.last()) {
            (true, Some(last)) => Some(encode_cursor(
                match sort {
                    UserSort::Name => CursorValue::Text(last.display_key.clone()),
                    UserSort::SignInName => CursorValue::Text(last.sign_in_key.clone()),
                    UserSort::Department => CursorValue::Text(last.department.clone()),
                    UserSort::Created => CursorValue::Int(last.created_at),
                },
                last.id,
            )),
            _ => None,
        };
        Ok(ListPage {
            items: rows.iter().map(UserRow::view).collect(),
            next,
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
        Self::validate_user(&input)?;
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        if let Some(id) = id {
            // The form edits names and department; the enabled state has its own action.
            input.enabled = self.load_user(&mut tx, id).await?.enabled == 1;
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
        sqlx::query("UPDATE dir_users SET enabled = $1, updated_at = $2 WHERE id = $3")
            .bind(i64::from(enabled))
            .bind(self.now())
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        audit::record(
            &mut tx,
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
        .await?;
        tx.commit().await.map_err(internal)
    }

    async fn delete_user(&self, actor: &Actor, id: i64) -> Result<(), ApiError> {
        let mut tx = self.db.begin_write().await.map_err(internal)?;
        let user = self.load_user(&mut tx, id).await?;
        let held = self.licenses_held(&mut tx, id).await.map_err(internal)?;
        if held > 0 {
            return Err(ApiError::Conflict(format!(
                "{} holds {held} license(s). Remove the licenses first, or disable the user instead.",
                user.display_name
            )));
        }
        sqlx::query("DELETE FROM dir_users WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        audit::record(
            &mut tx,
            self.now(),
            &who_of(actor),
            Entry::new("user.deleted")
                .target("user", id, user.sign_in_name.clone())
                .before(user.snapshot()),
        )
        .await?;
        tx.commit().await.map_err(internal)
    }

    async fn search_users(&self, q: String) -> Result<Vec<UserView>, ApiError> {
        if q.trim().is_empty() {
            return Ok(vec![]);
        }
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM dir_users WHERE {} ORDER BY display_key, id LIMIT 10",
            self.db.user_search_condition(1, q.trim())
        );
        let rows = self
            .user_rows(sql, vec![Bind::Text(contains_pattern(&q))])
            .await?;
        Ok(rows.iter().map(UserRow::view).collect())
    }

    async fn list_groups(
        &self,
        q: String,
        after: Option<String>,
    ) -> Result<ListPage<GroupView>, ApiError> {
        let pattern = contains_pattern(&q);
        let total: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM dir_groups WHERE name_key LIKE $1 ESCAPE '\\'",
        )
        .bind(pattern.clone())
        .fetch_one(&self.db.pool)
        .await
        .map_err(internal)?;
        let (after_key, after_id) = match after {
            Some(c) => match decode_cursor(&c)? {
                (CursorValue::Text(k), id) => (k, id),
                _ => return Err(ApiError::BadRequest("The page link is not valid.".into())),
            },
            None => (String::new(), 0),
        };
        let rows: Vec<(i64, String, String, String, i64)> = sqlx::query_as(
            "SELECT g.id, g.name, g.name_key, g.description, \
             (SELECT COUNT(*) FROM dir_group_members m WHERE m.group_id = g.id) \
             FROM dir_groups g WHERE g.name_key LIKE $1 ESCAPE '\\' AND (g.name_key, g.id) > ($2, $3) \
             ORDER BY g.name_key, g.id LIMIT $4",
        )
        .bind(pattern)
        .bind(after_key)
        .bind(after_id)
        .bind(PAGE_SIZE + 1)
        .fetch_all(&self.db.pool)
        .await
        .map_err(internal)?;
        let more = rows.len() as i64 > PAGE_SIZE;
        let rows: Vec<_> = rows.into_iter().take(PAGE_SIZE as usize).collect();
        let next = if more {
            rows.last()
                .map(|r| encode_cursor(CursorValue::Text(r.2.clone()), r.0))
        } else {
            None
        };
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
            next,
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
        let members = self.user_rows(sql, vec![Bind::Int(id)]).await?;
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
    ) -> Result<i64, ApiError> {
        let name = group_name(&name)?;
        let description = group_description(&description)?;
        let mut tx = self.db.begin_write().await.map_err(internal)?;
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
        crate::store::deploy::target_deleted(
            &self.db,
            &mut tx,
            app::domain::store::TargetKind::Group,
            id,
            self.now(),
        )
        .await?;
        sqlx::query("DELETE FROM dir_groups WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        audit::record(
            &mut tx,
            self.now(),
            &who_of(actor),
            Entry::new("group.deleted")
                .target("group", id, group.0.clone())
                .before(json!({"name": group.0, "description": group.1})),
        )
        .await?;
        tx.commit().await.map_err(internal)
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
        if add && !changed.is_empty() {
            // New members of a group with ISV licenses assigned consume licenses too.
            crate::billing::isv::check_group_capacity(&self.db, &mut tx, group_id).await?;
        }
        if !changed.is_empty() {
            // Store apps deployed to the group: new members consume, removed members free.
            crate::store::deploy::group_changed(&self.db, &mut tx, group_id, self.now()).await?;
        }
        if !changed.is_empty() {
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
        let pattern = contains_pattern(&q);
        let platform = platform.map(|p| p.as_str().to_string()).unwrap_or_default();
        let total: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM dir_devices d WHERE d.name_key LIKE $1 ESCAPE '\\' \
             AND ($2 = '' OR d.platform = $2)",
        )
        .bind(pattern.clone())
        .bind(platform.clone())
        .fetch_one(&self.db.pool)
        .await
        .map_err(internal)?;
        let (after_key, after_id) = match after {
            Some(c) => match decode_cursor(&c)? {
                (CursorValue::Text(k), id) => (k, id),
                _ => return Err(ApiError::BadRequest("The page link is not valid.".into())),
            },
            None => (String::new(), 0),
        };
        let sql = format!(
            "{DEVICE_SELECT} WHERE d.name_key LIKE $1 ESCAPE '\\' AND ($2 = '' OR d.platform = $2) \
             AND (d.name_key, d.id) > ($3, $4) ORDER BY d.name_key, d.id LIMIT $5"
        );
        let rows: Vec<DeviceRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(pattern)
            .bind(platform)
            .bind(after_key)
            .bind(after_id)
            .bind(PAGE_SIZE + 1)
            .fetch_all(&self.db.pool)
            .await
            .map_err(internal)?;
        let more = rows.len() as i64 > PAGE_SIZE;
        let rows: Vec<DeviceRow> = rows.into_iter().take(PAGE_SIZE as usize).collect();
        let next = if more {
            rows.last()
                .map(|r| encode_cursor(CursorValue::Text(r.name.to_lowercase()), r.id))
        } else {
            None
        };
        Ok(ListPage {
            items: rows.into_iter().map(DeviceRow::view).collect(),
            next,
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
        audit::record(
            &mut tx,
            now,
            &who_of(actor),
            Entry::new("device.software_reported")
                .target("device", id, name)
                .after(json!({"items": items.len()})),
        )
        .await?;
        tx.commit().await.map_err(internal)
    }
}
