//! The overview (SPEC X-2): alerts about what needs an administrator's action, read from every
//! area. Nothing in another area imports this module: the alert job reads their tables and the
//! licenses area's installation report.

pub mod alerts;
pub mod dashboard;

pub use alerts::Alerts;
