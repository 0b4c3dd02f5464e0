//! The REST API of the store area through HTTP with API tokens (see `api.rs` for the
//! shared behaviour: tokens, problems, pages, the document).
