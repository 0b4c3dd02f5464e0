//! Reusable pieces every page uses.

pub mod dialog;
pub mod form;
pub mod import;
pub mod status;
pub mod table;
pub mod toast;

pub use dialog::{ConfirmDialog, DialogActions};
pub use form::{Field, FormError, field_error};
pub use import::CsvImport;
pub use status::{ErrorView, Forbidden, NotFound};
pub use table::{Column, DataTable, Pager};
pub use toast::{Toaster, provide_toasts, use_toasts};
