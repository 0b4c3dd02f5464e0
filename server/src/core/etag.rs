//! Entity tags for optimistic concurrency (REST `ETag` / `If-Match`, SPEC X-4): the tag is a
//! digest of the representation a client read, and a change carrying `If-Match` is refused with
//! 412 when the row — read again under its lock, inside the change's transaction — no longer
//! has that representation. Two scripts therefore cannot silently overwrite each other.

use app::domain::ApiError;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The strong entity tag of a representation, quoted as HTTP writes it.
pub fn of<T: Serialize>(value: &T) -> String {
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    let digest = Sha256::digest(&bytes);
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// Checks an `If-Match` value (a list of tags, or `*`) against the current representation.
/// `None` (no header) passes: the caller did not ask for the check.
pub fn check<T: Serialize>(if_match: Option<&str>, current: &T) -> Result<(), ApiError> {
    let Some(header) = if_match else {
        return Ok(());
    };
    let tag = of(current);
    let matches = header
        .split(',')
        .map(str::trim)
        // If-Match uses the strong comparison: a weak tag never matches.
        .any(|t| t == "*" || (!t.starts_with("W/") && t == tag));
    if matches {
        Ok(())
    } else {
        Err(ApiError::PreconditionFailed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_changes_with_the_representation_and_if_match_compares_strongly() {
        let a = serde_json::json!({"name": "Ada", "n": 1});
        let b = serde_json::json!({"name": "Ada", "n": 2});
        let ta = of(&a);
        assert_eq!(ta, of(&a.clone()));
        assert_ne!(ta, of(&b));
        assert!(ta.starts_with('"') && ta.ends_with('"') && ta.len() == 34);
        assert!(check(None, &a).is_ok());
        assert!(check(Some(&ta), &a).is_ok());
        assert!(check(Some("*"), &a).is_ok());
        assert!(check(Some(&format!("\"x\", {ta}")), &a).is_ok());
        assert_eq!(check(Some(&ta), &b), Err(ApiError::PreconditionFailed));
        assert_eq!(
            check(Some(&format!("W/{ta}")), &a),
            Err(ApiError::PreconditionFailed)
        );
        assert_eq!(check(Some(""), &a), Err(ApiError::PreconditionFailed));
    }
}
