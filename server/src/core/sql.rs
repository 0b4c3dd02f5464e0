//! SQL helpers shared by the areas: LIKE patterns, UNIQUE violations, dynamically bound values.
//! Backend-specific statements are not here but in `db.rs`.

use super::error::internal;
use crate::db::{Db, Tx};
use app::domain::ApiError;
use sqlx::any::AnyArguments;
use sqlx::query::{QueryAs, QueryScalar};
use sqlx::{Any, AssertSqlSafe};

/// `%text%` for LIKE, with the wildcards in `text` taken literally (escape character `\`).
pub fn contains_pattern(s: &str) -> String {
    let escaped = s
        .trim()
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// Whether a database error is a UNIQUE constraint violation (on either backend).
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(e) if e.is_unique_violation())
}

/// Maps a UNIQUE violation to `on_duplicate` (a message naming the field), anything else to an
/// internal error.
pub fn unique_or(on_duplicate: impl FnOnce() -> ApiError) -> impl FnOnce(sqlx::Error) -> ApiError {
    move |e| {
        if is_unique_violation(&e) {
            on_duplicate()
        } else {
            internal(e)
        }
    }
}

/// A value bound to a statement built at run time (filters that are present or not).
#[derive(Clone, Debug)]
pub enum Bind {
    Int(i64),
    Text(String),
}

impl From<i64> for Bind {
    fn from(v: i64) -> Bind {
        Bind::Int(v)
    }
}

impl From<String> for Bind {
    fn from(v: String) -> Bind {
        Bind::Text(v)
    }
}

impl From<&str> for Bind {
    fn from(v: &str) -> Bind {
        Bind::Text(v.to_string())
    }
}

/// A statement whose `$n` placeholders are numbered as values are added.
#[derive(Default)]
pub struct Binds(Vec<Bind>);

impl Binds {
    /// Adds a value and answers its placeholder (`$n`).
    pub fn push(&mut self, value: Bind) -> String {
        self.0.push(value);
        format!("${}", self.0.len())
    }

    pub fn text(&mut self, value: impl Into<String>) -> String {
        self.push(Bind::Text(value.into()))
    }

    pub fn int(&mut self, value: i64) -> String {
        self.push(Bind::Int(value))
    }

    /// The number of the last placeholder handed out.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `sql` with these values bound, reading rows of `T`.
    pub fn query_as<'q, T>(&self, sql: String) -> QueryAs<'q, Any, T, AnyArguments>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        self.0
            .iter()
            .fold(sqlx::query_as(AssertSqlSafe(sql)), |q, b| match b {
                Bind::Int(v) => q.bind(*v),
                Bind::Text(v) => q.bind(v.clone()),
            })
    }

    /// `sql` with these values bound, reading one column of `T`.
    pub fn query_scalar<'q, T>(&self, sql: String) -> QueryScalar<'q, Any, T, AnyArguments>
    where
        (T,): for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        self.0
            .iter()
            .fold(sqlx::query_scalar(AssertSqlSafe(sql)), |q, b| match b {
                Bind::Int(v) => q.bind(*v),
                Bind::Text(v) => q.bind(v.clone()),
            })
    }
}

/// The row that `select` (ending in a condition on `$1`) finds for `id`, locked for the rest of
/// `tx` (`FOR UPDATE` on PostgreSQL; SQLite's write transaction already holds the lock);
/// `NotFound` when there is none.
pub async fn fetch_locked<T>(db: &Db, tx: &mut Tx, select: &str, id: i64) -> Result<T, ApiError>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    sqlx::query_as::<_, T>(AssertSqlSafe(format!("{select}{}", db.for_update())))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
        .map_err(internal)?
        .ok_or(ApiError::NotFound)
}

/// The count that `sql` (a `SELECT COUNT(*) … $1`) answers for `id`, inside `tx`.
pub async fn count_for(tx: &mut Tx, sql: &'static str, id: i64) -> Result<i64, ApiError> {
    sqlx::query_scalar(sql)
        .bind(id)
        .fetch_one(&mut **tx)
        .await
        .map_err(internal)
}

/// Runs `sql` (a statement whose only parameter `$1` is `id`) inside `tx`; answers the number
/// of rows it changed.
pub async fn execute_for(tx: &mut Tx, sql: &'static str, id: i64) -> Result<u64, ApiError> {
    sqlx::query(sql)
        .bind(id)
        .execute(&mut **tx)
        .await
        .map(|done| done.rows_affected())
        .map_err(internal)
}

/// Sets one column of the row `id` of `table`, and its `updated_at`, inside `tx`.
pub async fn set_column(
    tx: &mut Tx,
    table: &'static str,
    column: &'static str,
    value: impl Into<Bind>,
    now: i64,
    id: i64,
) -> Result<(), ApiError> {
    let sql = format!("UPDATE {table} SET {column} = $1, updated_at = $2 WHERE id = $3");
    let query = sqlx::query(AssertSqlSafe(sql));
    let query = match value.into() {
        Bind::Int(v) => query.bind(v),
        Bind::Text(v) => query.bind(v),
    };
    query
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await
        .map_err(internal)?;
    Ok(())
}
