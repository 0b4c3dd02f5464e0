//! The REST API of the billing area through HTTP with API tokens (see `api.rs` for the
//! shared behaviour: tokens, problems, pages, the document).
