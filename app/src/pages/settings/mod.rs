//! Settings: admin accounts and roles, and the audit log.

mod admin_table;
mod admins;
mod audit;

pub use admins::AdminsPage;
pub use audit::AuditPage;
