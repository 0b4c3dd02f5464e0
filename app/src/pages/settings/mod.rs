//! Settings: admin accounts and roles, alert notifications (webhooks), and the audit log.

mod admin_table;
mod admins;
mod audit;
mod email;
mod notifications;

pub use admins::AdminsPage;
pub use audit::AuditPage;
pub use notifications::NotificationsPage;
