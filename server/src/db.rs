//! The database: one sqlx `Any` pool for SQLite and PostgreSQL, migrations, and the few
//! statements that must differ between the two (this module is the only place they live).

use anyhow::Context;
use sqlx::any::AnyPoolOptions;
use sqlx::{Any, AnyPool, Transaction};
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
}

pub type Tx = Transaction<'static, Any>;

/// SQLite settings applied to every connection:
/// - WAL: readers never block the writer and vice versa;
/// - busy_timeout 5 s: a writer waits for the lock instead of failing at once;
/// - foreign_keys ON: SQLite leaves them off by default;
/// - synchronous NORMAL: with WAL this is durable across application crashes and loses at most
///   the last transactions on power loss, at a fraction of FULL's fsync cost.
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; \
     PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;";

impl Db {
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            anyhow::bail!("unsupported database URL scheme (use sqlite: or postgres://)");
        };
        let mut url = url.to_string();
        let mut options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(10));
        if backend == Backend::Sqlite {
            if !url.contains("mode=") {
                url.push_str(if url.contains('?') {
                    "&mode=rwc"
                } else {
                    "?mode=rwc"
                });
            }
            options = options.max_connections(8).after_connect(|conn, _meta| {
                Box::pin(async move {
                    sqlx::raw_sql(SQLITE_PRAGMAS).execute(conn).await?;
                    Ok(())
                })
            });
        } else {
            options = options.max_connections(16);
        }
        let pool = options
            .connect(&url)
            .await
            .context("could not open the database")?;
        Ok(Db { pool, backend })
    }

    /// Applies the embedded migrations of this backend.
    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        match self.backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite").run(&self.pool).await,
            Backend::Postgres => sqlx::migrate!("migrations/postgres").run(&self.pool).await,
        }
    }

    /// Begins a transaction that will write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so two writers never both read and then fail to upgrade.
    pub async fn begin_write(&self) -> Result<Tx, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    /// [`Db::begin_write`] on a connection already taken from the pool — one that holds
    /// per-connection state, such as the temporary staging table of an import.
    pub async fn begin_write_on(
        &self,
        conn: sqlx::pool::PoolConnection<Any>,
    ) -> Result<Tx, sqlx::Error> {
        use sqlx::SqlSafeStr;
        let statement = match self.backend {
            Backend::Sqlite => Some("BEGIN IMMEDIATE".into_sql_str()),
            Backend::Postgres => None,
        };
        // What `Pool::begin_with` does with a connection it has just acquired.
        Transaction::begin(
            sqlx::pool::MaybePoolConnection::PoolConnection(conn),
            statement,
        )
        .await
    }

    /// Row-lock suffix for a `SELECT` inside a write transaction: PostgreSQL needs
    /// `FOR UPDATE` to serialise read-check-write; SQLite already holds the database write lock.
    pub fn for_update(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE",
        }
    }

    /// Like [`Db::for_update`], but the lock does not block other transactions' foreign-key
    /// checks against the row (PostgreSQL's `FOR NO KEY UPDATE`): for rows that are locked to
    /// serialise work while others insert rows that reference them.
    pub fn for_no_key_update(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR NO KEY UPDATE",
        }
    }

    /// A condition selecting users whose `search_text` contains the needle, where `$param` is
    /// bound to `%needle%` (lower-cased, wildcards escaped with `\`). SQLite answers it from
    /// the FTS5 trigram index when the needle has no LIKE wildcards of its own; PostgreSQL's
    /// trigram index serves `LIKE` directly (its default escape character is `\`).
    pub fn user_search_condition(&self, param: usize, needle: &str) -> String {
        match self.backend {
            Backend::Sqlite if !needle.contains(['%', '_', '\\']) => format!(
                "id IN (SELECT rowid FROM dir_users_search WHERE search_text LIKE ${param})"
            ),
            Backend::Sqlite => format!("search_text LIKE ${param} ESCAPE '\\'"),
            Backend::Postgres => format!("search_text LIKE ${param}"),
        }
    }

    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
    }
}
