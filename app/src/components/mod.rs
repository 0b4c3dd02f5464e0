//! Reusable pieces every page uses.

pub mod access;
pub mod chart;
pub mod dialog;
pub mod form;
pub mod import;
pub mod loaded;
pub mod params;
pub mod picker;
pub mod pill;
pub mod print;
pub mod search;
pub mod secret;
pub mod status;
pub mod table;
pub mod toast;

pub use access::can;
pub use dialog::{ConfirmDialog, DialogActions, RowDialog};
pub use form::{Field, FormError, field_error, join_ids, toggle_id};
pub use import::CsvImport;
pub use loaded::Loaded;
pub use params::param_id;
pub use picker::{MultiPicker, Pickable, PickedChips};
pub use pill::enabled_pill;
pub use print::PrintButton;
pub use search::SearchBox;
pub use secret::OnceSecret;
pub use status::{ErrorView, Forbidden, NotFound};
pub use table::{Column, DataTable, Pager, urlencode, use_sort};
pub use toast::{Toaster, provide_toasts, toast_on_success, use_toasts};
