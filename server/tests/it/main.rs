//! The integration tests, as one test binary (one link instead of one per area). Each module
//! boots the real router against a fresh database — SQLite by default, PostgreSQL when
//! `LICENSEDESK_TEST_DATABASE=postgres://…` names a server (see `common`).

mod common;

mod api;
mod api_billing;
mod api_licenses;
mod api_store;
mod apple_contract;
mod billing;
mod charts;
mod crash;
mod demo;
mod directory;
mod email;
mod foundation;
mod hardening;
mod licenses;
mod migrations;
mod overview;
mod reclaim;
mod refresh;
mod store;
