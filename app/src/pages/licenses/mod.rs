//! Licenses area (SPEC L-1, L-2, L-4, L-5): the overview with Refresh now, agreements (added
//! by hand or by CSV), license groups, and the purchase and installation reports.

mod agreements;
mod groups;
mod new_agreement;
mod other_form;
mod overview;
mod report_views;
mod reports;
mod volume_form;

pub use agreements::AgreementsPage;
pub use groups::LicenseGroupsPage;
pub use new_agreement::NewAgreementPage;
pub use overview::LicensesOverview;
pub use reports::ReportsPage;
