//! LicenseDesk server: configuration, persistence, services, HTTP. The binary in `main.rs`
//! is a thin command dispatcher over this library (so integration tests can boot the app).
//!
//! Modules: the core (`core`, `db`, `config`, `secrets`, `csv_util`) imports no area; the areas
//! (`admin`, `directory`, `licenses` with `licensing`, `billing`, `store`) import the core and,
//! in one direction only, each other; `services` puts them together; `web` serves them and
//! `demo` seeds them. No module imports `web` or `demo`, and there are no import cycles
//! (`module_graph` below checks all of this).

pub mod admin;
pub mod billing;
pub mod config;
pub mod core;
pub mod csv_util;
pub mod db;
pub mod demo;
pub mod directory;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod licenses;
pub mod licensing;
pub mod overview;
pub mod secrets;
pub mod services;
pub mod store;
pub mod web;

use crate::core::clock::SystemClock;
use services::{Services, SessionConfig};
use std::sync::Arc;

/// Opens the database and applies migrations; a failure stops with a clear message.
pub async fn open_database(url: &config::DatabaseUrl) -> anyhow::Result<db::Db> {
    let db = db::Db::connect(url.expose())
        .await
        .map_err(|e| anyhow::anyhow!("{e:#} ({url})"))?;
    db.migrate().await.map_err(|e| {
        anyhow::anyhow!("database migration failed: {e}. The database was left as it was; fix the cause and start again.")
    })?;
    licenses::install_catalog(&db)
        .await
        .map_err(|e| anyhow::anyhow!("could not install the software catalog: {e}"))?;
    Ok(db)
}

pub fn services(db: db::Db, sessions: SessionConfig) -> Arc<Services> {
    Arc::new(Services {
        db,
        clock: Arc::new(SystemClock),
        sessions,
    })
}

#[cfg(test)]
mod module_graph;
