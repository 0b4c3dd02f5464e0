//! Settings: admin accounts and roles, alert notifications (webhooks, e-mail), API tokens, and
//! the audit log.

mod admin_table;
mod admins;
mod api_tokens;
mod audit;
mod email;
mod notifications;

pub use admins::AdminsPage;
pub use api_tokens::ApiTokensPage;
pub use audit::AuditPage;
pub use notifications::NotificationsPage;
