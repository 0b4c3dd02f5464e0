//! The core every area builds on: error mapping, the clock, the audit log, SQL helpers and the
//! keyset cursor. The core imports no area (`module_graph` in `lib.rs` checks it, together with
//! `db`, `config`, `secrets` and `csv_util`, which are core too).

#[cfg(test)]
pub mod arbitrary;
pub mod audit;
pub mod clock;
pub mod cursor;
pub mod error;
pub mod etag;
pub mod sql;
